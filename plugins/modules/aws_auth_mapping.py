#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_auth_mapping
short_description: Manage IAM role, user and account mappings in the EKS aws-auth ConfigMap
version_added: 1.0.0
description:
  - Adds, updates and removes entries of C(mapRoles), C(mapUsers) and C(mapAccounts) in the
    C(kube-system/aws-auth) ConfigMap that maps IAM identities to Kubernetes users and groups.
  - Batched; any number of entries costs one read and at most one write. Entries are keyed by ARN;
    existing entries keep their place and new ones are appended, so diffs stay minimal. Keys and
    entries the task does not name are never touched (unless O(purge=true)).
  - Creates the ConfigMap when it is missing and O(state=present).
  - Input is validated before anything is written. Role ARNs with a path (including the IAM Identity
    Center path C(aws-reserved/sso.amazonaws.com/[region/])) are rewritten without it, with a warning,
    because the authenticator matches roles by name only. IAM group ARNs and STS assumed-role ARNs are
    refused with the fix. Only the username template variables aws-iam-authenticator knows are accepted.
  - "Lockout guard: the module refuses to remove a node mapping (groups contain C(system:nodes)) or to
    take away its node groups, and refuses to remove or reduce the mapping of the IAM identity the module
    itself authenticates as, unless O(allow_node_mapping_changes) or O(allow_self_lockout) say so."
  - Writes use C(metadata.resourceVersion); a 409 Conflict re-reads, re-plans and retries with jittered
    backoff, so concurrent playbooks never lose each other's entries. Every ConfigMap written is first
    re-parsed with the authenticator's rules.
author:
  - eks.access developers (@eks-access)
options:
  roles:
    description:
      - Role mappings (C(mapRoles)). With O(state=absent) only O(roles[].rolearn) is used.
    type: list
    elements: dict
    suboptions:
      rolearn:
        description: IAM role ARN, for example C(arn:aws:iam::111122223333:role/developers).
        type: str
        required: true
        aliases: [arn]
      username:
        description:
          - Kubernetes username. May use C({{AccountID}}), C({{SessionName}}), C({{SessionNameRaw}}),
            C({{AccessKeyID}}) and, for nodes, C({{EC2PrivateDNSName}}).
          - Omitted on an existing entry, the current username is kept; on a new entry it defaults to
            C(system:node:{{EC2PrivateDNSName}}) for node mappings and to the role ARN otherwise.
          - A string (anything else is refused, not converted). Line breaks, control characters and invisible
            format characters are refused.
        type: raw
      groups:
        description:
          - Kubernetes groups. Omitted on an existing entry, the current groups are kept.
          - Each a non-empty string, with the same character rules as O(roles[].username).
        type: list
        elements: raw
  users:
    description:
      - User mappings (C(mapUsers)). With O(state=absent) only O(users[].userarn) is used.
    type: list
    elements: dict
    suboptions:
      userarn:
        description: IAM user ARN, for example C(arn:aws:iam::111122223333:user/alice).
        type: str
        required: true
        aliases: [arn]
      username:
        description:
          - Kubernetes username; defaults to the user ARN for a new entry.
          - A string, with the same rules as O(roles[].username).
        type: raw
      groups:
        description: Kubernetes groups, each a non-empty string.
        type: list
        elements: raw
  accounts:
    description:
      - AWS account IDs (12 digits) for C(mapAccounts); every IAM user and role of those accounts is
        mapped to a username equal to its ARN.
    type: list
    elements: str
  state:
    description:
      - V(present) adds or updates the listed entries; V(absent) removes them.
    type: str
    choices: [present, absent]
    default: present
  purge:
    description:
      - With O(state=present), remove entries of the kinds given (O(roles), O(users), O(accounts)) that
        are not listed. A kind that is not given at all is left alone.
      - Node mappings are kept unless O(allow_node_mapping_changes=true).
    type: bool
    default: false
  append_groups:
    description:
      - Add the listed groups to an existing entry's groups instead of replacing them.
    type: bool
    default: false
  update_existing:
    description:
      - With O(update_existing=false), entries that already exist (matched by ARN) are left exactly as
        they are and only missing entries are added. This is how the stock node mappings are applied
        to a cluster that may already have them in another form.
    type: bool
    default: true
  allow_node_mapping_changes:
    description:
      - Allow removing node mappings or taking C(system:nodes)/C(system:bootstrappers) from them.
        Nodes using such a role can no longer join the cluster.
    type: bool
    default: false
  allow_self_lockout:
    description:
      - Allow removing or reducing the mapping of the IAM identity this task authenticates as.
      - That identity is known when the module connects with an EKS token (O(cluster_name)), or when the
        API server reports the caller's ARN (EKS does, through SelfSubjectReview).
    type: bool
    default: false
  backup:
    description:
      - Before changing an existing ConfigMap, keep its previous content in a timestamped file under
        O(backup_dir) and return its path as RV(backup_file).
    type: bool
    default: false
  repair:
    description:
      - What to do when a section of the existing aws-auth cannot be edited safely, because the authenticator
        cannot read it (for example after a hand edit broke its YAML; nobody mapped in it can log in then) or
        because it uses YAML this collection does not read exactly as the authenticator does (tags, anchors,
        merge keys, directives, non-ASCII keys, control or line-separator characters).
      - With V(false) the module refuses to write anything and names each such section, its line and the
        construct.
      - With V(true), each broken section (C(mapRoles), C(mapUsers), C(mapAccounts)) is replaced by the entries
        this task lists for it, so the task must list every entry that section should hold (O(roles), O(users) or
        O(accounts)); the lockout guard cannot see the lost entries, so list the node mappings too. Sections that
        parse are edited as usual. The previous content is always kept as a backup (RV(backup_file)).
    type: bool
    default: false
  backup_dir:
    description:
      - Where backups go, on the host that runs the module. Defaults to C(~/.ansible/backups/eks.access).
    type: path
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
    description: Nothing is written; the API server validates the would-be write with a server-side dry run.
  diff_mode:
    support: full
    description: Shows C(mapRoles), C(mapUsers) and C(mapAccounts) before and after as YAML.
