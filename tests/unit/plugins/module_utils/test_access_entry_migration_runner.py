# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""runners/access_entry_migration.py over stubbed eks/iam clients and a scripted aws-auth: the refusals and
rollback write nothing they must not."""

from __future__ import annotations

import datetime
import json

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.clients import aws
from ansible_collections.eks.access.plugins.module_utils.model import access_entry_migration as planner
from ansible_collections.eks.access.plugins.module_utils.runners import access_entry_migration as runner

ACCOUNT = "111122223333"
CLUSTER_ARN = "arn:aws:eks:us-east-1:%s:cluster/prod" % ACCOUNT
CALLER = "arn:aws:sts::%s:assumed-role/admin/ci" % ACCOUNT
ADMIN_ROLE = "arn:aws:iam::%s:role/admin" % ACCOUNT
DEV = "arn:aws:iam::%s:role/dev" % ACCOUNT
OTHER = "arn:aws:iam::%s:role/other" % ACCOUNT
NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
FAST = aws.AWSRetry.jittered_backoff(retries=2, delay=0, max_delay=0)
TAG = {planner.MIGRATION_TAG_KEY: planner.MIGRATION_TAG_VALUE}


class Kube:
    def __init__(self, configmap, undo=None, fail_writes=False):
        self.configmap = configmap
        self.undo = undo
        self.fail_writes = fail_writes
        self.writes = []

    def get_optional(self, path, **params):
        if path.endswith("/configmaps/aws-auth"):
            return self.configmap
        return self.undo if path.endswith("/configmaps/" + planner.UNDO_CONFIGMAP) else None

    def request(self, method, path, body=None, **params):
        self.writes.append((method, path))
        if path.endswith("/configmaps/" + planner.UNDO_CONFIGMAP):
            self.undo = None

    def _write(self, method, path, body):
        self.writes.append((method, path))
        if self.fail_writes:
            raise errors.KubeApiError(403, "Forbidden", "configmaps is forbidden")
        self.undo = dict(body, metadata=dict(body["metadata"], resourceVersion="8"))
        return self.undo

    def create(self, path, body, dry_run=False):
        return self._write("POST", path, body)

    def replace(self, path, body, dry_run=False):
        return self._write("PUT", path, body)


class Context:
    def __init__(self, data=None, check_mode=False):
        self.check_mode, self.diff_mode = check_mode, False
        self.clients = {name: boto3.client(name, region_name="us-east-1", aws_access_key_id="a",
                                           aws_secret_access_key="b") for name in ("eks", "iam")}
        self.stubs = {name: Stubber(client) for name, client in self.clients.items()}
        self._kube = Kube({"metadata": {"resourceVersion": "7"}, "data": data or {}})
        self.result_on_failure = {}
        self.kube_auth = "eks_token"
        self.cluster_name = "prod"

    def aws(self, name):
        return aws.AlwaysRetryingClient(self.clients[name], FAST)

    def kube(self):
        return self._kube

    def caller_identity(self):
        return {"Arn": CALLER, "Account": ACCOUNT, "UserId": "AROA:ci"}

    def warn(self, message):
        pass

    def __enter__(self):
        for stub in self.stubs.values():
            stub.activate()
        return self

    def __exit__(self, *exc):
        for stub in self.stubs.values():
            stub.assert_no_pending_responses()


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
    with Context() as context:
        describe(context, "API")
        describe(context, "API")
        listed(context, [])
        with pytest.raises(errors.Refused, match="lock their principals out"):
            runner.run(context, options("rollback"))


def test_rollback_deletes_only_the_migrations_entries_and_keeps_the_callers():
    with Context() as context:
        describe(context, "API_AND_CONFIG_MAP")
        describe(context, "API_AND_CONFIG_MAP")
        listed(context, [(ADMIN_ROLE, TAG), (DEV, TAG), (OTHER, {"team": "x"})])
        context.stubs["eks"].add_response("delete_access_entry", {}, {"clusterName": "prod", "principalArn": DEV})
        result = runner.run(context, options("rollback"))
    assert result["deleted"] == [DEV] and result["changed"]
    assert result["kept"] == [{"principal_arn": ADMIN_ROLE, "reason": "the identity this task runs as, or in protect"}]


def test_rollback_in_check_mode_writes_nothing():
    with Context(check_mode=True) as context:
        describe(context, "API_AND_CONFIG_MAP")
        describe(context, "API_AND_CONFIG_MAP")
        listed(context, [(DEV, TAG)])
        result = runner.run(context, options("rollback"))
    assert result["deleted"] == [DEV] and result["applied"] == []


def test_finalize_is_refused_while_map_accounts_blocks_before_any_write():
    with Context(data={"mapAccounts": "- '444455556666'\n"}) as context:
        describe(context, "API_AND_CONFIG_MAP")
        describe(context, "API_AND_CONFIG_MAP")
        listed(context, [])
        with pytest.raises(errors.Refused, match="mapAccounts.*Nothing was changed"):
            runner.run(context, options("finalize", backup_dir="/nonexistent", remove_aws_auth=True))
    assert context.kube().writes == []


def test_finalize_refuses_to_remove_aws_auth_without_a_backup():
    with pytest.raises(errors.InvalidInput, match="backup"):
        runner.run(Context(), options("finalize", remove_aws_auth=True))


def test_verify_in_config_map_mode_says_to_apply_first():
    with Context(data={"mapRoles": "- rolearn: %s\n  username: dev\n  groups: [devs]\n" % DEV}) as context:
        describe(context, "CONFIG_MAP")
        context.stubs["iam"].add_response("get_role", {"Role": {
            "Path": "/", "RoleName": "dev", "RoleId": "AROAEXAMPLEEXAMPLE1", "Arn": DEV, "CreateDate": NOW,
            "AssumeRolePolicyDocument": "{}"}}, {"RoleName": "dev"})
        describe(context, "CONFIG_MAP")
        with pytest.raises(errors.Refused, match="apply step first"):
            runner.run(context, options("verify"))


def test_iam_lookups_find_other_cases_through_one_listing_and_list_once_for_many():
    from ansible_collections.eks.access.plugins.module_utils.services.access_entries import IamPrincipals

    context = Context()
    iam = context.stubs["iam"]
    with iam:
        iam.add_client_error("get_role", "NoSuchEntity", http_status_code=404, expected_params={"RoleName": "DEV"})
        iam.add_response("list_roles", {"Roles": [{"Path": "/teams/", "RoleName": "dev", "RoleId": "AROAEXAMPLEEXAMPLE1",
                                                   "Arn": "arn:aws:iam::%s:role/teams/dev" % ACCOUNT,
                                                   "CreateDate": NOW}], "IsTruncated": False}, {"MaxItems": 1000})
        found = IamPrincipals(context.aws("iam"), 1).describe_all([("role", "DEV")])
        assert found == [{"arn": "arn:aws:iam::%s:role/teams/dev" % ACCOUNT, "created": NOW}]
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
    with Context(data=DEV_MAPPING) as context:
        context._kube.fail_writes = True
        describe(context, "API_AND_CONFIG_MAP")
        _dev_in_iam(context)
        describe(context, "API_AND_CONFIG_MAP")
        listed(context, [(DEV, {}, ["ops"], "someone", [ADMIN_POLICY])])
        with pytest.raises(errors.KubeApiError):
            runner.run(context, options("apply", update_existing=True))
    # (the Stubber had no update_access_entry queued: any call would have failed the run differently)
    assert context.kube().writes == [("POST", "/api/v1/namespaces/kube-system/configmaps")]
    with Context(data=DEV_MAPPING) as context:
        describe(context, "API_AND_CONFIG_MAP")
        _dev_in_iam(context)
        describe(context, "API_AND_CONFIG_MAP")
        listed(context, [(DEV, {}, ["ops"], "someone", [ADMIN_POLICY])])
        context.stubs["eks"].add_response("update_access_entry", {}, {
            "clusterName": "prod", "principalArn": DEV, "kubernetesGroups": ["devs"], "username": "dev"})
        result = runner.run(context, options("apply", update_existing=True))
    assert result["updated"] == [DEV] and result["undo_configmap"] == planner.UNDO_CONFIGMAP
    record = json.loads(context.kube().undo["data"][planner.UNDO_KEY])[DEV]
    assert record["before"] == {"type": "STANDARD", "kubernetes_groups": ["ops"], "username": "someone",
                                "policies": {ADMIN_POLICY: {"type": "cluster", "namespaces": []}}}
    assert (record["after"]["kubernetes_groups"], record["after"]["username"]) == (["devs"], "dev")
    return context.kube().undo


def test_apply_writes_the_undo_record_before_it_updates_an_entry_and_updates_nothing_without_it():
    assert _apply_with_update_existing() is not None


def test_rollback_puts_an_updated_entry_back_and_drops_its_record():
    undo = _apply_with_update_existing()
    with Context(data=DEV_MAPPING) as context:
        context._kube.undo = undo
        describe(context, "API_AND_CONFIG_MAP")
        describe(context, "API_AND_CONFIG_MAP")
        listed(context, [(DEV, {}, ["devs"], "dev", [ADMIN_POLICY])])
        context.stubs["eks"].add_response("update_access_entry", {}, {
            "clusterName": "prod", "principalArn": DEV, "kubernetesGroups": ["ops"], "username": "someone"})
        result = runner.run(context, options("rollback"))
    assert (result["restored"], result["deleted"], result["changed"]) == ([DEV], [], True)
    assert context.kube().undo is None  # the last record went, and the ConfigMap with it
    # Changed by somebody since apply: left alone, and its record stays.
    with Context(data=DEV_MAPPING) as context:
        context._kube.undo = undo
        describe(context, "API_AND_CONFIG_MAP")
        describe(context, "API_AND_CONFIG_MAP")
        listed(context, [(DEV, {}, ["devs", "sre"], "dev", [ADMIN_POLICY])])
        result = runner.run(context, options("rollback"))
    assert (result["restored"], result["changed"], context.kube().writes) == ([], False, [])
    assert "changed since the migration" in result["kept"][0]["reason"]
