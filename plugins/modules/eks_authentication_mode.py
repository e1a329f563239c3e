#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: eks_authentication_mode
short_description: Move an EKS cluster's authentication mode towards access entries, without locking anyone out
version_added: 1.0.0
description:
  - Sets the cluster's C(accessConfig.authenticationMode) - C(CONFIG_MAP) (aws-auth only),
    C(API_AND_CONFIG_MAP) (access entries, then aws-auth) or C(API) (access entries only) - and waits until EKS
    reports the update C(Successful).
  - EKS moves the mode one step at a time and never back; C(CONFIG_MAP) to C(API) is made as two updates, and a
    downgrade is refused with EKS's reason, before any request.
  - "Lockout guard: in C(API) mode aws-auth is ignored, so the module refuses to go there unless the identity it
    runs as, and every ARN in O(protect), has an access entry with C(AmazonEKSClusterAdminPolicy) at cluster
    scope (an assumed-role session counts through its role's entry). O(allow_self_lockout=true) skips the guard."
  - "Node guard: nodes join through their IAM role, and in C(API) mode only an access entry of a node type
    (C(EC2_LINUX), C(EC2_WINDOWS), C(FARGATE_LINUX), C(HYBRID_LINUX), C(EC2)) lets them in; EKS refuses C(system:)
    groups in a C(STANDARD) entry, so nothing else is equivalent. The module reads aws-auth through the cluster's
    Kubernetes API (its mappings with C(system:nodes) or a C(system:node:) username, such as
    C(system:node:{{EC2PrivateDNSName}}) with C(system:bootstrappers) and C(system:nodes)), and the node roles of the
    managed node groups and Fargate profiles, and refuses to go to C(API), naming them, while any has no such entry.
    O(allow_node_lockout=true) skips this guard. When aws-auth cannot be read the switch is refused too."
  - A C(CONFIG_MAP) cluster has no access entries yet (EKS creates the creator's admin entry when the cluster leaves
    C(CONFIG_MAP)), so from there the guards run after the first step, and a refusal leaves the cluster in
    C(API_AND_CONFIG_MAP), where aws-auth still counts. In check mode they cannot run yet and a warning says so.
author:
  - eks.access developers (@eks-access)
options:
  cluster_name:
    description: Name of the EKS cluster.
    type: str
    required: true
  mode:
    description: The authentication mode wanted.
    type: str
    required: true
    choices: [CONFIG_MAP, API_AND_CONFIG_MAP, API]
  protect:
    description:
      - IAM role or user ARNs that must stay cluster admin through an access entry when the mode becomes C(API),
        besides the caller, for example the break-glass role.
    type: list
    elements: str
    default: []
  allow_self_lockout:
    description: Switch to C(API) even when the caller or an O(protect) ARN would lose cluster admin.
    type: bool
    default: false
  allow_node_lockout:
    description:
      - Switch to C(API) even when a node role (mapped in aws-auth, or of a managed node group or Fargate profile) has
        no node access entry, so that its nodes lose the cluster. Also skips reading aws-auth.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for each update to finish.
    type: int
    default: 1200
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
    description: Checks the guards and reports the steps; starts no update.
  diff_mode:
    support: full
    description: Shows the mode before and after.
seealso:
  - module: eks.access.eks_access_entry
"""

EXAMPLES = r"""
- name: Let access entries in, keeping aws-auth working
  eks.access.eks_authentication_mode:
    cluster_name: prod-eu
    mode: API_AND_CONFIG_MAP

- name: Access entries only, once the admins and the break-glass role have their entries
  eks.access.eks_authentication_mode:
    cluster_name: prod-eu
    mode: API
    protect:
      - arn:aws:iam::111122223333:role/break-glass
"""

RETURN = r"""
previous_mode:
  description: The mode before the task.
  returned: always
  type: str
  sample: CONFIG_MAP
authentication_mode:
  description: The mode after the task (the wanted one, in check mode).
  returned: always
  type: str
  sample: API
steps:
  description: The modes the cluster went through, one EKS update each.
  returned: always
  type: list
  elements: str
  sample: [API_AND_CONFIG_MAP, API]
update_ids:
  description: The EKS update IDs, one per step (none in check mode).
  returned: always
  type: list
  elements: str
protected_arns:
  description: The principals the lockout guard checked.
  returned: always
  type: list
  elements: str
node_roles:
  description: The node roles the node guard checked (aws-auth node mappings, managed node groups, Fargate profiles).
  returned: when the node guard ran
  type: list
  elements: str
"""

from ansible_collections.eks.access.plugins.module_utils.module import main as module_main
from ansible_collections.eks.access.plugins.module_utils.runners import eks_authentication_mode as runner
from ansible_collections.eks.access.plugins.module_utils.model import access_entry as model


MODE_ARG_SPEC = dict(
    cluster_name=dict(type="str", required=True),
    mode=dict(type="str", required=True, choices=list(model.AUTHENTICATION_MODES)),
    protect=dict(type="list", elements="str", default=[]),
    allow_self_lockout=dict(type="bool", default=False),
    allow_node_lockout=dict(type="bool", default=False),
    wait_timeout=dict(type="int", default=1200),
)


def main():
    module_main(runner, MODE_ARG_SPEC)


if __name__ == "__main__":
    main()
