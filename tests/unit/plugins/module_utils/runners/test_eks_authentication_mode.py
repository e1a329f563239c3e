# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""eks_authentication_mode over stubbed clients: the switch step by step, its waits, the caller and node guards."""

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.runners import eks_authentication_mode
from ansible_collections.eks.access.plugins.module_utils.services.access_entries import ModeChange
from ansible_collections.eks.access.tests.unit.plugins.fakes import ScriptedKube
from .test_eks_access_entry import ACCOUNT, CLUSTER, ROLE, ALICE, NODE, CALLER, ADMIN_ROLE, CLUSTER_ADMIN, make_context, cluster, listing, entry


def mode_options(mode, **kwargs):
    # The node guard has tests of its own (below); the others leave it out.
    kwargs.setdefault("allow_node_lockout", True)
    return ModeChange(cluster_name=CLUSTER, mode=mode, poll_seconds=0, **kwargs)


SELF_MANAGED = "arn:aws:iam::%s:role/self-managed-nodes" % ACCOUNT
NODE_MAPPING = "- rolearn: %s\n  username: system:node:{{EC2PrivateDNSName}}\n  groups: [system:bootstrappers, system:nodes]\n"


def node_context(map_roles, check_mode=False):
    """A context whose cluster's aws-auth maps ``map_roles`` (and a managed node group with role NODE)."""
    context = make_context(check_mode=check_mode)
    aws_auth = {"metadata": {"name": "aws-auth", "namespace": "kube-system", "resourceVersion": "7"},
                "data": {"mapRoles": map_roles}}
    kube = ScriptedKube({"/api/v1/namespaces/kube-system/configmaps/aws-auth": aws_auth})
    context.kube = lambda: kube
    return context


def node_groups(stub, groups=("ng-1",)):
    stub.add_response("list_nodegroups", {"nodegroups": list(groups)}, {"clusterName": CLUSTER})
    stub.add_response("list_fargate_profiles", {"fargateProfileNames": []}, {"clusterName": CLUSTER})
    for group in groups:
        stub.add_response("describe_nodegroup", {"nodegroup": {"nodegroupName": group, "nodeRole": NODE}},
                          {"clusterName": CLUSTER, "nodegroupName": group})


def node_entries(stub, arns):
    """The listing and one node entry (at most: the Stubber answers in order, the reads run side by side)."""
    listing(stub, list(arns))
    for arn in arns:
        entry(stub, arn, type="EC2_LINUX", username="system:node:{{EC2PrivateDNSName}}")


@pytest.mark.parametrize("check_mode", [False, True])
def test_mode_switch_to_api_is_refused_naming_a_node_role_that_has_no_node_entry(check_mode):
    # A self-managed node role mapped only in aws-auth: in API its nodes get 401, so the switch is refused.
    context = node_context(NODE_MAPPING % SELF_MANAGED + NODE_MAPPING % NODE, check_mode)
    cluster(context.eks)
    node_groups(context.eks)
    node_entries(context.eks, [NODE])
    with context.eks, pytest.raises(errors.Refused) as raised:
        eks_authentication_mode.run(context, mode_options("API", allow_node_lockout=False,
                                                          allow_self_lockout=True))
    context.eks.assert_no_pending_responses()
    assert raised.value.details["node_lockouts"] == [
        {"principal_arn": SELF_MANAGED, "sources": ["aws-auth mapRoles[0]"]}]
    assert "node role %s (aws-auth mapRoles[0]) has no access entry of a node type" % SELF_MANAGED \
        in raised.value.message
    assert "allow_node_lockout: true" in raised.value.message and "Nothing was changed" in raised.value.message


