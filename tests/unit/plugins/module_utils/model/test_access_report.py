# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The access report's decisions: who gets in, as whom, at which level, with which findings and drift."""

from __future__ import annotations

import datetime
import importlib.util
import os

from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import parse as aws_auth_parse
from ansible_collections.eks.access.plugins.module_utils.model import access_entry
from ansible_collections.eks.access.plugins.module_utils.model import access_policies
from ansible_collections.eks.access.plugins.module_utils.model import access_report as model

ACCOUNT = "111122223333"
ROLE = "arn:aws:iam::%s:role/%%s" % ACCOUNT
POLICY = "arn:aws:eks::aws:cluster-access-policy/%s"
VIEW_RULES = [{"apiGroups": [""], "resources": ["pods", "configmaps", "services"], "verbs": ["get", "list", "watch"]},
              {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "watch"]}]
EDIT_RULES = VIEW_RULES + [{"apiGroups": [""], "resources": ["pods", "configmaps", "secrets"],
                            "verbs": ["create", "update", "patch", "delete", "get", "list"]},
                           {"apiGroups": [""], "resources": ["pods/exec", "pods/attach"], "verbs": ["create"]},
                           {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["create", "update"]}]
ADMIN_RULES = EDIT_RULES + [{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "rolebindings"],
                             "verbs": ["create", "update", "delete", "get", "list"]}]


def role(name, rules):
    return {"metadata": {"name": name}, "rules": rules}


def binding(name, role_name, subjects, namespace=None, kind="ClusterRole"):
    metadata = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    return {"metadata": metadata, "roleRef": {"kind": kind, "name": role_name},
            "subjects": [{"kind": k, "name": n} for k, n in subjects]}


