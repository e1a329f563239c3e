# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What pod_identity_migration runs: read, plan, then move service accounts from IRSA to EKS Pod Identity.

Order, so that nothing destructive happens before the state it depends on is
verified:

1. read everything (cluster, add-ons and their Pod Identity support, associations,
   Fargate profiles, service accounts, workloads, pods, nodes, role trusts) and
   plan (model/pod_identity_migration.py); refuse when the agent add-on is missing;
2. add the Pod Identity trust statement to the roles (the OIDC one stays);
3. create the associations (tagged), through the add-on's
   ``podIdentityAssociations`` for a managed add-on (its other associations kept);
4. restart the workloads whose pods lack Pod Identity credentials and wait;
5. read the pods again: an item is migrated only when every live pod carries
   Pod Identity credentials (model/workloads.py);
6. only then, when asked, remove the annotation (or the add-on's
   ``serviceAccountRoleArn``) and the OIDC trust statement of the migrated items.

``state: irsa`` rolls back while both trusts exist: it deletes the associations
this migration created, restarts, and verifies the pods carry IRSA credentials.
Every step reads the cluster first, so a re-run after an interruption converges.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass
from typing import List
from typing import Optional

from ansible_collections.eks.access.plugins.module_utils.model import arn as arn_rules
from ansible_collections.eks.access.plugins.module_utils.model import irsa
from ansible_collections.eks.access.plugins.module_utils.clients import aws
from ansible_collections.eks.access.plugins.module_utils.clients import kube
from ansible_collections.eks.access.plugins.module_utils.model import rollout
from ansible_collections.eks.access.plugins.module_utils.model import trust_policy
from ansible_collections.eks.access.plugins.module_utils.errors import EksAccessError
from ansible_collections.eks.access.plugins.module_utils.errors import InvalidInput
from ansible_collections.eks.access.plugins.module_utils.errors import KubeApiError
from ansible_collections.eks.access.plugins.module_utils.errors import PartiallyApplied
from ansible_collections.eks.access.plugins.module_utils.errors import Refused
from ansible_collections.eks.access.plugins.module_utils.model import pod_identity
from ansible_collections.eks.access.plugins.module_utils.model import pod_identity_migration as model
from ansible_collections.eks.access.plugins.module_utils.services import addons
from ansible_collections.eks.access.plugins.module_utils.services import eks_cluster
from ansible_collections.eks.access.plugins.module_utils.services import pod_identity as services
from ansible_collections.eks.access.plugins.module_utils.services import workloads
from ansible_collections.eks.access.plugins.module_utils.model import workloads as workloads_model


WORKLOAD_PLURALS = {"Deployment": "deployments", "DaemonSet": "daemonsets", "StatefulSet": "statefulsets"}
STATES = ("pod_identity", "irsa")


@dataclass
class Options:
    cluster_name: str
    state: str = "pod_identity"
    cleanup: bool = False
    namespaces: Optional[List[str]] = None
    restart: bool = True
    wait_timeout: int = 600
    poll_interval: int = 2
    require_agent: bool = True
    concurrency: int = services.DEFAULT_CONCURRENCY


class NotVerified(EksAccessError):
    """Associations are in place but some pods do not carry the expected credentials yet."""


# --------------------------------------------------------------------------- reads