def test_mode_switch_to_api_goes_ahead_when_every_node_role_has_a_node_entry_whatever_its_spelling():
    # aws-auth writes the role without its path and in another case; the entry has the real ARN.
    pathed = "arn:aws:iam::%s:role/nodes/Self-Managed-Nodes" % ACCOUNT
    context = node_context(NODE_MAPPING % SELF_MANAGED)
    cluster(context.eks)
    node_groups(context.eks, groups=())
    node_entries(context.eks, [pathed])
    context.eks.add_response("update_cluster_config", {"update": {"id": "u1", "status": "InProgress"}},
                             {"name": CLUSTER, "accessConfig": {"authenticationMode": "API"}})
    context.eks.add_response("describe_update", {"update": {"id": "u1", "status": "Successful"}},
                             {"name": CLUSTER, "updateId": "u1"})
    with context.eks:
        result = eks_authentication_mode.run(context, mode_options("API", allow_node_lockout=False,
                                                                   allow_self_lockout=True))
        context.eks.assert_no_pending_responses()
    assert result["changed"] and result["node_roles"] == [SELF_MANAGED]


def test_a_managed_node_group_role_without_its_entry_blocks_too_and_the_opt_in_skips_the_guard():
    context = node_context("")
    cluster(context.eks)
    listing(context.eks, [ADMIN_ROLE])  # the caller's guard first: it passes
    entry(context.eks, ADMIN_ROLE, associations=[(CLUSTER_ADMIN, {"type": "cluster"})])
    node_groups(context.eks)
    node_entries(context.eks, [])
    with context.eks, pytest.raises(errors.Refused) as raised:
        eks_authentication_mode.run(context, mode_options("API", allow_node_lockout=False))
    assert raised.value.details["node_lockouts"] == [{"principal_arn": NODE, "sources": ["node group ng-1"]}]
    context = node_context(NODE_MAPPING % SELF_MANAGED, check_mode=True)
    cluster(context.eks)
    listing(context.eks, [ADMIN_ROLE])
    entry(context.eks, ADMIN_ROLE, associations=[(CLUSTER_ADMIN, {"type": "cluster"})])
    with context.eks:
        result = eks_authentication_mode.run(context, mode_options("API", allow_node_lockout=True))
        context.eks.assert_no_pending_responses()
    assert result["changed"] and "node_roles" not in result


def test_node_roles_of_aws_auth_are_the_node_mappings_the_authenticator_uses():
    from ansible_collections.eks.access.plugins.module_utils.model import access_entry_migration as migration

    mappings = {"mapRoles": [
        {"rolearn": SELF_MANAGED, "username": "system:node:{{EC2PrivateDNSName}}",
         "groups": ["system:bootstrappers", "system:nodes"]},
        {"rolearn": ADMIN_ROLE, "username": "admin", "groups": ["system:masters"]},
        # never matched: a rolearn with a path
        {"rolearn": "arn:aws:iam::%s:role/p/pathed" % ACCOUNT, "username": "system:node:{{EC2PrivateDNSName}}",
         "groups": ["system:nodes"]},
        # overridden by the next entry for the same ARN (the last one wins)
        {"rolearn": NODE, "username": "system:node:{{EC2PrivateDNSName}}", "groups": ["system:nodes"]},
        {"rolearn": NODE.upper().replace("ARN:AWS:IAM", "arn:aws:iam").replace(":ROLE/", ":role/"),
         "username": "ops", "groups": ["ops"]},
        {"rolearn": ROLE, "username": "system:node:{{SessionName}}",
         "groups": ["system:bootstrappers", "system:nodes", "system:node-proxier"]},
    ]}
    assert migration.node_roles_of(mappings) == {SELF_MANAGED: ["aws-auth mapRoles[0]"],
                                                 ROLE: ["aws-auth mapRoles[5]"]}


def test_mode_switch_to_api_is_refused_when_the_caller_would_lose_admin():
    context = make_context()
    cluster(context.eks)
    listing(context.eks, [ALICE])
    entry(context.eks, ALICE, associations=[(CLUSTER_ADMIN, {"type": "cluster"})])
    with context.eks, pytest.raises(errors.Refused) as raised:
        eks_authentication_mode.run(context, mode_options("API", protect=[ROLE]))
    assert raised.value.details["missing_admins"] == [CALLER, ROLE]
    assert "allow_self_lockout" in raised.value.message


