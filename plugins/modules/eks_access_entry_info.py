#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: eks_access_entry_info
short_description: Read and lint the access entries of an EKS cluster
version_added: 1.0.0
description:
  - Returns the cluster's authentication mode and its access entries, each with its type, Kubernetes groups,
    username, tags and access policies with their scopes, and which principals are cluster admins through
    C(AmazonEKSClusterAdminPolicy).
  - Reads entries side by side, at most O(concurrency) at a time.
  - Reports lint findings, each with a C(code), the C(principal_arn) and a C(message) saying what to do.
  - With O(check_iam=true) it asks IAM whether each principal of the credentials' account still exists
    (C(missing_principal)) and whether it was recreated after its entry (C(recreated_principal)); EKS binds an
    entry to the principal's unique ID, so it matches neither.
  - With O(check_aws_auth=true), on a C(API_AND_CONFIG_MAP) cluster, it reads C(kube-system/aws-auth) and reports
    ARNs mapped there with other groups than their access entry (C(aws_auth_groups_differ)); the access entry
    wins.
  - On a C(CONFIG_MAP) cluster there are no access entries; RV(entries) is empty.
author:
  - eks.access developers (@eks-access)
options:
  cluster_name:
    description: Name of the EKS cluster.
    type: str
    required: true
  principal_arns:
    description: Only these principals' entries (all when left out).
    type: list
    elements: str
  check_iam:
    description: Look the principals up in IAM (C(iam:GetRole), C(iam:GetUser)).
    type: bool
    default: false
  check_aws_auth:
    description:
      - Compare with the aws-auth ConfigMap, read through the Kubernetes connection options (an EKS token from
        O(cluster_name) when none are given).
    type: bool
    default: false
  concurrency:
    description: How many entries are read at the same time.
    type: int
    default: 10
extends_documentation_fragment:
  - eks.access.cluster
  - kubernetes.core.k8s_auth_options
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - eks.access.action_groups.kubernetes
attributes:
  check_mode:
    support: full
    description: Reads only.
  diff_mode:
    support: N/A
    description: Reads only; there is no change to show.
"""

EXAMPLES = r"""
- name: Who can reach the cluster, and how
  eks.access.eks_access_entry_info:
    cluster_name: prod-eu
  register: access

- name: Fail the pipeline on entries that no longer work
  eks.access.eks_access_entry_info:
    cluster_name: prod-eu
    check_iam: true
    check_aws_auth: true
  register: access
  failed_when: access.findings | length > 0
"""

RETURN = r"""
authentication_mode:
  description: The cluster's authentication mode, C(CONFIG_MAP), C(API_AND_CONFIG_MAP) or C(API).
  returned: always
  type: str
entries:
  description: The access entries, sorted by principal ARN.
  returned: always
  type: list
  elements: dict
  contains:
    principal_arn: {description: The IAM role or user., type: str, returned: always}
    type: {description: The entry type., type: str, returned: always}
    kubernetes_groups: {description: Kubernetes groups., type: list, elements: str, returned: always}
    username: {description: Kubernetes username., type: str, returned: always}
    tags: {description: Tags., type: dict, returned: always}
    access_policies:
      description: Associated policies, each with C(policy) (its name), C(policy_arn) and C(access_scope) (C(type), C(namespaces)).
      type: list
      elements: dict
      returned: always
  sample: [{principal_arn: "arn:aws:iam::111122223333:role/dev", type: STANDARD, kubernetes_groups: [],
            username: "arn:aws:sts::111122223333:assumed-role/dev/{{SessionName}}", tags: {},
            access_policies: [{policy: AmazonEKSViewPolicy,
                               policy_arn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
                               access_scope: {type: namespace, namespaces: [team-a]}}]}]
cluster_admins:
  description: Principal ARNs with C(AmazonEKSClusterAdminPolicy) at cluster scope.
  returned: always
  type: list
  elements: str
findings:
  description: Lint findings.
  returned: always
  type: list
  elements: dict
  contains:
    code:
      description: C(missing_principal), C(recreated_principal) or C(aws_auth_groups_differ).
      type: str
      returned: always
    principal_arn: {description: The entry's principal., type: str, returned: always}
    message: {description: What is wrong and what to do., type: str, returned: always}
"""

from ansible_collections.eks.access.plugins.module_utils.module import main as module_main
from ansible_collections.eks.access.plugins.module_utils.runners import eks_access_entry_info as runner
from ansible_collections.eks.access.plugins.module_utils.services.access_entries import DEFAULT_CONCURRENCY


INFO_ARG_SPEC = dict(
    cluster_name=dict(type="str", required=True),
    principal_arns=dict(type="list", elements="str"),
    check_iam=dict(type="bool", default=False),
    check_aws_auth=dict(type="bool", default=False),
    concurrency=dict(type="int", default=DEFAULT_CONCURRENCY),
)


def main():
    module_main(runner, INFO_ARG_SPEC)


if __name__ == "__main__":
    main()
