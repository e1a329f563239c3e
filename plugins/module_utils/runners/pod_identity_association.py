# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What pod_identity_association runs: read, verify, plan, then write (nothing in check mode).

Order, so that a refusal leaves everything as it was: the input, the cluster,
the Pod Identity agent add-on, the current associations, the plan, and every
role (exists, trusts ``pods.eks.amazonaws.com`` with ``sts:AssumeRole`` and
``sts:TagSession``) are checked before the first write. Trust statements are
added first (the associations are useless without them), then the
associations are written with bounded concurrency; a batch that fails half
way raises PartiallyApplied naming what was applied and what was not, and a
re-run converges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List

from ansible_collections.eks.access.plugins.module_utils.clients import aws
from ansible_collections.eks.access.plugins.module_utils.errors import InvalidInput
from ansible_collections.eks.access.plugins.module_utils.errors import PartiallyApplied
from ansible_collections.eks.access.plugins.module_utils.errors import Refused
from ansible_collections.eks.access.plugins.module_utils.model import arn as arn_rules
from ansible_collections.eks.access.plugins.module_utils.model import pod_identity as model
from ansible_collections.eks.access.plugins.module_utils.services import pod_identity as services


@dataclass
class Options:
    cluster_name: str
    associations: List[dict]
    state: str = "present"
    purge: bool = False
    purge_scope: str = "namespace"
    purge_tags: bool = True
    manage_trust: bool = False
    require_agent: bool = True
    concurrency: int = services.DEFAULT_CONCURRENCY


def run(ctx, options: Options) -> dict:
    if options.concurrency < 1:
        raise InvalidInput("concurrency must be at least 1, got %d" % options.concurrency)
    service = services.PodIdentityService(ctx.aws("eks"), ctx.aws("iam"), options.cluster_name,
                                          options.concurrency)
    cluster = service.cluster_facts()
    partition, account = arn_rules.partition_and_account(cluster.arn)
    wanted = model.parse_associations(options.associations, options.state, account, partition)

    if options.state == "present" and options.require_agent \
            and not model.has_pod_identity_agent(cluster, service.addon_names()):
        raise Refused(model.agent_refusal(options.cluster_name))

    summaries = service.associations()
    wanted_keys = {a.key for a in wanted}
    # Listed service accounts need their full description (role, tags); purged ones only their summary.
    current = service.describe([s for s in summaries if s.key in wanted_keys])
    described = {c.key for c in current}
    current += [s for s in summaries if s.key not in described and s.key not in wanted_keys]

    the_plan = model.plan(wanted, current, options.state, options.purge_scope if options.purge else "none",
                          options.purge_tags)
    trust_updates = service.verify_roles(model.roles_to_verify(wanted, options.state), options.manage_trust)

    result = {
        "changed": bool(the_plan.changes or trust_updates),
        "cluster_name": options.cluster_name,
        "created": [model.key_name(c.key) for c in the_plan.of("create")],
        "updated": [model.key_name(c.key) for c in the_plan.of("update")],
        "deleted": [model.key_name(c.key) for c in the_plan.of("delete")],
        "unchanged": [model.key_name(k) for k in the_plan.unchanged],
        "trust_updated": sorted(trust_updates),
        "kept_for_addons": [{"name": model.key_name(k), "owner_arn": owner}
                            for k, owner in the_plan.kept_for_addons],
    }
    if ctx.diff_mode:
        result["diff"] = model.diff(the_plan, trust_updates)

    answers = {}
    if not ctx.check_mode:
        for role_arn, (_old, new) in sorted(trust_updates.items()):
            service.put_role_trust(role_arn, new)
        failed = []
        for change, answer, error in service.apply_all(the_plan.changes):
            if error is not None:
                failed.append({"name": model.key_name(change.key), "action": change.action,
                               "msg": aws.describe_error(error)})
            elif answer is not None:
                answers[change.key] = model.current_from_eks(answer)
        if failed:
            done = [c for c in the_plan.changes if model.key_name(c.key) not in {f["name"] for f in failed}]
            raise PartiallyApplied(
                "%d of %d Pod Identity association changes failed (first: %s %s: %s); the other %d were applied "
                "and a re-run applies the rest" % (
                    len(failed), len(the_plan.changes), failed[0]["action"], failed[0]["name"],
                    failed[0]["msg"], len(done)),
                failed=failed, applied=[{"name": model.key_name(c.key), "action": c.action} for c in done],
                trust_updated=result["trust_updated"], changed=bool(done or trust_updates))

    result["associations"] = _final_views(wanted, current, the_plan, answers, options.state)
    return result


def _final_views(wanted, current, the_plan, answers, state):
    """The listed associations as they are after the run (as planned, in check mode)."""
    if state == "absent":
        return []
    by_key = services.by_key(current)
    changes = {c.key: c for c in the_plan.changes}
    views = []
    for association in wanted:
        if association.key in answers:
            item = model.view(answers[association.key])
        elif association.key in by_key:
            item = model.view(by_key[association.key])
        else:
            item = model.view(association)
        change = changes.get(association.key)
        if change is not None and change.action != "delete":
            after = model.after_view(change)
            item.update(after)
        views.append(item)
    return views
