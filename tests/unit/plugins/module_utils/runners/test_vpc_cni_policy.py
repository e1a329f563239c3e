# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vpc_cni_policy with a stubbed IAM client: the managed policy for IPv4, the IPv6 one created when missing."""

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.runners import vpc_cni_policy

from ansible_collections.eks.access.tests.unit.plugins.fakes import FakeContext
from .test_node_role_policy import ACCOUNT, CNI


V6_ARN = "arn:aws:iam::%s:policy/AmazonEKS_CNI_IPv6_Policy" % ACCOUNT


def test_policy_ipv4_is_the_managed_policy_without_any_call(context):
    result = vpc_cni_policy.run(context, vpc_cni_policy.Options(ip_family="ipv4"))
    assert result["policy_arn"] == CNI and result["changed"] is False
    context.assert_no_pending()


def test_policy_ipv6_is_created_when_missing_and_not_in_check_mode():
    for check_mode in (True, False):
        ctx = FakeContext(check_mode=check_mode)
        iam = ctx.stub("iam")
        iam.add_client_error("get_policy", "NoSuchEntity", expected_params={"PolicyArn": V6_ARN})
        if not check_mode:
            iam.add_response("create_policy", {"Policy": {"PolicyName": "AmazonEKS_CNI_IPv6_Policy", "Arn": V6_ARN}})
        result = vpc_cni_policy.run(ctx, vpc_cni_policy.Options(ip_family="ipv6"))
        ctx.assert_no_pending()
        assert result["created"] == [V6_ARN] and result["changed"] is True


def test_policy_ipv6_missing_without_create_is_refused(context):
    context.stub("iam").add_client_error("get_policy", "NoSuchEntity")
    with pytest.raises(errors.Refused):
        vpc_cni_policy.run(context, vpc_cni_policy.Options(ip_family="ipv6", create=False))


@pytest.mark.parametrize("opts", [vpc_cni_policy.Options(), vpc_cni_policy.Options(ip_family="ipv4", ipv6_policy_path="x")])
def test_policy_bad_input(opts):
    with pytest.raises(errors.InvalidInput):
        vpc_cni_policy.run(FakeContext(), opts)
