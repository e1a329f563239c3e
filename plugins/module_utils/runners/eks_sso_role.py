# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What eks_sso_role runs: the AWS and aws-auth I/O around the pure SSO planners.

Order, so that a refusal leaves everything as it was:

1. read: caller identity, the permission set (sso-admin, only when an
   instance or permission set ARN is given), the ``AWSReservedSSO_*`` roles
   of the account, and the cluster-creator role when one is asked for;
2. plan everything that can be planned without Kubernetes (sso.py,
   trust_policy.py, irsa.plan_role_changes) - bad input fails here;
3. map (or unmap) the role through aws_auth_runner.run_mapping, the one
   aws-auth editor (validation, lockout guard, resourceVersion retries);
4. only then write the cluster-creator role (nothing in check mode).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Optional

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.eks.access.plugins.module_utils.model import arn
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import plan as aws_auth_plan
from ansible_collections.eks.access.plugins.module_utils.model import irsa
from ansible_collections.eks.access.plugins.module_utils.model import sso
from ansible_collections.eks.access.plugins.module_utils.runners import aws_auth_mapping
from ansible_collections.eks.access.plugins.module_utils.services import iam_role
from ansible_collections.eks.access.plugins.module_utils.model.sso import SsoRoleError

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
)
for _key in ("state", "append_groups", "allow_node_mapping_changes", "allow_self_lockout", "backup", "backup_dir"):
    SSO_ROLE_ARG_SPEC[_key] = copy.deepcopy(aws_auth_mapping.MAPPING_ARG_SPEC[_key])

DOCS_LEAST_PRIVILEGE = "'Least-privileged groups' in docs/modules/eks_sso_role.md"
# eks_sso_role has no repair option: a broken aws-auth is repaired with the mapping module.
REPAIR_HINT = "repair it with eks.access.aws_auth_mapping (repair=true)"


@dataclass
class CreatorRoleOptions:
    """The ``creator_role`` suboptions."""

    name: str
    path: str = "/"
    description: Optional[str] = None
    managed_policies: Optional[list] = None
    inline_policies: Optional[dict] = None
    purge_policies: bool = True
    max_session_duration: Optional[int] = None
    permissions_boundary: Optional[str] = None
    tags: Optional[dict] = None

    def role_settings(self):
        return dict(description=self.description, max_session_duration=self.max_session_duration,
                    permissions_boundary=self.permissions_boundary)


@dataclass
class Options(aws_auth_mapping.Guards):
    """eks_sso_role's parameters."""

    permission_set: Optional[str] = None
    permission_set_arn: Optional[str] = None
    instance_arn: Optional[str] = None
    sso_region: Optional[str] = None
    account_id: Optional[str] = None
    username: Optional[str] = None
    groups: Optional[list] = None
    creator_role: Optional[CreatorRoleOptions] = None
    state: str = "present"
    append_groups: bool = False

    def __post_init__(self):
        if isinstance(self.creator_role, dict):
            self.creator_role = CreatorRoleOptions(**self.creator_role)


# ---------------------------------------------------------------------------
# reads
# ---------------------------------------------------------------------------


def list_sso_roles(iam):
    """Every role under Identity Center's path (global and regional forms)."""
    return iam.paginate("list_roles", PathPrefix=sso.SSO_PATH_PREFIX).get("Roles", [])


def _describe(client, instance_arn, permission_set_arn):
    try:
        return client.describe_permission_set(InstanceArn=instance_arn, PermissionSetArn=permission_set_arn)
    except is_boto3_error_code("ResourceNotFoundException"):
        raise SsoRoleError("permission set %s does not exist in IAM Identity Center instance %s"
                           % (permission_set_arn, instance_arn))


def resolve_permission_set(context, options: Options):
    """``{"name", "arn", "instance_arn", "client"}`` of the permission set the task names.

    Without ``instance_arn`` and ``permission_set_arn`` the name is used as
    given and sso-admin is not called (an account admin rarely may call it).
    """
    name = options.permission_set
    ps_arn = options.permission_set_arn
    if name is not None:
        sso.validate_permission_set_name(name)
    instance_arn = sso.instance_for(ps_arn, options.instance_arn)
    if instance_arn is None:
        return {"name": name, "arn": None, "instance_arn": None, "client": None}
    client = context.aws("sso-admin", region=options.sso_region)
    if ps_arn is not None:
        described_name = sso.permission_set_name_from_describe(_describe(client, instance_arn, ps_arn))
        if name is not None and name != described_name:
            raise SsoRoleError("permission_set_arn %s is the permission set %r, not %r"
                               % (ps_arn, described_name, name))
        name = described_name
    else:
        arns = client.paginate("list_permission_sets", InstanceArn=instance_arn).get("PermissionSets", [])
        described = [_describe(client, instance_arn, a) for a in arns]
        ps_arn = sso.find_permission_set(described, name)["PermissionSetArn"]
    return {"name": name, "arn": ps_arn, "instance_arn": instance_arn, "client": client}


