# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""runners/access_entry_migration.py over stubbed eks/iam clients and a scripted aws-auth: the refusals and
rollback write nothing they must not."""

from __future__ import annotations

import datetime
import json

import pytest

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model import access_entry_migration as planner
from ansible_collections.eks.access.plugins.module_utils.runners import access_entry_migration as runner
from ansible_collections.eks.access.tests.unit.plugins.fakes import FAST_RETRY, FakeContext, ScriptedKube

from .test_access_entries import ACCOUNT, ADMIN_ROLE, CALLER, CLUSTER_ARN

DEV = "arn:aws:iam::%s:role/dev" % ACCOUNT
OTHER = "arn:aws:iam::%s:role/other" % ACCOUNT
NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
TAG = {planner.MIGRATION_TAG_KEY: planner.MIGRATION_TAG_VALUE}


LEASE_PATH = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/" + runner.LEASE_NAME


AWS_AUTH_PATH = "/api/v1/namespaces/kube-system/configmaps/aws-auth"
UNDO_PATH = "/api/v1/namespaces/kube-system/configmaps/" + planner.UNDO_CONFIGMAP
# RBAC refusing every ConfigMap write (the undo record's included).
FORBIDDEN_WRITES = {("POST", "/api/v1/namespaces/kube-system/configmaps"): (403, "configmaps is forbidden"),
                    ("PUT", UNDO_PATH): (403, "configmaps is forbidden")}


def make_context(data=None, check_mode=False):
    """A FakeContext on cluster prod whose aws-auth holds ``data``; ``with`` it checks every answer was used."""
    kube = ScriptedKube({AWS_AUTH_PATH: {"metadata": {"resourceVersion": "7"}, "data": data or {}}})
    return FakeContext(kube, check_mode=check_mode, account=ACCOUNT, caller=CALLER, cluster_name="prod",
                       retry=FAST_RETRY)


def writes(context):
    """(method, path) of every write but the migration Lease's, in order."""
    return [(c[1], c[2]) for c in context.kube().calls
            if c[1] != "GET" and "/leases" not in c[2] and not c[2].endswith("reviews")]


def lease_writes(context):
    """(method, holderIdentity) of every write of the migration Lease, in order."""
    return [(c[1], (c[4].get("spec") or {}).get("holderIdentity")) for c in context.kube().calls
            if c[1] != "GET" and "/leases" in c[2]]


def put(context, path, obj):
    """Another writer: ``obj`` is now at ``path`` (None: it is gone)."""
    if obj is None:
        context.kube().objects.pop(path, None)
    else:
        context.kube().objects[path] = obj


def describe(context, mode):
    context.stubs["eks"].add_response("describe_cluster", {"cluster": {
        "name": "prod", "arn": CLUSTER_ARN, "accessConfig": {"authenticationMode": mode}}}, {"name": "prod"})


def listed(context, entries):
    """ListAccessEntries and each entry's reads; an entry is (arn, tags) or (arn, tags, groups, username, policies)."""
    context.stubs["eks"].add_response("list_access_entries", {"accessEntries": [e[0] for e in entries]},
                                      {"clusterName": "prod"})
    for arn, tags, groups, username, policies in (tuple(e) + ((), "u", ())[len(e) - 2:] for e in entries):
        context.stubs["eks"].add_response("describe_access_entry", {"accessEntry": {
            "clusterName": "prod", "principalArn": arn, "kubernetesGroups": list(groups), "type": "STANDARD",
            "username": username, "tags": tags, "createdAt": NOW, "accessEntryArn": arn.replace("iam", "eks")}},
            {"clusterName": "prod", "principalArn": arn})
        context.stubs["eks"].add_response("list_associated_access_policies", {
            "clusterName": "prod", "principalArn": arn, "associatedAccessPolicies": [
                {"policyArn": p, "accessScope": {"type": "cluster"}} for p in policies]},
            {"clusterName": "prod", "principalArn": arn})


