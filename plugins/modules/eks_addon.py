#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: eks_addon
short_description: Install, update and remove an EKS add-on, with the IAM role of its service accounts
version_added: 1.0.0
description:
  - Installs, updates and removes one EKS managed add-on (for example C(eks-pod-identity-agent), C(vpc-cni),
    C(aws-ebs-csi-driver), C(aws-efs-csi-driver), C(coredns)) and waits until EKS has applied the change.
  - The version is an explicit one, or V(latest) or V(default) for the cluster's Kubernetes version, as
    C(DescribeAddonVersions) lists them. Left out, a new add-on gets EKS's default version and an installed one keeps
    its version. EKS does not downgrade add-ons; asking for an older version than the installed one is refused.
  - Configuration values are compared as data, so JSON and YAML texts (or a dict) that mean the same settings are
    the same configuration.
  - The add-on's AWS credentials come either from EKS Pod Identity (O(pod_identity_associations), one IAM role per
    service account of the add-on) or from IRSA (O(service_account_role_arn)).
  - C(UpdateAddon) replaces the add-on's whole list of Pod Identity associations, and its service account role too.
    The module therefore sends, on every update, the associations and the role the add-on keeps. Associations of
    the add-on not listed in O(pod_identity_associations) are kept unless O(purge=true).
  - A Pod Identity association is refused, before anything is written, when C(DescribeAddonConfiguration) lists no
    C(podIdentityConfiguration) for that service account in the add-on's version, when the cluster has no Pod
    Identity agent (neither the C(eks-pod-identity-agent) add-on nor EKS Auto Mode, unless O(require_agent=false)),
    when the service account already has an association of its own, or when the role does not exist or does not
    trust C(pods.eks.amazonaws.com) (see O(manage_trust)).
author:
  - eks.access developers (@eks-access)
