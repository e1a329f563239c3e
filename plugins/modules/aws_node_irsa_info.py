#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_node_irsa_info
short_description: Verify that every aws-node pod carries the credentials (IRSA or EKS Pod Identity) of the CNI role
version_added: 1.0.0
description:
  - Step "verify" of the EKS user guide's VPC CNI to IRSA procedure, for every pod rather than one
    (C(kubectl describe pod ... | grep AWS_ROLE_ARN)).
  - Reads the DaemonSet (by default C(kube-system/aws-node)), its service account and its pods, and checks each
    container the pod identity webhook mutates (init and regular containers, except those in the pod's
    C(eks.amazonaws.com/skip-containers) annotation) for C(AWS_ROLE_ARN) equal to the expected role, for
    C(AWS_WEB_IDENTITY_TOKEN_FILE), and for the projected service-account token (audience C(sts.amazonaws.com), or
    the service account's C(eks.amazonaws.com/audience)) mounted at that file, as the pod identity webhook injects
    them. Variables set by hand in the pod template, without the token, are not credentials.
  - Fewer live pods than the DaemonSet's C(desiredNumberScheduled) is a failure too (a node was not verified).
    Pods being deleted are listed in RV(terminating) and not checked.
  - With O(expect_irsa=false) (after a rollback) the variables must be absent instead.
  - With O(credential_method=pod_identity) the pods must carry EKS Pod Identity credentials instead, that is
    C(AWS_CONTAINER_CREDENTIALS_FULL_URI) and C(AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE) on a projected token of
    audience C(pods.eks.amazonaws.com), and no web identity variables (the AWS SDKs would prefer them). The role is
    then the service account's Pod Identity association's, read from EKS (O(cluster_name) is required); a missing
    association, or one with another role than O(role_arn), is a failure. With O(expect_irsa=false) the Pod
    Identity variables and the association must be gone.
  - Reports only; RV(ok) and RV(failure_lines) say what is wrong. It never fails because of what it finds.
author:
  - eks.access developers (@eks-access)
options:
  namespace:
    description: Namespace of the DaemonSet.
    type: str
    default: kube-system
  daemonset:
    description: Name of the DaemonSet.
    type: str
    default: aws-node
  role_arn:
    description:
      - The role ARN the pods must carry. Defaults to the service account's C(eks.amazonaws.com/role-arn) annotation.
    type: str
  expect_irsa:
    description: V(true) checks that the variables are present; V(false) that they are gone.
    type: bool
    default: true
  credential_method:
    description:
      - Which credentials the pods must carry (or, with O(expect_irsa=false), no longer carry). V(irsa) the web
        identity variables, V(pod_identity) the EKS Pod Identity ones.
    type: str
    choices: [irsa, pod_identity]
    default: irsa
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
- name: Check the aws-node pods
  eks.access.aws_node_irsa_info:
    cluster_name: prod-eu
    role_arn: arn:aws:iam::111122223333:role/AmazonEKSVPCCNIRole
  register: verify

- name: Check the aws-node pods of a cluster whose CNI uses EKS Pod Identity
  eks.access.aws_node_irsa_info:
    cluster_name: prod-eu
    credential_method: pod_identity
    role_arn: arn:aws:iam::111122223333:role/AmazonEKSVPCCNIRole
  register: verify

- name: Stop here unless every pod carries the role
  ansible.builtin.assert:
    that: verify.ok
    fail_msg: "{{ verify.failure_lines }}"
"""

RETURN = r"""
ok:
  description: Whether every live pod passed and no node was left unchecked.
  returned: always
  type: bool
role_arn:
  description: The role ARN that was expected.
  returned: always
  type: str
expect_irsa:
  description: The O(expect_irsa) that was checked.
  returned: always
  type: bool
credential_method:
  description: The O(credential_method) that was checked.
  returned: always
  type: str
pod_identity_association:
  description:
    - With O(credential_method=pod_identity), the service account's association as EKS has it (association_id and
      role_arn and owner_arn, the add-on owning it or null), null when there is none.
  returned: always
  type: dict
service_account:
  description: The DaemonSet's service account (namespace and name and exists and annotations).
  returned: always
  type: dict
desired:
  description: The DaemonSet's C(desiredNumberScheduled).
  returned: always
  type: int
checked:
  description: How many live pods were checked.
  returned: always
  type: int
pods:
  description:
    - Every live pod with its node and phase and its checked containers (name and kind and role_arn and token_file and
      credentials_uri and authorization_token_file and problems).
  returned: always
  type: list
  elements: dict
terminating:
  description: Pods being deleted, not checked.
  returned: always
  type: list
  elements: str
failures:
  description: One entry per problem (pod and container and problem).
  returned: always
  type: list
  elements: dict
failure_lines:
  description: The failures as text, one line each.
  returned: always
  type: list
  elements: str
  sample: ["aws-node-x2x9v/aws-node: AWS_ROLE_ARN is not set"]
"""

from ansible_collections.eks.access.plugins.module_utils import module
from ansible_collections.eks.access.plugins.module_utils.runners import aws_node_irsa_info as runner


def main():
    argument_spec = dict(
        namespace=dict(type="str", default="kube-system"),
        daemonset=dict(type="str", default="aws-node"),
        role_arn=dict(type="str"),
        expect_irsa=dict(type="bool", default=True),
        credential_method=dict(type="str", default="irsa", choices=["irsa", "pod_identity"]),
    )
    module.main(runner, argument_spec)


if __name__ == "__main__":
    main()