class Reader:
    def __init__(self, ctx, options: Options):
        self.ctx = ctx
        self.options = options
        self.service = services.PodIdentityService(ctx.aws("eks"), ctx.aws("iam"), options.cluster_name,
                                                   options.concurrency)
        self.eks = ctx.aws("eks")
        self.api = ctx.kube()
        self.facts = None
        self.cluster = None

    def read(self) -> List[model.Item]:
        """Everything, then the trusts of the roles the items name; returns the discovered items."""
        name = self.options.cluster_name
        if self.facts is None:
            cluster = self.cluster = self.service.cluster_facts()
            partition, account = arn_rules.partition_and_account(cluster.arn)
            partition = partition or self.ctx.partition()
            issuer = cluster.oidc_issuer or ""
            provider = trust_policy.oidc_provider_arn(partition, account, issuer) if issuer else ""
            self.facts = model.Facts(name, partition, account, provider, issuer, namespaces=self.options.namespaces)
        facts = self.facts
        names = self.service.addon_names()
        facts.agent_installed = pod_identity.has_pod_identity_agent(self.cluster, names)
        addon_service = addons.AddonService(self.eks, name)
        addons_found = [a for _n, a, e in services.each_outcome(
            addon_service.describe, [n for n in names if n != pod_identity.AGENT_ADDON], self.options.concurrency)
            if e is None and a is not None]
        facts.addons = addons_found
        facts.addon_service_accounts = {}
        for addon in addons_found:
            if addon.get("serviceAccountRoleArn") or addon.get("podIdentityAssociations"):
                facts.addon_service_accounts[addon["addonName"]] = addon_service.pod_identity_service_accounts(
                    addon["addonName"], addon["addonVersion"])
        summaries = [s for s in self.service.associations()
                     if self.options.namespaces is None or s.namespace in self.options.namespaces]
        facts.associations = self.service.describe(summaries)
        facts.fargate_selectors = eks_cluster.fargate_selectors(self.eks, name)
        self.read_kube()
        facts.trusts = {}
        items = model.discover(facts)
        for role_arn in model.roles_to_read(facts, items):
            facts.trusts[role_arn] = self.service.role_trust(role_arn)
        return model.discover(facts)

    def _list(self, group_version, plural):
        if self.options.namespaces is None:
            return self.api.items(kube.api_path(group_version, plural))
        return [obj for ns in self.options.namespaces
                for obj in self.api.items(kube.api_path(group_version, plural, ns))]

    def read_kube(self) -> None:
        facts = self.facts
        facts.service_accounts = self._list("v1", "serviceaccounts")
        facts.workloads = []
        for kind, plural in WORKLOAD_PLURALS.items():
            for obj in self._list("apps/v1", plural):
                obj["kind"] = kind
                facts.workloads.append(obj)
        facts.pods = self._list("v1", "pods")
        facts.node_labels = {workloads_model.metadata(n).get("name"): workloads_model.metadata(n).get("labels") or {}
                             for n in self.api.items(kube.api_path("v1", "nodes"))}


# --------------------------------------------------------------------------- writes

def _owned(facts, addon_name):
    addon = next(a for a in facts.addons if a["addonName"] == addon_name)
    return [a for a in facts.associations if a.owner_arn == addon.get("addonArn")], addon


def _update_addon(reader, addon_name, associations, keep_role):
    """UpdateAddon with the full ``podIdentityAssociations`` list; ``keep_role`` keeps its serviceAccountRoleArn."""
    params = dict(podIdentityAssociations=associations)
    if keep_role:
        params["serviceAccountRoleArn"] = keep_role
    service = addons.AddonService(reader.eks, reader.options.cluster_name, poll_interval=reader.options.poll_interval)
    try:
        service.update(addon_name, params, wait=True, timeout=reader.options.wait_timeout)
    except (addons.AddonUpdateFailed, addons.AddonWaitTimeout) as e:
        raise PartiallyApplied("%s; a re-run converges" % e)


def _tag_addon_association(reader, item):
    reader.service.tag_associations_of(item.namespace, item.service_account,
                                       {model.MIGRATED_TAG: model.MIGRATED_VALUE})


def _associate(reader, items, result):
    plain = [i for i in items if i.addon is None]
    changes = [pod_identity.Change("create", i.key, wanted=pod_identity.Association(
        i.namespace, i.service_account, i.role_arn, tags={model.MIGRATED_TAG: model.MIGRATED_VALUE})) for i in plain]
    failed = []
    for change, _answer, error in reader.service.apply_all(changes):
        if error is not None:
            failed.append("%s: %s" % (pod_identity.key_name(change.key), aws.describe_error(error)))
        else:
            result["associations_created"].append(pod_identity.key_name(change.key))
    for item in [i for i in items if i.addon is not None]:
        owned, addon = _owned(reader.facts, item.addon)
        _update_addon(reader, item.addon, model.addon_associations_with(owned, item.service_account, item.role_arn),
                      addon.get("serviceAccountRoleArn"))
        _tag_addon_association(reader, item)
        result["associations_created"].append(item.name)
        result["addons_updated"].append(item.addon)
    if failed:
        raise PartiallyApplied("%d association(s) could not be created (first: %s); the others were, and a re-run "
                               "converges" % (len(failed), failed[0]), failed=failed, **_partial(result))


