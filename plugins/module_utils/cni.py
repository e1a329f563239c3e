# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers for moving the Amazon VPC CNI plugin (aws-node) to IRSA.

Follows the EKS user guide "configure the Amazon VPC CNI plugin to use IAM
roles for service accounts": a role trusted by ``kube-system/aws-node``
with ``AmazonEKS_CNI_Policy`` (IPv4) or a customer-managed
``AmazonEKS_CNI_IPv6_Policy`` (IPv6); annotate aws-node; restart its pods;
check ``AWS_ROLE_ARN`` and ``AWS_WEB_IDENTITY_TOKEN_FILE`` in the pods; only
then detach the CNI policy from the node role.
"""

from __future__ import annotations

import copy
import re

CNI_NAMESPACE = "kube-system"
CNI_SERVICE_ACCOUNT = "aws-node"
CNI_CONTAINER = "aws-node"
CNI_POD_LABEL_SELECTOR = "k8s-app=aws-node"
DEFAULT_ROLE_NAME = "AmazonEKSVPCCNIRole"

IPV4_POLICY_NAME = "AmazonEKS_CNI_Policy"
IPV6_POLICY_NAME = "AmazonEKS_CNI_IPv6_Policy"

ENV_ROLE_ARN = "AWS_ROLE_ARN"
ENV_TOKEN_FILE = "AWS_WEB_IDENTITY_TOKEN_FILE"

_PARTITION_RE = re.compile(r"^aws(-[a-z]+)*$")
_ACCOUNT_RE = re.compile(r"^[0-9]{12}$")

# vpc-cni-ipv6-policy.json from the guide; "arn:aws:" is replaced by the
# cluster's partition.
_IPV6_POLICY_DOCUMENT = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "ec2:AssignIpv6Addresses",
                "ec2:DescribeInstances",
                "ec2:DescribeTags",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeInstanceTypes",
            ],
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Action": ["ec2:CreateTags"],
            "Resource": ["arn:%s:ec2:*:*:network-interface/*"],
        },
    ],
}


class CniError(ValueError):
    """Invalid input for the VPC CNI helpers."""


def _check_partition(partition):
    if not isinstance(partition, str) or not _PARTITION_RE.match(partition):
        raise CniError("invalid AWS partition %r" % (partition,))
    return partition


def ipv6_policy_document(partition="aws"):
    """The guide's IPv6 CNI policy document for ``partition`` (a fresh dict)."""
    _check_partition(partition)
    document = copy.deepcopy(_IPV6_POLICY_DOCUMENT)
    statement = document["Statement"][1]
    statement["Resource"] = [r % partition for r in statement["Resource"]]
    return document


def cni_policy_for_ip_family(ip_family, partition="aws", account_id=None):
    """What the CNI role needs for a cluster IP family.

    Returns ``{"ip_family", "aws_managed", "policy_name", "policy_arn", "policy_document"}``:

    * ipv4: the AWS managed ``arn:PARTITION:iam::aws:policy/AmazonEKS_CNI_Policy``,
      no document;
    * ipv6: the guide's document and name ``AmazonEKS_CNI_IPv6_Policy``, to be
      created as a customer managed policy; ``policy_arn`` is filled in when
      ``account_id`` is given, else None.

    ``ip_family`` is what DescribeCluster reports
    (``kubernetesNetworkConfig.ipFamily``), case-insensitive.
    """
    _check_partition(partition)
    family = ip_family.strip().lower() if isinstance(ip_family, str) else ip_family
    if family == "ipv4":
        return {
            "ip_family": "ipv4",
            "aws_managed": True,
            "policy_name": IPV4_POLICY_NAME,
            "policy_arn": "arn:%s:iam::aws:policy/%s" % (partition, IPV4_POLICY_NAME),
            "policy_document": None,
        }
    if family == "ipv6":
        policy_arn = None
        if account_id is not None:
            account_id = str(account_id)
            if not _ACCOUNT_RE.match(account_id):
                raise CniError("AWS account ID must be exactly 12 digits, got %r" % (account_id,))
            policy_arn = "arn:%s:iam::%s:policy/%s" % (partition, account_id, IPV6_POLICY_NAME)
        return {
            "ip_family": "ipv6",
            "aws_managed": False,
            "policy_name": IPV6_POLICY_NAME,
            "policy_arn": policy_arn,
            "policy_document": ipv6_policy_document(partition),
        }
    raise CniError("unknown cluster IP family %r (expected ipv4 or ipv6)" % (ip_family,))


def _env(container):
    result = {}
    for item in container.get("env") or []:
        if isinstance(item, dict) and item.get("name"):
            result[item["name"]] = item.get("value")
    return result


def aws_node_env_ok(pod, role_arn=None):
    """Whether every ``aws-node`` container of the pod has the IRSA env vars.

    Both ``AWS_ROLE_ARN`` and ``AWS_WEB_IDENTITY_TOKEN_FILE`` must be set;
    with ``role_arn``, ``AWS_ROLE_ARN`` must also equal it. A pod with no
    ``aws-node`` container is not OK (nothing was verified).
    """
    containers = [c for c in ((pod or {}).get("spec") or {}).get("containers") or [] if c.get("name") == CNI_CONTAINER]
    if not containers:
        return False
    for container in containers:
        env = _env(container)
        if not env.get(ENV_ROLE_ARN) or not env.get(ENV_TOKEN_FILE):
            return False
        if role_arn is not None and env.get(ENV_ROLE_ARN) != role_arn:
            return False
    return True


def aws_node_pods_not_ok(pods, role_arn=None):
    """Names of aws-node pods failing aws_node_env_ok (empty list: all fine)."""
    return [((p or {}).get("metadata") or {}).get("name") for p in pods or [] if not aws_node_env_ok(p, role_arn)]


def plan_node_role_detach(node_roles_attached, cni_policy_arn, verified):
    """Detach calls to make: ``[{"role_name": ..., "policy_arn": ...}]``.

    ``node_roles_attached`` maps node role name to its attached policy ARNs.
    Nothing is planned unless ``verified`` (aws-node pods were checked to
    carry the IRSA env vars); otherwise the nodes would lose pod networking
    permissions. Roles without the policy are skipped; input order is kept.
    """
    if not verified:
        return []
    if not isinstance(cni_policy_arn, str) or not cni_policy_arn.startswith("arn:"):
        raise CniError("CNI policy ARN must be an ARN, got %r" % (cni_policy_arn,))
    plan = []
    for role_name, attached in (node_roles_attached or {}).items():
        if cni_policy_arn in (attached or []):
            plan.append({"role_name": role_name, "policy_arn": cni_policy_arn})
    return plan
