# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What eks_sso_role runs: the AWS and aws-auth I/O around the pure SSO planners.

Order, so that a refusal leaves everything as it was:

1. read: caller identity, the permission set (sso-admin, only when an
   instance or permission set ARN is given), the ``AWSReservedSSO_*`` roles
   of the account, and the cluster-creator role when one is asked for;
2. plan everything that can be planned without Kubernetes (sso.py,
   trust_policy.py, irsa.plan_role_changes) - bad input fails here;
3. on the access-entry path (access_method, sso.access_methods): plan the
   permission set's access entry with model/access_entry.py (the role's
   real ARN, path included; entries of earlier hashes replaced);
4. map (or unmap) the role through aws_auth_runner.run_mapping, the one
   aws-auth editor (validation, lockout guard, resourceVersion retries),
   when the aws-auth path is used;
5. apply the access-entry plan through services/access_entries.py, the one
   access-entry writer;
6. only then write the cluster-creator role (nothing in check mode).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model import access_entry
from ansible_collections.eks.access.plugins.module_utils.model import arn
from ansible_collections.eks.access.plugins.module_utils.model import irsa
from ansible_collections.eks.access.plugins.module_utils.model import sso
from ansible_collections.eks.access.plugins.module_utils.services import configmap
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import plan as aws_auth_plan
from ansible_collections.eks.access.plugins.module_utils.model.sso import SsoRoleError
from ansible_collections.eks.access.plugins.module_utils.services import iam_role
from ansible_collections.eks.access.plugins.module_utils.services import identity_center
from ansible_collections.eks.access.plugins.module_utils.services.access_entries import AccessEntries


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
class Options(configmap.Guards):
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
    access_method: str = "auto"
    access_policies: Optional[list] = None

    def __post_init__(self):
        if isinstance(self.creator_role, dict):
            self.creator_role = CreatorRoleOptions(**self.creator_role)


# ---------------------------------------------------------------------------
# reads
# ---------------------------------------------------------------------------


def resolve_permission_set(context, options: Options):
    """``{"name", "arn", "instance_arn", "sets"}`` of the permission set the task names (``sets``: the instance's
    ``PermissionSets``).

    Without ``instance_arn`` and ``permission_set_arn`` the name is used as
    given and sso-admin is not called (an account admin rarely may call it).
    """
    name = options.permission_set
    ps_arn = options.permission_set_arn
    if name is not None:
        sso.validate_permission_set_name(name)
    instance_arn = sso.instance_for(ps_arn, options.instance_arn)
    if instance_arn is None:
        return {"name": name, "arn": None, "instance_arn": None, "sets": None}
    sets = identity_center.PermissionSets(context.aws("sso-admin", region=options.sso_region), instance_arn)
    if ps_arn is not None:
        described_name = sso.permission_set_name_from_describe(sets.describe(ps_arn))
        if name is not None and name != described_name:
            raise SsoRoleError("permission_set_arn %s is the permission set %r, not %r"
                               % (ps_arn, described_name, name))
        name = described_name
    else:
        ps_arn = sso.find_permission_set(sets.describe_all(), name)["PermissionSetArn"]
    return {"name": name, "arn": ps_arn, "instance_arn": instance_arn, "sets": sets}


def provisioning_hint(permission_set, account_id):
    """Why a permission set may have no role in the account, when sso-admin can tell."""
    if permission_set["sets"] is None:
        return ""
    accounts = permission_set["sets"].provisioned_accounts(permission_set["arn"])
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


class EntryPath:
    """The access-entry side of a run: what was read, the plan, and what it says."""

    def __init__(self, service, facts, plan, stale):
        self.service = service
        self.facts = facts
        self.plan = plan
        self.stale = stale

    def apply(self, context):
        if self.plan.changed and not context.check_mode:
            self.service.apply(self.plan)

    def result(self, role_arn):
        plan = self.plan
        after = plan.after.get(next((p for p in plan.after if access_entry.principal_key(p)
                                     == access_entry.principal_key(role_arn)), None)) if role_arn else None
        return {
            "created": plan.by_action("create"),
            "updated": [c.principal_arn for c in plan.changes if c.changed and c.action in ("update", "none")],
            "deleted": plan.by_action("delete"),
            "changes": [c.summary() for c in plan.changes if c.changed],
        }, (after.to_result() if after is not None else None)


def read_mode(context, options: Options):
    """``(AccessEntries service, ClusterFacts, listed principal ARNs)``, or Nones when the mode need not be known."""
    if options.access_method == "aws_auth":
        return None, None, None
    if not context.cluster_name:
        if options.access_method == "access_entry":
            raise errors.InvalidInput(
                "access_method=access_entry needs cluster_name (access entries are read and written through the "
                "EKS API); give the cluster's name")
        return None, None, None  # a kubeconfig alone: aws-auth, as the authenticator of any cluster reads it
    service = AccessEntries(context.aws("eks"), context.cluster_name)
    try:
        facts, listed = service.cluster_and_listing(
            with_policies=bool(options.access_policies) and options.state == "present")
    except errors.EksAccessError:
        if options.access_method == "access_entry":
            raise
        # auto: as every aws-auth module, aws-auth when AWS cannot tell the mode (run_mapping warns).
        return None, None, None
    return service, facts, listed


