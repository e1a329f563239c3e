#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: eks_access_entry_migration
short_description: Move an EKS cluster from the aws-auth ConfigMap to access entries, step by step, without lockout
version_added: 1.0.0
description:
  - Reads C(kube-system/aws-auth) exactly as aws-iam-authenticator does, asks IAM about every mapped principal of the
    cluster's account, lists the cluster's access entries, and plans the fate of every aws-auth entry.
  - "Node roles (C(system:node:{{EC2PrivateDNSName}}) with C(system:nodes)) become C(EC2_LINUX) entries
    (C(EC2_WINDOWS) with C(eks:kube-proxy-windows)); C(system:masters) becomes C(AmazonEKSClusterAdminPolicy) at
    cluster scope and the entry keeps its other groups; other entries become C(STANDARD) entries with the same username
    and groups."
  - A username EKS refuses (a reserved prefix, C({{SessionName}}) without a C(:) before it) is rewritten with
    O(username_prefix) in front, and the plan shows the rewrite.
  - Role ARNs get their path back from IAM (IAM Identity Center roles under C(aws-reserved/sso.amazonaws.com/)), since
    aws-auth matches them without it and an access entry needs the real ARN.
  - What cannot move is reported with its reason and whether it blocks C(API) mode - C(mapAccounts), other
    C(system:) groups, service-linked roles, IAM root - and what needs no move is skipped with its reason - principals
    IAM no longer has, duplicates the authenticator overrides (the last one wins and is migrated).
  - An existing entry for the same principal is compared - equal is left alone, different is reported and changed
    only with O(update_existing=true). Before it changes one, apply writes the entry as it was (and as apply leaves
    it) to the ConfigMap C(kube-system/eks-access-entry-migration-undo), so that rollback can put it back.
  - "O(step): C(plan) reads only. C(apply) switches C(CONFIG_MAP) to C(API_AND_CONFIG_MAP), waits, lists the entries
    again (EKS creates some at the switch) and creates or updates the entries, concurrently; the entries it creates
    carry the tag C(eks.access/migrated-from=aws-auth). C(verify) checks each migrated principal's entry as EKS reports
    it, that IAM's principal is older than its entry, that the caller and O(protect) stay cluster admin, and with
    O(verify_tokens=true) assumes each migrated role and asks the API server who its token is. C(finalize) re-runs
    the verification and refuses unless it passes and nothing blocks, backs aws-auth up, switches to C(API) and removes
    aws-auth when O(remove_aws_auth=true). C(rollback), in C(API_AND_CONFIG_MAP) only, deletes the entries the
    migration created, puts the entries it updated back as they were (unless changed since), and leaves aws-auth
    alone."
  - Every step reads everything again, so after an interruption a re-run goes on from where the cluster is.
  - "One migration operation per cluster at a time: C(apply), C(finalize) and C(rollback) (and C(verify) given a
    O(lease_holder)) hold the C(coordination.k8s.io/v1) Lease C(kube-system/eks-access-access-entry-migration) for their
    whole run, the way the VPC CNI migration holds its own. While another run holds it and it has not expired, the
    step is refused before any read, naming the holder; a Lease not renewed within O(lease_duration) (its run was
    killed) is taken over with a warning, or can be deleted by hand. Without O(lease_holder) a step takes the Lease
    for itself and gives it up when it ends; with one, the steps of a run share it, and C(release) gives it up."
  - "Each destructive act re-checks what its decision rested on, right before it: C(finalize) renews its Lease and
    reads again the entries it verified (they must still be as verified: a rollback may have deleted them), aws-auth's
    C(resourceVersion), the caller's admin entry and the node roles' entries, right before the switch to C(API), and
    the Lease and aws-auth again right before deleting aws-auth; C(rollback) is refused in C(API) and while an
    authentication mode update is in progress, checked again right before its deletions."
author:
  - eks.access developers (@eks-access)
