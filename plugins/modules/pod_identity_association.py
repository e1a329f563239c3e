#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: pod_identity_association
short_description: Manage a cluster's EKS Pod Identity associations, in batches
version_added: 1.0.0
description:
  - Creates, updates and deletes EKS Pod Identity associations (service account to IAM role) of one cluster. One task
    handles a whole list of associations, up to EKS's limit of 1,000 per cluster.
  - An association is identified by its namespace and service account. EKS can change its role, target role and
    session tags in place; tags are updated with C(TagResource) and C(UntagResource).
  - Before anything is written, the module checks every listed role exists in the cluster's account and trusts
    C(pods.eks.amazonaws.com) with both C(sts:AssumeRole) and C(sts:TagSession). With O(manage_trust=true) it adds
    that statement to roles that lack it; otherwise it refuses and says so.
  - It also refuses when the cluster runs no Pod Identity agent, so that pods would not get credentials, that is
    neither the C(eks-pod-identity-agent) add-on (M(eks.access.eks_addon) installs it) nor EKS Auto Mode (C(computeConfig.enabled),
    whose nodes run the agent), unless O(require_agent=false).
  - Associations created by an add-on (C(podIdentityAssociations) of C(create-addon), with an C(ownerArn)) are left
    to that add-on; listing one of their service accounts is refused, and purges keep them. Manage them with
    M(eks.access.eks_addon) (its C(pod_identity_associations) option).
  - Every field EKS describes of an association (session policy, external ID, timestamps ...) is returned by
    M(eks.access.pod_identity_association_info).
  - Pods get Pod Identity credentials when they are created, so restart the workloads of new associations (see
    M(eks.access.daemonset_restart) and the C(docs/pod_identity.md) guide).
  - EKS Pod Identity works on Linux EC2 nodes only, not on Fargate or Windows nodes.
author:
  - eks.access developers (@eks-access)
options:
  cluster_name:
    description: Name of the EKS cluster.
    type: str
    required: true
  associations:
    description:
      - The associations to manage. With O(state=absent) only O(associations[].namespace) and
        O(associations[].service_account) are used.
    type: list
    elements: dict
    default: []
    suboptions:
      namespace:
        description: Kubernetes namespace of the service account.
        type: str
        required: true
      service_account:
        description: Name of the Kubernetes service account.
        type: str
        required: true
      role_arn:
        description:
          - ARN of the IAM role the pods of the service account get credentials for. Required with O(state=present).
          - The role must be in the cluster's account.
        type: str
      target_role_arn:
        description:
          - ARN of a role (for example in another account) that EKS assumes with the credentials of O(associations[].role_arn),
            giving the pods that role's credentials. Leave it out for none; removing it from the list removes it from
            the association.
        type: str
      disable_session_tags:
        description: Whether EKS Pod Identity leaves out the session tags (cluster, namespace, service account...) it
          adds when it assumes the role.
        type: bool
        default: false
      tags:
        description:
          - Tags of the association. Leave it out to leave the association's tags as they are.
        type: dict
      policy:
        description:
          - An inline session policy (a JSON policy document, as a dict or JSON text) that narrows what the pods may
            do with the role's permissions; the pods get the intersection of the role's policies and this one. One
            role can then serve many service accounts, each with its own narrower policy.
          - Compared as a policy document (statement and key order, C("x") versus C(["x"]) do not matter), not as
            text. At most 2,048 characters as compact JSON (the session policy limit of C(sts:AssumeRole)).
          - EKS requires O(associations[].disable_session_tags=true) with a policy.
          - Leave it out to leave the association's session policy as it is. EKS has no call that removes a session
            policy from an association; delete the association and create it again to drop one.
        type: raw
  state:
    description:
      - V(present) creates or updates the listed associations; V(absent) deletes them.
    type: str
    choices: [present, absent]
    default: present
  purge:
    description:
      - With O(state=present), also delete the associations that are not listed, within O(purge_scope).
      - Associations owned by an add-on are never deleted; they are returned in RV(kept_for_addons).
    type: bool
    default: false
  purge_scope:
    description:
      - Where O(purge=true) deletes unlisted associations.
      - V(namespace) deletes the associations of the listed namespaces that are not listed; V(cluster) deletes every
        association of the cluster that is not listed (an empty O(associations) list then deletes them all).
    type: str
    choices: [namespace, cluster]
    default: namespace
  purge_tags:
    description: Whether tags not in O(associations[].tags) are removed from an association whose tags are given.
    type: bool
    default: true
  manage_trust:
    description:
      - Add the statement letting C(pods.eks.amazonaws.com) call C(sts:AssumeRole) and C(sts:TagSession) to the trust
        policy of every listed role that lacks it. The role's other statements stay as they are.
      - When V(false), such a role makes the task fail before anything is written.
    type: bool
    default: false
  require_agent:
    description:
      - Refuse when the cluster has neither the C(eks-pod-identity-agent) add-on nor EKS Auto Mode. Set V(false) when
        the agent is installed another way (for example as a self-managed DaemonSet).
    type: bool
    default: true
  concurrency:
    description: How many association calls run at the same time.
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
    description: Reads everything and reports the changes it would make; writes nothing.
  diff_mode:
    support: full
    description: The associations (and trust policies) before and after, by C(namespace/service_account).
