# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What EKS decides about access entries, as plain functions over plain data.

Shared by the moto extension (``moto_eks_access.py``, which validates API
calls with it) and the token authenticator / authorizer stand-in
(``iam_authenticator.py``, which maps identities and evaluates access
policies with it).  No moto, boto3 or HTTP here, so the unit tests cover it
directly (tests/unit/sandbox/test_eks_access_rules.py).

Every refusal is an ``EksRefusal(code, message)``: ``code`` is the EKS error
code the API answers with (``InvalidParameterException``,
``InvalidRequestException`` ...).  Messages EKS is known to send are used
word for word; the others are written in the same style.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import os
import re

# The one-way order of authentication modes: each update may only move one step right.
AUTHENTICATION_MODES = ("CONFIG_MAP", "API_AND_CONFIG_MAP", "API")
DEFAULT_AUTHENTICATION_MODE = "CONFIG_MAP"

STANDARD = "STANDARD"
# Node entry types: IAM roles of the cluster's account only; EKS sets their username and groups.
NODE_ENTRY_TYPES = ("EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "HYBRID_LINUX", "EC2")
ENTRY_TYPES = (STANDARD,) + NODE_ENTRY_TYPES
# The Kubernetes identity EKS gives each node entry type (username template, groups).
NODE_IDENTITIES = {
    "EC2_LINUX": ("system:node:{{EC2PrivateDNSName}}", ["system:nodes"]),
    "EC2_WINDOWS": ("system:node:{{EC2PrivateDNSName}}", ["eks:kube-proxy-windows", "system:nodes"]),
    "FARGATE_LINUX": ("system:node:{{SessionName}}", ["system:node-proxier", "system:nodes"]),
    "HYBRID_LINUX": ("system:node:{{SessionName}}", ["system:nodes"]),
    # Auto Mode nodes get their permissions from AmazonEKSAutoNodePolicy, not from groups.
    "EC2": ("system:node:{{EC2PrivateDNSName}}", []),
}
# Access policies an entry type may carry (STANDARD: any).
POLICIES_BY_NODE_TYPE = {"EC2": ("AmazonEKSAutoNodePolicy",)}

RESERVED_USERNAME_PREFIXES = ("system:", "eks:", "aws:", "amazon:", "iam:")
RESERVED_GROUP_PREFIX = "system:"
SESSION_NAME_TEMPLATES = ("{{SessionName}}", "{{SessionNameRaw}}")

# What ListAccessPolicies answers (the AWS managed access policies, in EKS's order).
ACCESS_POLICY_NAMES = (
    "AmazonEKSAdminPolicy", "AmazonEKSAdminViewPolicy", "AmazonEKSAutoNodePolicy",
    "AmazonEKSBlockStorageClusterPolicy", "AmazonEKSBlockStoragePolicy", "AmazonEKSClusterAdminPolicy",
    "AmazonEKSComputeClusterPolicy", "AmazonEKSComputePolicy", "AmazonEKSEditPolicy", "AmazonEKSHybridPolicy",
    "AmazonEKSLoadBalancingClusterPolicy", "AmazonEKSLoadBalancingPolicy", "AmazonEKSNetworkingClusterPolicy",
    "AmazonEKSNetworkingPolicy", "AmazonEKSViewPolicy", "AmazonEMRJobPolicy",
    "AmazonSagemakerHyperpodClusterPolicy", "AmazonSagemakerHyperpodControllerPolicy",
    "AmazonSagemakerHyperpodSystemNamespacePolicy",
)
CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
# The policies the sandbox's authorizer enforces and the Kubernetes permissions EKS documents for
# them: one table, the collection's (plugins/module_utils/model/access_policies.py), loaded by path.
_MODEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "plugins", "module_utils", "model",
                      "access_policies.py")
_spec = importlib.util.spec_from_file_location("eks_access_policies_model", _MODEL)
access_policies_model = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(access_policies_model)
ENFORCED_POLICY_ROLES = access_policies_model.POLICY_CLUSTER_ROLES
EXTRA_POLICY_RULES = access_policies_model.POLICY_EXTRA_RULES

PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc")
_PRINCIPAL_RE = re.compile(r"^arn:(?P<partition>[a-z-]+):iam::(?P<account>\d{12}):(?P<kind>role|user)/(?P<path>.+)$")
_NAMESPACE_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_NAMESPACE_PREFIX_RE = re.compile(r"^[a-z0-9][-a-z0-9]*\*$")

INVALID_PARAMETER = "InvalidParameterException"
INVALID_REQUEST = "InvalidRequestException"
NOT_FOUND = "ResourceNotFoundException"
IN_USE = "ResourceInUseException"

MSG_MODE_REFUSES_ENTRIES = ("The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] "
                            "to perform this operation.")
MSG_ENTRY_IN_USE = "The specified access entry resource is already in use on this cluster."
MSG_ENTRY_NOT_FOUND = ("The specified principalArn could not be found. "
                       "You can view your available access entries with 'list-access-entries'.")


