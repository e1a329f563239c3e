#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: eks_cluster_info
short_description: Read what access automation needs to know about an EKS cluster
version_added: 1.0.0
description:
  - Describes an Amazon EKS cluster (endpoint, OIDC issuer, IP family, managed node group roles) and
    the caller's AWS identity.
  - With O(kubernetes=true) it also connects to the cluster's Kubernetes API, through kubernetes.core's
    auth options or an EKS token minted from O(cluster_name), and reports the server version, the nodes
    and the C(aws-node) DaemonSet (VPC CNI) with whether its pods carry IRSA credentials.
  - Reads only; safe in check mode.
author:
  - eks.access developers (@eks-access)
options:
  cluster_name:
    description:
      - Name of the EKS cluster to describe.
    required: true
  kubernetes:
    description:
      - Also query the Kubernetes API of the cluster.
    type: bool
    default: true
  node_roles:
    description:
      - Also list the IAM roles of the cluster's managed node groups (C(nodeRole)).
    type: bool
    default: true
extends_documentation_fragment:
  - eks.access.cluster
  - kubernetes.core.k8s_auth_options
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - eks.access.action_groups.kubernetes
notes:
  - Supports C(check_mode); it never changes anything.
attributes:
  check_mode:
    support: full
    description: Reads only.
  diff_mode:
    support: N/A
    description: Reads only; there is no change to show.
"""

EXAMPLES = r"""
- name: Describe the cluster and check the Kubernetes connection with an EKS token (no kubeconfig)
  eks.access.eks_cluster_info:
    cluster_name: prod-eu
    region: eu-west-1
  register: cluster

- name: Use an existing kubeconfig context for the Kubernetes side
  eks.access.eks_cluster_info:
    cluster_name: prod-eu
    kubeconfig: ~/.kube/config
    context: prod-eu-admin

- name: Only the AWS side
  eks.access.eks_cluster_info:
    cluster_name: prod-eu
    kubernetes: false
"""

RETURN = r"""
cluster:
  description: The cluster as EKS describes it, flattened.
  returned: always
  type: dict
  contains:
    name: {description: Cluster name., type: str, returned: always}
    arn: {description: Cluster ARN., type: str, returned: always}
    status: {description: Cluster status., type: str, returned: always, sample: ACTIVE}
    version: {description: Kubernetes minor version., type: str, returned: always, sample: "1.34"}
    endpoint: {description: API server endpoint., type: str, returned: always}
    oidc_issuer: {description: The cluster's OIDC issuer URL (used by IRSA)., type: str, returned: always}
    ip_family: {description: C(ipv4) or C(ipv6)., type: str, returned: always}
    auto_mode:
      description: Whether the cluster is in EKS Auto Mode (C(computeConfig.enabled)), whose nodes run the Pod Identity agent.
      type: bool
      returned: always
    node_roles:
      description: IAM role ARNs of the managed node groups.
      type: list
      elements: str
      returned: when O(node_roles=true)
caller:
  description: The AWS identity the module runs as (STS GetCallerIdentity).
  returned: always
  type: dict
  sample: {account: "123456789012", arn: "arn:aws:iam::123456789012:user/ops"}
kubernetes:
  description: What the Kubernetes API reports.
  returned: when O(kubernetes=true)
  type: dict
  contains:
    auth: {description: How the module authenticated (C(kubernetes) or C(eks_token))., type: str, returned: always}
    server_version: {description: API server version., type: str, returned: always, sample: v1.34.4}
    nodes:
      description: Nodes with readiness and node group.
      type: list
      elements: dict
      returned: always
    aws_node:
      description: The C(kube-system/aws-node) DaemonSet, its service account and pods (with C(irsa_env)).
      type: dict
      returned: always
"""

from ansible_collections.eks.access.plugins.module_utils.module import main as module_main
from ansible_collections.eks.access.plugins.module_utils.runners import eks_cluster_info as runner


def main():
    module_main(runner, dict(
        cluster_name=dict(type="str", required=True),
        kubernetes=dict(type="bool", default=True),
        node_roles=dict(type="bool", default=True),
    ))


if __name__ == "__main__":
    main()