options:
  cluster_name:
    description: Name of the EKS cluster.
    type: str
    required: true
  step:
    description: Which step to run.
    type: str
    choices: [plan, apply, verify, finalize, rollback, release]
    default: plan
  update_existing:
    description: Change existing access entries that differ from aws-auth to what aws-auth says (same type only).
    type: bool
    default: false
  username_prefix:
    description: Put in front of a username EKS refuses; must end in C(:) for a username that uses C({{SessionName}}).
    type: str
    default: "aws-auth:"
  verify_tokens:
    description:
      - In C(verify) and C(finalize), assume each migrated role (session C(eks-access-migration-verify)), mint its EKS
        token and compare the Kubernetes username and groups the API server gives it with aws-auth's; a role this
        identity cannot assume is listed in C(not_verified) of RV(verification).
    type: bool
    default: false
  protect:
    description: IAM ARNs that must stay cluster admin by access entry besides the caller (checked by verify and by
      the switch to C(API)); rollback never deletes their entries.
    type: list
    elements: str
    default: []
  backup_dir:
    description:
      - Folder on the host running the module where C(finalize) writes aws-auth (JSON) before the switch, as
        C(<cluster_name>-aws-auth.json) (RV(backup_file)); later runs read aws-auth from that file once the ConfigMap
        is gone. The folder is created when missing.
    type: path
  backup_configmap:
    description: Name of a ConfigMap in C(kube-system) where C(finalize) copies aws-auth's data.
    type: str
  remove_aws_auth:
    description: In C(finalize), delete aws-auth after the switch to C(API) (needs O(backup_dir) or
      O(backup_configmap)).
    type: bool
    default: false
  concurrency:
    description: At most this many AWS requests at once.
    type: int
    default: 10
  wait_timeout:
    description: Seconds to wait for each authentication mode update.
    type: int
    default: 1200
  allow_node_lockout:
    description:
      - In C(finalize), switch to C(API) even when a node role (mapped in aws-auth, or of a managed node group or
        Fargate profile) has no node access entry, so that its nodes lose the cluster (the guard of
        M(eks.access.eks_authentication_mode)).
    type: bool
    default: false
  lease_holder:
    description:
      - Names the run holding the Lease C(kube-system/eks-access-access-entry-migration) (operation, user, host, run
        id), for the other runs' messages. C(apply), C(verify), C(finalize) and C(rollback) take or renew the Lease as
        this holder and keep it after the step, so that the steps of one run share it; O(step=release) gives it up.
      - Without it, C(apply), C(finalize) and C(rollback) each take the Lease for their own run and give it up when they
        end, and C(verify) does not take it.
    type: str
  lease_duration:
    description: Seconds the Lease lasts unless renewed; a killed run's Lease can be taken over after this long.
    type: int
    default: 120
  lease_wait:
    description: Seconds to wait for another run's Lease to be released or to expire before refusing the step.
    type: int
    default: 0
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
    description: Plans and reports; switches no mode and writes no entry, ConfigMap or file.
  diff_mode:
    support: full
    description: The access entries before and after (apply, rollback).
seealso:
  - module: eks.access.eks_access_entry
  - module: eks.access.eks_authentication_mode
  - module: eks.access.aws_auth_info
notes:
  - The playbook C(eks.access.migrate_to_access_entries) runs the steps in order for a fleet.
"""

EXAMPLES = r"""
- name: What would move, and what cannot
  eks.access.eks_access_entry_migration:
    cluster_name: prod-eu
    step: plan
  register: migration

- name: Switch to API_AND_CONFIG_MAP and create the entries
  eks.access.eks_access_entry_migration:
    cluster_name: prod-eu
    step: apply

- name: Prove it with tokens of the migrated roles this identity may assume
  eks.access.eks_access_entry_migration:
    cluster_name: prod-eu
    step: verify
    verify_tokens: true

- name: Access entries only, aws-auth kept in a file and removed
  eks.access.eks_access_entry_migration:
    cluster_name: prod-eu
    step: finalize
    backup_dir: backups
    remove_aws_auth: true

- name: Several steps as one run, holding the cluster's migration Lease from the first to the last
  block:
    - name: Apply, holding the Lease
      eks.access.eks_access_entry_migration:
        cluster_name: prod-eu
        step: apply
        lease_holder: "migration of prod-eu by alice@bastion, run 3f9a1c2b"
    - name: Finalize in the same run
      eks.access.eks_access_entry_migration:
        cluster_name: prod-eu
        step: finalize
        backup_dir: backups
        lease_holder: "migration of prod-eu by alice@bastion, run 3f9a1c2b"
  always:
    - name: Give the Lease up
      eks.access.eks_access_entry_migration:
        cluster_name: prod-eu
        step: release
        lease_holder: "migration of prod-eu by alice@bastion, run 3f9a1c2b"
"""

RETURN = r"""
step:
  description: The step that ran.
  returned: always
  type: str
authentication_mode:
  description: The cluster's authentication mode after the step.
  returned: when the cluster was read
  type: str
aws_auth_source:
  description: Where aws-auth was read - C(configmap), C(backup) (the ConfigMap is gone) or C(none).
  returned: except for rollback
  type: str
plan:
  description:
    - One item per aws-auth entry (and per C(mapAccounts) account) - C(section), C(index), C(aws_auth_arn),
      C(aws_auth_username), C(aws_auth_groups), C(fate) (C(create), C(update), C(unchanged), C(differs), C(skipped),
      C(blocked)), C(reason), C(blocks_api), C(principal_arn) (with its path restored), C(path_restored),
      C(username_rewrite) (C(from), C(to), C(why)), C(notes), C(entry) (the access entry it becomes) and
      C(existing_entry).
  returned: except for rollback
  type: list
  elements: dict