def test_mode_switch_waits_for_each_step():
    context = make_context()
    cluster(context.eks, mode="CONFIG_MAP")
    for step, update_id in (("API_AND_CONFIG_MAP", "u1"), ("API", "u2")):
        if step == "API":  # the guard reads the entries once the cluster has them, right before this step
            listing(context.eks, [ADMIN_ROLE])
            entry(context.eks, ADMIN_ROLE, associations=[(CLUSTER_ADMIN, {"type": "cluster"})])
        context.eks.add_response("update_cluster_config", {"update": {"id": update_id, "status": "InProgress"}},
                                 {"name": CLUSTER, "accessConfig": {"authenticationMode": step}})
        context.eks.add_response("describe_update", {"update": {"id": update_id, "status": "InProgress"}},
                                 {"name": CLUSTER, "updateId": update_id})
        context.eks.add_response("describe_update", {"update": {"id": update_id, "status": "Successful"}},
                                 {"name": CLUSTER, "updateId": update_id})
    with context.eks:
        result = eks_authentication_mode.run(context, mode_options("API"))
        context.eks.assert_no_pending_responses()
    assert result["changed"] and result["update_ids"] == ["u1", "u2"] and result["steps"] == ["API_AND_CONFIG_MAP", "API"]


def test_from_config_map_the_guard_runs_after_the_first_step_and_says_where_the_cluster_is():
    context = make_context()
    cluster(context.eks, mode="CONFIG_MAP")
    context.eks.add_response("update_cluster_config", {"update": {"id": "u1", "status": "InProgress"}},
                             {"name": CLUSTER, "accessConfig": {"authenticationMode": "API_AND_CONFIG_MAP"}})
    context.eks.add_response("describe_update", {"update": {"id": "u1", "status": "Successful"}},
                             {"name": CLUSTER, "updateId": "u1"})
    listing(context.eks, [])
    with context.eks, pytest.raises(errors.Refused) as raised:
        eks_authentication_mode.run(context, mode_options("API"))
    assert raised.value.details["steps_done"] == ["API_AND_CONFIG_MAP"]
    assert "now in API_AND_CONFIG_MAP" in raised.value.message
    context = make_context(check_mode=True)
    cluster(context.eks, mode="CONFIG_MAP")
    with context.eks:
        result = eks_authentication_mode.run(context, mode_options("API"))
    assert result["steps"] == ["API_AND_CONFIG_MAP", "API"] and "after the first step" in context.warnings[0]


def test_mode_downgrade_is_refused_and_same_mode_is_no_change():
    context = make_context()
    cluster(context.eks, mode="API")
    with context.eks, pytest.raises(errors.Refused, match="never back"):
        eks_authentication_mode.run(context, mode_options("CONFIG_MAP"))
    context = make_context(check_mode=True)
    cluster(context.eks, mode="API")
    with context.eks:
        assert not eks_authentication_mode.run(context, mode_options("API"))["changed"]


def test_a_failed_update_reports_eks_reason():
    context = make_context()
    cluster(context.eks)
    context.eks.add_response("update_cluster_config", {"update": {"id": "u1", "status": "InProgress"}},
                             {"name": CLUSTER, "accessConfig": {"authenticationMode": "API"}})
    context.eks.add_response("describe_update", {"update": {"id": "u1", "status": "Failed", "errors": [
        {"errorCode": "AccessDenied", "errorMessage": "no"}]}}, {"name": CLUSTER, "updateId": "u1"})
    with context.eks, pytest.raises(errors.EksAccessError, match="ended Failed \\(AccessDenied: no\\)"):
        eks_authentication_mode.run(context, mode_options("API", allow_self_lockout=True))