def plan_entry_path(context, options: Options, service, facts, listed, name, role_arns, account_id):
    access_entry.require_entries_mode(facts)
    current = service.read(only=[a for a in listed or () if sso.is_permission_set_role_arn(a, name, account_id)],
                           listed=listed)
    ours = sso.permission_set_entries(current, name, account_id)
    protected = () if options.allow_self_lockout else (context.caller_identity()["Arn"],)
    wanted = None
    if options.state == "present":
        access_entry.check_principal(role_arns["arn"], access_entry.STANDARD, facts, "role_arn")
        username = options.username
        if username is None and not ours:
            username = sso.default_username(name)
        wanted = sso.wanted_entry(
            role_arns["arn"],
            access_entry.check_username(username, access_entry.STANDARD, "username"),
            access_entry.check_groups(options.groups, access_entry.STANDARD, "groups"),
            access_entry.normalize_policies(options.access_policies, access_entry.STANDARD, facts, "access_policies"),
            ours, append_groups=options.append_groups)
    plan, stale = sso.plan_access_entry(ours, wanted, options.state, protected=protected,
                                        allow_self_lockout=options.allow_self_lockout)
    return EntryPath(service, facts, plan, stale)


def _no_aws_auth_result():
    return dict(changed=False, created=[], updated=[], deleted=[], mappings=None, resource_version=None,
                configmap_created=False, protected_arns=[])


def run(context, options: Options) -> dict:
    state = options.state
    roles_service = iam_role.IamRoles(context.aws("iam"))
    identity = context.caller_identity()
    account_id = identity["Account"]
    partition = context.partition()
    _check_account(options.account_id, account_id)
    if options.username is not None and state == "present":
        for warning in sso.username_warnings(options.username):
            context.warn(warning)

    service, facts, listed = read_mode(context, options)
    mode = facts.authentication_mode if facts else None
    methods = sso.access_methods(options.access_method, mode, state)
    if options.access_policies and state == "present" and "access_entry" not in methods:
        raise errors.InvalidInput(
            "access_policies need an access entry, but %s; give Kubernetes groups bound by RBAC in groups instead, "
            "or switch the cluster to API_AND_CONFIG_MAP (eks.access.eks_authentication_mode). Nothing was written." % (
                "cluster %r is in authentication mode CONFIG_MAP, which has no access entries" % context.cluster_name
                if mode == "CONFIG_MAP" else "access_method=aws_auth writes aws-auth only" if
                options.access_method == "aws_auth" else "the cluster's mode is unknown without cluster_name"))

    permission_set = resolve_permission_set(context, options)
    name = permission_set["name"]

    role = None
    try:
        role = sso.select_sso_role(roles_service.under_path(sso.SSO_PATH_PREFIX), name)
    except SsoRoleError as e:
        if state == "present":
            raise SsoRoleError(str(e) + provisioning_hint(permission_set, account_id), existing=e.existing,
                               matches=e.matches)
        # absent: every mapping, entry and trust of the permission set goes, whatever role IAM has (or had).
    role_arns = sso.sso_role_arns(role) if role else None

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

    # Every plan is made (and bad input refused) before the first write.
    entry_path = None
    if "access_entry" in methods:
        entry_path = plan_entry_path(context, options, service, facts, listed, name, role_arns, account_id)

    mapping = _no_aws_auth_result()
    if "aws_auth" in methods:
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

        mapping = configmap.run_mapping(context, options, roles, None, None, state,
                                        append_groups=options.append_groups, repair_hint=REPAIR_HINT)

    if entry_path is not None:
        entry_path.apply(context)

    if creator is not None and creator_plan["action"] != "none" and not context.check_mode:
        try:
            write_creator(roles_service, creator, options.creator_role, creator_plan, name)
        except errors.Conflict:
            # The same creator role for another cluster of the account, created in parallel (a fleet run, one
            # fork per cluster): plan again on the role as it is now.
            creator = roles_service.get(options.creator_role.name, partition, account_id, options.creator_role.path)
            creator_plan = plan_creator_present(creator, options.creator_role, role_arns["arn"], name, account_id)
            if creator_plan["action"] != "none":
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
        access_method=list(methods),
        authentication_mode=mode,
        access_entry=None,
        access_entries={"created": [], "updated": [], "deleted": [], "changes": []},
        stale_entries=[],
    )
    if entry_path is not None:
        result["access_entries"], result["access_entry"] = entry_path.result(role_arns["arn"] if role_arns else None)
        result["stale_entries"] = entry_path.stale
        result["changed"] = result["changed"] or entry_path.plan.changed
        if entry_path.stale:
            result["msg"] = (
                "Permission set %s was provisioned again: %s the access entr%s of its earlier role%s %s and %s "
                "%s." % (name, "replaced" if not context.check_mode else "would replace",
                         "y" if len(entry_path.stale) == 1 else "ies", "" if len(entry_path.stale) == 1 else "s",
                         ", ".join(entry_path.stale), "granted" if not context.check_mode else "would grant",
                         role_arns["arn"]))
    if state == "present" and "aws_auth" in methods:
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
        diffs = []
        if "aws_auth" in methods:
            diffs.append(mapping["diff"])
        if entry_path is not None:
            diffs.append(access_entry.diff(entry_path.plan, context.cluster_name))
        if creator is not None:
            diffs.append(dict(before_header="IAM role %s" % creator.name, after_header="IAM role %s" % creator.name,
                              before=creator_before, after=creator_plan["after"]))
        result["diff"] = diffs
    return result
