# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""services/access_entries.py and runners/access_entries.py over a stubbed boto3 eks client.

The Stubber checks every request, in order: the order of writes, none in
check mode, an idempotent second run, and what a failure half-way reports.
"""

from __future__ import annotations

import datetime
import threading

import pytest


from ansible_collections.eks.access.plugins.module_utils.services.access_entries import ModeChange
from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model import access_entry as m
from ansible_collections.eks.access.plugins.module_utils.runners import access_entries as runner
from ansible_collections.eks.access.plugins.module_utils.services import access_entries as service
from ansible_collections.eks.access.tests.unit.plugins.fakes import FAST_RETRY, FakeContext, ScriptedKube

ACCOUNT = "111122223333"
CLUSTER = "prod"
CLUSTER_ARN = "arn:aws:eks:us-east-1:%s:cluster/prod" % ACCOUNT
ROLE = "arn:aws:iam::%s:role/developers" % ACCOUNT
ALICE = "arn:aws:iam::%s:user/alice" % ACCOUNT
BOB = "arn:aws:iam::%s:user/bob" % ACCOUNT
NODE = "arn:aws:iam::%s:role/eks-node" % ACCOUNT
CALLER = "arn:aws:sts::%s:assumed-role/admin/ci" % ACCOUNT
ADMIN_ROLE = "arn:aws:iam::%s:role/admin" % ACCOUNT
VIEW = m.policy_arn("AmazonEKSViewPolicy")
CLUSTER_ADMIN = m.policy_arn("AmazonEKSClusterAdminPolicy")
NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def make_context(check_mode=False, diff_mode=True, caller=CALLER):
    """A FakeContext for this account, retrying without waiting."""
    return FakeContext(check_mode=check_mode, diff_mode=diff_mode, caller=caller, account=ACCOUNT, retry=FAST_RETRY)


def cluster(stub, mode="API_AND_CONFIG_MAP"):
    stub.add_response("describe_cluster", {"cluster": {
        "name": CLUSTER, "arn": CLUSTER_ARN, "accessConfig": {"authenticationMode": mode}}}, {"name": CLUSTER})


def policies(stub):
    stub.add_response("list_access_policies", {"accessPolicies": [
        {"name": n, "arn": m.policy_arn(n)} for n in ("AmazonEKSViewPolicy", "AmazonEKSClusterAdminPolicy")]}, {})


def listing(stub, arns):
    stub.add_response("list_access_entries", {"accessEntries": list(arns)}, {"clusterName": CLUSTER})


def entry(stub, arn, type="STANDARD", groups=(), username="u", associations=()):
    stub.add_response("describe_access_entry", {"accessEntry": {
        "clusterName": CLUSTER, "principalArn": arn, "type": type, "kubernetesGroups": list(groups),
        "username": username, "accessEntryArn": "arn:aws:eks:us-east-1:%s:access-entry/prod/%s" % (ACCOUNT, arn[-5:]),
        "createdAt": NOW, "tags": {}}}, {"clusterName": CLUSTER, "principalArn": arn})
    stub.add_response("list_associated_access_policies", {
        "clusterName": CLUSTER, "principalArn": arn,
        "associatedAccessPolicies": [{"policyArn": p, "accessScope": s} for p, s in associations]},
        {"clusterName": CLUSTER, "principalArn": arn})


def write(stub, operation, **params):
    responses = {
        "create_access_entry": {"accessEntry": {"principalArn": params.get("principalArn", "")}},
        "update_access_entry": {"accessEntry": {"principalArn": params.get("principalArn", "")}},
        "associate_access_policy": {"clusterName": CLUSTER, "principalArn": params.get("principalArn", "")},
    }
    stub.add_response(operation, responses.get(operation, {}), dict(clusterName=CLUSTER, **params))


def exists(context, *arns, missing=()):
    """IAM answers for the principals of new entries, in order."""
    iam = context.stubs["iam"]
    for arn in arns:
        kind, name = arn.split(":")[-1].split("/")[0], arn.rsplit("/", 1)[-1]
        if arn in missing:
            iam.add_client_error("get_role" if kind == "role" else "get_user", "NoSuchEntity", "no", 404)
        elif kind == "role":
            iam.add_response("get_role", {"Role": {"Path": "/", "RoleName": name, "RoleId": "AROAEXAMPLEEXAMPLE01",
                                                   "Arn": arn, "CreateDate": NOW, "AssumeRolePolicyDocument": "{}"}},
                             {"RoleName": name})
        else:
            iam.add_response("get_user", {"User": {"Path": "/", "UserName": name, "UserId": "AIDAEXAMPLEEXAMPLE01",
                                                   "Arn": arn, "CreateDate": NOW}}, {"UserName": name})


def options(entries, **kwargs):
    return runner.AccessEntryOptions(cluster_name=CLUSTER, entries=entries, concurrency=1, **kwargs)


DEV = {"principal_arn": ROLE, "kubernetes_groups": ["dev"],
       "access_policies": [{"policy": "AmazonEKSViewPolicy",
                            "access_scope": {"type": "namespace", "namespaces": ["team-a"]}}]}


TEAM_A = {"type": "namespace", "namespaces": ["team-a"]}


def run(context, opts):
    with context.eks, context.stubs["iam"]:
        result = runner.run_access_entries(context, opts)
        context.eks.assert_no_pending_responses()
        context.stubs["iam"].assert_no_pending_responses()
    return result


def test_create_writes_the_entry_then_its_policy():
    context = make_context()
    cluster(context.eks)
    policies(context.eks)
    listing(context.eks, [])
    exists(context, ROLE)
    write(context.eks, "create_access_entry", principalArn=ROLE, type="STANDARD", kubernetesGroups=["dev"])
    write(context.eks, "associate_access_policy", principalArn=ROLE, policyArn=VIEW, accessScope=TEAM_A)
    result = run(context, options([DEV]))
    assert result["changed"] and result["created"] == [ROLE] and result["writes"] == 2
    assert result["applied"] == [{"name": ROLE, "action": "create"}]
    assert "policy AmazonEKSViewPolicy: namespaces team-a" in result["diff"]["after"]


def test_check_mode_makes_no_write_and_shows_the_diff():
    context = make_context(check_mode=True)
    cluster(context.eks)
    policies(context.eks)
    listing(context.eks, [])
    exists(context, ROLE)
    result = run(context, options([DEV]))  # the Stubber fails on any request not queued
    assert result["changed"] and result["applied"] == [] and result["writes"] == 2
    assert ROLE in result["diff"]["after"] and result["diff"]["before"] == ""


def test_second_run_is_idempotent():
    context = make_context()
    cluster(context.eks)
    policies(context.eks)
    listing(context.eks, [ROLE, ALICE])
    entry(context.eks, ROLE, groups=["dev"], associations=[(VIEW, TEAM_A)])
    result = run(context, options([DEV]))
    assert not result["changed"] and result["writes"] == 0 and result["applied"] == []
    assert [e["principal_arn"] for e in result["entries"]] == [ROLE]


def test_purge_deletes_after_the_grants_and_keeps_the_caller_and_nodes():
    context = make_context()
    cluster(context.eks)
    policies(context.eks)
    listing(context.eks, [ADMIN_ROLE, BOB, NODE, ROLE])
    entry(context.eks, ADMIN_ROLE, associations=[(CLUSTER_ADMIN, {"type": "cluster"})])
    entry(context.eks, BOB)
    entry(context.eks, NODE, type="EC2_LINUX", username="system:node:{{EC2PrivateDNSName}}", groups=["system:nodes"])
    entry(context.eks, ROLE, groups=["old"])
    write(context.eks, "update_access_entry", principalArn=ROLE, kubernetesGroups=["dev"])
    write(context.eks, "associate_access_policy", principalArn=ROLE, policyArn=VIEW, accessScope=TEAM_A)
    write(context.eks, "delete_access_entry", principalArn=BOB)
    result = run(context, options([DEV], purge=True))
    assert result["deleted"] == [BOB] and result["updated"] == [ROLE]
    assert {k["principal_arn"] for k in result["kept"]} == {ADMIN_ROLE, NODE}
    assert result["protected_arns"] == [CALLER]


def test_a_failure_half_way_says_what_was_and_was_not_applied_and_skips_deletions():
    context = make_context()
    cluster(context.eks)
    listing(context.eks, [BOB])
    entry(context.eks, BOB)
    exists(context, ROLE, ALICE, "arn:aws:iam::%s:user/carol" % ACCOUNT)
    write(context.eks, "create_access_entry", principalArn=ROLE, type="STANDARD", kubernetesGroups=["dev"])
    context.eks.add_client_error("create_access_entry", "AccessDeniedException", "not allowed", 403,
                                 expected_params={"clusterName": CLUSTER, "principalArn": ALICE, "type": "STANDARD"})
    wanted = [{"principal_arn": ROLE, "kubernetes_groups": ["dev"]}, {"principal_arn": ALICE},
              {"principal_arn": "arn:aws:iam::%s:user/carol" % ACCOUNT}]
    with pytest.raises(errors.PartiallyApplied) as raised:
        run(context, options(wanted, purge=True, allow_self_lockout=True))
    details = raised.value.details
    assert details["applied"] == [{"name": ROLE, "action": "create"}]
    assert "not_applied" not in details
    failed = {item["name"]: item for item in details["failed"]}
    assert failed[ALICE]["action"] == "create" and "AccessDeniedException" in failed[ALICE]["msg"]
    assert failed[BOB]["action"] == "delete" and failed[BOB]["msg"].startswith("0 of its 1 writes were made")
    assert failed["arn:aws:iam::%s:user/carol" % ACCOUNT]["action"] == "create"
    assert set(failed) == {ALICE, BOB, "arn:aws:iam::%s:user/carol" % ACCOUNT}
    assert "denied by AWS (AccessDeniedException" in raised.value.message and "re-run" in raised.value.message


def test_every_rule_is_checked_before_any_write():
    context = make_context()
    cluster(context.eks)
    policies(context.eks)
    listing(context.eks, [])
    bad = [DEV, {"principal_arn": ALICE, "kubernetes_groups": ["system:masters"]}]
    with pytest.raises(errors.InvalidInput, match="system:"):
        run(context, options(bad))


def test_a_principal_iam_does_not_know_is_refused_before_any_write():
    context = make_context()
    cluster(context.eks)
    listing(context.eks, [])
    exists(context, ROLE, ALICE, missing=(ALICE,))
    with pytest.raises(errors.InvalidInput, match="IAM has no %s" % ALICE):
        run(context, options([{"principal_arn": ROLE}, {"principal_arn": ALICE}]))


def test_many_new_principals_are_checked_with_one_listing_instead_of_a_get_each():
    users = ["arn:aws:iam::%s:user/u%02d" % (ACCOUNT, n) for n in range(service.LIST_INSTEAD_OF_GET + 5)]
    context = make_context(check_mode=True)
    cluster(context.eks)
    listing(context.eks, [])
    context.stubs["iam"].add_response("list_users", {"Users": [
        {"Path": "/", "UserName": arn.rsplit("/", 1)[1].upper(), "UserId": "AIDAEXAMPLEEXAMPLE%02d" % n, "Arn": arn,
         "CreateDate": NOW} for n, arn in enumerate(users[1:])]}, {"MaxItems": service.IAM_LIST_PAGE_SIZE})
    with pytest.raises(errors.InvalidInput, match="IAM has no %s," % users[0]):
        run(context, options([{"principal_arn": arn} for arn in users]))


def test_config_map_clusters_are_refused_before_anything_else():
    context = make_context()
    cluster(context.eks, mode="CONFIG_MAP")
    with pytest.raises(errors.Refused, match="CONFIG_MAP"):
        run(context, options([{"principal_arn": ALICE}]))


def test_type_change_needs_replace_and_replace_deletes_then_creates():
    context = make_context()
    cluster(context.eks)
    listing(context.eks, [NODE])
    entry(context.eks, NODE, type="EC2_LINUX")
    with pytest.raises(errors.Refused, match="replace: true"):
        run(context, options([{"principal_arn": NODE, "type": "EC2_WINDOWS"}]))
    context = make_context()
    cluster(context.eks)
    listing(context.eks, [NODE])
    entry(context.eks, NODE, type="EC2_LINUX")
    exists(context, NODE)
    write(context.eks, "delete_access_entry", principalArn=NODE)
    write(context.eks, "create_access_entry", principalArn=NODE, type="EC2_WINDOWS")
    result = run(context, options([{"principal_arn": NODE, "type": "EC2_WINDOWS"}], replace=True))
    assert result["replaced"] == [NODE]


# --------------------------------------------------------------------------- info


def test_info_lists_entries_with_policies_and_finds_missing_principals():
    context = make_context()
    cluster(context.eks)
    listing(context.eks, [ADMIN_ROLE, ALICE])
    entry(context.eks, ADMIN_ROLE, associations=[(CLUSTER_ADMIN, {"type": "cluster"})])
    entry(context.eks, ALICE)
    iam = context.stubs["iam"]
    iam.add_response("get_role", {"Role": {"Path": "/", "RoleName": "admin", "RoleId": "AROAEXAMPLEEXAMPLE01",
                                           "Arn": ADMIN_ROLE, "CreateDate": NOW + datetime.timedelta(days=1),
                                           "AssumeRolePolicyDocument": "{}"}}, {"RoleName": "admin"})
    iam.add_client_error("get_user", "NoSuchEntity", "gone", 404, expected_params={"UserName": "alice"})
    with context.eks, iam:
        result = runner.run_access_entry_info(context, runner.AccessEntryInfoOptions(
            cluster_name=CLUSTER, check_iam=True, concurrency=1))
    assert result["cluster_admins"] == [ADMIN_ROLE]
    assert result["entries"][0]["access_policies"][0]["policy"] == "AmazonEKSClusterAdminPolicy"
    assert {(f["code"], f["principal_arn"]) for f in result["findings"]} == {
        ("missing_principal", ALICE), ("recreated_principal", ADMIN_ROLE)}


# --------------------------------------------------------------------------- authentication mode


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
        runner.run_authentication_mode(context, mode_options("API", allow_node_lockout=False,
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
        result = runner.run_authentication_mode(context, mode_options("API", allow_node_lockout=False,
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
        runner.run_authentication_mode(context, mode_options("API", allow_node_lockout=False))
    assert raised.value.details["node_lockouts"] == [{"principal_arn": NODE, "sources": ["node group ng-1"]}]
    context = node_context(NODE_MAPPING % SELF_MANAGED, check_mode=True)
    cluster(context.eks)
    listing(context.eks, [ADMIN_ROLE])
    entry(context.eks, ADMIN_ROLE, associations=[(CLUSTER_ADMIN, {"type": "cluster"})])
    with context.eks:
        result = runner.run_authentication_mode(context, mode_options("API", allow_node_lockout=True))
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
        runner.run_authentication_mode(context, mode_options("API", protect=[ROLE]))
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
        result = runner.run_authentication_mode(context, mode_options("API"))
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
        runner.run_authentication_mode(context, mode_options("API"))
    assert raised.value.details["steps_done"] == ["API_AND_CONFIG_MAP"]
    assert "now in API_AND_CONFIG_MAP" in raised.value.message
    context = make_context(check_mode=True)
    cluster(context.eks, mode="CONFIG_MAP")
    with context.eks:
        result = runner.run_authentication_mode(context, mode_options("API"))
    assert result["steps"] == ["API_AND_CONFIG_MAP", "API"] and "after the first step" in context.warnings[0]


def test_mode_downgrade_is_refused_and_same_mode_is_no_change():
    context = make_context()
    cluster(context.eks, mode="API")
    with context.eks, pytest.raises(errors.Refused, match="never back"):
        runner.run_authentication_mode(context, mode_options("CONFIG_MAP"))
    context = make_context(check_mode=True)
    cluster(context.eks, mode="API")
    with context.eks:
        assert not runner.run_authentication_mode(context, mode_options("API"))["changed"]


def test_a_failed_update_reports_eks_reason():
    context = make_context()
    cluster(context.eks)
    context.eks.add_response("update_cluster_config", {"update": {"id": "u1", "status": "InProgress"}},
                             {"name": CLUSTER, "accessConfig": {"authenticationMode": "API"}})
    context.eks.add_response("describe_update", {"update": {"id": "u1", "status": "Failed", "errors": [
        {"errorCode": "AccessDenied", "errorMessage": "no"}]}}, {"name": CLUSTER, "updateId": "u1"})
    with context.eks, pytest.raises(errors.EksAccessError, match="ended Failed \\(AccessDenied: no\\)"):
        runner.run_authentication_mode(context, mode_options("API", allow_self_lockout=True))


class _ClusterReads:
    """A fake eks client for the first reads: a mode, and a listing that may fail as EKS makes it fail."""

    def __init__(self, mode, listing_error=None):
        self.mode, self.listing_error = mode, listing_error
        self.lock = threading.Lock()
        self.in_flight = self.peak = 0
        self.calls = []

    def _call(self, name, answer):
        import time

        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            self.calls.append(name)
        time.sleep(0.05)
        with self.lock:
            self.in_flight -= 1
        if isinstance(answer, Exception):
            raise answer
        return answer

    def describe_cluster(self, name):
        return self._call("describe_cluster", {"cluster": {"name": name, "arn": CLUSTER_ARN,
                                                           "accessConfig": {"authenticationMode": self.mode}}})

    def paginate(self, operation, **params):
        if operation == "list_access_policies":
            return self._call(operation, {"accessPolicies": [{"arn": VIEW}]})
        return self._call(operation, self.listing_error or {"accessEntries": [ROLE]})


def _eks_error(code):
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": "%s from EKS" % code}}, "ListAccessEntries")


def test_the_first_three_reads_run_side_by_side_and_only_the_mode_decides_a_refused_listing():
    reads = _ClusterReads("API_AND_CONFIG_MAP")
    facts, listed = service.AccessEntries(reads, CLUSTER, concurrency=10).cluster_and_listing(with_policies=True)
    assert (facts.authentication_mode, facts.access_policy_arns, listed) == ("API_AND_CONFIG_MAP", {VIEW}, [ROLE])
    assert reads.peak == 3
    # CONFIG_MAP: EKS refuses the listing, which says nothing more than the mode does.
    reads = _ClusterReads("CONFIG_MAP", _eks_error("InvalidRequestException"))
    facts, listed = service.AccessEntries(reads, CLUSTER, concurrency=10).cluster_and_listing()
    assert (facts.authentication_mode, listed) == ("CONFIG_MAP", None)
    # One at a time, the listing is not even asked for once the mode is known.
    reads = _ClusterReads("CONFIG_MAP", _eks_error("InvalidRequestException"))
    assert service.AccessEntries(reads, CLUSTER, concurrency=1).cluster_and_listing() == (facts, None)
    assert reads.calls == ["describe_cluster"]
    # Any other failure of the listing is the run's error.
    reads = _ClusterReads("API", _eks_error("AccessDeniedException"))
    with pytest.raises(errors.Forbidden, match="ListAccessEntries"):
        service.AccessEntries(reads, CLUSTER, concurrency=10).cluster_and_listing()


# --------------------------------------------------------------------------- issue 27


PATHED = "arn:aws:iam::%s:role/teams/platform/p3-pathed" % ACCOUNT
LOWER = "arn:aws:iam::%s:role/p3-dev" % ACCOUNT


def test_absent_deletes_the_entry_any_spelling_names_and_says_which_matched():
    context = make_context()
    cluster(context.eks)
    listing(context.eks, [ADMIN_ROLE, LOWER, PATHED])
    entry(context.eks, LOWER, associations=[(CLUSTER_ADMIN, {"type": "cluster"})])
    entry(context.eks, PATHED)
    write(context.eks, "delete_access_entry", principalArn=LOWER)
    write(context.eks, "delete_access_entry", principalArn=PATHED)
    upper = "arn:aws:iam::%s:role/P3-DEV" % ACCOUNT
    no_path = "arn:aws:iam::%s:role/p3-pathed" % ACCOUNT
    nothing = "arn:aws:iam::%s:user/p3-dev" % ACCOUNT  # a user is not the role of that name
    result = run(context, options([{"principal_arn": upper}, {"principal_arn": no_path}, {"principal_arn": nothing}],
                                  state="absent"))
    assert result["changed"] and sorted(result["deleted"]) == sorted([LOWER, PATHED])
    assert result["matched"] == [{"name": upper, "principal_arn": LOWER}, {"name": no_path, "principal_arn": PATHED}]
    assert result["unmatched"] == [nothing]
    assert any(nothing in w and "matches no access entry" in w for w in context.warnings)
    assert any(no_path in w and PATHED in w for w in context.warnings)


def test_absent_naming_a_node_entry_needs_allow_node_entry_deletion():
    context = make_context()
    cluster(context.eks)
    listing(context.eks, [NODE])
    entry(context.eks, NODE, type="EC2_LINUX", username="system:node:{{EC2PrivateDNSName}}", groups=["system:nodes"])
    with pytest.raises(errors.Refused, match="EC2_LINUX node entry.*allow_node_entry_deletion: true"):
        run(context, options([{"principal_arn": NODE}], state="absent"))


def test_the_caller_cannot_remove_its_only_admin_policy_and_nothing_is_written():
    context = make_context()
    cluster(context.eks)
    listing(context.eks, [ADMIN_ROLE])
    entry(context.eks, ADMIN_ROLE, associations=[(CLUSTER_ADMIN, {"type": "cluster"})])
    with pytest.raises(errors.Refused, match="AmazonEKSClusterAdminPolicy removed.*allow_self_lockout"):
        run(context, options([{"principal_arn": ADMIN_ROLE, "access_policies": []}]))


def test_with_allow_self_lockout_the_caller_may_shrink_its_entry():
    context = make_context()
    cluster(context.eks)
    listing(context.eks, [ADMIN_ROLE])
    entry(context.eks, ADMIN_ROLE, associations=[(CLUSTER_ADMIN, {"type": "cluster"})])
    write(context.eks, "disassociate_access_policy", principalArn=ADMIN_ROLE, policyArn=CLUSTER_ADMIN)
    result = run(context, options([{"principal_arn": ADMIN_ROLE, "access_policies": []}], allow_self_lockout=True))
    assert result["changed"] and result["protected_arns"] == []