notes:
  - AWS credentials are only needed when the module connects with an EKS token from O(cluster_name).
  - New clusters can use EKS access entries instead of aws-auth; this module manages the ConfigMap.
"""

EXAMPLES = r"""
- name: Give the developers role read-only access, and the platform team an admin group
  eks.access.aws_auth_mapping:
    cluster_name: prod-eu
    roles:
      - rolearn: arn:aws:iam::111122223333:role/developers
        # !unsafe keeps Ansible from templating the authenticator's own {{...}} variables
        username: !unsafe "developer:{{SessionName}}"
        groups: [eks-console-dashboard-restricted-access-group]
      - rolearn: arn:aws:iam::111122223333:role/platform-admins
        groups: [platform-admins]
    users:
      - userarn: arn:aws:iam::111122223333:user/alice
        groups: [eks-console-dashboard-full-access-group]

- name: Make sure a node role is mapped the way the stock aws-auth does
  eks.access.aws_auth_mapping:
    roles:
      - rolearn: arn:aws:iam::111122223333:role/eks-node-role
        username: !unsafe "system:node:{{EC2PrivateDNSName}}"
        groups: [system:bootstrappers, system:nodes]

- name: Add a group to an existing mapping without touching its other groups
  eks.access.aws_auth_mapping:
    roles:
      - rolearn: arn:aws:iam::111122223333:role/developers
        groups: [log-readers]
    append_groups: true

- name: Remove a user
  eks.access.aws_auth_mapping:
    users:
      - userarn: arn:aws:iam::111122223333:user/bob
    state: absent

- name: Exactly these role mappings (node roles are kept), with a backup of the previous content
  eks.access.aws_auth_mapping:
    roles: "{{ cluster_role_mappings }}"
    purge: true
    backup: true
  register: result

