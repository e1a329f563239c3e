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
import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.eks.access.plugins.module_utils import arn
from ansible_collections.eks.access.plugins.module_utils import aws_auth
from ansible_collections.eks.access.plugins.module_utils.runners import aws_auth_mapping as aws_auth_runner
from ansible_collections.eks.access.plugins.module_utils import irsa
from ansible_collections.eks.access.plugins.module_utils.runners import irsa_service_account as irsa_runner
from ansible_collections.eks.access.plugins.module_utils import sso
from ansible_collections.eks.access.plugins.module_utils import trust_policy
from ansible_collections.eks.access.plugins.module_utils.sso import SsoRoleError

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
    SSO_ROLE_ARG_SPEC[_key] = copy.deepcopy(aws_auth_runner.MAPPING_ARG_SPEC[_key])

DOCS_LEAST_PRIVILEGE = "'Least-privileged groups' in docs/modules/eks_sso_role.md"

SSO_ADMIN_RETRY = AWSRetry.jittered_backoff()


# ---------------------------------------------------------------------------
# reads
# ---------------------------------------------------------------------------


def list_sso_roles(iam):
    """Every role under Identity Center's path (global and regional forms)."""
    paginator = iam.get_paginator("list_roles")
    return paginator.paginate(PathPrefix=sso.SSO_PATH_PREFIX).build_full_result().get("Roles", [])


def _sso_admin(module):
    region = module.params["sso_region"] or module.region
    return module.client("sso-admin", region=region, retry_decorator=SSO_ADMIN_RETRY)


def _describe(client, instance_arn, permission_set_arn):
    try:
        return client.describe_permission_set(aws_retry=True, InstanceArn=instance_arn, PermissionSetArn=permission_set_arn)
    except is_boto3_error_code("ResourceNotFoundException"):
        raise SsoRoleError("permission set %s does not exist in IAM Identity Center instance %s"
                           % (permission_set_arn, instance_arn))


def resolve_permission_set(module):
    """``{"name", "arn", "instance_arn", "client"}`` of the permission set the task names.

    Without ``instance_arn`` and ``permission_set_arn`` the name is used as
    given and sso-admin is not called (an account admin rarely may call it).
    """
    params = module.params
    name = params["permission_set"]
    ps_arn = params["permission_set_arn"]
    if name is not None:
        sso.validate_permission_set_name(name)
    instance_arn = sso.instance_for(ps_arn, params["instance_arn"])
    if instance_arn is None:
        return {"name": name, "arn": None, "instance_arn": None, "client": None}
    client = _sso_admin(module)
    if ps_arn is not None:
        described_name = sso.permission_set_name_from_describe(_describe(client, instance_arn, ps_arn))
        if name is not None and name != described_name:
            raise SsoRoleError("permission_set_arn %s is the permission set %r, not %r"
                               % (ps_arn, described_name, name))
        name = described_name
    else:
        paginator = client.get_paginator("list_permission_sets")
        arns = paginator.paginate(InstanceArn=instance_arn).build_full_result().get("PermissionSets", [])
        described = [_describe(client, instance_arn, a) for a in arns]
        ps_arn = sso.find_permission_set(described, name)["PermissionSetArn"]
    return {"name": name, "arn": ps_arn, "instance_arn": instance_arn, "client": client}


def provisioning_hint(permission_set, account_id):
    """Why a permission set may have no role in the account, when sso-admin can tell."""
    if permission_set["client"] is None:
        return ""
    paginator = permission_set["client"].get_paginator("list_accounts_for_provisioned_permission_set")
    accounts = paginator.paginate(
        InstanceArn=permission_set["instance_arn"], PermissionSetArn=permission_set["arn"]
    ).build_full_result().get("AccountIds", [])
    if account_id in accounts:
        return ("; Identity Center reports %s as provisioned to account %s: its role may still be being created, "
                "or was deleted in IAM (re-provision the permission set)" % (permission_set["name"], account_id))
    return ("; permission set %s is not provisioned to account %s (provisioned to: %s); assign it to the account in "
            "IAM Identity Center" % (permission_set["name"], account_id, ", ".join(accounts) or "no account"))


class CreatorRole:
    """The cluster-creator role as IAM has it now (the planners below only read its attributes)."""

    def __init__(self, iam, options, partition, account_id):
        self.options = options
        self.name = options["name"]
        # Validates name and path before anything happens.
        self.planned_arn = arn.role_arn(partition, account_id, self.name, irsa_runner.normalize_path(options["path"]))
        self.role = irsa_runner.get_role(iam, self.name)
        if self.role:
            self.arn = self.role["Arn"]
            self.trust = trust_policy.load_policy(self.role.get("AssumeRolePolicyDocument"))
            self.attached = irsa_runner.attached_policies(iam, self.name)
            self.inline = irsa_runner.inline_policies(iam, self.name)
            self.tags = irsa_runner.role_tags(iam, self.name)
        else:
            self.arn = self.planned_arn
            self.trust = None
            self.attached = []
            self.inline = {}
            self.tags = {}


def snapshot(creator):
    """The creator role's diff-relevant state ({} when it does not exist)."""
    if creator.role is None:
        return {}
    return {"arn": creator.arn, "trust_policy": creator.trust, "attached_policies": list(creator.attached),
            "inline_policies": dict(creator.inline)}


# ---------------------------------------------------------------------------
# creator role: plan and write
# ---------------------------------------------------------------------------


def _creator_settings(options):
    return dict(description=options["description"], max_session_duration=options["max_session_duration"],
                permissions_boundary=options["permissions_boundary"])


