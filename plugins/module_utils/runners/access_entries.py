# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What eks_access_entry, eks_access_entry_info and eks_authentication_mode run.

Each runner takes a :class:`module.RunContext` and its options dataclass,
reads through services/access_entries.py, decides with
model/access_entry.py, and returns the module result.
"""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model.arn import ArnError
from ansible_collections.eks.access.plugins.module_utils.model.arn import parse_iam_arn
from ansible_collections.eks.access.plugins.module_utils.model import access_entry as model
from ansible_collections.eks.access.plugins.module_utils.module import Runner
from ansible_collections.eks.access.plugins.module_utils.services import access_entries
from ansible_collections.eks.access.plugins.module_utils.services.access_entries import DEFAULT_CONCURRENCY
from ansible_collections.eks.access.plugins.module_utils.services.access_entries import AccessEntries
from ansible_collections.eks.access.plugins.module_utils.services.access_entries import IamPrincipals


# --------------------------------------------------------------------------- eks_access_entry


@dataclass
class AccessEntryOptions:
    cluster_name: str
    entries: list
    state: str = "present"
    purge: bool = False
    allow_node_entry_deletion: bool = False
    replace: bool = False
    allow_self_lockout: bool = False
    concurrency: int = DEFAULT_CONCURRENCY


def run_access_entries(context, options: AccessEntryOptions) -> dict:
    if options.concurrency < 1:
        raise errors.InvalidInput("concurrency must be 1 or more, got %d" % options.concurrency)
    if options.purge and options.state == "absent":
        raise errors.InvalidInput("purge only applies with state=present; with state=absent list the entries to delete")
    service = AccessEntries(context.aws("eks"), options.cluster_name, options.concurrency)
    cluster, listed = service.cluster_and_listing(with_policies=bool(model.named_policies(options.entries))
                                                  and options.state == "present")
    model.require_entries_mode(cluster)
    wanted = model.normalize_entries(options.entries, cluster, options.state)

    # Each principal named as EKS lists its entry: IAM names are unique whatever their case and role path.
    resolution = model.resolve_principals(wanted, listed)
    wanted = resolution.entries
    for match in resolution.matched:
        context.warn("%s was taken for the access entry of %s (IAM names are unique whatever their case and role "
                     "path); write it that way to silence this warning" % (match["name"], match["principal_arn"]))
    if options.state == "absent":
        for arn in resolution.unmatched:
            context.warn("%s matches no access entry of cluster %s (in any case, with or without a role path), so "
                         "nothing was deleted for it" % (arn, options.cluster_name))

    # The caller's own entry is never deleted, replaced or shrunk without allow_self_lockout.
    protected = () if options.allow_self_lockout else (access_entries.caller_role_arn(context),)

    only = None if options.purge else [entry.principal_arn for entry in wanted]
    current = service.read(only=only, listed=listed)
    plan = model.plan(current, wanted, state=options.state, purge=options.purge, replace=options.replace,
                      allow_node_entry_deletion=options.allow_node_entry_deletion, protected=protected,
                      allow_self_lockout=options.allow_self_lockout)

    _require_principals_exist(context, plan, cluster, options.concurrency)
    applied = []
    if plan.changed and not context.check_mode:
        applied = service.apply(plan)

    result = dict(
        changed=plan.changed,
        created=plan.by_action("create"),
        updated=[c.principal_arn for c in plan.changes if c.changed and c.action in ("update", "none")],
        replaced=plan.by_action("replace"),
        deleted=plan.by_action("delete"),
        changes=[c.summary() for c in plan.changes if c.changed],
        kept=plan.kept,
        writes=plan.writes(),
        applied=applied,
        authentication_mode=cluster.authentication_mode,
        protected_arns=list(protected),
        matched=resolution.matched,
        unmatched=resolution.unmatched if options.state == "absent" else [],
        entries=[plan.after[arn].to_result() for arn in sorted(plan.after)
                 if only is None or arn in set(only)],
    )
    if context.diff_mode:
        result["diff"] = model.diff(plan, options.cluster_name)
    return result


# --------------------------------------------------------------------------- eks_access_entry_info


@dataclass
class AccessEntryInfoOptions:
    cluster_name: str
    principal_arns: list = None
    check_iam: bool = False
    check_aws_auth: bool = False
    concurrency: int = DEFAULT_CONCURRENCY


def _principals_of_account(arns, account_id: str) -> list:
    """The parsed IAM roles and users of ``account_id`` among ``arns`` (IAM can only be asked about those)."""
    parsed = []
    for arn in arns:
        try:
            principal = parse_iam_arn(arn)
        except ArnError:
            continue
        if principal.account_id == account_id and principal.service == "iam" and \
                principal.resource_type in ("role", "user"):
            parsed.append((arn, principal))
    return parsed


def _principal_problems(iam: IamPrincipals, entries: dict, account_id: str):
    """(missing, recreated): principals of ``account_id`` IAM does not know, or created after their entry."""
    principals = dict(_principals_of_account(sorted(entries), account_id))
    by_parsed = {parsed: arn for arn, parsed in principals.items()}
    missing, recreated = [], []
    for parsed, created in iam.creation_dates(principals.values()):
        arn = by_parsed[parsed]
        entry_created = entries[arn].created_at
        if created is None:
            missing.append(arn)
        elif entry_created is not None and created > entry_created:
            recreated.append(arn)
    return missing, recreated


def _require_principals_exist(context, plan, cluster, concurrency: int) -> None:
    """EKS refuses an entry for a principal of its account that IAM does not know: refuse before any write."""
    new = [c.principal_arn for c in plan.changes if c.action in ("create", "replace")]
    principals = _principals_of_account(new, cluster.account_id)
    if not principals:
        return
    try:
        dates = IamPrincipals(context.aws("iam"), concurrency).creation_dates(parsed for unused, parsed in principals)
    except errors.Forbidden as e:
        context.warn("Could not check that the new entries' IAM principals exist (%s); EKS will refuse any that "
                     "does not" % e.message)
        return
    missing = [pair[0] for pair, (unused, created) in zip(principals, dates) if created is None]
    if missing:
        raise errors.InvalidInput(
            "IAM has no %s, so EKS would refuse %s; create %s first or fix the ARN. Nothing was written." % (
                ", ".join(missing), "its access entry" if len(missing) == 1 else "their access entries",
                "it" if len(missing) == 1 else "them"), missing_principals=missing)


def run_access_entry_info(context, options: AccessEntryInfoOptions) -> dict:
    service = AccessEntries(context.aws("eks"), options.cluster_name, options.concurrency)
    cluster, listed = service.cluster_and_listing()
    result = dict(changed=False, authentication_mode=cluster.authentication_mode, entries=[], findings=[],
                  cluster_admins=[])
    if cluster.authentication_mode == "CONFIG_MAP":
        return result  # EKS keeps no access entries in this mode
    entries = service.read(only=options.principal_arns, listed=listed)
    result["entries"] = [entries[arn].to_result() for arn in sorted(entries)]
    result["cluster_admins"] = model.cluster_admins(entries)
    missing = recreated = ()
    if options.check_iam:
        missing, recreated = _principal_problems(IamPrincipals(context.aws("iam"), options.concurrency), entries,
                                                 cluster.account_id)
    mappings = None
    if options.check_aws_auth and cluster.authentication_mode == "API_AND_CONFIG_MAP":
        from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import errors as aws_auth_errors
        from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import parse as aws_auth_parse
        from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import render as aws_auth_render
        from ansible_collections.eks.access.plugins.module_utils.services import configmap

        current = configmap.read_configmap(context.kube())
        if current is not None:
            try:
                mappings = aws_auth_render.to_result(aws_auth_parse.parse_aws_auth(current.get("data") or {}))
            except aws_auth_errors.AwsAuthError as e:
                context.warn("aws-auth does not parse, so it was not compared with the access entries: %s" % e)
    result["findings"] = model.lint(entries, mappings, missing, recreated)
    return result


# --------------------------------------------------------------------------- eks_authentication_mode


def run_authentication_mode(context, options: access_entries.ModeChange) -> dict:
    """The switch, its wait and, towards API, its lockout guard (services/access_entries.py)."""
    return access_entries.switch_authentication_mode(context, options)


# The three modules' runners, for module.main().
ACCESS_ENTRY = Runner(run_access_entries, AccessEntryOptions)
ACCESS_ENTRY_INFO = Runner(run_access_entry_info, AccessEntryInfoOptions)
AUTHENTICATION_MODE = Runner(run_authentication_mode, access_entries.ModeChange)