def options(step, **kw):
    return runner.Options(cluster_name="prod", step=step, concurrency=1, **kw)


def test_rollback_in_api_mode_is_refused_without_a_write():
    with make_context() as context:
        describe(context, "API")
        describe(context, "API")
        with pytest.raises(errors.Refused, match="lock their principals out"):
            runner.run(context, options("rollback"))
    assert writes(context) == [] and context.kube().objects[LEASE_PATH]["spec"].get("holderIdentity") is None


def test_rollback_deletes_only_the_migrations_entries_and_keeps_the_callers():
    with make_context() as context:
        describe(context, "API_AND_CONFIG_MAP")
        describe(context, "API_AND_CONFIG_MAP")
        describe(context, "API_AND_CONFIG_MAP")
        listed(context, [(ADMIN_ROLE, TAG), (DEV, TAG), (OTHER, {"team": "x"})])
        describe(context, "API_AND_CONFIG_MAP")  # re-checked right before the deletion
        context.stubs["eks"].add_response("delete_access_entry", {}, {"clusterName": "prod", "principalArn": DEV})
        result = runner.run(context, options("rollback"))
    assert result["deleted"] == [DEV] and result["changed"]
    assert result["kept"] == [{"principal_arn": ADMIN_ROLE, "reason": "the identity this task runs as, or in protect"}]


def test_rollback_in_check_mode_writes_nothing():
    with make_context(check_mode=True) as context:
        describe(context, "API_AND_CONFIG_MAP")
        describe(context, "API_AND_CONFIG_MAP")
        describe(context, "API_AND_CONFIG_MAP")
        listed(context, [(DEV, TAG)])
        result = runner.run(context, options("rollback"))
    assert result["deleted"] == [DEV] and result["applied"] == []


def test_finalize_is_refused_while_map_accounts_blocks_before_any_write():
    with make_context(data={"mapAccounts": "- '444455556666'\n"}) as context:
        describe(context, "API_AND_CONFIG_MAP")
        describe(context, "API_AND_CONFIG_MAP")
        listed(context, [])
        with pytest.raises(errors.Refused, match="mapAccounts.*Nothing was changed"):
            runner.run(context, options("finalize", backup_dir="/nonexistent", remove_aws_auth=True))
    assert writes(context) == []


def test_finalize_refuses_to_remove_aws_auth_without_a_backup():
    with pytest.raises(errors.InvalidInput, match="backup"):
        runner.run(make_context(), options("finalize", remove_aws_auth=True))


def test_verify_in_config_map_mode_says_to_apply_first():
    with make_context(data={"mapRoles": "- rolearn: %s\n  username: dev\n  groups: [devs]\n" % DEV}) as context:
        describe(context, "CONFIG_MAP")
        context.stubs["iam"].add_response("get_role", {"Role": {
            "Path": "/", "RoleName": "dev", "RoleId": "AROAEXAMPLEEXAMPLE1", "Arn": DEV, "CreateDate": NOW,
            "AssumeRolePolicyDocument": "{}"}}, {"RoleName": "dev"})
        describe(context, "CONFIG_MAP")
        with pytest.raises(errors.Refused, match="apply step first"):
            runner.run(context, options("verify"))