RBAC = model.Rbac(
    cluster_roles=[role("view", VIEW_RULES), role("edit", EDIT_RULES), role("admin", ADMIN_RULES),
                   role("cluster-admin", access_policies.CLUSTER_ADMIN_RULES),
                   role("wild", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get"]}])],
    roles=[{"metadata": {"name": "reader", "namespace": "team-b"}, "rules": VIEW_RULES}],
    cluster_role_bindings=[binding("ops-edit", "edit", [("Group", "ops")]),
                           binding("orphan", "view", [("Group", "nobody-has-this")]),
                           binding("wild", "wild", [("User", "auditor")])],
    role_bindings=[binding("b-readers", "reader", [("Group", "b-readers")], "team-b", kind="Role"),
                   binding("sess", "admin", [("User", "sso-dev:alice")], "team-c")])

AWS_AUTH = aws_auth_parse.parse_aws_auth({
    "mapRoles": "- rolearn: %s\n  username: admin\n  groups: [system:masters]\n"
                "- rolearn: %s\n  username: ops\n  groups: [ops]\n"
                "- rolearn: %s\n  username: sso-dev:{{SessionName}}\n  groups: []\n"
                "- rolearn: %s\n  username: gone\n  groups: [ops]\n"
                "- rolearn: arn:aws:iam::%s:role/teams/pathful\n  username: never\n"
                % (ROLE % "admin", ROLE % "ops", ROLE % "AWSReservedSSO_Dev_0123456789abcdef", ROLE % "gone", ACCOUNT),
    "mapUsers": "- userarn: arn:aws:iam::%s:user/auditor\n  username: auditor\n" % ACCOUNT,
    "mapAccounts": "- '444455556666'\n",
})


def entry(arn, groups=(), username=None, policies=None):
    return access_entry.AccessEntry(principal_arn=arn, kubernetes_groups=tuple(groups), username=username or arn,
                                    policies={POLICY % name: access_entry.AccessScope(*scope)
                                              for name, scope in (policies or {}).items()},
                                    created_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc))


def rows_of(principals):
    return {r["principal_arn"]: r for r in (model.principal_row(p, RBAC) for p in principals)}


def test_config_map_principals_levels_and_flags():
    principals = model.collect_principals("CONFIG_MAP", AWS_AUTH, {}, creator_arn="arn:aws:iam::%s:user/creator" % ACCOUNT)
    rows = rows_of(principals)
    assert "arn:aws:iam::%s:role/teams/pathful" % ACCOUNT not in rows  # a role path never matches
    admin = rows[ROLE % "admin"]
    assert admin["level"] == "cluster-admin" and "system_masters" in admin["flags"]
    assert admin["sources"] == ["aws-auth"] and admin["effective_source"] == "aws-auth"
    ops = rows[ROLE % "ops"]
    assert ops["level"] == "write" and ops["levels"] == {"cluster": "write"}
    assert set(ops["flags"]) == {"read_secrets", "exec", "attach"}
    sso = rows[ROLE % "AWSReservedSSO_Dev_0123456789abcdef"]
    assert sso["username"] == "sso-dev:{{SessionName}}" and sso["permission_set"] == "Dev"
    # A RoleBinding to a concrete session's name is matched by the template.
    assert sso["levels"] == {"cluster": "none", "team-c": "namespace-admin"}
    creator = rows["arn:aws:iam::%s:user/creator" % ACCOUNT]
    assert creator["effective_source"] == "creator" and creator["level"] == "cluster-admin" and creator["creator"]
    account = rows["444455556666"]
    assert account["kind"] == "account" and account["username"] == "{{ARN}}" and account["level"] == "none"
    auditor = rows["arn:aws:iam::%s:user/auditor" % ACCOUNT]
    assert auditor["level"] == "none" and "read_secrets" in auditor["flags"]  # get on everything, list on nothing


def test_access_entry_wins_in_api_and_config_map_and_policies_are_scoped():
    entries = {
        ROLE % "ops": entry(ROLE % "ops", ["viewers"]),
        ROLE % "ns-viewer": entry(ROLE % "ns-viewer", policies={"AmazonEKSViewPolicy": ("namespace", ("team-a",))}),
        ROLE % "edit": entry(ROLE % "edit", policies={"AmazonEKSEditPolicy": ("cluster", ())}),
    }
    principals = model.collect_principals("API_AND_CONFIG_MAP", AWS_AUTH, entries)
    rows = rows_of(principals)
    ops = rows[ROLE % "ops"]
    assert ops["sources"] == ["access-entry", "aws-auth"] and ops["effective_source"] == "access-entry"
    assert ops["groups"] == ["viewers"] and ops["level"] == "none"  # the aws-auth group ops no longer applies
    viewer = rows[ROLE % "ns-viewer"]
    assert viewer["levels"] == {"cluster": "none", "team-a": "read"} and viewer["level"] == "read"
    assert rows[ROLE % "edit"]["level"] == "write"
    found = model.findings("API_AND_CONFIG_MAP", list(rows.values()), RBAC)
    assert any(f["code"] == "granted_differently" and f["principal_arn"] == ROLE % "ops" for f in found)
    # In API mode aws-auth is not read at all.
    api_rows = rows_of(model.collect_principals("API", None, entries))
    assert set(api_rows) == set(entries)


def test_findings_missing_sso_groups_wildcards_and_map_accounts():
    principals = model.collect_principals("CONFIG_MAP", AWS_AUTH, {})
    rows = [model.principal_row(p, RBAC) for p in principals]
    sso_old = ROLE % "AWSReservedSSO_Dev_0123456789abcdef"
    missing = [ROLE % "gone", sso_old]
    now = model.sso_replacements(rows, ["arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Dev_"
                                        "fedcba9876543210" % ACCOUNT], missing)
    found = model.findings("CONFIG_MAP", rows, RBAC, missing, now)
    codes = {(f["code"], f["principal_arn"]) for f in found}
    assert ("missing_iam_principal", ROLE % "gone") in codes
    assert ("sso_permission_set_recreated", sso_old) in codes
    assert ("map_accounts", "444455556666") in codes
    assert ("system_masters", ROLE % "admin") in codes
    assert ("wildcard_rule", "arn:aws:iam::%s:user/auditor" % ACCOUNT) in codes
    messages = " ".join(f["message"] for f in found if f["code"] == "group_not_given")
    assert "nobody-has-this" in messages and "b-readers" in messages
    gone = model.findings("CONFIG_MAP", rows, RBAC, missing, {})
    assert any(f["code"] == "sso_permission_set_gone" for f in gone)


def test_checks_ask_for_the_level_and_are_refused_the_next():
    rows = rows_of(model.collect_principals("CONFIG_MAP", AWS_AUTH, {}))
    ops = rows[ROLE % "ops"]
    checks = model.checks(ops, ops["_evaluation"])
    assert [(c["attributes"]["verb"], c["attributes"]["resource"], c["expected"]) for c in checks] == [
        ("create", "pods", True), ("create", "rolebindings", False)]
    sso = rows[ROLE % "AWSReservedSSO_Dev_0123456789abcdef"]
    user = model.review_user(sso, ACCOUNT)
    assert user["user"] == "sso-dev:eks-access-report" and "system:authenticated" in user["groups"]
    assert model.verification(checks, [True, False])["status"] == "confirmed"
    assert model.verification(checks, [True, True])["status"] == "disagrees"


def test_review_user_of_an_access_entry_carries_what_the_eks_authorizer_reads():
    principal = model.collect_principals("API", None, {"arn:aws:iam::%s:role/teams/dev" % ACCOUNT: entry(
        "arn:aws:iam::%s:role/teams/dev" % ACCOUNT)})[0]
    user = model.review_user(principal, ACCOUNT, "AROAEXAMPLE")
    assert user["extra"]["canonicalArn"] == ["arn:aws:iam::%s:role/dev" % ACCOUNT]
    assert user["extra"]["principalId"] == ["AROAEXAMPLE"] and user["uid"].startswith("aws-iam-authenticator:")


def test_drift():
    principals = model.collect_principals("CONFIG_MAP", AWS_AUTH, {})
    result = model.drift(principals, {"aws_auth_roles": [ROLE % "admin", ROLE % "ops", ROLE % "absent"],
                                      "aws_auth_accounts": [], "sso_permission_sets": ["Dev", "Gone"]})
    assert ROLE % "gone" in result["undeclared"] and "444455556666" in result["undeclared"]
    assert ROLE % "admin" not in result["undeclared"]
    assert ROLE % "AWSReservedSSO_Dev_0123456789abcdef" not in result["undeclared"]
    assert result["not_live"] == [ROLE % "absent", "permission set gone"]


def test_the_sandbox_authorizer_uses_this_very_table():
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "..", "..", "..", "sandbox", "eks_access_rules.py")
    spec = importlib.util.spec_from_file_location("sandbox_eks_access_rules", path)
    rules = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rules)
    assert rules.ENFORCED_POLICY_ROLES == access_policies.POLICY_CLUSTER_ROLES
    assert rules.EXTRA_POLICY_RULES == access_policies.POLICY_EXTRA_RULES
    assert rules.rule_allows is not None and rules.rule_allows({"verbs": ["get"], "apiGroups": [""],
                                                                "resources": ["pods"]},
                                                               {"kind": "resource", "verb": "get", "resource": "pods"})


def test_a_node_identity_gets_the_node_authorizers_rules_and_is_not_sampled():
    node_rules = [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "create"]},
                  {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "update", "patch"]}]
    rbac = model.Rbac(cluster_roles=[role("system:node", node_rules)])
    principals = model.collect_principals("API", None, {ROLE % "node": access_entry.AccessEntry(
        principal_arn=ROLE % "node", type="EC2_LINUX", kubernetes_groups=("system:nodes",),
        username="system:node:{{EC2PrivateDNSName}}", policies={})})
    row = model.principal_row(principals[0], rbac)
    assert row["level"] == "write" and row["flags"]["node_write"] == ["cluster"]
    assert model.checks(row, row["_evaluation"]) == []
    assert model.verification([], [])["status"] == "not_checked"
