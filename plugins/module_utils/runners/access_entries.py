# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What eks_access_entry, eks_access_entry_info and eks_authentication_mode run.

Each runner takes a :class:`module.RunContext` and its options dataclass,
reads through services/access_entries.py, decides with
model/access_entry.py, and returns the module result.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model.arn import ArnError
from ansible_collections.eks.access.plugins.module_utils.model.arn import parse_iam_arn
from ansible_collections.eks.access.plugins.module_utils.model import access_entry as model
from ansible_collections.eks.access.plugins.module_utils.module import Runner
from ansible_collections.eks.access.plugins.module_utils.services.access_entries import DEFAULT_CONCURRENCY
from ansible_collections.eks.access.plugins.module_utils.services.access_entries import AccessEntries
from ansible_collections.eks.access.plugins.module_utils.services.access_entries import IamPrincipals

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


def _caller_role_arn(context) -> str:
    """The caller as an access entry would name it (assumed-role sessions are their role)."""
    return context.caller_identity()["Arn"]


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

    protected = ()
    if not options.allow_self_lockout and (options.purge or options.state == "absent" or options.replace):
        protected = (_caller_role_arn(context),)

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
        entries=[plan.after[arn].to_result() for arn in sorted(plan.after)
                 if only is None or arn in set(only)],
    )
    if context.diff_mode:
        result["diff"] = model.diff(plan, options.cluster_name)
    return result


# --------------------------------------------------------------------------- eks_access_entry_info


INFO_ARG_SPEC = dict(
    cluster_name=dict(type="str", required=True),
    principal_arns=dict(type="list", elements="str"),
    check_iam=dict(type="bool", default=False),
    check_aws_auth=dict(type="bool", default=False),
    concurrency=dict(type="int", default=DEFAULT_CONCURRENCY),
)


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


MODE_ARG_SPEC = dict(
    cluster_name=dict(type="str", required=True),
    mode=dict(type="str", required=True, choices=list(model.AUTHENTICATION_MODES)),
    protect=dict(type="list", elements="str", default=[]),
    allow_self_lockout=dict(type="bool", default=False),
    wait_timeout=dict(type="int", default=1200),
)

UPDATE_DONE = ("Successful", "Failed", "Cancelled")


@dataclass
class AuthenticationModeOptions:
    cluster_name: str
    mode: str
    protect: list = None
    allow_self_lockout: bool = False
    wait_timeout: int = 1200
    poll_seconds: float = 5.0


def _wait_for_update(service: AccessEntries, update_id: str, options: AuthenticationModeOptions, mode: str):
    deadline = time.monotonic() + options.wait_timeout
    delay = min(1.0, options.poll_seconds)
    while True:
        update = service.describe_update(update_id)
        status = update.get("status")
        if status == "Successful":
            return update
        if status in UPDATE_DONE:
            reasons = "; ".join("%s: %s" % (e.get("errorCode"), e.get("errorMessage"))
                                for e in update.get("errors") or []) or "no reason given"
            raise errors.EksAccessError("EKS update %s to authentication mode %s ended %s (%s)" % (
                update_id, mode, status, reasons), update_id=update_id)
        if time.monotonic() > deadline:
            raise errors.EksAccessError(
                "EKS update %s to authentication mode %s is still %s after %d seconds; it goes on in EKS, re-run the "
                "task to wait again" % (update_id, mode, status, options.wait_timeout), update_id=update_id)
        time.sleep(delay)
        delay = min(delay * 2, options.poll_seconds)


def _lockout_guard(context, service: AccessEntries, options: AuthenticationModeOptions, result: dict,
                   done: list) -> None:
    """Before the step to API: the caller and the protected ARNs must be cluster admin by access entry."""
    principals = [_caller_role_arn(context)] + list(options.protect or ())
    result["protected_arns"] = principals
    missing = model.missing_admins(service.read(), principals)
    if missing:
        where = ("Nothing was changed." if not done else
                 "The cluster is now in %s (aws-auth still counts there); re-run once the entries exist." % done[-1])
        raise errors.Refused(
            "Refusing to switch cluster %r to authentication mode API: aws-auth is ignored there, and %s %s no "
            "access entry with AmazonEKSClusterAdminPolicy at cluster scope, so %s lose cluster admin; create "
            "those entries first (eks.access.eks_access_entry), or set allow_self_lockout: true. %s" % (
                options.cluster_name, ", ".join(missing), "has" if len(missing) == 1 else "have",
                "it would" if len(missing) == 1 else "they would", where),
            missing_admins=missing, steps_done=list(done))


def run_authentication_mode(context, options: AuthenticationModeOptions) -> dict:
    service = AccessEntries(context.aws("eks"), options.cluster_name)
    cluster = service.cluster_facts()
    steps = model.check_mode_change(cluster, options.mode)
    for arn in options.protect or ():
        try:
            parse_iam_arn(arn)
        except ArnError as e:
            raise errors.InvalidInput("protect: %s" % e)
    result = dict(changed=bool(steps), previous_mode=cluster.authentication_mode,
                  authentication_mode=options.mode if steps else cluster.authentication_mode,
                  steps=steps, update_ids=[], protected_arns=[])
    if context.diff_mode:
        result["diff"] = {"before": "authentication_mode: %s\n" % cluster.authentication_mode,
                          "after": "authentication_mode: %s\n" % result["authentication_mode"]}
    # aws-auth is ignored in API mode: the guard runs against the entries as they are right before that step.
    # A CONFIG_MAP cluster has no entries to read yet (EKS creates the creator's when it leaves CONFIG_MAP),
    # so there the guard runs after the first step.
    guard = bool(steps) and steps[-1] == "API" and not options.allow_self_lockout
    if context.check_mode:
        if guard and cluster.authentication_mode != "CONFIG_MAP":
            _lockout_guard(context, service, options, result, [])
        elif guard:
            context.warn("The lockout guard can only read access entries once cluster %s has left CONFIG_MAP; the "
                         "real run checks it after the first step" % options.cluster_name)
        return result
    done = []
    for mode in steps:
        if mode == "API" and guard:
            _lockout_guard(context, service, options, result, done)
        update_id = service.update_authentication_mode(mode)
        result["update_ids"].append(update_id)
        _wait_for_update(service, update_id, options, mode)
        done.append(mode)
    return result


# The three modules' runners, for module.main().
ACCESS_ENTRY = Runner(run_access_entries, AccessEntryOptions)
ACCESS_ENTRY_INFO = Runner(run_access_entry_info, AccessEntryInfoOptions)
AUTHENTICATION_MODE = Runner(run_authentication_mode, AuthenticationModeOptions)