- name: Repair an aws-auth whose mapRoles a hand edit broke, listing everything it should hold
  eks.access.aws_auth_mapping:
    roles:
      - rolearn: arn:aws:iam::111122223333:role/eks-node-role
        username: !unsafe "system:node:{{EC2PrivateDNSName}}"
        groups: [system:bootstrappers, system:nodes]
      - rolearn: arn:aws:iam::111122223333:role/platform-admins
        groups: [platform-admins]
    repair: true

- name: Preview with check mode and diff
  eks.access.aws_auth_mapping:
    accounts: ["444455556666"]
  check_mode: true
  diff: true
"""

RETURN = r"""
created:
  description:
    - The mappings added, each named by its role or user ARN (or the account ID for C(mapAccounts)); the whole
      mappings are in RV(mappings) and the diff.
  returned: always
  type: list
  elements: str
  sample: ["arn:aws:iam::111122223333:role/dev"]
updated:
  description: The mappings changed in place, named as in RV(created).
  returned: always
  type: list
  elements: str
deleted:
  description: The mappings removed, named as in RV(created).
  returned: always
  type: list
  elements: str
mappings:
  description: The mappings after the task, as the authenticator reads them.
  returned: always
  type: dict
  contains:
    mapRoles: {description: Role mappings., type: list, elements: dict, returned: always}
    mapUsers: {description: User mappings., type: list, elements: dict, returned: always}
    mapAccounts: {description: Account IDs., type: list, elements: str, returned: always}
resource_version:
  description: C(metadata.resourceVersion) of the ConfigMap after the task (unchanged in check mode); null when it does not exist.
  returned: always
  type: str
configmap_created:
  description: Whether the aws-auth ConfigMap was created by this task.
  returned: always
  type: bool
protected_arns:
  description: IAM identities the lockout guard protected (the caller, when known).
  returned: always
  type: list
  elements: str
repaired:
  description: Sections that did not parse and were replaced (O(repair=true)).
  returned: always
  type: list
  elements: str
backup_file:
  description: Path of the backup of the previous ConfigMap content.
  returned: when O(backup=true) or O(repair=true) and the ConfigMap changed
  type: str
"""

from ansible_collections.eks.access.plugins.module_utils.module import main as module_main
from ansible_collections.eks.access.plugins.module_utils.runners import aws_auth_mapping as runner
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import parse as aws_auth_parse


def _entry_spec(arn_key):
    """One mapRoles/mapUsers entry: its ARN (alias ``arn``), username and groups.

    username and the group names are ``raw`` so that a list or a mapping given
    by mistake reaches aws_auth_plan.normalize_entries and is refused there, instead
    of being turned into its Python text (``"['a', 'b']"``) and mapped.
    """
    return dict(
        type="list", elements="dict",
        options={
            arn_key: dict(type="str", required=True, aliases=["arn"]),
            "username": dict(type="raw"),
            "groups": dict(type="list", elements="raw"),
        },
    )


MAPPING_ARG_SPEC = dict(
    roles=_entry_spec(aws_auth_parse.ARN_KEY["mapRoles"]),
    users=_entry_spec(aws_auth_parse.ARN_KEY["mapUsers"]),
    accounts=dict(type="list", elements="str"),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    purge=dict(type="bool", default=False),
    append_groups=dict(type="bool", default=False),
    allow_node_mapping_changes=dict(type="bool", default=False),
    allow_self_lockout=dict(type="bool", default=False),
    backup=dict(type="bool", default=False),
    repair=dict(type="bool", default=False),
    backup_dir=dict(type="path"),
)


def main():
    argument_spec = dict(MAPPING_ARG_SPEC, update_existing=dict(type="bool", default=True))
    module_main(runner, argument_spec, required_one_of=[("roles", "users", "accounts")])


if __name__ == "__main__":
    main()