@pytest.mark.parametrize("mode", ["CONFIG_MAP", "API_AND_CONFIG_MAP"])
def test_verify_in_check_mode_verifies_what_exists_and_lists_what_apply_only_planned(mode):
    """Issue 27: --check on a cluster with an unmigrated aws-auth failed with "EKS reports no access entry"."""
    data = {"mapRoles": DEV_MAPPING["mapRoles"] + "- rolearn: %s\n  username: admin\n  groups: [system:masters]\n"
            % ADMIN_ROLE}
    with make_context(data=data, check_mode=True) as context:
        describe(context, mode)
        _dev_in_iam(context)
        context.stubs["iam"].add_response("get_role", {"Role": {
            "Path": "/", "RoleName": "admin", "RoleId": "AROAEXAMPLEEXAMPLE2", "Arn": ADMIN_ROLE, "CreateDate": NOW,
            "AssumeRolePolicyDocument": "{}"}}, {"RoleName": "admin"})
        if mode == "CONFIG_MAP":
            describe(context, mode)
        else:
            # The caller's role has its admin entry already (as migrated); dev's entry is only planned.
            describe(context, mode)
            listed(context, [(ADMIN_ROLE, TAG, [], "admin", [ADMIN_POLICY])])
        result = runner.run(context, options("verify"))
    verification = result["verification"]
    assert verification["verified"] and verification["failed"] == [] and verification["caller_problems"] == []
    planned = [(p["principal_arn"], p["action"]) for p in verification["planned"]]
    if mode == "CONFIG_MAP":
        assert planned == [(DEV, "would be created"), (ADMIN_ROLE, "would be created")]
        assert any("CONFIG_MAP" in n["why"] for n in verification["not_verified"])
    else:
        assert planned == [(DEV, "would be created")]
        assert [p["principal_arn"] for p in verification["principals"]] == [ADMIN_ROLE]
    assert writes(context) == []


def test_verify_in_check_mode_still_fails_what_exists_and_is_wrong():
    with make_context(data=DEV_MAPPING, check_mode=True) as context:
        describe(context, "API_AND_CONFIG_MAP")
        _dev_in_iam(context)
        describe(context, "API_AND_CONFIG_MAP")
        # The caller has no admin entry and none is planned.
        listed(context, [])
        with pytest.raises(errors.Refused, match="has no access entry with AmazonEKSClusterAdminPolicy"):
            runner.run(context, options("verify"))


def test_verify_outside_check_mode_fails_on_a_missing_entry():
    data = {"mapRoles": DEV_MAPPING["mapRoles"] + "- rolearn: %s\n  username: admin\n  groups: [system:masters]\n"
            % ADMIN_ROLE}
    with make_context(data=data) as context:
        describe(context, "API_AND_CONFIG_MAP")
        _dev_in_iam(context)
        context.stubs["iam"].add_response("get_role", {"Role": {
            "Path": "/", "RoleName": "admin", "RoleId": "AROAEXAMPLEEXAMPLE2", "Arn": ADMIN_ROLE, "CreateDate": NOW,
            "AssumeRolePolicyDocument": "{}"}}, {"RoleName": "admin"})
        describe(context, "API_AND_CONFIG_MAP")
        listed(context, [(ADMIN_ROLE, TAG, [], "admin", [ADMIN_POLICY])])
        with pytest.raises(errors.Refused, match="EKS reports no access entry"):
            runner.run(context, options("verify"))


def test_iam_lookups_find_other_cases_through_one_listing_and_list_once_for_many():
    from ansible_collections.eks.access.plugins.module_utils.services.access_entries import IamPrincipals

    context = make_context()
    iam = context.stubs["iam"]
    with iam:
        iam.add_client_error("get_role", "NoSuchEntity", http_status_code=404, expected_params={"RoleName": "DEV"})
        iam.add_response("list_roles", {"Roles": [{"Path": "/teams/", "RoleName": "dev", "RoleId": "AROAEXAMPLEEXAMPLE1",
                                                   "Arn": "arn:aws:iam::%s:role/teams/dev" % ACCOUNT,
                                                   "CreateDate": NOW}], "IsTruncated": False}, {"MaxItems": 1000})
        found = IamPrincipals(context.aws("iam"), 1).describe_all([("role", "DEV")])
        assert found == [{"arn": "arn:aws:iam::%s:role/teams/dev" % ACCOUNT, "created": NOW, "id": "AROAEXAMPLEEXAMPLE1"}]
        many = [("user", "u%d" % i) for i in range(25)]
        iam.add_response("list_users", {"Users": [{"Path": "/", "UserName": "u%d" % i, "UserId": "AIDAEXAMPLEEXAMPL%02d" % i,
                                                   "Arn": "arn:aws:iam::%s:user/u%d" % (ACCOUNT, i), "CreateDate": NOW}
                                                  for i in range(24)], "IsTruncated": False}, {"MaxItems": 1000})
        found = IamPrincipals(context.aws("iam"), 1).describe_all(many)
        assert found[0]["arn"].endswith(":user/u0") and found[24] is None
        iam.assert_no_pending_responses()


