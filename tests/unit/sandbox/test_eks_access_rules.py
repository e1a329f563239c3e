# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sandbox's EKS access entry rules (tests/sandbox/eks_access_rules.py): validation, defaults, policies."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "sandbox"))
import eks_access_rules as rules  # noqa: E402  pylint: disable=import-error,wrong-import-position

ACCOUNT = "123456789012"
ROLE = "arn:aws:iam::%s:role/dev" % ACCOUNT
USER = "arn:aws:iam::%s:user/alice" % ACCOUNT


def refused(func, *args):
    with pytest.raises(rules.EksRefusal) as info:
        func(*args)
    return info.value


@pytest.mark.parametrize("arn,fragment", [
    ("arn:aws:sts::%s:assumed-role/dev/alice" % ACCOUNT, "assumed-role session"),
    ("arn:aws:iam::%s:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS" % ACCOUNT,
     "service-linked role"),
    ("arn:aws:iam::%s:group/admins" % ACCOUNT, "format is not valid"),
    ("arn:aws:iam::12345:role/dev", "format is not valid"),
    ("arn:aws:iam::%s:role/" % ACCOUNT, "format is not valid"),
    ("dev", "format is not valid"),
])
def test_principals_eks_refuses(arn, fragment):
    error = refused(rules.parse_principal, arn)
    assert error.code == "InvalidParameterException"
    assert fragment in error.message


def test_role_arns_with_a_path_are_accepted_and_the_default_username_drops_the_path():
    principal = rules.parse_principal("arn:aws:iam::%s:role/teams/a/dev" % ACCOUNT)
    assert (principal["kind"], principal["path"], principal["name"]) == ("role", "teams/a/dev", "dev")
    assert rules.default_username(principal) == "arn:aws:sts::%s:assumed-role/dev/{{SessionName}}" % ACCOUNT


def test_default_username_of_a_user_is_its_arn():
    assert rules.default_username(rules.parse_principal(USER)) == USER


@pytest.mark.parametrize("username", ["system:admin", "eks:x", "aws:x", "amazon:x", "iam:x"])
def test_reserved_username_prefixes(username):
    error = refused(rules.new_entry_fields, ROLE, None, username, [], ACCOUNT)
    assert error.code == "InvalidParameterException"
    assert error.message == "The username must not begin with %s" % username.split(":")[0] + ":"


@pytest.mark.parametrize("username,ok", [
    ("{{SessionName}}", False),
    ("dev-{{SessionNameRaw}}", False),
    ("dev:{{SessionName}}", True),
    ("team:dev/{{SessionNameRaw}}", True),
    ("plain", True),
])
def test_session_name_needs_a_colon_before_it(username, ok):
    if ok:
        assert rules.new_entry_fields(ROLE, "STANDARD", username, [], ACCOUNT)[1] == username
    else:
        assert "must come after a colon" in refused(rules.new_entry_fields, ROLE, "STANDARD", username, [],
                                                    ACCOUNT).message


def test_groups_may_not_start_with_system():
    error = refused(rules.new_entry_fields, ROLE, None, None, ["devs", "system:masters"], ACCOUNT)
    assert error.message == "The kubernetes group name system:masters is invalid, it cannot start with system:"


@pytest.mark.parametrize("entry_type", rules.NODE_ENTRY_TYPES)
def test_node_types_take_no_groups_or_username_and_get_their_node_identity(entry_type):
    assert "kubernetesGroups can't be set" in refused(
        rules.new_entry_fields, ROLE, entry_type, None, ["devs"], ACCOUNT).message
    assert "username can't be set" in refused(rules.new_entry_fields, ROLE, entry_type, "x", [], ACCOUNT).message
    entry_type_, username, groups = rules.new_entry_fields(ROLE, entry_type, None, None, ACCOUNT)
    assert entry_type_ == entry_type
    assert username.startswith("system:node:{{")
    assert (groups == []) == (entry_type == "EC2")


