#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: node_role_policy
short_description: Detach (or attach back) exactly one managed policy from a cluster's node IAM roles
version_added: 0.1.0
description:
  - The last step of the EKS user guide's VPC CNI to IRSA procedure - C(aws iam detach-role-policy) of the CNI policy
    from the node role - for every node role of a cluster, and its undo.
  - Node roles are discovered from the cluster's managed node groups (C(nodeRole)), from the node mappings
    (group C(system:nodes)) of the C(aws-auth) ConfigMap, and from O(node_roles); each role is handled once.
  - Only O(policy_arn) is ever attached or detached; no other policy or role property is touched.
  - Roles listed in O(exceptions) still need the policy and are skipped with a warning. Roles that do not exist are
    skipped with a warning.
  - This module does not check that the CNI no longer needs the node role; the C(eks.access.vpc_cni_irsa) role runs it
    only after every aws-node pod was verified to use its own role.
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
- name: Detach the IPv4 CNI policy from every node role of the cluster
  eks.access.node_role_policy:
    cluster_name: prod-eu
    policy_arn: arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy
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
  description: Roles skipped (declared exceptions or missing roles).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.eks.access.plugins.module_utils import aws_auth
from ansible_collections.eks.access.plugins.module_utils import connection
from ansible_collections.eks.access.plugins.module_utils import eks
from ansible_collections.eks.access.plugins.module_utils import vpc_cni_runner
from ansible_collections.eks.access.plugins.module_utils.cni import CniError
from ansible_collections.eks.access.plugins.module_utils.common import AnsibleEKSAccessModule

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule


def main():
    argument_spec = dict(connection.K8S_CONNECTION_ARG_SPEC)
    argument_spec.update(
        cluster_name=dict(type="str"),
        policy_arn=dict(type="str", required=True),
        state=dict(type="str", default="absent", choices=["present", "absent"]),
        discover=dict(type="list", elements="str", default=["nodegroups", "aws_auth"],
                      choices=["nodegroups", "aws_auth"]),
        node_roles=dict(type="list", elements="str"),
        exceptions=dict(type="list", elements="str"),
    )
    module = AnsibleEKSAccessModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        result = vpc_cni_runner.run_node_role_policy(module)
    except (vpc_cni_runner.CniRefused, eks.ClusterNotFound) as e:
        module.fail_json(msg=str(e))
    except (CniError, aws_auth.AwsAuthError) as e:
        module.fail_json(msg="invalid input: %s" % e)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="IAM/EKS call failed")
    except connection.KubernetesConnectionError as e:
        module.fail_json(msg="cannot reach the Kubernetes API to read aws-auth: %s" % e)
    except Exception as e:  # kubernetes ApiException and transport errors share no base class
        module.fail_json(msg="reading aws-auth failed: %s" % e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