class EksRefusal(Exception):
    """A request EKS refuses: ``code`` is its error code, the message its sentence."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def invalid(message):
    return EksRefusal(INVALID_PARAMETER, message)


# --------------------------------------------------------------------------- principals

def parse_principal(arn):
    """{partition, account, kind (role|user), path, name} of an access entry principal; raises EksRefusal."""
    if not isinstance(arn, str) or not arn:
        raise invalid("principalArn is required.")
    if re.match(r"^arn:[a-z-]+:sts::\d{12}:assumed-role/", arn):
        raise invalid("The principalArn %s is an STS assumed-role session, which access entries do not accept: "
                      "use the ARN of its IAM role (arn:<partition>:iam::<account>:role/<name>)." % arn)
    match = _PRINCIPAL_RE.match(arn)
    if not match or match.group("partition") not in PARTITIONS or match.group("path").endswith("/"):
        raise invalid("The principalArn parameter format is not valid: %s is not the ARN of an IAM role or user." % arn)
    principal = match.groupdict()
    principal["name"] = principal["path"].rsplit("/", 1)[-1]
    if principal["kind"] == "role" and principal["path"].startswith("aws-service-role/"):
        raise invalid("The principalArn %s is a service-linked role, which access entries do not accept." % arn)
    return principal


def default_username(principal, entry_type=STANDARD):
    """The username EKS sets when the request gives none."""
    if entry_type != STANDARD:
        return NODE_IDENTITIES[entry_type][0]
    if principal["kind"] == "user":
        return "arn:%s:iam::%s:user/%s" % (principal["partition"], principal["account"], principal["path"])
    # The role's path is dropped: an assumed-role session ARN never carries it.
    return "arn:%s:sts::%s:assumed-role/%s/{{SessionName}}" % (
        principal["partition"], principal["account"], principal["name"])


def check_username(username):
    for prefix in RESERVED_USERNAME_PREFIXES:
        if username.startswith(prefix):
            raise invalid("The username must not begin with %s" % prefix)
    for template in SESSION_NAME_TEMPLATES:
        at = username.find(template)
        if at >= 0 and ":" not in username[:at]:
            raise invalid("The username %s is not valid: %s must come after a colon (:) in the username." %
                          (username, template))


def check_groups(groups):
    for group in groups:
        if not isinstance(group, str) or not group:
            raise invalid("A kubernetes group name must be a non-empty string.")
        if group.startswith(RESERVED_GROUP_PREFIX):
            raise invalid("The kubernetes group name %s is invalid, it cannot start with %s" %
                          (group, RESERVED_GROUP_PREFIX))


def new_entry_fields(principal_arn, entry_type, username, groups, cluster_account):
    """(type, username, groups) of a CreateAccessEntry request after EKS's checks; raises EksRefusal."""
    entry_type = entry_type or STANDARD
    if entry_type not in ENTRY_TYPES:
        raise invalid("The type %s is not valid. Valid values are: %s." % (entry_type, ", ".join(ENTRY_TYPES)))
    principal = parse_principal(principal_arn)
    if entry_type != STANDARD:
        if principal["kind"] != "role" or principal["account"] != cluster_account:
            raise invalid("An access entry of type %s must have the ARN of an IAM role in the cluster's account "
                          "(%s), not %s." % (entry_type, cluster_account, principal_arn))
        if groups:
            raise invalid("kubernetesGroups can't be set for an access entry of type %s." % entry_type)
        if username:
            raise invalid("username can't be set for an access entry of type %s." % entry_type)
        return entry_type, NODE_IDENTITIES[entry_type][0], list(NODE_IDENTITIES[entry_type][1])
    groups = list(groups or [])
    check_groups(groups)
    if username:
        check_username(username)
    return entry_type, username or default_username(principal, entry_type), groups


def updated_entry_fields(entry, username, groups):
    """(username, groups) after UpdateAccessEntry; ``None`` leaves a field as it is."""
    if entry["type"] != STANDARD:
        if groups:
            raise invalid("kubernetesGroups can't be set for an access entry of type %s." % entry["type"])
        if username and username != entry["username"]:
            check_username(username)  # what EKS answers for system:node:... on a node entry
            raise invalid("username can't be set for an access entry of type %s." % entry["type"])
        return entry["username"], entry["kubernetesGroups"]
    if groups is not None:
        check_groups(groups)
    if username:
        check_username(username)
    return (username or entry["username"]), (list(groups) if groups is not None else entry["kubernetesGroups"])


# --------------------------------------------------------------------------- access policies

def policy_arn(name, partition="aws"):
    return "arn:%s:eks::aws:cluster-access-policy/%s" % (partition, name)


def access_policies(partition="aws"):
    return [{"name": name, "arn": policy_arn(name, partition)} for name in ACCESS_POLICY_NAMES]