@pytest.mark.parametrize("arn", [USER, "arn:aws:iam::210987654321:role/dev"])
def test_node_types_need_a_role_of_the_cluster_account(arn):
    assert "IAM role in the cluster's account" in refused(
        rules.new_entry_fields, arn, "EC2_LINUX", None, None, ACCOUNT).message


def test_unknown_type_is_refused():
    assert "The type LINUX is not valid" in refused(rules.new_entry_fields, ROLE, "LINUX", None, None, ACCOUNT).message


def test_update_replaces_given_fields_and_refuses_what_create_refuses():
    entry = {"type": "STANDARD", "username": "u", "kubernetesGroups": ["a"]}
    assert rules.updated_entry_fields(entry, None, None) == ("u", ["a"])
    assert rules.updated_entry_fields(entry, "v", []) == ("v", [])
    assert refused(rules.updated_entry_fields, entry, "system:x", None).code == "InvalidParameterException"
    node = {"type": "EC2_LINUX", "username": "system:node:{{EC2PrivateDNSName}}", "kubernetesGroups": ["system:nodes"]}
    assert rules.updated_entry_fields(node, None, None) == (node["username"], node["kubernetesGroups"])
    assert refused(rules.updated_entry_fields, node, None, ["devs"]).code == "InvalidParameterException"


def test_policy_arns_are_checked_against_the_list():
    names = [p["name"] for p in rules.access_policies()]
    for wanted in ("AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy", "AmazonEKSEditPolicy", "AmazonEKSViewPolicy"):
        assert wanted in names
    assert rules.policy_name(rules.policy_arn("AmazonEKSViewPolicy")) == "AmazonEKSViewPolicy"
    assert "not a valid access policy" in refused(
        rules.policy_name, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSSuperPolicy").message
    assert "not a valid access policy" in refused(rules.policy_name, "arn:aws:iam::aws:policy/AdministratorAccess").message


def test_only_auto_mode_nodes_take_a_policy_and_only_theirs():
    rules.check_policy_for_entry({"type": "EC2"}, "AmazonEKSAutoNodePolicy")
    assert refused(rules.check_policy_for_entry, {"type": "EC2"}, "AmazonEKSViewPolicy").code == \
        "InvalidParameterException"
    assert refused(rules.check_policy_for_entry, {"type": "EC2_LINUX"}, "AmazonEKSViewPolicy").code == \
        "InvalidParameterException"
    rules.check_policy_for_entry({"type": "STANDARD"}, "AmazonEKSViewPolicy")


@pytest.mark.parametrize("scope,fragment", [
    ({"type": "cluster", "namespaces": ["a"]}, "can't be set"),
    ({"type": "namespace"}, "At least one namespace"),
    ({"type": "namespace", "namespaces": ["Team-A"]}, "is not valid"),
    ({"type": "namespace", "namespaces": ["*"]}, "is not valid"),
    ({"type": "namespace", "namespaces": ["a*b"]}, "is not valid"),
    ({"type": "namespace", "namespaces": ["a", "a"]}, "unique"),
    ({"type": "everything"}, "is not valid"),
])
def test_bad_access_scopes(scope, fragment):
    assert fragment in refused(rules.check_access_scope, scope).message


def test_namespace_scopes_with_prefix_wildcards():
    scope = rules.check_access_scope({"type": "namespace", "namespaces": ["team-a", "dev-*"]})
    assert rules.scope_covers(scope, "team-a")
    assert rules.scope_covers(scope, "dev-1")
    assert not rules.scope_covers(scope, "team-b")
    assert not rules.scope_covers(scope, "")  # cluster-wide requests are outside a namespace scope
    assert rules.scope_covers(rules.check_access_scope({"type": "cluster"}), "")


@pytest.mark.parametrize("current,wanted,ok", [
    ("CONFIG_MAP", "API_AND_CONFIG_MAP", True),
    ("API_AND_CONFIG_MAP", "API", True),
    ("CONFIG_MAP", "API", False),
    ("API", "API_AND_CONFIG_MAP", False),
    ("API_AND_CONFIG_MAP", "CONFIG_MAP", False),
    ("API", "API", False),
])
def test_authentication_mode_moves_one_way_one_step(current, wanted, ok):
    if ok:
        rules.check_mode_update(current, wanted)
    else:
        assert refused(rules.check_mode_update, current, wanted).message == \
            "Unsupported authentication mode update from %s to %s" % (current, wanted)


def test_create_access_config_defaults_and_refusals():
    assert rules.check_create_access_config(None) == {"authenticationMode": "CONFIG_MAP",
                                                      "bootstrapClusterCreatorAdminPermissions": True}
    assert rules.check_create_access_config({"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions":
                                             False})["bootstrapClusterCreatorAdminPermissions"] is False
    assert refused(rules.check_create_access_config, {"authenticationMode": "IAM"}).code == "InvalidParameterException"
    assert refused(rules.check_create_access_config, {"bootstrapClusterCreatorAdminPermissions": False}).code == \
        "InvalidParameterException"


VIEW_RULES = [
    {"apiGroups": [""], "resources": ["pods", "pods/log", "configmaps"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "watch"]},
]
ADMIN_RULES = [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}, {"nonResourceURLs": ["*"], "verbs": ["*"]}]


