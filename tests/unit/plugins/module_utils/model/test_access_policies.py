# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""model/access_policies.py: what each EKS access policy grants in the cluster, and RBAC rule matching."""

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils.model import access_policies as ap

VIEW_RULES = [{"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list"]}]


def _rules_of(role):
    return {"view": VIEW_RULES, "cluster-admin": ap.CLUSTER_ADMIN_RULES}.get(role)


def test_policy_short_name():
    assert ap.policy_short_name("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy") == "AmazonEKSViewPolicy"
    assert ap.policy_short_name(None) == ""


def test_policy_rules_expand_the_cluster_role_and_the_extra_rules():
    assert ap.policy_rules("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", _rules_of) == VIEW_RULES
    admin_view = ap.policy_rules("arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy", _rules_of)
    assert admin_view == VIEW_RULES + [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "list", "watch"]}]
    assert ap.policy_rules("arn:aws:eks::aws:cluster-access-policy/AmazonEKSAutoNodePolicy", _rules_of) == []
    assert ap.policy_rules("arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy", _rules_of) == []


@pytest.mark.parametrize("rule, attributes, allowed", [
    (VIEW_RULES[0], {"kind": "resource", "verb": "get", "group": "", "resource": "pods"}, True),
    (VIEW_RULES[0], {"kind": "resource", "verb": "delete", "group": "", "resource": "pods"}, False),
    (VIEW_RULES[0], {"kind": "resource", "verb": "get", "group": "apps", "resource": "pods"}, False),
    (VIEW_RULES[0], {"kind": "resource", "verb": "get", "group": "", "resource": "pods", "subresource": "log"}, True),
    (VIEW_RULES[0], {"kind": "resource", "verb": "get", "group": "", "resource": "pods", "subresource": "exec"},
     False),
    ({"apiGroups": [""], "resources": ["*/scale"], "verbs": ["*"]},
     {"kind": "resource", "verb": "update", "group": "", "resource": "rc", "subresource": "scale"}, True),
    ({"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["aws-auth"], "verbs": ["get"]},
     {"kind": "resource", "verb": "get", "group": "", "resource": "configmaps", "name": "other"}, False),
    ({"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["aws-auth"], "verbs": ["get"]},
     {"kind": "resource", "verb": "get", "group": "", "resource": "configmaps", "name": "aws-auth"}, True),
    ({"nonResourceURLs": ["/healthz/*"], "verbs": ["get"]}, {"kind": "nonResource", "verb": "get",
                                                             "path": "/healthz/etcd"}, True),
    ({"nonResourceURLs": ["/healthz"], "verbs": ["get"]}, {"kind": "nonResource", "verb": "get", "path": "/metrics"},
     False),
    ({"nonResourceURLs": ["*"], "verbs": ["*"]}, {"kind": "resource", "verb": "get", "group": "", "resource": "pods"},
     False),
])
def test_rule_allows_matches_as_kubernetes_rbac(rule, attributes, allowed):
    assert ap.rule_allows(rule, attributes) is allowed
