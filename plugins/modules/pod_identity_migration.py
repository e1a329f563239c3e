#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: pod_identity_migration
short_description: Move a cluster's service accounts from IRSA to EKS Pod Identity, verified, and back
version_added: 1.0.0
description:
  - Finds every service account annotated with C(eks.amazonaws.com/role-arn) and every add-on with a
    C(serviceAccountRoleArn), and reports what cannot move to EKS Pod Identity (pods on Fargate or Windows nodes, an
    add-on version without Pod Identity support per C(describe_addon_configuration), a role of another account, a
    missing role, another association for the service account). Check mode stops there and writes nothing.
  - For every service account that can move, in this order, it adds the statement trusting C(pods.eks.amazonaws.com)
    to the role (the OIDC statement stays), creates the association tagged C(eks.access/migrated-from=irsa) (for a
    managed add-on through the add-on's C(podIdentityAssociations), keeping its other associations), restarts the
    Deployments, DaemonSets and StatefulSets whose pods lack Pod Identity credentials, waits, and verifies that every
    pod of the service account carries C(AWS_CONTAINER_CREDENTIALS_FULL_URI) and C(AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)
    on a token with the audience C(pods.eks.amazonaws.com).
  - Only after that verification, and only with O(cleanup=true), it removes the annotation (for an add-on, its
    C(serviceAccountRoleArn)) and the service account's subject from the role's OIDC trust statement.
  - It refuses, before any write, when something would be associated but the cluster has no C(eks-pod-identity-agent)
    add-on.
  - O(state=irsa) rolls back while the annotation and the OIDC trust still exist; it deletes the associations this
    module created (by their tag), restarts the workloads and verifies their pods carry IRSA credentials again.
  - Every run starts from what the cluster holds, so a run that was interrupted converges when run again.
author:
  - eks.access developers (@eks-access)
options:
  cluster_name:
    description: Name of the EKS cluster.
    type: str
    required: true
  state:
    description:
      - V(pod_identity) migrates to EKS Pod Identity; V(irsa) rolls the migration back.
    type: str
    choices: [pod_identity, irsa]
    default: pod_identity
  cleanup:
    description:
      - With O(state=pod_identity), remove IRSA (annotation or add-on role, and the OIDC trust subject) from the
        service accounts whose pods were verified on Pod Identity in this run. After that, O(state=irsa) is refused
        for them.
      - A service account with no running pod (its workloads scaled to 0) keeps IRSA, since no pod was verified; it
        is listed in RV(cleanup_kept) with a warning.
    type: bool
    default: false
  namespaces:
    description:
      - Only the service accounts, add-ons (namespace C(kube-system)) and associations of these namespaces. All
        namespaces when left out.
    type: list
    elements: str
  restart:
    description:
      - Restart the workloads whose pods lack the new credentials. With V(false) the task only verifies, and fails
        while pods are not replaced.
    type: bool
    default: true
  wait_timeout:
    description: How many seconds to wait for the restarted workloads (and add-on updates) to finish.
    type: int
    default: 600
  poll_interval:
    description: Seconds between two reads while waiting.
    type: int
    default: 2
  require_agent:
    description:
      - Refuse to migrate when the cluster runs no Pod Identity agent, that is it has neither the
        C(eks-pod-identity-agent) add-on (M(eks.access.eks_addon) installs it) nor EKS Auto Mode, whose nodes run the
        agent without the add-on. Set V(false) when the agent runs another way, or for a check-mode plan made before
        the agent is installed (the role's C(pod_identity_migration_install_agent) does so).
    type: bool
    default: true
  concurrency:
    description: How many association calls run at the same time.
    type: int
    default: 10
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
    description: Reads everything and reports the plan (RV(service_accounts), RV(cannot_move), what would be written); writes
      nothing.
  diff_mode:
    support: full
    description: The trust policies and associations before and after.
notes:
  - Needs C(eks:DescribeCluster), C(eks:ListAddons), C(eks:DescribeAddon), C(eks:DescribeAddonConfiguration),
    C(eks:UpdateAddon), C(eks:DescribeUpdate), C(eks:ListFargateProfiles), C(eks:DescribeFargateProfile), the
    C(eks:*PodIdentityAssociation*) calls, C(eks:TagResource), C(iam:GetRole), C(iam:UpdateAssumeRolePolicy),
    C(iam:PassRole) on the roles, and in Kubernetes list on service accounts, pods, nodes, Deployments, DaemonSets and
    StatefulSets, patch on the workloads and service accounts.
  - A rollback leaves the Pod Identity statement in the role's trust policy; remove it by hand if no association uses
    the role.
  - The playbook C(eks.access.migrate_to_pod_identity) runs this module for every cluster of an inventory; see
    C(docs/pod_identity.md).
seealso:
  - module: eks.access.pod_identity_association
  - module: eks.access.irsa_service_account
  - module: eks.access.daemonset_restart
"""

EXAMPLES = r"""
- name: What would move, and what cannot
  eks.access.pod_identity_migration:
    cluster_name: prod
  check_mode: true
  register: plan

- name: Move every IRSA service account of namespace payments to EKS Pod Identity, keeping IRSA in place
  eks.access.pod_identity_migration:
    cluster_name: prod
    namespaces: [payments]

- name: Once verified, remove the annotations and the OIDC trust subjects
  eks.access.pod_identity_migration:
    cluster_name: prod
    namespaces: [payments]
    cleanup: true

- name: Go back to IRSA (before cleanup)
  eks.access.pod_identity_migration:
    cluster_name: prod
    namespaces: [payments]
    state: irsa
"""

RETURN = r"""
service_accounts:
  description: Every service account of the migration, as it stands after the task.
  returned: always
  type: list
  elements: dict
  contains:
    namespace:
      description: Namespace of the service account.
      type: str
    service_account:
      description: Name of the service account.
      type: str
    role_arn:
      description: The role it uses.
      type: str
    addon:
      description: The add-on that owns the service account, when it is an add-on's.
      type: str
      returned: when an add-on owns it
    status:
      description:
        - V(cannot_move) (see RV(service_accounts[].reasons)), V(pending) (no association), V(associated) (pods not restarted
          yet), V(migrated) (every pod verified on Pod Identity, IRSA still in place) or V(cleaned) (IRSA removed).
      type: str
    reasons:
      description: Why it cannot move.
      type: list
      elements: str
      returned: when RV(service_accounts[].status=cannot_move)
    annotated:
      description: Whether the IRSA annotation (or the add-on's C(serviceAccountRoleArn)) is still there.
      type: bool
    oidc_trusted:
      description: Whether the role still trusts the service account through the cluster's OIDC provider.
      type: bool
    pod_identity_trusted:
      description: Whether the role trusts C(pods.eks.amazonaws.com) with C(sts:AssumeRole) and C(sts:TagSession).
      type: bool
    association_id:
      description: ID of its Pod Identity association, if any.
      type: str
    created_by_migration:
      description: Whether this module created the association (a rollback deletes only those).
      type: bool
    workloads:
      description: Its Deployments, DaemonSets and StatefulSets (C(Kind/namespace/name)).
      type: list
      elements: str
    pods:
      description: How many live pods run as the service account.
      type: int
    pods_without_pod_identity:
      description: The pods that do not carry Pod Identity credentials, with what is missing.
      type: dict
  sample:
    - namespace: payments
      service_account: api
      role_arn: arn:aws:iam::111122223333:role/payments-api
      status: migrated
      annotated: true
      oidc_trusted: true
      pod_identity_trusted: true
      association_id: a-9njjin9gfghecgoda
      created_by_migration: true
      workloads: [Deployment/payments/api]
      pods: 2
      pods_without_pod_identity: {}
summary:
  description: The service accounts (C(namespace/name)) by status.
  returned: always
  type: dict
  sample: {cannot_move: [], pending: [], associated: [], migrated: [payments/api], cleaned: []}
cannot_move:
  description: The service accounts that cannot move, with the reasons.
  returned: always
  type: list
  elements: dict
trust_updated:
  description: ARNs of the roles whose trust policy changed (Pod Identity statement added, or OIDC subject removed).
  returned: always
  type: list
  elements: str
associations_created:
  description: The associations created (would be, in check mode).
  returned: always
  type: list
  elements: str
associations_deleted:
  description: The associations deleted by a rollback.
  returned: always
  type: list
  elements: str
addons_updated:
  description: The add-ons whose C(podIdentityAssociations) changed.
  returned: always
  type: list
  elements: str
restarted:
  description: The workloads restarted (C(Kind/namespace/name)).
  returned: always
  type: list
  elements: str
cleaned:
  description: The service accounts whose IRSA annotation and OIDC trust subject were removed.
  returned: always
  type: list
  elements: str
cleanup_kept:
  description:
    - With O(cleanup=true), the migrated service accounts whose IRSA was kept, with why (each also a warning). A
      service account with no running pod (a workload scaled to 0) verified nothing, so its annotation and OIDC trust
      subject stay until a pod has been verified on EKS Pod Identity.
  returned: always
  type: list
  elements: dict
  sample: [{service_account: batch/nightly, reason: "batch/nightly has no running pod (...)"}]
cleanup_after_verification:
  description: In check mode, the service accounts a cleanup would wait for (not verified yet).
  returned: check mode
  type: list
  elements: str
rolled_back:
  description: The service accounts moved back to IRSA.
  returned: always
  type: list
  elements: str
not_verified:
  description: On failure, the service accounts whose pods do not carry the expected credentials, with the first
    problem.
  returned: failure
  type: dict
"""

from ansible_collections.eks.access.plugins.module_utils.module import main as module_main
from ansible_collections.eks.access.plugins.module_utils.runners import pod_identity_migration as runner

ARGUMENT_SPEC = dict(
    cluster_name=dict(type="str", required=True),
    state=dict(type="str", choices=list(runner.STATES), default="pod_identity"),
    cleanup=dict(type="bool", default=False),
    namespaces=dict(type="list", elements="str"),
    restart=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=600),
    poll_interval=dict(type="int", default=2),
    require_agent=dict(type="bool", default=True),
    concurrency=dict(type="int", default=10),
)


def main():
    module_main(runner, ARGUMENT_SPEC)


if __name__ == "__main__":
    main()