def attrs(verb, resource, namespace="", group="", subresource="", name=""):
    return {"kind": "resource", "verb": verb, "resource": resource, "namespace": namespace, "group": group,
            "subresource": subresource, "name": name}


@pytest.mark.parametrize("rule,attributes,allowed", [
    (VIEW_RULES[0], attrs("list", "pods"), True),
    (VIEW_RULES[0], attrs("get", "pods", subresource="log"), True),
    (VIEW_RULES[0], attrs("create", "pods", subresource="exec"), False),
    (VIEW_RULES[0], attrs("delete", "pods"), False),
    (VIEW_RULES[0], attrs("list", "deployments", group="apps"), False),
    (VIEW_RULES[1], attrs("list", "deployments", group="apps"), True),
    ({"apiGroups": [""], "resources": ["*/status"], "verbs": ["get"]}, attrs("get", "pods", subresource="status"), True),
    ({"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["a"], "verbs": ["get"]},
     attrs("get", "configmaps", name="b"), False),
    (ADMIN_RULES[1], {"kind": "nonResource", "verb": "get", "path": "/healthz"}, True),
    ({"nonResourceURLs": ["/api/*"], "verbs": ["get"]}, {"kind": "nonResource", "verb": "get", "path": "/api/v1"}, True),
    ({"nonResourceURLs": ["/api"], "verbs": ["get"]}, {"kind": "nonResource", "verb": "get", "path": "/apis"}, False),
    (VIEW_RULES[0], {"kind": "nonResource", "verb": "get", "path": "/healthz"}, False),
])
def test_rbac_rule_matching(rule, attributes, allowed):
    assert rules.rule_allows(rule, attributes) is allowed


def test_policies_allow_by_scope_and_role():
    roles = {"view": VIEW_RULES, "cluster-admin": ADMIN_RULES}
    view = [{"policyArn": rules.policy_arn("AmazonEKSViewPolicy"),
             "accessScope": {"type": "namespace", "namespaces": ["team-a"]}}]
    assert rules.policies_allow(view, roles.get, attrs("list", "pods", "team-a")) == view[0]["policyArn"]
    assert rules.policies_allow(view, roles.get, attrs("list", "pods", "kube-system")) is None
    assert rules.policies_allow(view, roles.get, attrs("delete", "pods", "team-a")) is None
    assert rules.policies_allow(view, roles.get, attrs("list", "pods")) is None
    admin = [{"policyArn": rules.policy_arn("AmazonEKSClusterAdminPolicy"), "accessScope": {"type": "cluster"}}]
    assert rules.policies_allow(admin, roles.get, attrs("delete", "nodes")) == admin[0]["policyArn"]
    # Policies the sandbox does not enforce grant nothing.
    other = [{"policyArn": rules.policy_arn("AmazonEKSAutoNodePolicy"), "accessScope": {"type": "cluster"}}]
    assert rules.policies_allow(other, roles.get, attrs("get", "nodes")) is None