DEV_MAPPING = {"mapRoles": "- rolearn: %s\n  username: dev\n  groups: [devs]\n" % DEV}
ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


def _dev_in_iam(context):
    context.stubs["iam"].add_response("get_role", {"Role": {
        "Path": "/", "RoleName": "dev", "RoleId": "AROAEXAMPLEEXAMPLE1", "Arn": DEV, "CreateDate": NOW,
        "AssumeRolePolicyDocument": "{}"}}, {"RoleName": "dev"})


def _apply_with_update_existing():
    """Apply over an entry of dev that differs from aws-auth: the record first, refused without it; its undo."""
    with make_context(data=DEV_MAPPING) as context:
        context.kube().fail.update(FORBIDDEN_WRITES)
        describe(context, "API_AND_CONFIG_MAP")
        _dev_in_iam(context)
        describe(context, "API_AND_CONFIG_MAP")
        listed(context, [(DEV, {}, ["ops"], "someone", [ADMIN_POLICY])])
        with pytest.raises(errors.KubeApiError):
            runner.run(context, options("apply", update_existing=True))
    # (the Stubber had no update_access_entry queued: any call would have failed the run differently)
    assert writes(context) == [("POST", "/api/v1/namespaces/kube-system/configmaps")]
    with make_context(data=DEV_MAPPING) as context:
        describe(context, "API_AND_CONFIG_MAP")
        _dev_in_iam(context)
        describe(context, "API_AND_CONFIG_MAP")
        listed(context, [(DEV, {}, ["ops"], "someone", [ADMIN_POLICY])])
        context.stubs["eks"].add_response("update_access_entry", {}, {
            "clusterName": "prod", "principalArn": DEV, "kubernetesGroups": ["devs"], "username": "dev"})
        result = runner.run(context, options("apply", update_existing=True))
    assert result["updated"] == [DEV] and result["undo_configmap"] == planner.UNDO_CONFIGMAP
    record = json.loads(context.kube().objects.get(UNDO_PATH)["data"][planner.UNDO_KEY])[DEV]
    assert record["before"] == {"type": "STANDARD", "kubernetes_groups": ["ops"], "username": "someone",
                                "policies": {ADMIN_POLICY: {"type": "cluster", "namespaces": []}}}
    assert (record["after"]["kubernetes_groups"], record["after"]["username"]) == (["devs"], "dev")
    return context.kube().objects.get(UNDO_PATH)


def test_apply_writes_the_undo_record_before_it_updates_an_entry_and_updates_nothing_without_it():
    assert _apply_with_update_existing() is not None


def test_rollback_puts_an_updated_entry_back_and_drops_its_record():
    undo = _apply_with_update_existing()
    with make_context(data=DEV_MAPPING) as context:
        put(context, UNDO_PATH, undo)
        describe(context, "API_AND_CONFIG_MAP")
        describe(context, "API_AND_CONFIG_MAP")
        describe(context, "API_AND_CONFIG_MAP")
        listed(context, [(DEV, {}, ["devs"], "dev", [ADMIN_POLICY])])
        describe(context, "API_AND_CONFIG_MAP")
        context.stubs["eks"].add_response("update_access_entry", {}, {
            "clusterName": "prod", "principalArn": DEV, "kubernetesGroups": ["ops"], "username": "someone"})
        result = runner.run(context, options("rollback"))
    assert (result["restored"], result["deleted"], result["changed"]) == ([DEV], [], True)
    assert context.kube().objects.get(UNDO_PATH) is None  # the last record went, and the ConfigMap with it
    # Changed by somebody since apply: left alone, and its record stays.
    with make_context(data=DEV_MAPPING) as context:
        put(context, UNDO_PATH, undo)
        describe(context, "API_AND_CONFIG_MAP")
        describe(context, "API_AND_CONFIG_MAP")
        describe(context, "API_AND_CONFIG_MAP")
        listed(context, [(DEV, {}, ["devs", "sre"], "dev", [ADMIN_POLICY])])
        result = runner.run(context, options("rollback"))
    assert (result["restored"], result["changed"], writes(context)) == ([], False, [])
    assert "changed since the migration" in result["kept"][0]["reason"]