def provisioning_hint(permission_set, account_id):
    """Why a permission set may have no role in the account, when sso-admin can tell."""
    if permission_set["client"] is None:
        return ""
    accounts = permission_set["client"].paginate(
        "list_accounts_for_provisioned_permission_set", InstanceArn=permission_set["instance_arn"],
        PermissionSetArn=permission_set["arn"]).get("AccountIds", [])
    if account_id in accounts:
        return ("; Identity Center reports %s as provisioned to account %s: its role may still be being created, "
                "or was deleted in IAM (re-provision the permission set)" % (permission_set["name"], account_id))
    return ("; permission set %s is not provisioned to account %s (provisioned to: %s); assign it to the account in "
            "IAM Identity Center" % (permission_set["name"], account_id, ", ".join(accounts) or "no account"))


# ---------------------------------------------------------------------------
# creator role: plan and write
# ---------------------------------------------------------------------------


def plan_creator_present(creator: iam_role.RoleSnapshot, options: CreatorRoleOptions, sso_role_arn,
                         permission_set_name, account_id):
    trust_after, trust_changed, stale = sso.plan_creator_trust(creator.trust, sso_role_arn, permission_set_name,
                                                               account_id)
    changes = irsa.plan_role_changes(
        creator.role, creator.tags, creator.attached, creator.inline, trust_changed, tags=options.tags or {},
        managed_policies=options.managed_policies, inline_policies=options.inline_policies,
        purge_policies=options.purge_policies, **options.role_settings())
    inline_after = dict(creator.inline)
    for policy_name in changes["to_delete"]:
        inline_after.pop(policy_name, None)
    inline_after.update(changes["to_put"])
    return {"action": "create" if changes["create"] else ("update" if changes["changed"] else "none"),
            "changes": changes, "trust_after": trust_after, "untrusted": stale,
            "after": {"arn": creator.arn, "trust_policy": trust_after, "attached_policies": changes["attached_after"],
                      "inline_policies": inline_after}}


def plan_creator_absent(creator: iam_role.RoleSnapshot, permission_set_name, account_id):
    if not creator.exists:
        return {"action": "none", "untrusted": [], "after": {}}
    trust_after, removed, remaining = sso.plan_creator_trust_removal(creator.trust, permission_set_name, account_id)
    if not remaining and irsa.carries_tags(creator.tags, sso.creator_ownership_tags(permission_set_name)):
        return {"action": "delete", "untrusted": removed, "after": {}}
    after = creator.view()
    after["trust_policy"] = trust_after
    return {"action": "untrust" if removed else "none", "untrusted": removed, "trust_after": trust_after,
            "remaining": remaining, "after": after}


def write_creator(roles: iam_role.IamRoles, creator: iam_role.RoleSnapshot, options: CreatorRoleOptions, plan,
                  permission_set_name):
    if plan["action"] in ("create", "update"):
        create_tags = dict(options.tags or {})
        create_tags.update(sso.creator_ownership_tags(permission_set_name))
        created_arn = roles.apply(creator, plan["changes"], plan["trust_after"], path=options.path,
                                  create_tags=create_tags, **options.role_settings())
        if created_arn:
            creator.arn = created_arn
            plan["after"]["arn"] = created_arn
    elif plan["action"] == "untrust":
        roles.update_trust(creator.name, plan["trust_after"])
    elif plan["action"] == "delete":
        roles.delete(creator)


def _creator_result(creator: iam_role.RoleSnapshot, plan):
    after = plan["after"]
    return {
        "name": creator.name,
        "arn": creator.arn,
        "action": plan["action"],
        "exists": plan["action"] != "delete" and (creator.exists or plan["action"] == "create"),
        "trust_policy": after.get("trust_policy"),
        "attached_policies": after.get("attached_policies", []),
        "inline_policies": sorted(after.get("inline_policies") or {}),
        "untrusted_principals": plan["untrusted"],
    }


# ---------------------------------------------------------------------------
# main flow
# ---------------------------------------------------------------------------