def plan_creator_present(creator, sso_role_arn, permission_set_name, account_id):
    options = creator.options
    trust_after, trust_changed, stale = sso.plan_creator_trust(creator.trust, sso_role_arn, permission_set_name, account_id)
    changes = irsa.plan_role_changes(
        creator.role, creator.tags, creator.attached, creator.inline, trust_changed, tags=options["tags"] or {},
        managed_policies=options["managed_policies"], inline_policies=options["inline_policies"],
        purge_policies=options["purge_policies"], **_creator_settings(options))
    inline_after = dict(creator.inline)
    for policy_name in changes["to_delete"]:
        inline_after.pop(policy_name, None)
    inline_after.update(changes["to_put"])
    return {"action": "create" if changes["create"] else ("update" if changes["changed"] else "none"),
            "changes": changes, "trust_after": trust_after, "untrusted": stale,
            "after": {"arn": creator.arn, "trust_policy": trust_after, "attached_policies": changes["attached_after"],
                      "inline_policies": inline_after}}


def plan_creator_absent(creator, permission_set_name, account_id):
    if creator.role is None:
        return {"action": "none", "untrusted": [], "after": {}}
    trust_after, removed, remaining = sso.plan_creator_trust_removal(creator.trust, permission_set_name, account_id)
    if not remaining and irsa.carries_tags(creator.tags, sso.creator_ownership_tags(permission_set_name)):
        return {"action": "delete", "untrusted": removed, "after": {}}
    after = snapshot(creator)
    after["trust_policy"] = trust_after
    return {"action": "untrust" if removed else "none", "untrusted": removed, "trust_after": trust_after,
            "remaining": remaining, "after": after}


def write_creator(iam, creator, plan, permission_set_name):
    options = creator.options
    if plan["action"] in ("create", "update"):
        create_tags = dict(options["tags"] or {})
        create_tags.update(sso.creator_ownership_tags(permission_set_name))
        created_arn = irsa_runner.apply_role_changes(
            iam, creator.name, plan["changes"], plan["trust_after"], path=options["path"], create_tags=create_tags,
            **_creator_settings(options))
        if created_arn:
            creator.arn = created_arn
            plan["after"]["arn"] = created_arn
    elif plan["action"] == "untrust":
        iam.update_assume_role_policy(aws_retry=True, RoleName=creator.name,
                                      PolicyDocument=json.dumps(plan["trust_after"]))
    elif plan["action"] == "delete":
        irsa_runner.delete_role(iam, creator.name, creator.attached, creator.inline)


def _creator_result(creator, plan):
    after = plan["after"]
    return {
        "name": creator.name,
        "arn": creator.arn,
        "action": plan["action"],
        "exists": plan["action"] != "delete" and (creator.role is not None or plan["action"] == "create"),
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


def run(module):
    params = module.params
    state = params["state"]
    iam = module.client("iam", retry_decorator=irsa_runner.RETRY)
    identity = module.client("sts").get_caller_identity()
    account_id = identity["Account"]
    partition = identity["Arn"].split(":")[1]
    _check_account(params["account_id"], account_id)
    if params["username"] is not None and state == "present":
        for warning in sso.username_warnings(params["username"]):
            module.warn(warning)

    permission_set = resolve_permission_set(module)
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

    creator = None
    creator_plan = None
    if params["creator_role"]:
        creator = CreatorRole(iam, params["creator_role"], partition, account_id)
        if state == "present":
            creator_plan = plan_creator_present(creator, role_arns["arn"], name, account_id)
        else:
            creator_plan = plan_creator_absent(creator, name, account_id)

    if state == "present":
        groups = params["groups"]
        if groups and aws_auth.MASTERS_GROUP in groups:
            module.warn(
                "permission set %s is mapped to %s: everyone who signs in with it is cluster admin, and RBAC can "
                "neither restrict nor revoke that; consider a group of your own bound by a ClusterRoleBinding "
                "(see %s)" % (name, aws_auth.MASTERS_GROUP, DOCS_LEAST_PRIVILEGE))
        username = params["username"] if params["username"] is not None else sso.default_username(name)
        roles = [{"rolearn": role_arns["aws_auth_arn"], "username": username, "groups": groups}]
    else:
        def roles(current):
            return [{"rolearn": a} for a in sso.permission_set_mappings(current.map_roles, name, account_id)]

    mapping = aws_auth_runner.run_mapping(module, roles, None, None, state, append_groups=params["append_groups"])

    if creator is not None and creator_plan["action"] != "none" and not module.check_mode:
        write_creator(iam, creator, creator_plan, name)

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
            module.warn("aws-auth still maps %s, a role permission set %s had before it was provisioned again; "
                        "nobody can sign in with it any more. Remove it with eks.access.aws_auth_mapping "
                        "(state=absent)" % (stale_arn, name))
    if creator is not None:
        result["creator_role"] = _creator_result(creator, creator_plan)
        result["changed"] = result["changed"] or creator_plan["action"] != "none"
        if creator_plan["action"] == "untrust" and not creator_plan["remaining"]:
            module.warn("cluster-creator role %s trusts nobody any more and was not created by eks.access for "
                        "permission set %s, so it is kept" % (creator.name, name))
    if module._diff:
        diffs = [mapping["diff"]]
        if creator is not None:
            diffs.append(dict(before_header="IAM role %s" % creator.name, after_header="IAM role %s" % creator.name,
                              before=snapshot(creator), after=creator_plan["after"]))
        result["diff"] = diffs
    return result