summary:
  description: How many items have each fate, and how many block C(API) mode.
  returned: except for rollback
  type: dict
blockers:
  description: The items that block C(API) mode, with their reasons.
  returned: except for rollback
  type: list
  elements: dict
created:
  description: Principal ARNs whose entry apply created.
  returned: step apply
  type: list
  elements: str
updated:
  description: Principal ARNs whose existing entry apply changed (O(update_existing=true)).
  returned: step apply
  type: list
  elements: str
undo_configmap:
  description: The ConfigMap of C(kube-system) where apply wrote the updated entries as they were; null when it updated
    none.
  returned: step apply
  type: str
  sample: eks-access-entry-migration-undo
deleted:
  description: Principal ARNs whose entry rollback deleted.
  returned: step rollback
  type: list
  elements: str
restored:
  description: Principal ARNs whose entry rollback put back as it was before apply updated it.
  returned: step rollback
  type: list
  elements: str
applied:
  description:
    - The entries whose writes were all made (empty in check mode), each with C(name) (the principal ARN) and
      C(action) (C(create), C(update), C(replace) or C(delete)). On a failure half-way, also with RV(failed).
  returned: steps apply and rollback
  type: list
  elements: dict
  contains:
    name:
      description: The principal ARN.
      type: str
    action:
      description: C(create), C(update), C(replace) or C(delete).
      type: str
failed:
  description: On a failure half-way, the entries not or not wholly written, with the reason; a re-run applies them.
  returned: on failure half-way
  type: list
  elements: dict
  contains:
    name:
      description: The principal ARN.
      type: str
    action:
      description: C(create), C(update), C(replace) or C(delete).
      type: str
    msg:
      description: Why, in one sentence.
      type: str
kept:
  description:
    - Entries rollback left as they are, with the reason - the caller's and O(protect)'s, and entries apply updated
      that were changed since (their record stays in C(undo_configmap)).
  returned: step rollback
  type: list
  elements: dict
verification:
  description:
    - C(verified), C(principals) (each with C(problems) and, when tokens were used, C(token)), C(failed),
      C(caller_arn), C(caller_problems), and C(not_verified) - what could not be proven with a token and why.
  returned: steps verify and finalize
  type: dict
backups:
  description: What finalize wrote to keep aws-auth.
  returned: step finalize
  type: list
  elements: str
backup_file:
  description: The file in O(backup_dir) that keeps aws-auth (C(<backup_dir>/<cluster_name>-aws-auth.json)).
  returned: step finalize, when O(backup_dir) is given
  type: str
  sample: backups/prod-eu-aws-auth.json
undo_configmap_removed:
  description: Whether finalize deleted the record of the entries apply updated (rollback has no use for it in C(API)).
  returned: step finalize
  type: bool
aws_auth_removed:
  description: Whether finalize deleted aws-auth.
  returned: step finalize
  type: bool
lease_holder:
  description: The holder of the Lease C(kube-system/eks-access-access-entry-migration) the step ran under.
  returned: steps apply, finalize, rollback, and verify with O(lease_holder)
  type: str
lease_released:
  description: Whether O(step=release) gave the Lease up (false when O(lease_holder) did not hold it).
  returned: step release
  type: bool
lease:
  description: namespace/name of the Lease.
  returned: step release
  type: str
"""

from ansible_collections.eks.access.plugins.module_utils import module
from ansible_collections.eks.access.plugins.module_utils.runners import eks_access_entry_migration
from ansible_collections.eks.access.plugins.module_utils.model import access_entry_migration as planner
from ansible_collections.eks.access.plugins.module_utils.services.access_entries import DEFAULT_CONCURRENCY
from ansible_collections.eks.access.plugins.module_utils.services import lease as lease_service


ARGUMENT_SPEC = dict(
    cluster_name=dict(type="str", required=True),
    step=dict(type="str", default="plan", choices=list(eks_access_entry_migration.STEPS)),
    update_existing=dict(type="bool", default=False),
    username_prefix=dict(type="str", default=planner.DEFAULT_USERNAME_PREFIX),
    verify_tokens=dict(type="bool", default=False),
    protect=dict(type="list", elements="str", default=[]),
    backup_dir=dict(type="path"),
    backup_configmap=dict(type="str"),
    remove_aws_auth=dict(type="bool", default=False),
    concurrency=dict(type="int", default=DEFAULT_CONCURRENCY),
    wait_timeout=dict(type="int", default=1200),
    allow_node_lockout=dict(type="bool", default=False),
    lease_holder=dict(type="str"),
    lease_duration=dict(type="int", default=lease_service.DEFAULT_DURATION),
    lease_wait=dict(type="int", default=0),
)


def main():
    module.main(eks_access_entry_migration, ARGUMENT_SPEC)


if __name__ == "__main__":
    main()