def _check_account(wanted, caller_account):
    if wanted is None:
        return
    wanted = arn.validate_account_id(wanted)
    if wanted != caller_account:
        raise SsoRoleError(
            "account_id %s is not the account of the AWS credentials (%s); IAM only lists the roles of the "
            "account it is called in, so run the task with credentials (profile) of account %s"
            % (wanted, caller_account, wanted))


def run(context, options: Options) -> dict:
    state = options.state
    iam = context.aws("iam")
    identity = context.caller_identity()
    account_id = identity["Account"]
    partition = context.partition()
    _check_account(options.account_id, account_id)
    if options.username is not None and state == "present":
        for warning in sso.username_warnings(options.username):
            context.warn(warning)

    permission_set = resolve_permission_set(context, options)
    name = permission_set["name"]

    role = None
    try:
        role = sso.select_sso_role(list_sso_roles(iam), name)
    except SsoRoleError as e:
        if state == "present":
            raise SsoRoleError(str(e) + provisioning_hint(permission_set, account_id), existing=e.existing,
                               matches=e.matches)
        # absent: every mapping and trust of the permission set goes, whatever role IAM has (or had).
    role_arns = sso.sso_role_arns(role) if role else None

    roles_service = iam_role.IamRoles(iam)
    creator = None
    creator_plan = None
    if options.creator_role:
        creator_options = options.creator_role
        creator = roles_service.get(creator_options.name, partition, account_id, creator_options.path)
        if state == "present":
            creator_plan = plan_creator_present(creator, creator_options, role_arns["arn"], name, account_id)
        else:
            creator_plan = plan_creator_absent(creator, name, account_id)
    creator_before = creator.view() if creator else None

    if state == "present":
        groups = options.groups
        if groups and aws_auth_plan.MASTERS_GROUP in groups:
            context.warn(
                "permission set %s is mapped to %s: everyone who signs in with it is cluster admin, and RBAC can "
                "neither restrict nor revoke that; consider a group of your own bound by a ClusterRoleBinding "
                "(see %s)" % (name, aws_auth_plan.MASTERS_GROUP, DOCS_LEAST_PRIVILEGE))
        username = options.username if options.username is not None else sso.default_username(name)
        roles = [{"rolearn": role_arns["aws_auth_arn"], "username": username, "groups": groups}]
    else:
        def roles(current):
            return [{"rolearn": a} for a in sso.permission_set_mappings(current.map_roles, name, account_id)]

    mapping = aws_auth_mapping.run_mapping(context, options, roles, None, None, state,
                                           append_groups=options.append_groups, repair_hint=REPAIR_HINT)

    if creator is not None and creator_plan["action"] != "none" and not context.check_mode:
        write_creator(roles_service, creator, options.creator_role, creator_plan, name)

    result = dict(mapping)
    result.pop("diff", None)
    result.update(
        permission_set=name,
        permission_set_arn=permission_set["arn"],
        instance_arn=permission_set["instance_arn"],
        account_id=account_id,
        role_name=role["RoleName"] if role else None,
        role_arn=role_arns["arn"] if role_arns else None,
        aws_auth_arn=role_arns["aws_auth_arn"] if role_arns else None,
        role_path=role["Path"] if role else None,
        role_path_region=role_arns["region"] if role_arns else None,
        stale_mappings=[],
    )
    if state == "present":
        stale = sso.stale_mappings(mapping["mappings"]["mapRoles"], name, account_id, role["RoleName"])
        result["stale_mappings"] = stale
        for stale_arn in stale:
            context.warn("aws-auth still maps %s, a role permission set %s had before it was provisioned again; "
                         "nobody can sign in with it any more. Remove it with eks.access.aws_auth_mapping "
                         "(state=absent)" % (stale_arn, name))
    if creator is not None:
        result["creator_role"] = _creator_result(creator, creator_plan)
        result["changed"] = result["changed"] or creator_plan["action"] != "none"
        if creator_plan["action"] == "untrust" and not creator_plan["remaining"]:
            context.warn("cluster-creator role %s trusts nobody any more and was not created by eks.access for "
                         "permission set %s, so it is kept" % (creator.name, name))
    if context.diff_mode:
        diffs = [mapping["diff"]]
        if creator is not None:
            diffs.append(dict(before_header="IAM role %s" % creator.name, after_header="IAM role %s" % creator.name,
                              before=creator_before, after=creator_plan["after"]))
        result["diff"] = diffs
    return result
