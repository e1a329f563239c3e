# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What eks_addon runs: read, check, plan, then one CreateAddon / UpdateAddon / DeleteAddon and its wait.

Order, so that a refusal leaves everything as it was: the input, the cluster
(its Kubernetes version, Auto Mode), the add-on, the versions EKS offers for
that Kubernetes version (``latest`` / ``default`` / an explicit one), the
add-on's own Pod Identity associations, the plan (model/addon.py), and, for
Pod Identity associations, the version's ``podIdentityConfiguration``, the
agent, service accounts that already have an association of their own, and
each role's trust. Then the trust statements (``manage_trust``), then the
add-on call, then the wait (services/addons.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List
from typing import Optional

from ansible_collections.eks.access.plugins.module_utils.errors import InvalidInput
from ansible_collections.eks.access.plugins.module_utils.errors import PartiallyApplied
from ansible_collections.eks.access.plugins.module_utils.errors import Refused
from ansible_collections.eks.access.plugins.module_utils.model import arn as arn_rules
from ansible_collections.eks.access.plugins.module_utils.model import addon as model
from ansible_collections.eks.access.plugins.module_utils.model import pod_identity as pod_identity_model
from ansible_collections.eks.access.plugins.module_utils.services import addons as addon_services
from ansible_collections.eks.access.plugins.module_utils.services import pod_identity as pod_identity_services

DEFAULT_NAMESPACE = "kube-system"


@dataclass
class Options:
    cluster_name: str
    name: str
    state: str = "present"
    version: Optional[str] = None
    configuration_values: object = None
    resolve_conflicts: Optional[str] = None
    service_account_role_arn: Optional[str] = None
    pod_identity_associations: Optional[List[dict]] = None
    purge: bool = False
    manage_trust: bool = False
    require_agent: bool = True
    preserve: bool = False
    tags: Optional[dict] = None
    wait: bool = True
    wait_timeout: int = 600


def _check_options(options: Options):
    if options.resolve_conflicts and options.resolve_conflicts not in model.RESOLVE_CONFLICTS:
        raise InvalidInput("resolve_conflicts must be one of %s" % ", ".join(model.RESOLVE_CONFLICTS))
    if options.wait_timeout < 1:
        raise InvalidInput("wait_timeout must be at least 1 second, got %d" % options.wait_timeout)
    if options.state == "absent":
        given = [n for n in ("version", "configuration_values", "service_account_role_arn",
                             "pod_identity_associations") if getattr(options, n) is not None]
        if given:
            raise InvalidInput("state=absent deletes the add-on (and the Pod Identity associations it owns); leave "
                               "out %s" % ", ".join(given))


def _owned(service, addon) -> dict:
    """{service account: role} of the associations the add-on owns (described: the list summaries have no role)."""
    if addon is None:
        return {}
    arn = addon.get("addonArn")
    mine = [s for s in service.associations() if s.owner_arn and s.owner_arn == arn]
    return model.owned_associations(service.describe(mine), arn)


def _namespace(addon, infos) -> str:
    namespace = ((addon or {}).get("namespaceConfig") or {}).get("namespace")
    if namespace:
        return namespace
    for info in infos or []:
        if info.get("defaultNamespace"):
            return info["defaultNamespace"]
    return DEFAULT_NAMESPACE


def _check_pod_identity(ctx, options, cluster, addons, service, plan, addon, infos, current):
    """Refusals for the associations the plan gives the add-on; returns the trust updates to write first."""
    after = {a["service_account"]: a["role_arn"] for a in (plan.after or {}).get("pod_identity_associations") or []}
    new_or_changed = {sa: role for sa, role in after.items() if current.get(sa) != role}
    if not new_or_changed:
        return {}
    version = plan.after.get("version") or (addon or {}).get("addonVersion")
    supported = addons.pod_identity_service_accounts(options.name, version) if version else []
    wanted = [model.AddonAssociation(sa, role) for sa, role in sorted(new_or_changed.items())]
    unsupported = model.unsupported_service_accounts(wanted, supported)
    if unsupported:
        raise model.unsupported_refusal(options.name, version or "(default version)", unsupported, supported)
    if options.require_agent and not pod_identity_model.has_pod_identity_agent(cluster, addons.names()):
        raise Refused(pod_identity_model.agent_refusal(options.cluster_name, "the add-on's pods"))
    namespace = _namespace(addon, infos)
    owner = (addon or {}).get("addonArn")
    for summary in service.associations():
        if summary.namespace == namespace and summary.service_account in new_or_changed \
                and summary.owner_arn != owner:
            raise Refused(
                "%s/%s already has a Pod Identity association of its own (%s), which the add-on cannot take over; "
                "delete it first (eks.access.pod_identity_association state=absent) or leave it out of "
                "pod_identity_associations" % (namespace, summary.service_account, summary.association_id))
    return service.verify_roles(sorted(set(new_or_changed.values())), options.manage_trust)


def run(ctx, options: Options) -> dict:
    _check_options(options)
    configuration = model.parse_configuration(options.configuration_values)
    eks = ctx.aws("eks")
    service = pod_identity_services.PodIdentityService(eks, ctx.aws("iam"), options.cluster_name)
    addons = addon_services.AddonService(eks, options.cluster_name)
    cluster = service.cluster_facts()
    partition, account = arn_rules.partition_and_account(cluster.arn)
    associations = model.parse_associations(options.pod_identity_associations, partition, account)
    if options.service_account_role_arn:
        model.check_role_arn(options.service_account_role_arn, "service_account_role_arn", partition)

    addon = addons.describe(options.name)
    k8s_version = cluster.version
    infos = []
    if options.state == "present" and (options.version or addon is None):
        infos = addons.versions(options.name, k8s_version)
    version = model.resolve_version(options.version, options.name, k8s_version, infos)
    default_version = None
    if addon is None and options.state == "present" and not version:
        default_version = model.resolve_version(model.DEFAULT, options.name, k8s_version, infos)

    current = _owned(service, addon)
    wanted = model.Wanted(
        name=options.name, state=options.state, version=version, configuration=configuration,
        service_account_role_arn=options.service_account_role_arn, associations=associations,
        purge_associations=options.purge, resolve_conflicts=options.resolve_conflicts,
        preserve=options.preserve, tags=options.tags)
    the_plan = model.plan(wanted, addon, current, default_version)
    trust_updates = {}
    if the_plan.action in ("create", "update"):
        trust_updates = _check_pod_identity(ctx, options, cluster, addons, service, the_plan, addon, infos, current)

    changed = the_plan.action != "none" or bool(trust_updates)
    result = {
        "changed": changed,
        "cluster_name": options.cluster_name,
        "action": the_plan.action,
        "changes": the_plan.changes,
        "addon": the_plan.after if the_plan.action != "none" else the_plan.before,
        "update": None,
        "trust_updated": sorted(trust_updates),
    }
    if options.state == "absent":
        result["addon"] = None
    if ctx.diff_mode:
        result["diff"] = {"before": {"addon": the_plan.before}, "after": {"addon": the_plan.after}}
        if trust_updates:
            result["diff"]["before"]["trust_policies"] = {k: old for k, (old, _new) in trust_updates.items()}
            result["diff"]["after"]["trust_policies"] = {k: new for k, (_old, new) in trust_updates.items()}
    if ctx.check_mode or not changed:
        return result

    for role_arn, (_old, new) in sorted(trust_updates.items()):
        service.put_role_trust(role_arn, new)
    try:
        if the_plan.action == "create":
            addons.create(options.name, the_plan.request, options.wait, options.wait_timeout)
        elif the_plan.action == "update":
            update = addons.update(options.name, the_plan.request, options.wait, options.wait_timeout)
            result["update"] = {"id": update["id"], "status": update["status"]}
        elif the_plan.action == "delete":
            addons.delete(options.name, options.preserve, options.wait, options.wait_timeout)
    except (addon_services.AddonUpdateFailed, addon_services.AddonWaitTimeout) as e:
        raise PartiallyApplied(str(e), trust_updated=result["trust_updated"], action=the_plan.action, changed=True)
    if the_plan.action != "delete":
        after = addons.describe(options.name)
        result["addon"] = model.view(after, _owned(service, after)) if after else result["addon"]
    return result
