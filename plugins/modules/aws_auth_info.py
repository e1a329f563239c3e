#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_auth_info
short_description: Read and lint the EKS aws-auth ConfigMap
version_added: 1.0.0
description:
  - Returns the identity mappings of C(kube-system/aws-auth) the way aws-iam-authenticator reads them,
    like C(eksctl get iamidentitymapping), with the raw data and C(resourceVersion).
  - Reports lint findings, each with a code, the section, the ARN and a message - role ARNs with a path
    (never matched by the authenticator), duplicate ARNs, unknown username template variables,
    C(system:masters) grants, groups that no RoleBinding or ClusterRoleBinding references, and ARNs of another
    partition than the cluster's region (C(aws-cn) in an C(aws) cluster), which no caller can match.
  - With O(check_iam=true) it also asks IAM whether each mapped role and user exists.
  - A missing ConfigMap is reported with RV(exists=false), not as an error.
author:
  - eks.access developers (@eks-access)
options:
  check_bindings:
    description:
      - Look up RoleBindings and ClusterRoleBindings and report mapped groups nothing binds.
      - Needs permission to list them cluster-wide.
    type: bool
    default: true
  check_iam:
    description:
      - Report mapped IAM roles and users that do not exist (C(iam:GetRole), C(iam:GetUser)).
      - Only ARNs in the account of the AWS credentials are checked; others cannot be looked up from it.
    type: bool
    default: false
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
- name: List who can reach the cluster
  eks.access.aws_auth_info:
    cluster_name: prod-eu
  register: aws_auth

- name: Fail the pipeline on risky mappings
  ansible.builtin.assert:
    that:
      - aws_auth.findings | selectattr('code', 'in', ['role_path', 'duplicate_arn', 'missing_iam_identity']) | list == []

- name: Also check that every mapped IAM identity exists
  eks.access.aws_auth_info:
    kubeconfig: ~/.kube/config
    check_iam: true
"""

RETURN = r"""
exists:
  description: Whether the ConfigMap exists.
  returned: always
  type: bool
mappings:
  description: The parsed C(mapRoles), C(mapUsers) and C(mapAccounts) (empty lists when missing).
  returned: always
  type: dict
  sample: {mapRoles: [{rolearn: "arn:aws:iam::111122223333:role/node", username: "system:node:{{EC2PrivateDNSName}}",
           groups: [system:bootstrappers, system:nodes]}], mapUsers: [], mapAccounts: []}
data:
  description: The ConfigMap's raw C(data).
  returned: always
  type: dict
resource_version:
  description: C(metadata.resourceVersion).
  returned: when RV(exists)
  type: str
findings:
  description: Lint findings.
  returned: always
  type: list
  elements: dict
  contains:
    code:
      description: >-
        One of C(role_path), C(duplicate_arn), C(unknown_template_variable), C(system_masters),
        C(unbound_group), C(invalid_arn), C(missing_arn), C(ignored_key), C(invalid_account),
        C(missing_iam_identity), C(foreign_partition).
      type: str
      returned: always
    kind:
      description: The section, C(mapRoles), C(mapUsers) or C(mapAccounts).
      type: str
      returned: always
    arn:
      description: The entry's ARN (or account).
      type: str
      returned: always
    message:
      description: What is wrong and what to do.
      type: str
      returned: always
bound_groups:
  description:
    - Every group named as a subject of a RoleBinding or ClusterRoleBinding, sorted. A mapped group
      outside this list (and not C(system:*)) grants nothing.
  returned: when O(check_bindings=true)
  type: list
  elements: str
  sample: [eks-console-dashboard-full-access-group]
authentication_mode:
  description:
    - The cluster's EKS authentication mode, when O(cluster_name) is given and AWS can be asked. In C(API) mode EKS
      ignores aws-auth (a warning says so); in C(API_AND_CONFIG_MAP) an access entry wins over a mapping of the
      same ARN.
  returned: when known
  type: str
  sample: API_AND_CONFIG_MAP
parse_error:
  description:
    - Why the ConfigMap cannot be read exactly as the authenticator reads it, naming the section and line.
    - Starts with C(the authenticator cannot read section) when the authenticator itself rejects it (nobody
      mapped in that section can log in), or with C(this collection cannot safely edit section) when the
      section uses YAML outside what this collection reads exactly (then no mappings or findings are reported).
  returned: when a section cannot be read exactly
  type: str
"""

from ansible_collections.eks.access.plugins.module_utils.module import main as module_main
from ansible_collections.eks.access.plugins.module_utils.runners import aws_auth_info as runner


def main():
    module_main(runner, dict(
        check_bindings=dict(type="bool", default=True),
        check_iam=dict(type="bool", default=False),
    ))


if __name__ == "__main__":
    main()
