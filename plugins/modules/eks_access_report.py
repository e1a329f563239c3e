#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: eks_access_report
short_description: Who can do what on an EKS cluster - IAM, aws-auth, access entries and RBAC joined
version_added: 1.0.0
description:
  - Lists every IAM principal that can get into one EKS cluster and, for each, how (C(aws-auth), C(access-entry),
    both - and which one EKS uses in the cluster's authentication mode - the cluster creator's bootstrap admin,
    C(mapAccounts)), the Kubernetes username and groups it receives (templates such as C({{SessionName}}) kept as
    they are), its EKS access policies with their scopes, and the RBAC bindings that name its username or groups,
    with their rules.
  - Gives each principal a level per scope (C(cluster-admin), C(namespace-admin), C(write), C(read), C(none)) and
    flags for dangerous rights (C(read_secrets), C(exec), C(attach), C(escalate), C(bind), C(impersonate),
    C(node_write), C(webhook_write), C(system_masters)). Access policies are expanded with the Kubernetes
    permissions EKS documents for them.
  - Reports findings, each with a C(code), C(principal_arn), C(severity) and a C(message) saying what to do -
    principals IAM no longer knows, IAM Identity Center roles whose permission set is gone or was re-created,
    C(mapAccounts), groups bound in RBAC that no principal receives and groups given that no binding uses, a
    principal granted differently by aws-auth and its access entry, wildcard rules, plus the aws-auth and access
    entry lint findings of M(eks.access.aws_auth_info) and M(eks.access.eks_access_entry_info).
  - Asks the API server to confirm the levels of O(verify_sample) principals with SubjectAccessReviews for the
    username and groups it computed (the row's C(verified)).
  - Reads only; check mode and a normal run are the same. The API requests are bounded - one list per RBAC kind,
    the access entries read at most O(concurrency) at a time, IAM lookups side by side (one listing for many).
author:
  - eks.access developers (@eks-access)
options:
  cluster_name:
    description: Name of the EKS cluster.
    type: str
    required: true
  creator_arn:
    description:
      - The IAM principal that created the cluster, when known (for example from CloudTrail's C(CreateCluster)).
      - On a C(CONFIG_MAP) cluster EKS makes it C(system:masters) without showing it anywhere; with this option
        the report lists it (source C(creator)). In the other modes its access entry is marked C(creator).
    type: str
  check_iam:
    description: Look the principals of the cluster's account up in IAM (C(iam:GetRole), C(iam:GetUser), or
      C(iam:ListRoles), C(iam:ListUsers) for many).
    type: bool
    default: true
  verify_sample:
    description: How many principals (those with the most rights first) to confirm with SubjectAccessReviews; V(0)
      asks the API server nothing.
    type: int
    default: 10
  declared:
    description:
      - What the inventory declares for this cluster, to report drift (RV(drift)).
      - Keys C(aws_auth_roles), C(aws_auth_users) (ARNs), C(aws_auth_accounts) (account IDs), C(access_entries)
        (principal ARNs) and C(sso_permission_sets) (permission set names).
    type: dict
  concurrency:
    description: At most this many AWS or Kubernetes requests at once.
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
    description: Reads only; the same in check mode.
  diff_mode:
    support: N/A
    description: Reads only; there is nothing to show a diff of.
"""

EXAMPLES = r"""
- name: Who can do what on the cluster
  eks.access.eks_access_report:
    cluster_name: prod-eu
  register: report

- name: Fail when somebody outside the platform team is cluster admin
  ansible.builtin.assert:
    that:
      - report.principals | selectattr('level', 'eq', 'cluster-admin') | map(attribute='principal_arn')
        | reject('search', ':role/platform-') | list == []

- name: Drift against the inventory
  eks.access.eks_access_report:
    cluster_name: prod-eu
    declared:
      aws_auth_roles: "{{ aws_auth_access_roles | map(attribute='rolearn') }}"
      access_entries: "{{ access_entries_entries | map(attribute='principal_arn') }}"
      sso_permission_sets: "{{ sso_cluster_access_permission_sets | map(attribute='permission_set') }}"
  register: report
"""

RETURN = r"""
cluster:
  description: The cluster's name, authentication mode, account, partition and region.
  returned: always
  type: dict
  sample: {name: prod-eu, authentication_mode: API_AND_CONFIG_MAP, account_id: "111122223333", partition: aws,
           region: eu-west-1}
principals:
  description: Every principal that can get in, with how, as whom and what it may do.
  returned: always
  type: list
  elements: dict
  contains:
    principal_arn:
      description: The IAM role or user ARN (an account ID for C(mapAccounts)).
      type: str
      returned: always
    kind:
      description: V(role), V(user) or V(account).
      type: str
      returned: always
    sources:
      description: Where it is granted - V(access-entry), V(aws-auth), V(creator), V(map-accounts).
      type: list
      elements: str
      returned: always
    effective_source:
      description: The source EKS uses (an access entry wins over aws-auth).
      type: str
      returned: always
    creator:
      description: Whether it created the cluster (O(creator_arn)).
      type: bool
      returned: always
    username:
      description: The Kubernetes username, templates such as C({{SessionName}}) kept.
      type: str
      returned: always
    groups:
      description: The Kubernetes groups.
      type: list
      elements: str
      returned: always
    access_policies:
      description: EKS access policies, each with C(policy), C(policy_arn) and C(access_scope).
      type: list
      elements: dict
      returned: always
    bindings:
      description: RBAC bindings naming its username or groups, each with the C(role) it grants and its C(role_key)
        in RV(roles).
      type: list
      elements: dict
      returned: always
    levels:
      description: Level per scope - C(cluster), and each namespace where it reaches higher.
      type: dict
      returned: always
    level:
      description: The highest level.
      type: str
      returned: always
    flags:
      description: Dangerous right -> the scopes where it holds.
      type: dict
      returned: always
    permission_set:
      description: The IAM Identity Center permission set of an C(AWSReservedSSO_*) role, else null.
      type: str
      returned: always
    iam:
      description: Whether IAM knows it - C(exists), C(arn) and C(id); null when not asked.
      type: dict
      returned: always
    verified:
      description: C(status) - V(confirmed), V(disagrees) or V(not_checked) - and the C(checks) the API server answered.
      type: dict
      returned: always
roles:
  description: The rules of every role the listed bindings grant, once each - C(ClusterRole/<name>) or
    C(Role/<namespace>/<name>) -> rules.
  returned: always
  type: dict
findings:
  description: What a reviewer should look at.
  returned: always
  type: list
  elements: dict
  contains:
    code:
      description: For example V(missing_iam_principal), V(sso_permission_set_gone), V(map_accounts).
      type: str
      returned: always
    principal_arn:
      description: The principal concerned (empty for a group or the cluster).
      type: str
      returned: always
    severity:
      description: V(warning) or V(info).
      type: str
      returned: always
    message:
      description: What is wrong and what to do.
      type: str
      returned: always
summary:
  description: Counts of principals per level, findings, confirmed and disagreeing rows.
  returned: always
  type: dict
drift:
  description: C(undeclared) (live, not in O(declared)) and C(not_live) (declared, not live).
  returned: when O(declared) is set
  type: dict
scanned_by:
  description: The AWS identity that made the scan.
  returned: always
  type: str
scanned_at:
  description: When (UTC, ISO 8601).
  returned: always
  type: str
aws_auth_parse_error:
  description: Why aws-auth could not be read (its mappings are then missing from the report).
  returned: when aws-auth does not parse
  type: str
"""

from ansible_collections.eks.access.plugins.module_utils.module import main as module_main
from ansible_collections.eks.access.plugins.module_utils.runners import eks_access_report as runner


def main():
    module_main(runner, dict(
        cluster_name=dict(type="str", required=True),
        creator_arn=dict(type="str"),
        check_iam=dict(type="bool", default=True),
        verify_sample=dict(type="int", default=10),
        declared=dict(type="dict"),
        concurrency=dict(type="int", default=10),
    ))


if __name__ == "__main__":
    main()
