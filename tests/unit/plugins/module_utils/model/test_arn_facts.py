# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each ARN fact once: partitions, account IDs, SSO names, and the authenticator's comparison."""

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils.model import arn
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import parse as aws_auth_parse
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import plan as aws_auth_plan
from ansible_collections.eks.access.plugins.module_utils.model import irsa
from ansible_collections.eks.access.plugins.module_utils.model import sso
from ansible_collections.eks.access.plugins.module_utils.model import trust_policy

ACCOUNT = "123456789012"
LOWER_SSO = "arn:aws:iam::123456789012:role/awsreservedsso_eksclusteradminaccess_4ffa4321e413c0b0"


@pytest.mark.parametrize("partition", ["aws-iso", "aws-iso-b", "aws-eusc", "aws-cn", "aws-us-gov"])
def test_role_arn_and_trust_policy_accept_the_same_partitions(partition):
    built = arn.role_arn(partition, ACCOUNT, "r")
    assert arn.parse_iam_arn(built).partition == partition
    provider = trust_policy.oidc_provider_arn(partition, ACCOUNT, "https://oidc.eks.example/id/X")
    assert provider.startswith("arn:%s:iam::" % partition)


@pytest.mark.parametrize("account", ["123456789012\n", "12345678901", 12345678901])
def test_account_ids_refused_the_same_way_everywhere(account):
    with pytest.raises(arn.ArnError):
        arn.validate_account_id(account)
    with pytest.raises(trust_policy.TrustPolicyError):
        trust_policy.oidc_provider_arn("aws", account, "https://oidc.eks.example/id/X")


def test_trailing_newline_is_not_a_namespace():
    with pytest.raises(trust_policy.TrustPolicyError):
        trust_policy.validate_namespace("default\n")


def test_match_key_is_the_authenticators_lower_case():
    assert arn.match_key("arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_ab") == \
        "arn:aws:iam::123456789012:role/awsreservedsso_admin_ab"
    assert arn.same_arn("arn:aws:iam::123456789012:role/Ops", "ARN:AWS:IAM::123456789012:ROLE/ops")
    assert not arn.same_arn("arn:aws:iam::123456789012:role/Ops", "arn:aws:iam::123456789012:role/Ops2")
    # Go maps U+0130 to one rune; it is left alone rather than grown into two characters.
    assert len(arn.match_key("\u0130")) == 1
    assert arn.partition_of("arn:aws-cn:iam::123456789012:role/x") == "aws-cn"
    assert arn.partition_of("not-an-arn") is None


def test_sso_prefixes_are_defined_once():
    assert sso.SSO_PATH_PREFIX is arn.SSO_PATH_PREFIX
    assert sso.SSO_ROLE_PREFIX is arn.SSO_ROLE_PREFIX
    assert not hasattr(trust_policy, "PARTITIONS")


def test_lower_cased_sso_mapping_is_found_for_removal():
    """Issue 14 item 2: the authenticator lower-cases ARNs, so such a mapping still grants access."""
    map_roles = [{"rolearn": LOWER_SSO, "groups": ["system:masters"]},
                 {"rolearn": "arn:aws:iam::123456789012:role/AWSReservedSSO_Other_4ffa4321e413c0b0"}]
    assert sso.permission_set_mappings(map_roles, "EKSClusterAdminAccess", ACCOUNT) == [LOWER_SSO]
    assert sso.stale_mappings(map_roles, "EKSClusterAdminAccess", ACCOUNT,
                              "AWSReservedSSO_EKSClusterAdminAccess_4ffa4321e413c0b0") == []


def test_lower_cased_mapping_is_removed_by_plan():
    current = aws_auth_parse.parse_aws_auth({"mapRoles": "- rolearn: %s\n  groups: [system:masters]\n" % LOWER_SSO})
    wanted = [{"rolearn": a} for a in sso.permission_set_mappings(current.map_roles, "EKSClusterAdminAccess", ACCOUNT)]
    result = aws_auth_plan.plan(current, roles=wanted, state="absent")
    assert result.changed and result.after.map_roles == []


def test_irsa_annotation_in_another_case_is_the_same_role():
    role = "arn:aws:iam::123456789012:role/Reports"
    sa = {"metadata": {"name": "sa", "namespace": "apps", "annotations": {irsa.ROLE_ARN_ANNOTATION: role.lower()}}}
    plan = irsa.plan_service_account(sa, {irsa.ROLE_ARN_ANNOTATION: role}, False, True)
    assert plan["action"] == "patch"
    assert irsa.plan_remove_annotations(sa, role)["action"] == "patch"


def test_refusal_names_the_real_option():
    """Issue 14 item 9."""
    sa = {"metadata": {"name": "sa", "namespace": "apps",
                       "annotations": {irsa.ROLE_ARN_ANNOTATION: "arn:aws:iam::123456789012:role/other"}}}
    plan = irsa.plan_service_account(sa, {irsa.ROLE_ARN_ANNOTATION: "arn:aws:iam::123456789012:role/mine"}, False, True)
    assert plan["action"] == "refuse"
    assert "override_existing_annotation=true" in plan["reason"]
