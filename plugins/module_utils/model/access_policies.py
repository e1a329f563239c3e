# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Kubernetes permissions of the EKS access policies, and RBAC rule matching.

The one table of what each AWS managed access policy grants inside the
cluster.  EKS documents the policies as "similar to" the Kubernetes
user-facing ClusterRoles (cluster-admin, admin, edit, view) plus, for
AmazonEKSAdminViewPolicy, reading every resource (secrets included); the
collection's access report expands policies with it, and the sandbox's
authorizer (tests/sandbox/eks_access_rules.py) loads this very file to
enforce them.

Pure and self-contained: it imports nothing, so the sandbox can load it by
its path without the collection being installed.
"""

from __future__ import annotations

CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"

# policy name -> the user-facing ClusterRole whose (aggregated) rules it grants.
POLICY_CLUSTER_ROLES = {
    "AmazonEKSClusterAdminPolicy": "cluster-admin",
    "AmazonEKSAdminPolicy": "admin",
    "AmazonEKSEditPolicy": "edit",
    "AmazonEKSViewPolicy": "view",
    "AmazonEKSAdminViewPolicy": "view",
}
# Rules a policy grants on top of its ClusterRole's.
POLICY_EXTRA_RULES = {
    "AmazonEKSAdminViewPolicy": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "list", "watch"]}],
}
# The rules of cluster-admin (the role EKS's cluster admin policy resembles), for a cluster whose
# ClusterRole was not read.
CLUSTER_ADMIN_RULES = [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
                       {"nonResourceURLs": ["*"], "verbs": ["*"]}]


def policy_short_name(policy_arn):
    """``AmazonEKSViewPolicy`` of ``arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy``."""
    return str(policy_arn or "").rsplit("/", 1)[-1]


def policy_rules(policy_arn, rules_of_role):
    """The RBAC rules an access policy grants; ``rules_of_role(name)`` gives a ClusterRole's rules.

    An access policy that is not in the table (node, networking and storage
    policies of EKS's own components) grants nothing listed here: [].
    """
    name = policy_short_name(policy_arn)
    role = POLICY_CLUSTER_ROLES.get(name)
    if role is None:
        return []
    return list(rules_of_role(role) or []) + [dict(rule) for rule in POLICY_EXTRA_RULES.get(name, [])]


def _matches(values, wanted):
    return "*" in values or wanted in values


def rule_allows(rule, attributes):
    """Kubernetes RBAC rule matching (pkg/apis/rbac/v1 helpers): does ``rule`` grant ``attributes``?

    ``attributes``: a SubjectAccessReview spec's resourceAttributes or
    nonResourceAttributes, with ``kind`` set to ``resource`` or ``nonResource``.
    """
    verbs = rule.get("verbs") or []
    if not _matches(verbs, attributes.get("verb", "")):
        return False
    if attributes["kind"] == "nonResource":
        path = attributes.get("path", "")
        for url in rule.get("nonResourceURLs") or []:
            if url == "*" or url == path or (url.endswith("*") and path.startswith(url[:-1])):
                return True
        return False
    if rule.get("nonResourceURLs") and not rule.get("resources"):
        return False
    if not _matches(rule.get("apiGroups") or [], attributes.get("group", "")):
        return False
    resource = attributes.get("resource", "")
    subresource = attributes.get("subresource", "")
    combined = resource + ("/" + subresource if subresource else "")
    ok = False
    for candidate in rule.get("resources") or []:
        if candidate in ("*", combined):
            ok = True
        elif subresource and candidate == "*/" + subresource:
            ok = True
    if not ok:
        return False
    names = rule.get("resourceNames") or []
    return not names or attributes.get("name", "") in names