# --------------------------------------------------------------------------- one operation at a time


def _held_by(context, holder, seconds_ago=1, duration=120):
    from ansible_collections.eks.access.plugins.module_utils.services import lease as lease_service

    at = lease_service.format_time(lease_service.utcnow() - datetime.timedelta(seconds=seconds_ago))
    context.kube().objects[LEASE_PATH] = {
        "metadata": {"name": runner.LEASE_NAME, "namespace": "kube-system", "resourceVersion": "1"},
        "spec": {"holderIdentity": holder, "leaseDurationSeconds": duration, "acquireTime": at, "renewTime": at}}


def test_rollback_while_another_run_holds_the_lease_is_refused_before_any_read_naming_the_holder():
    from ansible_collections.eks.access.plugins.module_utils.services import lease as lease_service

    with make_context() as context:  # no AWS answer queued: any read or write would fail the test
        _held_by(context, "finalize of prod by alice@bastion, run 3f9a1c2b")
        with pytest.raises(lease_service.LeaseHeld) as raised:
            runner.run(context, options("rollback"))
    message = raised.value.message
    assert message.startswith("Refusing the rollback step on cluster prod, nothing was changed: another run holds "
                              "Lease kube-system/%s: finalize of prod by alice@bastion, run 3f9a1c2b" % runner.LEASE_NAME)
    assert "if that run is gone, delete the Lease or wait until it expires" in message
    assert raised.value.details["lease_holder"] == "finalize of prod by alice@bastion, run 3f9a1c2b"
    assert writes(context) == [] and lease_writes(context) == []


def test_an_expired_lease_is_taken_over_and_a_step_without_holder_gives_its_own_up():
    with make_context(check_mode=True) as context:
        _held_by(context, "a killed run", seconds_ago=600)
        describe(context, "API_AND_CONFIG_MAP")
        describe(context, "API_AND_CONFIG_MAP")
        describe(context, "API_AND_CONFIG_MAP")
        listed(context, [])
        result = runner.run(context, options("rollback"))
    assert result["lease_holder"].startswith("rollback of prod by %s" % CALLER)
    assert lease_writes(context) == []  # check mode: not even the Lease
    with make_context() as context:
        _held_by(context, "a killed run", seconds_ago=600)
        describe(context, "API_AND_CONFIG_MAP")
        describe(context, "API_AND_CONFIG_MAP")
        describe(context, "API_AND_CONFIG_MAP")
        listed(context, [])
        runner.run(context, options("rollback"))
    holders = [holder for _method, holder in lease_writes(context)]
    assert holders[0].startswith("rollback of prod") and holders[1] is None  # taken over, then given up


def test_a_run_holding_the_lease_keeps_it_across_steps_and_release_gives_it_up():
    with make_context() as context:
        _held_by(context, "migration run 1")
        describe(context, "API")
        describe(context, "API")
        with pytest.raises(errors.Refused):
            runner.run(context, options("rollback", lease_holder="migration run 1"))
        assert context.kube().objects[LEASE_PATH]["spec"]["holderIdentity"] == "migration run 1"  # renewed, kept
        result = runner.run(context, options("release", lease_holder="migration run 1"))
    assert result == {"changed": False, "lease_released": True, "step": "release",
                      "lease": "kube-system/" + runner.LEASE_NAME}
    assert context.kube().objects[LEASE_PATH]["spec"].get("holderIdentity") is None


