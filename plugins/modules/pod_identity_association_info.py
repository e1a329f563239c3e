#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: pod_identity_association_info
short_description: Read a cluster's EKS Pod Identity associations, every field EKS describes
version_added: 1.0.0
description:
  - Lists the EKS Pod Identity associations of one cluster (optionally of one namespace or one service account) and
    describes each, returning every field C(DescribePodIdentityAssociation) returns, the session policy as a dict.
  - Also says whether pods of the cluster get Pod Identity credentials at all, that is whether the
    C(eks-pod-identity-agent) add-on is installed or the cluster is in EKS Auto Mode.
author:
  - eks.access developers (@eks-access)
options:
  cluster_name:
    description: Name of the EKS cluster.
    type: str
    required: true
  namespace:
    description: Only the associations of this namespace.
    type: str
  service_account:
    description: Only the association of this service account (needs O(namespace)).
    type: str
  concurrency:
    description: How many C(DescribePodIdentityAssociation) calls run at the same time.
    type: int
    default: 10
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - eks.access.action_groups.aws
attributes:
  check_mode:
    support: full
    description: Reads only.
  diff_mode:
    support: none
    description: Nothing changes, so there is no diff.
notes:
  - Needs C(eks:DescribeCluster), C(eks:ListAddons), C(eks:ListPodIdentityAssociations) and
    C(eks:DescribePodIdentityAssociation).
seealso:
  - module: eks.access.pod_identity_association
  - module: eks.access.eks_addon
"""

EXAMPLES = r"""
- name: The session policy and external ID of one association
  eks.access.pod_identity_association_info:
    cluster_name: prod
    namespace: reports
    service_account: reader
  register: reader

- name: Show its session policy
  ansible.builtin.debug:
    var: reader.associations[0].policy
"""

RETURN = r"""
agent:
  description: Whether pods of the cluster get Pod Identity credentials.
  returned: success
  type: dict
  contains:
    addon_installed:
      description: The C(eks-pod-identity-agent) add-on is installed.
      type: bool
    auto_mode:
      description: The cluster is in EKS Auto Mode (C(computeConfig.enabled)), whose nodes run the agent.
      type: bool
    available:
      description: Either of the two.
      type: bool
associations:
  description: The associations, sorted by namespace and service account.
  returned: success
  type: list
  elements: dict
  contains:
    cluster_name:
      description: Name of the cluster.
      type: str
    namespace:
      description: Namespace of the service account.
      type: str
    service_account:
      description: Name of the service account.
      type: str
    role_arn:
      description: The role EKS Pod Identity assumes for the pods.
      type: str
    association_arn:
      description: ARN of the association.
      type: str
    association_id:
      description: ID of the association.
      type: str
    tags:
      description: Tags of the association.
      type: dict
    created_at:
      description: When the association was created (ISO 8601).
      type: str
    modified_at:
      description: When it was last changed (ISO 8601).
      type: str
    owner_arn:
      description: ARN of the add-on that owns the association, or null.
      type: str
    disable_session_tags:
      description: Whether EKS Pod Identity leaves out its session tags.
      type: bool
    target_role_arn:
      description: The role assumed with the credentials of C(role_arn), or null.
      type: str
    external_id:
      description: The external ID EKS uses when it assumes the target role, or null.
      type: str
    policy:
      description: The inline session policy, as a dict, or null.
      type: dict
    workload_identity_config:
      description: The workload identity configuration (C(workloadIdentityConfig) as EKS returns it), or null.
      type: dict
  sample:
    - cluster_name: prod
      namespace: reports
      service_account: reader
      role_arn: arn:aws:iam::111122223333:role/shared-s3
      association_arn: arn:aws:eks:us-west-2:111122223333:podidentityassociation/prod/a-9njjin9gfghecgoda
      association_id: a-9njjin9gfghecgoda
      tags: {}
      created_at: "2026-12-05T08:30:00+00:00"
      modified_at: "2026-12-05T08:30:00+00:00"
      owner_arn: null
      disable_session_tags: true
      target_role_arn: null
      external_id: null
      policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: s3:GetObject, Resource: "*"}]}
      workload_identity_config: null
"""

from ansible_collections.eks.access.plugins.module_utils import module
from ansible_collections.eks.access.plugins.module_utils.runners import pod_identity_association_info as runner


def main():
    argument_spec = dict(
        cluster_name=dict(type="str", required=True),
        namespace=dict(type="str"),
        service_account=dict(type="str"),
        concurrency=dict(type="int", default=10),
    )
    module.main(runner, argument_spec, kubernetes=False)


if __name__ == "__main__":
    main()
