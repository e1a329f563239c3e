#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: eks_sso_role
short_description: Give an IAM Identity Center (AWS SSO) permission set access to an EKS cluster
version_added: 1.0.0
description:
  - The cluster side of single sign-on to EKS with IAM Identity Center (AWS SSO). Identity Center provisions
    each permission set into each assigned account as an IAM role C(AWSReservedSSO_<PermissionSet>_<hash>) under
    the path C(/aws-reserved/sso.amazonaws.com/) (or C(/aws-reserved/sso.amazonaws.com/<region>/) when Identity
    Center lives outside us-east-1). The hash changes when the permission set is provisioned again, so this
    module looks the role up by exact name pattern on every run instead of relying on a hard-coded ARN.
  - The role is found by listing the account's roles under that path; C(Admin) never matches
    C(AWSReservedSSO_AdminReadOnly_...). No match fails and lists the C(AWSReservedSSO_*) roles that do exist;
    more than one match fails and names them.
  - The access goes through an EKS access entry or through C(kube-system/aws-auth), as O(access_method) says; by
    default it follows the cluster's authentication mode (EKS DescribeCluster) - an access entry on
    C(API_AND_CONFIG_MAP) and C(API) clusters, the recommended way, and aws-auth on C(CONFIG_MAP) clusters.
  - "Access entry: the entry's principal is the role's real ARN with its C(aws-reserved/sso.amazonaws.com/[region/])
    path (EKS binds an entry to the role itself), with the Kubernetes O(groups), the O(access_policies) and their
    scopes, and the O(username), through the same code as M(eks.access.eks_access_entry). An entry of the same
    permission set with another hash (a role Identity Center made before the permission set was provisioned
    again) is deleted and the new role gets its access (what the task does not give is taken from the old
    entry); the result says so in RV(stale_entries) and RV(msg)."
  - aws-auth - with O(state=present) the role is mapped in C(mapRoles) of C(kube-system/aws-auth) through the same
    code as M(eks.access.aws_auth_mapping) (ARN without the path, as the authenticator needs it), with its
    validation, lockout guard, check mode, diff and conflict retries. RV(role_arn) returns the ARN with the path,
    which IAM trust policies need.
  - With O(state=absent) every access entry and every C(mapRoles) entry of the permission set in the account is
    removed, whatever its hash and however its name is capitalised (the authenticator matches case-insensitively),
    through every way the cluster's mode reads (both on C(API_AND_CONFIG_MAP)). The role does not have to exist in
    IAM any more.
  - Optionally manages a separate cluster-creator role (like C(EKSClusterCreator) in the AWS walkthrough) whose
    trust policy lets exactly this SSO role assume it, with policies the task supplies. See O(creator_role).
  - Mapping to C(system:masters) works but warns; see the least-privileged alternative in the collection's
    C(docs/modules/eks_sso_role.md).
author:
  - eks.access developers (@eks-access)