def _partial(result):
    return {k: result[k] for k in ("trust_updated", "associations_created", "associations_deleted", "restarted")}


def _restart(reader, items, to, result):
    """Restart the workloads whose pods lack the credentials of ``to``, then wait for their rollouts."""
    api = reader.api
    restarting = []
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    seen = set()
    for item in items:
        for workload in model.workloads_to_restart(item, to):
            name = model.workload_name(workload)
            if name in seen:
                continue
            seen.add(name)
            kind = workload["kind"]
            meta = workloads_model.metadata(workload)
            path = kube.api_path("apps/v1", WORKLOAD_PLURALS[kind], meta["namespace"], meta["name"])
            update = ((workload.get("spec") or {}).get("updateStrategy") or {}).get("type")
            if update == "OnDelete":
                # A template change replaces nothing: delete the pods lacking credentials, the controller
                # recreates them from the (unchanged) template.
                lacking = item.pod_problems(to)
                for pod in item.pods:
                    pod_name = workloads_model.metadata(pod).get("name")
                    if pod_name in lacking and model._subset(
                            ((workload.get("spec") or {}).get("selector") or {}).get("matchLabels") or {},
                            workloads_model.metadata(pod).get("labels") or {}):
                        try:
                            api.delete(kube.api_path("v1", "pods", meta["namespace"], pod_name))
                        except KubeApiError as e:
                            if e.status != 404:
                                raise
            else:
                api.merge_patch(path, rollout.restart_patch(stamp))
            restarting.append((kind, path, name))
            result["restarted"].append(name)
    deadline = time.monotonic() + reader.options.wait_timeout
    pending = list(restarting)
    while pending:
        still = []
        for kind, path, name in pending:
            done, message = rollout.workload_rollout_status(kind, api.get(path))
            if not done:
                still.append((kind, path, name, message))
        if not still:
            break
        if time.monotonic() >= deadline:
            raise NotVerified("%s did not finish restarting within %d s (%s: %s); nothing destructive was done: re-run "
                              "to resume" % (", ".join(s[2] for s in still), reader.options.wait_timeout, still[0][2],
                                             still[0][3]), **_partial(result))
        time.sleep(reader.options.poll_interval)
        pending = [(k, p, n) for k, p, n, _m in still]


def _verify(reader, items_before, to, result):
    """Re-read the pods; NotVerified naming each item whose pods lack the credentials of ``to``."""
    wanted = {i.key for i in items_before}
    items = [i for i in reader.read() if i.key in wanted]
    problems = {}
    for item in items:
        lacking = item.pod_problems(to)
        if lacking:
            pod, reasons = sorted(lacking.items())[0]
            unmanaged = model.unmanaged_pods(item, to)
            problems[item.name] = "pod %s: %s%s" % (pod, "; ".join(reasons), (
                " (pods %s belong to no Deployment, DaemonSet or StatefulSet: recreate them)" % ", ".join(unmanaged)
                if unmanaged else ""))
    if problems:
        first = sorted(problems.items())[0]
        raise NotVerified("%d service account(s) have pods without %s credentials, so nothing was cleaned up (first: "
                          "%s: %s); re-run once they are replaced" % (
                              len(problems), "EKS Pod Identity" if to == "pod_identity" else "IRSA", first[0],
                              first[1]),
                          not_verified=problems, **_partial(result))
    return items


def _update_trusts(reader, items, change, result, check_mode):
    """Apply ``change(policy, item)`` to the trust of each item's role, once per role; returns {role: (old, new)}."""
    updates = {}
    for item in items:
        old = reader.facts.trusts.get(item.role_arn)
        if old is None:
            continue
        current = updates[item.role_arn][1] if item.role_arn in updates else old
        updates[item.role_arn] = (old, change(current, item))
    updates = {r: (old, new) for r, (old, new) in updates.items() if not trust_policy.policies_equal(old, new)}
    if not check_mode:
        for role_arn, (_old, new) in sorted(updates.items()):
            reader.service.put_role_trust(role_arn, new)
            reader.facts.trusts[role_arn] = new
    result["trust_updated"].extend(sorted(r for r in updates if r not in result["trust_updated"]))
    return updates