notes:
  - Needs C(eks:DescribeCluster), C(eks:ListAddons), C(eks:ListPodIdentityAssociations),
    C(eks:DescribePodIdentityAssociation), C(eks:CreatePodIdentityAssociation), C(eks:UpdatePodIdentityAssociation),
    C(eks:DeletePodIdentityAssociation), C(eks:TagResource), C(eks:UntagResource), C(iam:GetRole), C(iam:PassRole) on
    the roles, and C(iam:UpdateAssumeRolePolicy) with O(manage_trust=true).
  - A role for Pod Identity needs no OIDC provider and no per-cluster statement, so one role can serve many clusters;
    see C(docs/pod_identity.md) for when to prefer it to IRSA (M(eks.access.irsa_service_account)).
seealso:
  - module: eks.access.irsa_service_account
  - module: eks.access.daemonset_restart
"""

EXAMPLES = r"""
- name: The Pod Identity agent must run first (once per cluster; EKS Auto Mode clusters have it already)
  eks.access.eks_addon:
    cluster_name: prod
    name: eks-pod-identity-agent

- name: Give three service accounts their roles, adding the Pod Identity trust where it is missing
  eks.access.pod_identity_association:
    cluster_name: prod
    manage_trust: true
    associations:
      - namespace: payments
        service_account: api
        role_arn: arn:aws:iam::111122223333:role/payments-api
        tags:
          team: payments
      - namespace: payments
        service_account: worker
        role_arn: arn:aws:iam::111122223333:role/payments-worker
      - namespace: reports
        service_account: exporter
        role_arn: arn:aws:iam::111122223333:role/pod-identity-hop
        target_role_arn: arn:aws:iam::444455556666:role/reports-bucket-reader

- name: One shared role, narrowed per service account by a session policy
  eks.access.pod_identity_association:
    cluster_name: prod
    associations:
      - namespace: reports
        service_account: reader
        role_arn: arn:aws:iam::111122223333:role/shared-s3
        disable_session_tags: true
        policy:
          Version: "2012-10-17"
          Statement:
            - Effect: Allow
              Action: s3:GetObject
              Resource: arn:aws:s3:::reports-bucket/*

- name: Exactly these associations in namespace payments (others there are deleted)
  eks.access.pod_identity_association:
    cluster_name: prod
    purge: true
    purge_scope: namespace
    associations:
      - namespace: payments
        service_account: api
        role_arn: arn:aws:iam::111122223333:role/payments-api

- name: Remove one association
  eks.access.pod_identity_association:
    cluster_name: prod
    state: absent
    associations:
      - namespace: reports
        service_account: exporter
"""

RETURN = r"""
associations:
  description: The listed associations as they are after the task (as they would be, in check mode).
  returned: success
  type: list
  elements: dict
  sample:
    - namespace: payments
      service_account: api
      role_arn: arn:aws:iam::111122223333:role/payments-api
      target_role_arn: null
      disable_session_tags: false
      policy: null
      tags: {team: payments}
      association_id: a-9njjin9gfghecgoda
      association_arn: arn:aws:eks:us-west-2:111122223333:podidentityassociation/prod/a-9njjin9gfghecgoda
created:
  description: The associations created (C(namespace/service_account)).
  returned: success
  type: list
  elements: str
  sample: [payments/api]
updated:
  description: The associations whose role, target role, session tags or tags changed.
  returned: success
  type: list
  elements: str
deleted:
  description: The associations deleted (O(state=absent) or a purge).
  returned: success
  type: list
  elements: str
unchanged:
  description: The listed associations that were already as asked (or already absent).
  returned: success
  type: list
  elements: str
trust_updated:
  description: ARNs of the roles whose trust policy got the Pod Identity statement (O(manage_trust=true)).
  returned: success
  type: list
  elements: str
kept_for_addons:
  description: Associations a purge left alone because an add-on owns them.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: C(namespace/service_account).
      type: str
    owner_arn:
      description: ARN of the add-on that owns it.
      type: str
failed:
  description: When a batch stops half way, the changes that failed with their error; a re-run applies them.
  returned: failure
  type: list
  elements: dict
  contains:
    name:
      description: C(namespace/service_account).
      type: str
    action:
      description: C(create), C(update) or C(delete).
      type: str
    msg:
      description: The error, in one sentence.
      type: str
applied:
  description: When a batch stops half way, the changes that were applied.
  returned: failure
  type: list
  elements: dict
  contains:
    name:
      description: C(namespace/service_account).
      type: str
    action:
      description: C(create), C(update) or C(delete).
      type: str
"""

from ansible_collections.eks.access.plugins.module_utils import module
from ansible_collections.eks.access.plugins.module_utils.runners import pod_identity_association as runner


def main():
    association = dict(
        namespace=dict(type="str", required=True),
        service_account=dict(type="str", required=True),
        role_arn=dict(type="str"),
        target_role_arn=dict(type="str"),
        disable_session_tags=dict(type="bool", default=False),
        tags=dict(type="dict"),
        policy=dict(type="raw"),
    )
    argument_spec = dict(
        cluster_name=dict(type="str", required=True),
        associations=dict(type="list", elements="dict", options=association, default=[]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        purge=dict(type="bool", default=False),
        purge_scope=dict(type="str", choices=["namespace", "cluster"], default="namespace"),
        purge_tags=dict(type="bool", default=True),
        manage_trust=dict(type="bool", default=False),
        require_agent=dict(type="bool", default=True),
        concurrency=dict(type="int", default=10),
    )
    module.main(runner, argument_spec, kubernetes=False)


if __name__ == "__main__":
    main()