def policy_name(arn, partition="aws"):
    """The access policy name of ``arn``; raises EksRefusal when it is not one of list_access_policies."""
    for name in ACCESS_POLICY_NAMES:
        if arn == policy_arn(name, partition):
            return name
    raise invalid("The policyArn %s is not a valid access policy. Valid policies are listed by "
                  "list-access-policies." % arn)


def check_policy_for_entry(entry, name):
    if entry["type"] == STANDARD:
        return
    allowed = POLICIES_BY_NODE_TYPE.get(entry["type"], ())
    if name not in allowed:
        raise invalid("Access policies can't be associated with an access entry of type %s%s." % (
            entry["type"], " other than %s" % ", ".join(allowed) if allowed else ""))


def check_access_scope(scope):
    """The normalised accessScope ({type, namespaces}); raises EksRefusal."""
    scope = dict(scope or {})
    kind = scope.get("type")
    namespaces = list(scope.get("namespaces") or [])
    if kind == "cluster":
        if namespaces:
            raise invalid("namespaces can't be set when the accessScope type is cluster.")
        return {"type": "cluster", "namespaces": []}
    if kind != "namespace":
        raise invalid("The accessScope type %s is not valid. Valid values are: cluster, namespace." % kind)
    if not namespaces:
        raise invalid("At least one namespace is required when the accessScope type is namespace.")
    for namespace in namespaces:
        ok = (_NAMESPACE_RE.match(namespace) or _NAMESPACE_PREFIX_RE.match(namespace)) and len(namespace) <= 63
        if not ok:
            raise invalid("The namespace %s is not valid: use a Kubernetes namespace name, or a prefix followed "
                          "by * (for example dev-*)." % namespace)
    if len(set(namespaces)) != len(namespaces):
        raise invalid("The namespaces of an accessScope must be unique.")
    return {"type": "namespace", "namespaces": namespaces}


def scope_covers(scope, namespace):
    """True when a policy associated with ``scope`` applies to a request in ``namespace`` ('' = cluster-wide)."""
    if scope["type"] == "cluster":
        return True
    if not namespace:
        return False
    return any(fnmatch.fnmatchcase(namespace, pattern) if pattern.endswith("*") else namespace == pattern
               for pattern in scope["namespaces"])


# --------------------------------------------------------------------------- authentication modes

def check_mode_update(current, wanted):
    if wanted not in AUTHENTICATION_MODES:
        raise invalid("The authenticationMode %s is not valid. Valid values are: %s." %
                      (wanted, ", ".join(AUTHENTICATION_MODES)))
    if AUTHENTICATION_MODES.index(wanted) != AUTHENTICATION_MODES.index(current) + 1:
        raise invalid("Unsupported authentication mode update from %s to %s" % (current, wanted))


def check_create_access_config(config):
    """{authenticationMode, bootstrapClusterCreatorAdminPermissions} of CreateCluster; raises EksRefusal."""
    config = dict(config or {})
    mode = config.get("authenticationMode") or DEFAULT_AUTHENTICATION_MODE
    if mode not in AUTHENTICATION_MODES:
        raise invalid("The authenticationMode %s is not valid. Valid values are: %s." %
                      (mode, ", ".join(AUTHENTICATION_MODES)))
    bootstrap = config.get("bootstrapClusterCreatorAdminPermissions")
    bootstrap = True if bootstrap is None else bool(bootstrap)
    if mode == "CONFIG_MAP" and not bootstrap:
        raise invalid("bootstrapClusterCreatorAdminPermissions can't be false when the authenticationMode is "
                      "CONFIG_MAP: nobody could reach the cluster.")
    return {"authenticationMode": mode, "bootstrapClusterCreatorAdminPermissions": bootstrap}


# --------------------------------------------------------------------------- RBAC rule evaluation

# Kubernetes RBAC rule matching: the collection's, which the access report uses too.
rule_allows = access_policies_model.rule_allows


def review_attributes(spec):
    """The attributes of a SubjectAccessReview spec (see rule_allows)."""
    if spec.get("nonResourceAttributes"):
        return dict(spec["nonResourceAttributes"], kind="nonResource")
    return dict(spec.get("resourceAttributes") or {}, kind="resource")


def policies_allow(associations, rules_of_role, attributes):
    """The first associated policy that grants ``attributes`` (its ARN), else None.

    ``associations``: [{policyArn, accessScope}]; ``rules_of_role(name)``
    returns the (aggregated) rules of a ClusterRole.
    """
    namespace = attributes.get("namespace", "") if attributes["kind"] == "resource" else ""
    for association in associations:
        name = association["policyArn"].rsplit("/", 1)[-1]
        if name not in ENFORCED_POLICY_ROLES or not scope_covers(association["accessScope"], namespace):
            continue
        rules = access_policies_model.policy_rules(association["policyArn"], rules_of_role)
        if any(rule_allows(rule, attributes) for rule in rules):
            return association["policyArn"]
    return None