def _cleanup(reader, items, result, check_mode):
    """Remove IRSA from verified items: the annotation (or the add-on's role), then the OIDC trust statement."""
    facts = reader.facts
    for item in items:
        if item.addon is not None and item.annotated:
            result["cleaned"].append(item.name)
            if not check_mode:
                owned, _addon = _owned(facts, item.addon)
                _update_addon(reader, item.addon, model.addon_associations_with(
                    owned, item.service_account, item.association.role_arn), None)
        elif item.annotated:
            result["cleaned"].append(item.name)
            sa = workloads.service_account(reader.api, item.namespace, item.service_account)
            plan = irsa.plan_remove_annotations(sa, item.role_arn)
            if plan["action"] == "patch" and not check_mode:
                patch = {"metadata": {"annotations": plan["patch"]["metadata"]["annotations"],
                                      "resourceVersion": workloads_model.metadata(sa).get("resourceVersion")}}
                reader.api.merge_patch(kube.api_path("v1", "serviceaccounts", item.namespace, item.service_account),
                                       patch)
        elif item.name not in result["cleaned"] and item.oidc_trusted:
            result["cleaned"].append(item.name)
    _update_trusts(reader, [i for i in items if i.oidc_trusted], lambda policy, i: model.trust_without_oidc(
        policy, facts.provider_arn, facts.issuer, i.namespace, i.service_account), result, check_mode)


def _cleanup_candidates(ctx, items, result):
    """The ``migrated`` items whose IRSA may go; the others (no pod verified) in ``cleanup_kept``, with a warning."""
    ready = []
    for item in items:
        if item.status != "migrated":
            continue
        reason = model.cleanup_refusal(item)
        if reason is None:
            ready.append(item)
            continue
        result["cleanup_kept"].append({"service_account": item.name, "reason": reason})
        ctx.warn(reason)
    return ready


def _new_result(options):
    return {"changed": False, "cluster_name": options.cluster_name, "state": options.state,
            "trust_updated": [], "associations_created": [], "associations_deleted": [], "addons_updated": [],
            "restarted": [], "cleaned": [], "cleanup_kept": [], "rolled_back": []}


def _finish(result, items):
    result["service_accounts"] = [i.view() for i in items]
    result["summary"] = model.summary(items)
    result["cannot_move"] = [{"service_account": i.name, "reasons": i.blockers} for i in items
                             if i.status == "cannot_move"]
    result["changed"] = bool(result["trust_updated"] or result["associations_created"]
                             or result["associations_deleted"] or result["restarted"] or result["cleaned"])
    return result


def run(ctx, options: Options) -> dict:
    if options.state not in STATES:
        raise InvalidInput("state must be one of %s, got %r" % (", ".join(STATES), options.state))
    for option in ("wait_timeout", "poll_interval", "concurrency"):
        if getattr(options, option) < 1:
            raise InvalidInput("%s must be at least 1, got %d" % (option, getattr(options, option)))
    reader = Reader(ctx, options)
    items = reader.read()
    result = _new_result(options)
    ctx.result_on_failure = {"service_accounts": [i.view() for i in items]}
    if options.state == "irsa":
        return _rollback(ctx, reader, items, result)
    return _migrate(ctx, reader, items, result)


def _refuse_full_outage(items, to):
    """A DaemonSet restart that would take every node's pod down at once is refused before any write."""
    for item in items:
        for workload in model.workloads_to_restart(item, to):
            if workload["kind"] != "DaemonSet":
                continue
            info = rollout.strategy(workload)
            if info["type"] != "OnDelete" and info["desired"] > 1 and not info["max_surge"] \
                    and info["max_unavailable"] >= info["desired"]:
                raise Refused("Nothing was changed: restarting %s would take its pod down on every node at once "
                              "(maxUnavailable %s of %d); lower spec.updateStrategy.rollingUpdate.maxUnavailable first"
                              % (model.workload_name(workload), info["max_unavailable"], info["desired"]))


