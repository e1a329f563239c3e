#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpc_cni_addon
short_description: Read or set the IAM role of the vpc-cni EKS managed add-on
version_added: 0.1.0
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
  state:
    description:
      - V(present) sets O(service_account_role_arn) (or only reports when it is not given); V(absent) removes the
        add-on's role so that C(aws-node) falls back to the node role.
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
    description: Shows the add-on's C(serviceAccountRoleArn) before and after.
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

from ansible_collections.eks.access.plugins.module_utils import vpc_cni_runner
from ansible_collections.eks.access.plugins.module_utils.common import AnsibleEKSAccessModule
from ansible_collections.eks.access.plugins.module_utils.module import options_from
from ansible_collections.eks.access.plugins.module_utils.module import run_module


def main():
    argument_spec = dict(
        cluster_name=dict(type="str", required=True),
        service_account_role_arn=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        resolve_conflicts=dict(type="str", default="PRESERVE", choices=["NONE", "OVERWRITE", "PRESERVE"]),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
    )
    module = AnsibleEKSAccessModule(argument_spec=argument_spec, supports_check_mode=True)
    options = options_from(vpc_cni_runner.AddonOptions, module.params)
    run_module(module, vpc_cni_runner.run_addon, options)


if __name__ == "__main__":
    main()