def test_rollback_is_refused_while_eks_switches_the_cluster_to_api():
    with make_context() as context:
        eks = context.stubs["eks"]
        eks.add_response("describe_cluster", {"cluster": {
            "name": "prod", "arn": CLUSTER_ARN, "status": "ACTIVE",
            "accessConfig": {"authenticationMode": "API_AND_CONFIG_MAP"}}}, {"name": "prod"})
        eks.add_response("describe_cluster", {"cluster": {
            "name": "prod", "arn": CLUSTER_ARN, "status": "UPDATING",
            "accessConfig": {"authenticationMode": "API_AND_CONFIG_MAP"}}}, {"name": "prod"})
        eks.add_response("list_updates", {"updateIds": ["u-old", "u-api"]}, {"name": "prod"})
        eks.add_response("describe_update", {"update": {"id": "u-old", "status": "Successful",
                                                        "type": "AccessConfigUpdate"}},
                         {"name": "prod", "updateId": "u-old"})
        eks.add_response("describe_update", {"update": {
            "id": "u-api", "status": "InProgress", "type": "AccessConfigUpdate",
            "params": [{"type": "AuthenticationMode", "value": "API"}]}}, {"name": "prod", "updateId": "u-api"})
        with pytest.raises(errors.Refused) as raised:
            runner.run(context, options("rollback"))
    assert "being switched to authentication mode API (EKS update u-api in progress)" in raised.value.message
    assert "Nothing was changed" in raised.value.message and writes(context) == []


def _finalize_state(context, mappings, existing):
    """What finalize read and verified: aws-auth (resourceVersion 7), the plan over ``existing``."""
    import types

    from ansible_collections.eks.access.plugins.module_utils.model import access_entry as entries_model
    from ansible_collections.eks.access.plugins.module_utils.services.access_entries import AccessEntries

    cluster = entries_model.ClusterFacts("prod", ACCOUNT, "aws", "API_AND_CONFIG_MAP")
    plan = planner.plan(mappings, cluster, {"role:dev": {"arn": DEV}}, existing)
    return types.SimpleNamespace(service=AccessEntries(context.aws("eks"), "prod", 1), plan=plan, source="configmap",
                                 configmap={"metadata": {"resourceVersion": "7"}})


def test_finalize_re_checks_the_verified_entries_and_aws_auth_right_before_it_acts():
    from ansible_collections.eks.access.plugins.module_utils.model import access_entry as entries_model

    mappings = {"mapRoles": [{"rolearn": DEV, "username": "dev", "groups": ["devs"]}]}
    verified = {DEV: entries_model.AccessEntry(DEV, "STANDARD", ("devs",), "dev", {}, TAG)}
    with make_context() as context:
        state = _finalize_state(context, mappings, verified)
        assert [i.fate for i in state.plan.items] == ["unchanged"]
        listed(context, [(DEV, TAG, ["devs"], "dev", [])])
        runner._recheck_entries(state, options("finalize"))  # still there: goes ahead
        listed(context, [])  # a rollback deleted it since the verification
        with pytest.raises(errors.Conflict) as raised:
            runner._recheck_entries(state, options("finalize"))
    assert "%s: EKS reports no access entry" % DEV in raised.value.message
    assert "not switched to API and nothing was changed" in raised.value.message
    runner._recheck_aws_auth(context, state, options("finalize"), "it was not switched")  # resourceVersion 7 still
    put(context, AWS_AUTH_PATH, {"metadata": {"resourceVersion": "9"}, "data": {}})
    with pytest.raises(errors.Conflict, match="resourceVersion 7, now 9.*so it was not switched"):
        runner._recheck_aws_auth(context, state, options("finalize"), "it was not switched")
    put(context, AWS_AUTH_PATH, None)
    with pytest.raises(errors.Conflict, match="now deleted"):
        runner._recheck_aws_auth(context, state, options("finalize"), "it was not switched")
