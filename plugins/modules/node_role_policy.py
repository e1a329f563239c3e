#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: node_role_policy
short_description: Detach (or attach back) exactly one managed policy from a cluster's node IAM roles
version_added: 1.0.0
description:
  - The last step of the EKS user guide's VPC CNI to IRSA procedure - C(aws iam detach-role-policy) of the CNI policy
    from the node role - for every node role of a cluster, and its undo.
  - Node roles are discovered from the cluster's managed node groups (C(nodeRole)), from the node mappings
    (group C(system:nodes)) of the C(aws-auth) ConfigMap, and from O(node_roles); each role is handled once.
  - Only O(policy_arn) is ever attached or detached; no other policy or role property is touched.
  - Roles listed in O(exceptions) still need the policy and are skipped with a warning. Roles that do not exist are
    skipped with a warning.
  - Detaching is refused unless, at the moment of detaching, every aws-node pod carries the IRSA credentials of
    O(irsa_role_arn) (the role the migration set; by default the one in the C(kube-system/aws-node) service account's
    annotation) as the EKS pod identity webhook injects them - C(AWS_ROLE_ARN), C(AWS_WEB_IDENTITY_TOKEN_FILE) and a
    projected service-account token with audience C(sts.amazonaws.com) mounted at that file - and no DaemonSet node is
    left unchecked. The refusal names the pods. Without the policy on the node role, aws-node would lose its AWS
    permissions and new nodes their pod networking.
  - With O(credential_method=pod_identity) the check at the moment of detaching is for EKS Pod Identity instead
    (see M(eks.access.aws_node_irsa_info)) - every aws-node pod carries C(AWS_CONTAINER_CREDENTIALS_FULL_URI) and
    C(AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE) on a projected token of audience C(pods.eks.amazonaws.com), and the
    service account's Pod Identity association exists with O(irsa_role_arn) (when given).
  - Detaching is also refused when a node group of another cluster of the same region uses the node role (every
    cluster of the region is checked; other regions are not), unless those clusters are listed in
    O(other_clusters_migrated).
  - Node roles given as ARNs keep their account - a role of another account than the caller's is skipped with a
    warning, never mistaken for the same-named role of the caller's account.
  - O(force=true) turns both refusals into warnings.
  - With O(lease_holder), the run must hold the C(kube-system/eks-access-vpc-cni) Lease (see
    M(eks.access.vpc_cni_lease)); it is renewed right before acting, and a run that lost it changes nothing.
author:
  - eks.access developers (@eks-access)
options:
  cluster_name:
    description: Name of the EKS cluster (for node group discovery and, with V(eks_token), the Kubernetes connection).
    type: str
  policy_arn:
    description: ARN of the one managed policy to detach or attach.
    type: str
    required: true
  state:
    description: V(absent) detaches the policy from every node role that has it; V(present) attaches it where missing.
    type: str
    choices: [present, absent]
    default: absent
  discover:
    description:
      - Where to find node roles besides O(node_roles). V(nodegroups) needs O(cluster_name); V(aws_auth) reads the
        C(aws-auth) ConfigMap through the Kubernetes connection options.
    type: list
    elements: str
    choices: [nodegroups, aws_auth]
    default: [nodegroups, aws_auth]
  node_roles:
    description: More node roles, by name or ARN.
    type: list
    elements: str
  exceptions:
    description: Node roles (names or ARNs) that still need the policy; they are left as they are.
    type: list
    elements: str
  force:
    description:
      - Detach although aws-node does not carry IRSA credentials, or although other clusters' node groups use the role.
        Only for a cluster whose CNI gets its credentials another way (for example EKS Pod Identity).
    type: bool
    default: false
  irsa_role_arn:
    description:
      - The role every aws-node pod must carry before the policy may be detached. Defaults to the
        C(eks.amazonaws.com/role-arn) annotation of the C(kube-system/aws-node) service account.
    type: str
  credential_method:
    description:
      - How aws-node gets the CNI role, which decides what the check before detaching looks for. V(irsa) the web
        identity variables, V(pod_identity) the EKS Pod Identity ones and the association (needs O(cluster_name)).
    type: str
    choices: [irsa, pod_identity]
    default: irsa
  other_clusters_migrated:
    description:
      - Clusters sharing a node role with this one whose aws-node was migrated (and verified) too, so that the role may
        lose the policy for them as well.
    type: list
    elements: str
    default: []
  lease_holder:
    description: The holder identity of the run's C(kube-system/eks-access-vpc-cni) Lease, renewed before acting.
    type: str
  lease_duration:
    description: Seconds the renewed Lease lasts.
    type: int
    default: 120
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
    description: Reports what would be detached or attached; changes nothing.
  diff_mode:
    support: full
    description: Shows each node role's attached policies before and after.
"""

EXAMPLES = r"""
- name: Detach the IPv4 CNI policy from every node role of the cluster, once aws-node runs on its own role
  eks.access.node_role_policy:
    cluster_name: prod-eu
    policy_arn: arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy
    irsa_role_arn: arn:aws:iam::111122223333:role/AmazonEKSVPCCNIRole
    node_roles: [legacy-self-managed-nodes]
    exceptions: [windows-nodes-role]

- name: Undo
  eks.access.node_role_policy:
    cluster_name: prod-eu
    policy_arn: arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy
    state: present
"""

RETURN = r"""
policy_arn:
  description: The policy handled.
  returned: always
  type: str
roles:
  description:
    - One entry per node role, with role_name and sources (nodegroup and aws-auth and explicit) and action
      (detach and attach and none and skip) and reason and the attached policies before and after.
  returned: always
  type: list
  elements: dict
detached:
  description: Roles the policy was (in check mode would be) detached from.
  returned: always
  type: list
  elements: str
attached:
  description: Roles the policy was (in check mode would be) attached to.
  returned: always
  type: list
  elements: str
skipped:
  description: Roles skipped (declared exceptions, missing roles, roles of another account).
  returned: always
  type: list
  elements: str
verified:
  description:
    - When detaching, the check of the aws-node pods made right before it (ok and checked and role_arn and
      failure_lines).
  returned: always
  type: dict
would_refuse:
  description: In check mode, why a real run would refuse (null when it would not).
  returned: always
  type: str
"""

from ansible_collections.eks.access.plugins.module_utils import module
from ansible_collections.eks.access.plugins.module_utils.runners import node_role_policy as runner


def main():
    argument_spec = dict(
        cluster_name=dict(type="str"),
        policy_arn=dict(type="str", required=True),
        state=dict(type="str", default="absent", choices=["present", "absent"]),
        discover=dict(type="list", elements="str", default=["nodegroups", "aws_auth"],
                      choices=["nodegroups", "aws_auth"]),
        node_roles=dict(type="list", elements="str"),
        exceptions=dict(type="list", elements="str"),
        force=dict(type="bool", default=False),
        irsa_role_arn=dict(type="str"),
        credential_method=dict(type="str", default="irsa", choices=["irsa", "pod_identity"]),
        other_clusters_migrated=dict(type="list", elements="str", default=[]),
        lease_holder=dict(type="str"),
        lease_duration=dict(type="int", default=120),
    )
    module.main(runner, argument_spec)


if __name__ == "__main__":
    main()
