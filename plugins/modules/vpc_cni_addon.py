#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpc_cni_addon
short_description: Read or set the IAM role of the vpc-cni EKS managed add-on
version_added: 1.0.0
description:
  - When the Amazon VPC CNI plugin is installed as the EKS managed add-on C(vpc-cni), EKS's add-on manager owns the
    C(kube-system/aws-node) service account, so its IAM role is set through the add-on (C(serviceAccountRoleArn))
    rather than only by annotating the service account.
  - Without O(service_account_role_arn) and with O(state=present) the module only reports the add-on (or that the
    cluster has none).
  - With O(service_account_role_arn) it calls C(UpdateAddon) when the add-on uses another role (or the node role),
    and waits for the update to succeed.
  - With O(state=absent) the add-on goes back to the node role. C(UpdateAddon) replaces the role with what it is
    given and refuses an empty string, so this is an update without C(serviceAccountRoleArn). Every update repeats
    the add-on's current C(configurationValues) so they are kept.
  - A cluster without the add-on is not an error; RV(addon.exists) is V(false) and nothing changes.
  - With O(credential_method=pod_identity) the role reaches C(aws-node) through EKS Pod Identity instead, the add-on's
    C(podIdentityAssociations) get C(aws-node) with O(pod_identity_role_arn). Passing C(podIdentityAssociations) to
    C(UpdateAddon) replaces all of the add-on's associations, so the update repeats every other association of the
    add-on as it is. The task is refused, with nothing changed, when the C(eks-pod-identity-agent) add-on is not
    installed, when the add-on's version has no Pod Identity support (C(DescribeAddonConfiguration) lists no
    C(aws-node) in C(podIdentityConfiguration); vpc-cni supports it from v1.15.5-eksbuild.1), or when C(aws-node)
    already has a Pod Identity association that is not the add-on's. O(state=absent) removes C(aws-node)'s
    association from the add-on and keeps the others. Without O(pod_identity_role_arn) the module reports
    RV(pod_identity).
author:
  - eks.access developers (@eks-access)
options:
  cluster_name:
    description: Name of the EKS cluster.
    type: str
    required: true
  service_account_role_arn:
    description: ARN of the IAM role the add-on's service account should use.
    type: str
  credential_method:
    description:
      - How C(aws-node) gets the role. V(irsa) through the add-on's C(serviceAccountRoleArn) (IAM roles for service
        accounts), V(pod_identity) through the add-on's C(podIdentityAssociations) (EKS Pod Identity).
    type: str
    choices: [irsa, pod_identity]
    default: irsa
  pod_identity_role_arn:
    description:
      - With O(credential_method=pod_identity), ARN of the IAM role of C(aws-node)'s Pod Identity association. The
        role must trust C(pods.eks.amazonaws.com) (M(eks.access.irsa_service_account) with
        O(eks.access.irsa_service_account#module:credential_method=pod_identity) makes such a role).
    type: str
  state:
    description:
      - V(present) sets O(service_account_role_arn) or O(pod_identity_role_arn) (or only reports when neither is
        given); V(absent) removes the add-on's role (with O(credential_method=pod_identity), C(aws-node)'s
        association) so that C(aws-node) falls back to the node role.
    type: str
    choices: [present, absent]
    default: present
  resolve_conflicts:
    description:
      - How EKS resolves fields of the add-on's Kubernetes objects that were changed from its defaults.
        V(PRESERVE) keeps such changes (for example C(aws-node) environment variables set with kubectl).
    type: str
    choices: [NONE, OVERWRITE, PRESERVE]
    default: PRESERVE
  wait:
    description: Wait until EKS reports the add-on update C(Successful).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for the update.
    type: int
    default: 300
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - eks.access.action_groups.aws
attributes:
  check_mode:
    support: full
    description: Reports the update that would be made and makes none.
  diff_mode:
    support: full
    description: Shows the add-on's C(serviceAccountRoleArn) (or its C(podIdentityAssociations)) before and after.
"""

EXAMPLES = r"""
- name: Is vpc-cni a managed add-on here?
  eks.access.vpc_cni_addon:
    cluster_name: prod-eu
  register: vpc_cni

- name: Give the add-on the CNI role
  eks.access.vpc_cni_addon:
    cluster_name: prod-eu
    service_account_role_arn: arn:aws:iam::111122223333:role/AmazonEKSVPCCNIRole
  when: vpc_cni.addon.exists

- name: Back to the node role
  eks.access.vpc_cni_addon:
    cluster_name: prod-eu
    state: absent

- name: Give aws-node the CNI role through EKS Pod Identity (the add-on's other associations are kept)
  eks.access.vpc_cni_addon:
    cluster_name: prod-eu
    credential_method: pod_identity
    pod_identity_role_arn: arn:aws:iam::111122223333:role/AmazonEKSVPCCNIRole
"""

RETURN = r"""
addon:
  description: The add-on after the task.
  returned: always
  type: dict
  contains:
    exists: {description: Whether vpc-cni is an EKS managed add-on of the cluster., type: bool, returned: always}
    name: {description: Add-on name., type: str, returned: always, sample: vpc-cni}
    version: {description: Add-on version., type: str, returned: when it exists}
    status: {description: Add-on status., type: str, returned: when it exists, sample: ACTIVE}
    service_account_role_arn: {description: The add-on's role (null for the node role)., type: str, returned: when it exists}
    arn: {description: Add-on ARN., type: str, returned: when it exists}
    pod_identity_associations:
      description: The add-on's Pod Identity associations.
      type: list
      elements: dict
      returned: with O(credential_method=pod_identity), when the add-on exists
      contains:
        service_account: {description: Service account (namespace kube-system)., type: str, returned: always}
        role_arn: {description: Role of the association., type: str, returned: always}
pod_identity:
  description: What EKS Pod Identity needs, as found.
  returned: with O(credential_method=pod_identity)
  type: dict
  contains:
    agent_installed: {description: Whether the eks-pod-identity-agent add-on is installed., type: bool, returned: always}
    supported:
      description: Whether the add-on's version supports Pod Identity for C(aws-node) (C(podIdentityConfiguration)).
      type: bool
      returned: always
    service_accounts: {description: The service accounts C(podIdentityConfiguration) lists., type: list, elements: str, returned: always}
    association:
      description: C(aws-node)'s association (the add-on's or its own), null when there is none.
      type: dict
      returned: always
      contains:
        association_id: {description: Association ID., type: str, returned: always}
        role_arn: {description: Its role., type: str, returned: always}
        owner_arn: {description: The add-on that owns it (null when it is not an add-on's)., type: str, returned: always}
update:
  description: The add-on update made (null when none was made).
  returned: always
  type: dict
  contains:
    id: {description: Update ID., type: str, returned: always}
    status: {description: Its status when the task ended., type: str, returned: always, sample: Successful}
message:
  description: What was decided and why.
  returned: when a role was asked for
  type: str
"""

from ansible_collections.eks.access.plugins.module_utils import module
from ansible_collections.eks.access.plugins.module_utils.runners import vpc_cni_addon as runner


def main():
    argument_spec = dict(
        cluster_name=dict(type="str", required=True),
        service_account_role_arn=dict(type="str"),
        credential_method=dict(type="str", default="irsa", choices=["irsa", "pod_identity"]),
        pod_identity_role_arn=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        resolve_conflicts=dict(type="str", default="PRESERVE", choices=["NONE", "OVERWRITE", "PRESERVE"]),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
    )
    module.main(runner, argument_spec, kubernetes=False)


if __name__ == "__main__":
    main()