options:
  permission_set:
    description:
      - Name of the permission set, for example C(EKSClusterAdminAccess).
      - With O(instance_arn) the name is checked against the instance's permission sets (sso-admin
        C(ListPermissionSets) and C(DescribePermissionSet)).
      - One of O(permission_set) and O(permission_set_arn) is required.
    type: str
    aliases: [permission_set_name]
  permission_set_arn:
    description:
      - ARN of the permission set, C(arn:aws:sso:::permissionSet/ssoins-ID/ps-ID). Its name is read with sso-admin
        C(DescribePermissionSet); the instance is taken from the ARN.
      - When O(permission_set) is given too, both must name the same permission set.
    type: str
  instance_arn:
    description:
      - ARN of the IAM Identity Center instance, C(arn:aws:sso:::instance/ssoins-ID). Makes the module resolve
        O(permission_set) through sso-admin, and explain a missing role (permission set not provisioned to the
        account). Not needed with O(permission_set_arn).
    type: str
  sso_region:
    description:
      - Region of the IAM Identity Center instance, for the sso-admin calls. Defaults to O(region).
      - Only used with O(instance_arn) or O(permission_set_arn).
    type: str
  account_id:
    description:
      - AWS account whose role is mapped. Defaults to the account of the AWS credentials.
      - IAM only lists the roles of the account it is called in, so a different account fails; set it to make
        sure the task runs with the intended credentials.
    type: str
  username:
    description:
      - Kubernetes username of the mapping. Defaults to C(sso:<permission set>), one fixed name for everyone
        signing in with the permission set.
      - C({{SessionName}}) is the Identity Center user name, so for example C(sso-admin:{{SessionName}}) makes
        each person show up by name in the audit log. In a playbook write it with C(!unsafe).
      - A username made of template variables only warns; keep a fixed prefix.
    type: str
  groups:
    description:
      - Kubernetes groups of the mapping or access entry, for example a group of your own bound with a
        ClusterRoleBinding. In aws-auth C(system:masters) works but warns; an access entry refuses every
        C(system:) group (use the access policy C(AmazonEKSClusterAdminPolicy) instead).
      - Omitted on an existing mapping or entry, its groups are kept; on a new one, no groups.
    type: list
    elements: str
  access_method:
    description:
      - How the permission set gets its access.
      - V(auto) follows the cluster's authentication mode - V(access_entry) on C(API_AND_CONFIG_MAP) and C(API),
        V(aws_auth) on C(CONFIG_MAP); with O(state=absent), every way the mode reads. Without O(cluster_name)
        (a kubeconfig only) the mode cannot be read and aws-auth is used.
      - V(access_entry) needs O(cluster_name) and a cluster whose mode has access entries.
      - V(aws_auth) writes aws-auth only; refused on an C(API) cluster, which ignores aws-auth.
    type: str
    choices: [auto, access_entry, aws_auth]
    default: auto
  access_policies:
    description:
      - EKS access policies of the access entry, each with its scope, as in M(eks.access.eks_access_entry).
        Omitted on an existing entry, its policies are kept.
      - Only for the access-entry path; refused when the cluster's mode (or O(access_method)) means aws-auth.
    type: list
    elements: dict
    suboptions:
      policy:
        description: Name (C(AmazonEKSViewPolicy)) or ARN of the access policy.
        type: str
        required: true
      access_scope:
        description: Where the policy applies; the whole cluster when omitted.
        type: dict
        suboptions:
          type:
            description: V(cluster), or V(namespace) with O(access_policies[].access_scope.namespaces).
            type: str
            choices: [cluster, namespace]
          namespaces:
            description: Namespaces (or prefixes ending in C(*)) of a namespace scope.
            type: list
            elements: str
  append_groups:
    description:
      - Add O(groups) to the groups of an existing mapping instead of replacing them.
    type: bool
    default: false
  state:
    description:
      - V(present) grants the permission set's role; V(absent) removes every access entry and mapping of the
        permission set.
      - With O(creator_role), V(absent) also removes the permission set's roles from the creator role's trust
        policy, and deletes the creator role when this module created it for this permission set and nothing else
        is trusted.
    type: str
    choices: [present, absent]
    default: present
  creator_role:
    description:
      - A separate IAM role to create clusters with (the cluster creator keeps permanent admin rights on the
        clusters it creates, so it should not be an identity people use every day).
      - Its trust policy lets the permission set's role, by its ARN with the path, C(sts:AssumeRole) it. Other
        statements are kept; roles of the same permission set with another hash (earlier provisionings) are
        taken out. A new role gets C(eks.access/*) ownership tags.
      - The role gets only the policies given here; there is no default policy.
    type: dict
    suboptions:
      name:
        description: Name of the role, for example C(EKSClusterCreator).
        type: str
        required: true
      path:
        description: Path of the role when it is created (an existing role keeps its path).
        type: str
        default: /
      description:
        description: Description of the role.
        type: str
      managed_policies:
        description: ARNs of managed policies to attach. Not given means the attached policies are not managed.
        type: list
        elements: str
      inline_policies:
        description:
          - Inline policies, name to policy document (a dict or a JSON string). Not given means the inline policies
            are not managed.
        type: dict
      purge_policies:
        description:
          - Detach managed policies not in O(creator_role.managed_policies) and delete inline policies not in
            O(creator_role.inline_policies) (only for the options that are given).
        type: bool
        default: true
      max_session_duration:
        description: Maximum session duration in seconds (3600 to 43200).
        type: int
      permissions_boundary:
        description: ARN of a managed policy to set as permissions boundary.
        type: str
      tags:
        description: Tags to add to the role; other tags are kept.
        type: dict
  allow_node_mapping_changes:
    description:
      - Allow the change when the role's current mapping is a node mapping (groups contain C(system:nodes)) and
        would lose node access.
    type: bool
    default: false
  allow_self_lockout:
    description:
      - Allow removing or reducing the mapping of the identity this task authenticates to Kubernetes as (for
        example when the task itself runs as the permission set's role).
    type: bool
    default: false
  backup:
    description:
      - Before changing an existing aws-auth, keep its previous content in a file under O(backup_dir) and
        return its path as RV(backup_file).
    type: bool
    default: false
  backup_dir:
    description: Where backups go. Defaults to C(~/.ansible/backups/eks.access).
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
    description: Nothing is written; the aws-auth write is validated with a server-side dry run.
  diff_mode:
    support: full
    description: Shows aws-auth or the access entries before and after, and the creator role's trust policy and
      policies.
notes:
  - Needs C(iam:ListRoles) in the account, C(sts:GetCallerIdentity), C(eks:DescribeCluster) (and on the
    access-entry path the C(eks) access entry and access policy actions), and with O(instance_arn) or
    O(permission_set_arn) C(sso:DescribePermissionSet), C(sso:ListPermissionSets) and
    C(sso:ListAccountsForProvisionedPermissionSet). O(creator_role) needs the IAM role and policy actions.
  - "IAM rejects a trust policy naming a role that does not exist: the SSO role must be provisioned before
    O(creator_role) can trust it."
"""

EXAMPLES = r"""
- name: Map the EKSClusterAdminAccess permission set to a group bound by RBAC, each person by name
  eks.access.eks_sso_role:
    cluster_name: prod-eu
    permission_set: EKSClusterAdminAccess
    username: !unsafe "sso-admin:{{SessionName}}"
    groups: [eks-cluster-admins]
  register: sso_admin

- name: On an API or API_AND_CONFIG_MAP cluster - an access entry with access policies, no RBAC needed
  eks.access.eks_sso_role:
    cluster_name: prod-eu
    permission_set: EKSReadOnly
    username: !unsafe "sso-viewer:{{SessionName}}"
    access_policies:
      - policy: AmazonEKSViewPolicy
        access_scope: {type: namespace, namespaces: [team-a, team-b]}

- name: Resolve the permission set through IAM Identity Center (Identity Center in us-east-1)
  eks.access.eks_sso_role:
    cluster_name: prod-eu
    permission_set_arn: arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-0123456789abcdef
    sso_region: us-east-1
    groups: [eks-readers]

- name: As in the AWS walkthrough - system:masters, plus the EKSClusterCreator role the SSO role may assume
  eks.access.eks_sso_role:
    kubeconfig: ~/.kube/config-ekssso-EKSClusterAdmin
    permission_set: EKSClusterAdminAccess
    username: cluster-admin
    groups: [system:masters]
    creator_role:
      name: EKSClusterCreator
      managed_policies:
        - "arn:aws:iam::111122223333:policy/EKSClusterCreatorPolicy"

- name: Unmap the permission set (every hash it ever had) and stop trusting it in the creator role
  eks.access.eks_sso_role:
    cluster_name: prod-eu
    permission_set: EKSClusterAdminAccess
    creator_role:
      name: EKSClusterCreator
    state: absent
"""

RETURN = r"""
permission_set:
  description: Name of the permission set.
  returned: always
  type: str
  sample: EKSClusterAdminAccess
permission_set_arn:
  description: ARN of the permission set; null when neither O(instance_arn) nor O(permission_set_arn) was given.
  returned: always
  type: str
instance_arn:
  description: ARN of the IAM Identity Center instance; null when not used.
  returned: always
  type: str
account_id:
  description: The account whose role was looked up.
  returned: always
  type: str
  sample: "111122223333"
role_name:
  description: Name of the permission set's IAM role; null with O(state=absent) when there is none.
  returned: always
  type: str
  sample: AWSReservedSSO_EKSClusterAdminAccess_4ffa4321e413c0b0
role_arn:
  description: ARN of the role with its path, the form IAM trust policies need.
  returned: always
  type: str
  sample: arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_EKSClusterAdminAccess_4ffa4321e413c0b0
aws_auth_arn:
  description: ARN of the role without its path, the form aws-auth needs.
  returned: always
  type: str
  sample: arn:aws:iam::111122223333:role/AWSReservedSSO_EKSClusterAdminAccess_4ffa4321e413c0b0
role_path:
  description: IAM path of the role.
  returned: always
  type: str
  sample: /aws-reserved/sso.amazonaws.com/
role_path_region:
  description: Region in the role's path (Identity Center outside us-east-1); null for the global path.
  returned: always
  type: str
stale_mappings:
  description:
    - C(mapRoles) ARNs of the same permission set with another hash, left over from an earlier provisioning.
      They are reported with a warning and left in place; O(state=absent) removes them.
  returned: always
  type: list
  elements: str
created:
  description:
    - The aws-auth mappings added, each named by its role or user ARN (or the account ID for C(mapAccounts)); the whole
      mappings are in RV(mappings) and the diff.
  returned: always
  type: list
  elements: str
  sample: ["arn:aws:iam::111122223333:role/dev"]
updated:
  description: The aws-auth mappings changed in place, named as in RV(created).
  returned: always
  type: list
  elements: str
deleted:
  description: The aws-auth mappings removed, named as in RV(created).
  returned: always
  type: list
  elements: str
mappings:
  description: The aws-auth mappings after the task, as the authenticator reads them; null when aws-auth was not used.
  returned: always
  type: dict
  contains:
    mapRoles: {description: Role mappings., type: list, elements: dict, returned: always}
    mapUsers: {description: User mappings., type: list, elements: dict, returned: always}
    mapAccounts: {description: Account IDs., type: list, elements: str, returned: always}
resource_version:
  description: C(metadata.resourceVersion) of aws-auth after the task; null when it does not exist.
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
backup_file:
  description: Path of the backup of the previous aws-auth content.
  returned: when O(backup=true) and aws-auth changed
  type: str
access_method:
  description: The ways the permission set was granted or revoked - V(access_entry), V(aws_auth) or both.
  returned: always
  type: list
  elements: str
  sample: [access_entry]
authentication_mode:
  description: The cluster's authentication mode; null when it was not read (O(access_method=aws_auth), no
    O(cluster_name)).
  returned: always
  type: str
  sample: API
access_entry:
  description: The permission set's access entry after the task (as M(eks.access.eks_access_entry) returns
    entries); null without one.
  returned: always
  type: dict
access_entries:
  description: Access entries the task created, updated and deleted (principal ARNs), and each change.
  returned: always
  type: dict
  contains:
    created: {description: Principal ARNs of new entries., type: list, elements: str, returned: always}
    updated: {description: Principal ARNs of changed entries., type: list, elements: str, returned: always}
    deleted: {description: Principal ARNs of deleted entries., type: list, elements: str, returned: always}
    changes: {description: Per entry its action and the policies associated and disassociated., type: list,
              elements: dict, returned: always}
stale_entries:
  description: Access entries of the permission set's earlier roles (another hash) that were replaced by the
    current role's entry.
  returned: always
  type: list
  elements: str
msg:
  description: What happened to stale entries, in one sentence.
  returned: when RV(stale_entries) is not empty
  type: str
creator_role:
  description: The cluster-creator role after the task.
  returned: when O(creator_role) is given
  type: dict
  contains:
    name: {description: Role name., type: str, returned: always}
    arn: {description: Role ARN., type: str, returned: always}
    action:
      description: What was (or in check mode would be) done - V(create), V(update), V(untrust), V(delete) or V(none).
      type: str
      returned: always
    exists: {description: Whether the role exists after the task., type: bool, returned: always}
    trust_policy: {description: Trust policy after the task; null when the role is gone., type: dict, returned: always}
    attached_policies: {description: Attached managed policy ARNs., type: list, elements: str, returned: always}
    inline_policies: {description: Names of the inline policies., type: list, elements: str, returned: always}
    untrusted_principals:
      description: Principals taken out of the trust policy (earlier roles of the permission set).
      type: list
      elements: str
      returned: always
"""

from ansible_collections.eks.access.plugins.module_utils.module import main as module_main
from ansible_collections.eks.access.plugins.module_utils.runners import eks_sso_role as runner
from ansible_collections.eks.access.plugins.module_utils.model import sso


CREATOR_ROLE_OPTIONS = dict(
    name=dict(type="str", required=True),
    path=dict(type="str", default="/"),
    description=dict(type="str"),
    managed_policies=dict(type="list", elements="str"),
    inline_policies=dict(type="dict"),
    purge_policies=dict(type="bool", default=True),
    max_session_duration=dict(type="int"),
    permissions_boundary=dict(type="str"),
    tags=dict(type="dict"),
)


SSO_ROLE_ARG_SPEC = dict(
    permission_set=dict(type="str", aliases=["permission_set_name"]),
    permission_set_arn=dict(type="str"),
    instance_arn=dict(type="str"),
    sso_region=dict(type="str"),
    account_id=dict(type="str"),
    username=dict(type="str"),
    groups=dict(type="list", elements="str"),
    creator_role=dict(type="dict", options=CREATOR_ROLE_OPTIONS),
    access_method=dict(type="str", default="auto", choices=list(sso.ACCESS_METHODS)),
    # as eks_access_entry's entries[].access_policies
    access_policies=dict(type="list", elements="dict", options=dict(
        policy=dict(type="str", required=True),
        access_scope=dict(type="dict", options=dict(
            type=dict(type="str", choices=["cluster", "namespace"]),
            namespaces=dict(type="list", elements="str"),
        )),
    )),
    # the aws-auth guards, as aws_auth_mapping spells them
    state=dict(type="str", default="present", choices=["present", "absent"]),
    append_groups=dict(type="bool", default=False),
    allow_node_mapping_changes=dict(type="bool", default=False),
    allow_self_lockout=dict(type="bool", default=False),
    backup=dict(type="bool", default=False),
    backup_dir=dict(type="path"),
)


def main():
    module_main(runner, SSO_ROLE_ARG_SPEC, required_one_of=[("permission_set", "permission_set_arn")])


if __name__ == "__main__":
    main()
