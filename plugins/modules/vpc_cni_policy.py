#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpc_cni_policy
short_description: The IAM policy the Amazon VPC CNI plugin needs for a cluster's IP family
version_added: 1.0.0
description:
  - Reads the cluster's IP family from EKS (C(kubernetesNetworkConfig.ipFamily)) and returns the policy that the
    C(aws-node) role needs, following the EKS user guide "configure the Amazon VPC CNI plugin to use IAM roles for
    service accounts".
  - For C(ipv4) that is the AWS managed C(AmazonEKS_CNI_Policy); nothing is created.
  - For C(ipv6) it is a customer managed policy with the guide's C(vpc-cni-ipv6-policy.json) document. It is created
    when missing (O(create=true)). An existing policy of that name is used as it is, even when its document differs
    from the guide's (a warning says so); the module never rewrites it.
author:
  - eks.access developers (@eks-access)
options:
  cluster_name:
    description:
      - Name of the EKS cluster whose IP family decides the policy. Required unless O(ip_family) is given.
    type: str
  ip_family:
    description:
      - The IP family, instead of reading it from EKS.
    type: str
    choices: [ipv4, ipv6]
  ipv6_policy_name:
    description: Name of the customer managed IPv6 policy.
    type: str
    default: AmazonEKS_CNI_IPv6_Policy
  ipv6_policy_path:
    description: IAM path of the IPv6 policy.
    type: str
    default: /
  create:
    description:
      - Create the IPv6 policy when it does not exist. With V(false) a missing policy fails the task.
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - eks.access.action_groups.aws
attributes:
  check_mode:
    support: full
    description: Reports the policy that would be created and creates nothing.
  diff_mode:
    support: full
    description: For IPv6, shows the policy document before and after.
"""

EXAMPLES = r"""
- name: Which policy does aws-node need on this cluster (creating the IPv6 one if needed)?
  eks.access.vpc_cni_policy:
    cluster_name: prod-eu
  register: cni_policy

- name: IPv6 policy under a company naming scheme
  eks.access.vpc_cni_policy:
    cluster_name: prod-v6
    ipv6_policy_name: corp-eks-cni-ipv6
"""

RETURN = r"""
ip_family:
  description: The cluster's IP family.
  returned: always
  type: str
  sample: ipv4
policy_arn:
  description: ARN of the policy the CNI role needs.
  returned: always
  type: str
  sample: arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy
policy_name:
  description: Name of that policy.
  returned: always
  type: str
aws_managed:
  description: Whether it is an AWS managed policy (IPv4).
  returned: always
  type: bool
created:
  description: The ARN of the IPv6 policy when it was (in check mode would be) created; empty otherwise.
  returned: always
  type: list
  elements: str
matches_guide:
  description: For IPv6, whether the policy's document is the guide's; null for IPv4.
  returned: always
  type: bool
policy_document:
  description: The guide's IPv6 policy document.
  returned: for IPv6
  type: dict
"""

from ansible_collections.eks.access.plugins.module_utils import module
from ansible_collections.eks.access.plugins.module_utils.runners import vpc_cni_policy as runner


def main():
    argument_spec = dict(
        cluster_name=dict(type="str"),
        ip_family=dict(type="str", choices=["ipv4", "ipv6"]),
        ipv6_policy_name=dict(type="str", default="AmazonEKS_CNI_IPv6_Policy"),
        ipv6_policy_path=dict(type="str", default="/"),
        create=dict(type="bool", default=True),
    )
    module.main(runner, argument_spec, kubernetes=False,
                required_one_of=[("cluster_name", "ip_family")])


if __name__ == "__main__":
    main()
