# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vpc_cni_addon with a stubbed EKS client: the add-on's IRSA role, its update and wait."""

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.runners import vpc_cni_addon

from ansible_collections.eks.access.tests.unit.plugins.fakes import FakeContext
from .test_node_role_policy import ACCOUNT, CNI_ROLE


ADDON = {"addonName": "vpc-cni", "clusterName": "prod", "status": "ACTIVE", "addonVersion": "v1.20.4-eksbuild.1"}
CLUSTER = {"cluster": {"name": "prod", "arn": "arn:aws:eks:us-east-1:%s:cluster/prod" % ACCOUNT}}


def test_addon_sets_the_role_then_waits_for_the_update(context):
    eks = context.stub("eks")
    eks.add_response("describe_cluster", CLUSTER, {"name": "prod"})
    eks.add_response("describe_addon", {"addon": ADDON}, {"clusterName": "prod", "addonName": "vpc-cni"})
    eks.add_response("update_addon", {"update": {"id": "u1", "status": "InProgress"}},
                     {"clusterName": "prod", "addonName": "vpc-cni", "serviceAccountRoleArn": CNI_ROLE,
                      "resolveConflicts": "PRESERVE"})
    eks.add_response("describe_update", {"update": {"id": "u1", "status": "Successful"}},
                     {"name": "prod", "updateId": "u1", "addonName": "vpc-cni"})
    eks.add_response("describe_addon", {"addon": dict(ADDON, serviceAccountRoleArn=CNI_ROLE)},
                     {"clusterName": "prod", "addonName": "vpc-cni"})
    result = vpc_cni_addon.run(context, vpc_cni_addon.Options(cluster_name="prod", service_account_role_arn=CNI_ROLE,
                                                              resolve_conflicts="PRESERVE"))
    context.assert_no_pending()
    assert result["update"] == {"id": "u1", "status": "Successful"}
    assert result["addon"]["service_account_role_arn"] == CNI_ROLE


def test_addon_check_mode_does_not_update(context):
    context.check_mode = True
    eks = context.stub("eks")
    eks.add_response("describe_cluster", CLUSTER)
    eks.add_response("describe_addon", {"addon": ADDON})
    result = vpc_cni_addon.run(context, vpc_cni_addon.Options(cluster_name="prod", service_account_role_arn=CNI_ROLE))
    context.assert_no_pending()
    assert result["changed"] is True and result["update"] is None


def test_addon_failed_update_is_one_sentence(context):
    eks = context.stub("eks")
    eks.add_response("describe_cluster", CLUSTER)
    eks.add_response("describe_addon", {"addon": ADDON})
    eks.add_response("update_addon", {"update": {"id": "u1", "status": "InProgress"}})
    eks.add_response("describe_update", {"update": {"id": "u1", "status": "Failed",
                                                    "errors": [{"errorMessage": "role not trusted"}]}})
    with pytest.raises(errors.EksAccessError) as failed:
        vpc_cni_addon.run(context, vpc_cni_addon.Options(cluster_name="prod", service_account_role_arn=CNI_ROLE))
    assert "ended Failed: role not trusted" in str(failed.value)


def test_addon_missing_cluster_is_not_found(context):
    context.stub("eks").add_client_error("describe_cluster", "ResourceNotFoundException")
    with pytest.raises(errors.NotFound):
        vpc_cni_addon.run(context, vpc_cni_addon.Options(cluster_name="prod"))


def test_addon_absent_with_a_role_is_bad_input():
    with pytest.raises(errors.InvalidInput):
        vpc_cni_addon.run(FakeContext(), vpc_cni_addon.Options(cluster_name="prod", state="absent",
                                                               service_account_role_arn=CNI_ROLE))
