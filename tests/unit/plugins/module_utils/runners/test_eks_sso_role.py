# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""runners/eks_sso_role.py: the cluster-creator planners over plain data, and the runner over a scripted aws-auth."""

from __future__ import annotations

import datetime

from ansible_collections.eks.access.plugins.module_utils.model import sso
from ansible_collections.eks.access.plugins.module_utils.runners import eks_sso_role as sso_runner
from ansible_collections.eks.access.plugins.module_utils.services.iam_role import RoleSnapshot
from ansible_collections.eks.access.tests.unit.plugins.fakes import ACCOUNT as HARNESS_ACCOUNT
from ansible_collections.eks.access.tests.unit.plugins.fakes import Harness

from .test_aws_auth_mapping import CM, NODE_ENTRY, aws_auth

ACCOUNT = "111222333444"
PS = "EKSClusterAdminAccess"
SSO_ARN = "arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_%s_4ffa4321e413c0b0" % (ACCOUNT, PS)
OLD_ARN = "arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_%s_00000000000000aa" % (ACCOUNT, PS)
CI = "arn:aws:iam::%s:role/ci" % ACCOUNT
CREATOR_ARN = "arn:aws:iam::%s:role/EKSClusterCreator" % ACCOUNT
POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "eks:*", "Resource": "*"}]}
SSO_ROLE = "AWSReservedSSO_EKSClusterAdminAccess_4ffa4321e413c0b0"
LOWER_SSO = "arn:aws:iam::%s:role/%s" % (HARNESS_ACCOUNT, SSO_ROLE.lower())
OPTIONS = sso_runner.CreatorRoleOptions(name="EKSClusterCreator", inline_policies={"create": POLICY})


def trust(*principals):
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": p}, "Action": "sts:AssumeRole"} for p in principals]}


def creator(policy=None, tags=None, inline=None, exists=True):
    return RoleSnapshot(
        name="EKSClusterCreator", arn=CREATOR_ARN,
        role={"RoleName": "EKSClusterCreator", "Arn": CREATOR_ARN} if exists else None,
        trust=policy, attached=[], inline=inline if inline is not None else {}, tags=tags or {})


def test_present_creates_a_missing_role():
    plan = sso_runner.plan_creator_present(
        creator(exists=False), OPTIONS, SSO_ARN, PS, ACCOUNT)
    assert plan["action"] == "create"
    assert plan["trust_after"] == trust(SSO_ARN)
    assert plan["after"]["inline_policies"] == {"create": POLICY}


def test_present_nothing_to_do():
    plan = sso_runner.plan_creator_present(
        creator(trust(SSO_ARN), inline={"create": POLICY}), OPTIONS, SSO_ARN, PS, ACCOUNT)
    assert plan["action"] == "none"
    assert plan["untrusted"] == []


def test_present_replaces_an_earlier_hash_and_purges_unlisted_inline_policies():
    plan = sso_runner.plan_creator_present(
        creator(trust(CI, OLD_ARN), inline={"create": POLICY, "old": POLICY}), OPTIONS, SSO_ARN, PS, ACCOUNT)
    assert plan["action"] == "update"
    assert plan["untrusted"] == [OLD_ARN]
    assert plan["trust_after"] == trust(CI, SSO_ARN)
    assert plan["changes"]["to_delete"] == ["old"]
    assert plan["after"]["inline_policies"] == {"create": POLICY}


def test_absent_without_role():
    assert sso_runner.plan_creator_absent(creator(exists=False), PS, ACCOUNT)["action"] == "none"


def test_absent_deletes_only_an_owned_role_that_trusts_nobody_else():
    owned = sso.creator_ownership_tags(PS)
    assert sso_runner.plan_creator_absent(creator(trust(SSO_ARN, OLD_ARN), tags=owned), PS, ACCOUNT)["action"] == "delete"
    # another statement remains: keep the role, only untrust
    plan = sso_runner.plan_creator_absent(creator(trust(SSO_ARN, CI), tags=owned), PS, ACCOUNT)
    assert plan["action"] == "untrust" and plan["trust_after"] == trust(CI) and plan["remaining"] == 1
    # created for another permission set, or not by eks.access: keep it even when nobody is trusted
    other = sso.creator_ownership_tags("EKSReadOnly")
    for tags in (other, {}):
        plan = sso_runner.plan_creator_absent(creator(trust(SSO_ARN), tags=tags), PS, ACCOUNT)
        assert plan["action"] == "untrust" and plan["remaining"] == 0


def test_absent_when_not_trusted_is_a_no_op():
    plan = sso_runner.plan_creator_absent(creator(trust(CI)), PS, ACCOUNT)
    assert plan["action"] == "none" and plan["untrusted"] == []


def test_a_creator_role_created_meanwhile_by_another_fork_is_a_conflict_not_a_failure():
    """Two clusters of one account in parallel forks both create the creator role: the loser re-plans (issue 29)."""
    import boto3
    import pytest
    from botocore.stub import Stubber

    from ansible_collections.eks.access.plugins.module_utils import errors
    from ansible_collections.eks.access.plugins.module_utils.clients import aws
    from ansible_collections.eks.access.plugins.module_utils.services import iam_role

    client = boto3.client("iam", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    stub = Stubber(client)
    stub.add_client_error("create_role", "EntityAlreadyExists", "Role with name EKSClusterCreator already exists.",
                          409)
    stub.activate()
    roles = iam_role.IamRoles(aws.AlwaysRetryingClient(client, aws.AWSRetry.jittered_backoff(retries=1, delay=0)))
    plan = sso_runner.plan_creator_present(creator(exists=False), OPTIONS, SSO_ARN, PS, ACCOUNT)
    with pytest.raises(errors.Conflict, match="created by another task meanwhile"):
        roles.apply(creator(exists=False), plan["changes"], plan["trust_after"])


def test_sso_absent_removes_a_lower_cased_mapping():
    """Issue 14 item 2: the authenticator lower-cases ARNs, so this mapping grants access and must go."""
    h = Harness(objects=aws_auth(NODE_ENTRY + "- rolearn: %s\n  groups:\n  - system:masters\n" % LOWER_SSO))
    h.caller()
    h.stub("iam").add_response("list_roles", {"Roles": []})
    result = h.run(sso_runner.run, sso_runner.Options(permission_set="EKSClusterAdminAccess", state="absent"))
    assert result["changed"] and result["deleted"] == [LOWER_SSO]
    assert LOWER_SSO not in h.kube.objects[CM]["data"]["mapRoles"]


def test_sso_on_a_broken_aws_auth_points_at_the_module_that_repairs():
    h = Harness(objects=aws_auth("- rolearn: [unclosed\n"))
    h.caller()
    h.stub("iam").add_response("list_roles", {"Roles": [{
        "Path": "/aws-reserved/sso.amazonaws.com/", "RoleName": SSO_ROLE, "RoleId": "AROAEXAMPLE0000000001",
        "Arn": "arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/%s" % (HARNESS_ACCOUNT, SSO_ROLE),
        "CreateDate": datetime.datetime(2026, 1, 1)}]})
    result = h.run(sso_runner.run, sso_runner.Options(permission_set="EKSClusterAdminAccess", groups=["admins"]))
    assert "repair it with eks.access.aws_auth_mapping (repair=true)" in result["msg"]
    assert "re-run with repair=true" not in result["msg"]
    assert h.kube_writes() == []
