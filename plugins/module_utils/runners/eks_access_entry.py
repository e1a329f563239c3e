# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What eks_access_entry runs: read the cluster's entries (services/access_entries.py), plan with
model/access_entry.py (the caller's own entry protected), check the new principals exist in IAM, then write."""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model import access_entry as model
from ansible_collections.eks.access.plugins.module_utils.services import access_entries
from ansible_collections.eks.access.plugins.module_utils.services.access_entries import DEFAULT_CONCURRENCY
from ansible_collections.eks.access.plugins.module_utils.services.access_entries import AccessEntries
from ansible_collections.eks.access.plugins.module_utils.services.access_entries import IamPrincipals


@dataclass
class Options:
    cluster_name: str
    entries: list
    state: str = "present"
    purge: bool = False
    allow_node_entry_deletion: bool = False
    replace: bool = False
    allow_self_lockout: bool = False
    concurrency: int = DEFAULT_CONCURRENCY


def run(context, options: Options) -> dict:
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


def _require_principals_exist(context, plan, cluster, concurrency: int) -> None:
    """EKS refuses an entry for a principal of its account that IAM does not know: refuse before any write."""
    new = [c.principal_arn for c in plan.changes if c.action in ("create", "replace")]
    principals = model.principals_of_account(new, cluster.account_id)
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
