#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: eks_access_entry
short_description: Manage EKS access entries and their access policies, many in one task
version_added: 1.0.0
description:
  - Creates, updates and deletes Amazon EKS access entries (the IAM principals a cluster lets in, with their
    Kubernetes groups and username) and associates or disassociates their access policies
    (C(AmazonEKSViewPolicy), C(AmazonEKSClusterAdminPolicy), ...) at cluster or namespace scope.
  - One task handles hundreds of entries; the AWS requests of different entries run side by side, at most
    O(concurrency) at a time, and every request retries throttling and server errors. The requests of one
    entry run in order (create, associate, disassociate). Deletions run only after every other change
    succeeded.
  - Every rule EKS enforces is checked for every entry before the first write - entry types, principals
    (IAM roles and users; no STS assumed-role sessions, no service-linked roles; node types only roles of
    the cluster's account), reserved group and username prefixes, C({{SessionName}}) after a C(:), one
    association per policy, namespace names and C(prefix-*) wildcards, and policies against
    C(ListAccessPolicies). A task with one broken entry writes nothing.
  - Options an entry leaves out are not managed; for example an entry without O(entries[].access_policies)
    keeps whatever policies it has, while O(entries[].access_policies=[]) removes them all.
  - An entry's type cannot change in EKS; the module refuses such a change with the fix, or deletes and
    recreates the entry with O(replace=true).
  - When a request fails half-way, the task fails with RV(applied) and RV(failed); re-running it applies
    only what is missing.
  - The cluster must be in authentication mode C(API_AND_CONFIG_MAP) or C(API); see
    M(eks.access.eks_authentication_mode).
author:
  - eks.access developers (@eks-access)
options:
  cluster_name:
    description: Name of the EKS cluster.
    type: str
    required: true
  entries:
    description:
      - The access entries. With O(state=absent) only O(entries[].principal_arn) is read.
    type: list
    elements: dict
    default: []
    suboptions:
      principal_arn:
        description:
          - ARN of the IAM role or user, for example C(arn:aws:iam::111122223333:role/developers).
          - Role ARNs keep their path (C(role/aws-reserved/sso.amazonaws.com/...)); EKS matches it.
          - An existing entry is matched the way IAM identifies principals - names in any case, a role with or
            without its path - and the task acts on the entry as EKS lists it; RV(matched) says which spelling
            matched which entry. A user never matches a role.
        type: str
        required: true
        aliases: [arn]
      type:
        description:
          - The entry type. V(STANDARD) for people and pipelines; the others for node roles of the cluster's
            account (V(EC2) is EKS Auto Mode), which take no groups, username or policies (V(EC2) only
            C(AmazonEKSAutoNodePolicy)).
        type: str
        choices: [STANDARD, EC2_LINUX, EC2_WINDOWS, FARGATE_LINUX, HYBRID_LINUX, EC2]
        default: STANDARD
      kubernetes_groups:
        description:
          - Kubernetes groups for RBAC bindings. None may start with C(system:) in any case, have characters
            outside ASCII before its first C(:) (a lookalike of C(system:)), or contain control or invisible
            characters.
          - Left out, an existing entry keeps its groups.
        type: list
        elements: str
        aliases: [groups]
      username:
        description:
          - Kubernetes username. May not start with C(system:), C(eks:), C(aws:), C(amazon:) or C(iam:) in any
            case, have characters outside ASCII before its first C(:), or contain control or invisible
            characters; C({{SessionName}}) must come after a C(:), as in C(dev:{{SessionName}}).
          - Left out, EKS picks one for a new entry and an existing entry keeps its own.
        type: str
      access_policies:
        description:
          - The entry's access policies. When given, the entry ends up with exactly these (others are
            disassociated); left out, its associations are not touched.
        type: list
        elements: dict
        suboptions:
          policy:
            description:
              - An access policy name such as C(AmazonEKSViewPolicy), or its ARN
                C(arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy).
            type: str
            required: true
          access_scope:
            description: Where the policy applies; the whole cluster when left out.
            type: dict
            suboptions:
              type:
                description:
                  - V(cluster) or V(namespace). Left out, V(namespace) when namespaces are given and
                    V(cluster) otherwise.
                type: str
                choices: [cluster, namespace]
              namespaces:
                description:
                  - With O(entries[].access_policies[].access_scope.type=namespace), the namespaces. A name
                    may end in C(*) to match a prefix, such as C(team-*).
                type: list
                elements: str
      tags:
        description:
          - Tags of the entry. When given on an existing entry, tags not listed are removed.
        type: dict
  state:
    description:
      - V(present) creates or updates the entries; V(absent) deletes them (with their policy associations).
      - With V(absent), a principal that matches no entry (in any case, with or without a role path) gets a
        warning and is listed in RV(unmatched).
    type: str
    choices: [present, absent]
    default: present
  purge:
    description:
      - With O(state=present), also delete the cluster's entries not listed in O(entries).
      - Never deletes the entry of the identity the task runs as (an assumed-role session's entry is its
        role's), entries of service-linked roles, or node-type entries unless O(allow_node_entry_deletion=true).
        RV(kept) says which entries were spared and why.
    type: bool
    default: false
  allow_node_entry_deletion:
    description:
      - Let O(purge) delete node-type entries (C(EC2_LINUX), C(EC2_WINDOWS), C(FARGATE_LINUX), C(HYBRID_LINUX),
        C(EC2)), and let O(state=absent) delete one it names; without it, naming a node entry with
        O(state=absent) is refused before any write. Nodes using those roles can no longer join the cluster.
    type: bool
    default: false
  replace:
    description:
      - Delete and recreate an entry whose O(entries[].type) differs from the existing one. The principal has no
        access between the two requests.
    type: bool
    default: false
  allow_self_lockout:
    description:
      - Allow deleting, replacing or shrinking the entry of the IAM identity the task runs as (from STS; an
        assumed-role session's entry is its role's).
      - Without it, a change that lets that entry do less is refused before any write - a policy removed, a
        scope narrowed (cluster to namespaces, or fewer namespaces), a Kubernetes group removed or the username
        changed - unless the entry keeps C(AmazonEKSClusterAdminPolicy) at cluster scope.
    type: bool
    default: false
  concurrency:
    description:
      - How many entries are read or written at the same time.
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
    description: Reads the entries and reports the plan; makes no write.
  diff_mode:
    support: full
    description: Shows each entry the task touches, before and after, one field per line.
notes:
  - "IAM permissions: C(eks:DescribeCluster), C(eks:ListAccessEntries), C(eks:DescribeAccessEntry),
    C(eks:ListAssociatedAccessPolicies), C(eks:ListAccessPolicies), and to write C(eks:CreateAccessEntry),
    C(eks:UpdateAccessEntry), C(eks:DeleteAccessEntry), C(eks:AssociateAccessPolicy),
    C(eks:DisassociateAccessPolicy), C(eks:TagResource), C(eks:UntagResource); C(sts:GetCallerIdentity) for the
    lockout guard."
  - In C(API_AND_CONFIG_MAP) mode an access entry wins over an aws-auth mapping of the same ARN; see
    M(eks.access.eks_access_entry_info) for ARNs in both.
seealso:
  - module: eks.access.eks_access_entry_info
  - module: eks.access.eks_authentication_mode
"""

EXAMPLES = r"""
- name: Developers read team-a, the platform team administers the cluster
  eks.access.eks_access_entry:
    cluster_name: prod-eu
    entries:
      - principal_arn: arn:aws:iam::111122223333:role/developers
        # !unsafe keeps Ansible from templating EKS's own {{...}} variables
        username: !unsafe "developer:{{SessionName}}"
        access_policies:
          - policy: AmazonEKSViewPolicy
            access_scope:
              type: namespace
              namespaces: [team-a, team-a-*]
      - principal_arn: arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef
        access_policies:
          - policy: AmazonEKSClusterAdminPolicy
      - principal_arn: arn:aws:iam::111122223333:user/ci
        kubernetes_groups: [deployers]
        tags:
          owner: platform

- name: A self-managed node group's role
  eks.access.eks_access_entry:
    cluster_name: prod-eu
    entries:
      - principal_arn: arn:aws:iam::111122223333:role/eks-node-role
        type: EC2_LINUX

- name: Exactly these entries (node entries and the caller's own are kept), previewed first
  eks.access.eks_access_entry:
    cluster_name: prod-eu
    entries: "{{ cluster_access_entries }}"
    purge: true
  check_mode: true
  diff: true

- name: Remove a user's access
  eks.access.eks_access_entry:
    cluster_name: prod-eu
    entries:
      - principal_arn: arn:aws:iam::111122223333:user/bob
    state: absent
"""

RETURN = r"""
created:
  description: Principal ARNs whose entry was created (or would be, in check mode).
  returned: always
  type: list
  elements: str
updated:
  description: Principal ARNs whose entry, policies or tags changed.
  returned: always
  type: list
  elements: str
replaced:
  description: Principal ARNs whose entry was deleted and recreated (O(replace=true)).
  returned: always
  type: list
  elements: str
deleted:
  description: Principal ARNs whose entry was deleted.
  returned: always
  type: list
  elements: str
changes:
  description: Per changed entry, its C(action) and the policies it gains (C(associate)) and loses (C(disassociate)).
  returned: always
  type: list
  elements: dict
  sample: [{principal_arn: "arn:aws:iam::111122223333:role/dev", action: create,
            associate: [{policy: AmazonEKSViewPolicy, access_scope: {type: namespace, namespaces: [team-a]}}],
            disassociate: []}]
kept:
  description: Entries O(purge) did not delete, each with C(principal_arn) and C(reason).
  returned: always
  type: list
  elements: dict
writes:
  description: How many AWS write requests the change takes (0 on an idempotent re-run).
  returned: always
  type: int
applied:
  description:
    - The entries whose writes were all made, in the order they finished (empty in check mode). On a failure
      half-way, also with RV(failed).
    - C(action) is C(create), C(update), C(replace) or C(delete).
  returned: always
  type: list
  elements: dict
  sample: [{name: "arn:aws:iam::111122223333:role/dev", action: create}]
  contains:
    name:
      description: The principal ARN.
      type: str
    action:
      description: C(create), C(update), C(replace) or C(delete).
      type: str
failed:
  description:
    - The entries not or not wholly written because a request failed, each with the reason; a re-run applies them.
  returned: on failure half-way
  type: list
  elements: dict
  sample: [{name: "arn:aws:iam::111122223333:user/alice", action: create,
            msg: "Create the entry of arn:aws:iam::111122223333:user/alice was denied by AWS (AccessDeniedException)"}]
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
authentication_mode:
  description: The cluster's authentication mode.
  returned: always
  type: str
  sample: API_AND_CONFIG_MAP
protected_arns:
  description: The identity the lockout guard protects (the caller); empty with O(allow_self_lockout=true).
  returned: always
  type: list
  elements: str
matched:
  description:
    - Each O(entries[].principal_arn) written differently from the entry it names (case, role path), with
      C(name) as written and C(principal_arn) as EKS lists the entry.
  returned: always
  type: list
  elements: dict
  sample: [{name: "arn:aws:iam::111122223333:role/p3-pathed",
            principal_arn: "arn:aws:iam::111122223333:role/teams/platform/p3-pathed"}]
unmatched:
  description: With O(state=absent), the principal ARNs that name no entry of the cluster.
  returned: always
  type: list
  elements: str
entries:
  description:
    - The listed entries after the task (with O(purge), every entry of the cluster), each with
      C(principal_arn), C(type), C(kubernetes_groups), C(username), C(access_policies) and C(tags).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.eks.access.plugins.module_utils.module import main as module_main
from ansible_collections.eks.access.plugins.module_utils.runners import eks_access_entry as runner
from ansible_collections.eks.access.plugins.module_utils.model import access_entry as model
from ansible_collections.eks.access.plugins.module_utils.services.access_entries import DEFAULT_CONCURRENCY


ENTRY_SPEC = dict(
    principal_arn=dict(type="str", required=True, aliases=["arn"]),
    type=dict(type="str", default="STANDARD", choices=list(model.ENTRY_TYPES)),
    kubernetes_groups=dict(type="list", elements="str", aliases=["groups"]),
    username=dict(type="str"),
    access_policies=dict(type="list", elements="dict", options=dict(
        policy=dict(type="str", required=True),
        access_scope=dict(type="dict", options=dict(
            type=dict(type="str", choices=["cluster", "namespace"]),
            namespaces=dict(type="list", elements="str"),
        )),
    )),
    tags=dict(type="dict"),
)


ACCESS_ENTRY_ARG_SPEC = dict(
    cluster_name=dict(type="str", required=True),
    entries=dict(type="list", elements="dict", default=[], options=ENTRY_SPEC),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    purge=dict(type="bool", default=False),
    allow_node_entry_deletion=dict(type="bool", default=False),
    replace=dict(type="bool", default=False),
    allow_self_lockout=dict(type="bool", default=False),
    concurrency=dict(type="int", default=DEFAULT_CONCURRENCY),
)


def main():
    module_main(runner, ACCESS_ENTRY_ARG_SPEC, kubernetes=False)


if __name__ == "__main__":
    main()