def _migrate(ctx, reader, items, result):
    options = reader.options
    refusal = model.agent_refusal(reader.facts, items) if options.require_agent else None
    if refusal is not None:
        raise refusal
    moving = [i for i in items if i.status in ("pending", "associated", "migrated")]
    if options.restart:
        _refuse_full_outage(moving, "pod_identity")
    trust_updates = _update_trusts(reader, [i for i in moving if not i.pod_identity_trusted],
                                   lambda policy, _i: model.trust_with_pod_identity(policy), result, ctx.check_mode)
    to_associate = [i for i in items if i.status == "pending"]
    if ctx.diff_mode:
        result["diff"] = {
            "before": {"trust_policies": {r: old for r, (old, _new) in trust_updates.items()},
                       "associations": {}},
            "after": {"trust_policies": {r: new for r, (_old, new) in trust_updates.items()},
                      "associations": {i.name: {"role_arn": i.role_arn, "addon": i.addon} for i in to_associate}},
        }
    if ctx.check_mode:
        result["associations_created"] = [i.name for i in to_associate]
        result["addons_updated"] = sorted({i.addon for i in to_associate if i.addon})
        result["restarted"] = sorted({model.workload_name(w) for i in moving for w in model.workloads_to_restart(i)})
        if options.cleanup:
            result["cleaned"] = [i.name for i in _cleanup_candidates(ctx, items, result)]
        result["cleanup_after_verification"] = [i.name for i in moving if i.status != "migrated"]
        return _finish(result, items)
    _associate(reader, to_associate, result)
    items = reader.read()
    moving_keys = {i.key for i in moving}
    moving = [i for i in items if i.key in moving_keys]
    if options.restart:
        _restart(reader, moving, "pod_identity", result)
    verified = _verify(reader, moving, "pod_identity", result)
    if options.cleanup:
        _cleanup(reader, _cleanup_candidates(ctx, verified, result), result, False)
        verified = reader.read()
    return _finish(result, verified if options.cleanup else model.discover(reader.facts))


def _rollback(ctx, reader, items, result):
    options = reader.options
    ours = [i for i in items if i.ours]
    blocked = {i.name: model.rollback_blockers(i) for i in ours if model.rollback_blockers(i)}
    if blocked:
        first = sorted(blocked.items())[0]
        raise Refused("Nothing was changed: %d service account(s) can no longer go back to IRSA (first: %s: %s); "
                      "restore the annotation and the OIDC trust statement (irsa_service_account) first"
                      % (len(blocked), first[0], "; ".join(first[1])), blocked=blocked)
    if options.restart:
        _refuse_full_outage(ours, "irsa")
    if ctx.diff_mode:
        result["diff"] = {"before": {"associations": {i.name: {"role_arn": i.role_arn, "addon": i.addon}
                                                      for i in ours}},
                          "after": {"associations": {}}}
    result["rolled_back"] = [i.name for i in ours]
    if ctx.check_mode:
        result["associations_deleted"] = [i.name for i in ours]
        result["restarted"] = sorted({model.workload_name(w) for i in ours for w in model.workloads_to_restart(i, "irsa")})
        return _finish(result, items)
    plain = [i for i in ours if i.addon is None]
    changes = [pod_identity.Change("delete", i.key, current=i.association) for i in plain]
    for change, _answer, error in reader.service.apply_all(changes):
        if error is not None and aws.error_code(error) != "ResourceNotFoundException":
            raise PartiallyApplied("deleting the association of %s failed (%s); re-run to converge"
                                   % (pod_identity.key_name(change.key), aws.describe_error(error)),
                                   **_partial(result))
        result["associations_deleted"].append(pod_identity.key_name(change.key))
    for item in [i for i in ours if i.addon is not None]:
        owned, addon = _owned(reader.facts, item.addon)
        _update_addon(reader, item.addon, model.addon_associations_without(owned, item.service_account),
                      addon.get("serviceAccountRoleArn"))
        result["associations_deleted"].append(item.name)
        result["addons_updated"].append(item.addon)
    # Pods still on Pod Identity (ours now, or from an earlier interrupted rollback) go back to IRSA.
    restored_keys = {i.key for i in ours}
    restored = [i for i in reader.read() if i.key in restored_keys or (
        i.annotated and i.association is None and len(i.pod_problems()) < len(i.pods))]
    if options.restart:
        _restart(reader, restored, "irsa", result)
    _verify(reader, restored, "irsa", result)
    return _finish(result, model.discover(reader.facts))