options:
  cluster_name:
    description: Name of the EKS cluster.
    type: str
    required: true
  name:
    description: Name of the add-on, as C(DescribeAddonVersions) lists it (for example C(eks-pod-identity-agent)).
    type: str
    required: true
  state:
    description:
      - V(present) installs or updates the add-on; V(absent) deletes it with the Pod Identity associations it owns.
    type: str
    choices: [present, absent]
    default: present
  version:
    description:
      - The add-on version (for example C(v1.3.8-eksbuild.2)), or V(latest) (the newest for the cluster's Kubernetes
        version) or V(default) (the one EKS installs by default on that Kubernetes version).
      - Left out, a new add-on gets the default version and an installed add-on keeps its version.
    type: str
  configuration_values:
    description:
      - The add-on's configuration values, as a dict or as JSON or YAML text, validated by EKS against the schema
        of C(DescribeAddonConfiguration). Compared as data with the installed ones.
      - Left out, the configuration is left as it is; V({}) resets it to the add-on's defaults.
    type: raw
  resolve_conflicts:
    description:
      - What EKS does with fields of the add-on's Kubernetes objects that were changed outside EKS
        (C(OVERWRITE), C(NONE), C(PRESERVE); C(PRESERVE) on update only). Sent with every create and update.
    type: str
    choices: [OVERWRITE, NONE, PRESERVE]
  service_account_role_arn:
    description:
      - IRSA. ARN of the IAM role for the add-on's service account (annotated by EKS). Left out, the current role is
        kept (and repeated on every update, since C(UpdateAddon) replaces it); V("") removes it, and the add-on falls
        back to the node role.
    type: str
  pod_identity_associations:
    description:
      - EKS Pod Identity. Service accounts of the add-on and the IAM role each gets. Left out, the add-on's
        associations are left as they are.
      - Each service account must be listed by the add-on version's C(podIdentityConfiguration).
    type: list
    elements: dict
    suboptions:
      service_account:
        description: Name of the add-on's service account (for example C(ebs-csi-controller-sa)).
        type: str
        required: true
      role_arn:
        description: ARN of the IAM role, in the cluster's account.
        type: str
        required: true
  purge:
    description:
      - Delete the add-on's associations whose service account is not in O(pod_identity_associations). With V(false)
        they are kept (repeated in C(UpdateAddon)).
      - With V(true) and an empty O(pod_identity_associations) list, every association of the add-on is deleted.
    type: bool
    default: false
  manage_trust:
    description:
      - Add the statement letting C(pods.eks.amazonaws.com) call C(sts:AssumeRole) and C(sts:TagSession) to the trust
        policy of each association role that lacks it. When V(false) such a role is refused before any write.
    type: bool
    default: false
  require_agent:
    description:
      - Refuse Pod Identity associations when the cluster has neither the C(eks-pod-identity-agent) add-on nor EKS
        Auto Mode (whose nodes run the agent). Set V(false) when the agent runs another way.
    type: bool
    default: true
  preserve:
    description: With O(state=absent), leave the add-on's software on the cluster (EKS stops managing it).
    type: bool
    default: false
  tags:
    description: Tags of a new add-on (an installed add-on's tags are left as they are).
    type: dict
  wait:
    description: Wait until EKS has created the add-on (C(ACTIVE)), applied the update (C(DescribeUpdate)) or deleted it.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait. A run that times out can be repeated; it converges.
    type: int
    default: 600
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - eks.access.action_groups.aws
attributes:
  check_mode:
    support: full
    description: Reads everything (versions, Pod Identity support, roles) and reports the change; writes nothing.
  diff_mode:
    support: full
    description: The add-on (version, configuration values, role, associations) before and after.
notes:
  - Needs C(eks:DescribeCluster), C(eks:DescribeAddon), C(eks:ListAddons), C(eks:DescribeAddonVersions),
    C(eks:DescribeAddonConfiguration), C(eks:CreateAddon), C(eks:UpdateAddon), C(eks:DeleteAddon),
    C(eks:DescribeUpdate), C(eks:ListPodIdentityAssociations), C(eks:DescribePodIdentityAssociation), C(iam:GetRole),
    C(iam:PassRole) on the roles, and C(iam:UpdateAssumeRolePolicy) with O(manage_trust=true).
  - Pods of the add-on get new credentials when they are created; EKS restarts them when it applies an update.
seealso:
  - module: eks.access.pod_identity_association
  - module: eks.access.irsa_service_account
  - module: eks.access.vpc_cni_addon
"""

EXAMPLES = r"""
- name: Install the EKS Pod Identity agent (the first step of EKS Pod Identity)
  eks.access.eks_addon:
    cluster_name: prod
    name: eks-pod-identity-agent
    version: latest

- name: The EBS CSI driver, its controller getting its role through EKS Pod Identity
  eks.access.eks_addon:
    cluster_name: prod
    name: aws-ebs-csi-driver
    version: default
    manage_trust: true
    pod_identity_associations:
      - service_account: ebs-csi-controller-sa
        role_arn: arn:aws:iam::111122223333:role/ebs-csi-controller
    configuration_values:
      controller:
        replicaCount: 2

- name: vpc-cni through IRSA, overwriting fields changed by hand
  eks.access.eks_addon:
    cluster_name: prod
    name: vpc-cni
    service_account_role_arn: arn:aws:iam::111122223333:role/vpc-cni
    resolve_conflicts: OVERWRITE

- name: Remove an add-on, leaving its software running
  eks.access.eks_addon:
    cluster_name: prod
    name: aws-efs-csi-driver
    state: absent
    preserve: true
"""

RETURN = r"""
addon:
  description: The add-on after the task (as it would be, in check mode); null once deleted.
  returned: success
  type: dict
  contains:
    name:
      description: Name of the add-on.
      type: str
    version:
      description: Version of the add-on.
      type: str
    status:
      description: EKS's status of the add-on (C(ACTIVE) ...).
      type: str
    arn:
      description: ARN of the add-on (null before it is created, in check mode).
      type: str
    configuration_values:
      description: The configuration values, as data.
      type: dict
    service_account_role_arn:
      description: The IRSA role of the add-on's service account, or null.
      type: str
    pod_identity_associations:
      description: The add-on's Pod Identity associations, by service account.
      type: list
      elements: dict
    tags:
      description: Tags of the add-on.
      type: dict
  sample:
    name: aws-ebs-csi-driver
    version: v1.52.1-eksbuild.1
    status: ACTIVE
    arn: arn:aws:eks:us-west-2:111122223333:addon/prod/aws-ebs-csi-driver/1ac3d2a7-0000-4a1b-9c2d-0123456789ab
    configuration_values: {controller: {replicaCount: 2}}
    service_account_role_arn: null
    pod_identity_associations:
      - {service_account: ebs-csi-controller-sa, role_arn: "arn:aws:iam::111122223333:role/ebs-csi-controller"}
    tags: {}
action:
  description: What the task did (or would do) to the add-on.
  returned: success
  type: str
  choices: [create, update, delete, none]
changes:
  description: The parts of the add-on that changed (C(version), C(configuration_values), C(service_account_role_arn),
    C(pod_identity_associations)), or C(created) / C(deleted).
  returned: success
  type: list
  elements: str
update:
  description: The add-on update EKS ran (C(id), C(status)), after an update.
  returned: success
  type: dict
trust_updated:
  description: ARNs of the roles whose trust policy got the Pod Identity statement (O(manage_trust=true)).
  returned: success
  type: list
  elements: str
"""

from ansible_collections.eks.access.plugins.module_utils import module
from ansible_collections.eks.access.plugins.module_utils.runners import eks_addon as runner


def main():
    association = dict(
        service_account=dict(type="str", required=True),
        role_arn=dict(type="str", required=True),
    )
    argument_spec = dict(
        cluster_name=dict(type="str", required=True),
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        version=dict(type="str"),
        configuration_values=dict(type="raw"),
        resolve_conflicts=dict(type="str", choices=["OVERWRITE", "NONE", "PRESERVE"]),
        service_account_role_arn=dict(type="str"),
        pod_identity_associations=dict(type="list", elements="dict", options=association),
        purge=dict(type="bool", default=False),
        manage_trust=dict(type="bool", default=False),
        require_agent=dict(type="bool", default=True),
        preserve=dict(type="bool", default=False),
        tags=dict(type="dict"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
    )
    module.main(runner, argument_spec, kubernetes=False)


if __name__ == "__main__":
    main()
