# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IRSA -> EKS Pod Identity migration as plain data: what there is to move, what cannot move, how far each got.

Nothing here talks to AWS or Kubernetes: :class:`Facts` holds what the runner
read (service accounts, add-ons, associations, workloads, pods, nodes, Fargate
profiles, role trust policies) and :func:`discover` turns it into one
:class:`Item` per service account that uses IRSA (an ``eks.amazonaws.com/role-arn``
annotation, or an add-on's ``serviceAccountRoleArn``) or that this migration
moved earlier (an association tagged :data:`MIGRATED_TAG`).

An item's ``status`` is where it stands, read from the cluster alone, so a
re-run after an interruption carries on from there:

``cannot_move``  a blocker (Fargate, Windows, an add-on without Pod Identity
                 support, a role of another account or missing, another
                 association for the service account);
``pending``      no association yet;
``associated``   the association exists, some pods still lack Pod Identity
                 credentials (restart pending);
``migrated``     every pod carries Pod Identity credentials (verified), IRSA
                 still in place (annotation and/or OIDC trust statement);
``cleaned``      verified, and neither the annotation nor the OIDC statement is left.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Dict
from typing import List
from typing import Optional

from ansible_collections.eks.access.plugins.module_utils.model import arn as arn_rules
from ansible_collections.eks.access.plugins.module_utils.model import irsa
from ansible_collections.eks.access.plugins.module_utils.model import trust_policy
from ansible_collections.eks.access.plugins.module_utils.errors import Refused
from ansible_collections.eks.access.plugins.module_utils.model import pod_identity
from ansible_collections.eks.access.plugins.module_utils.services import workloads

# Marks the associations this migration created: rollback deletes those and no other.
MIGRATED_TAG = irsa.OWNERSHIP_TAG_PREFIX + "migrated-from"
MIGRATED_VALUE = "irsa"
WORKLOAD_KINDS = ("Deployment", "DaemonSet", "StatefulSet")
OS_LABELS = ("kubernetes.io/os", "beta.kubernetes.io/os")
COMPUTE_TYPE_LABEL = "eks.amazonaws.com/compute-type"
ADDON_NAMESPACE = "kube-system"
STATUSES = ("cannot_move", "pending", "associated", "migrated", "cleaned")


@dataclass
class Facts:
    """What the runner read; plain dicts as the APIs return them."""

    cluster_name: str
    partition: str
    account: str
    provider_arn: str
    issuer: str
    agent_installed: bool = False
    service_accounts: List[dict] = field(default_factory=list)
    addons: List[dict] = field(default_factory=list)            # DescribeAddon's ``addon``
    addon_service_accounts: Dict[str, List[str]] = field(default_factory=dict)  # podIdentityConfiguration SAs
    associations: List[pod_identity.Current] = field(default_factory=list)
    workloads: List[dict] = field(default_factory=list)         # each with ``kind``
    pods: List[dict] = field(default_factory=list)
    node_labels: Dict[str, dict] = field(default_factory=dict)
    fargate_selectors: List[dict] = field(default_factory=list)  # {profile, namespace, labels}
    trusts: Dict[str, Optional[dict]] = field(default_factory=dict)  # role ARN -> trust (None: no such role)
    namespaces: Optional[List[str]] = None


@dataclass
class Item:
    namespace: str
    service_account: str
    role_arn: Optional[str]
    addon: Optional[str] = None
    annotated: bool = False
    association: Optional[pod_identity.Current] = None
    oidc_trusted: bool = False
    pod_identity_trusted: bool = False
    blockers: List[str] = field(default_factory=list)
    workloads: List[dict] = field(default_factory=list)
    pods: List[dict] = field(default_factory=list)

    @property
    def key(self):
        return (self.namespace, self.service_account)

    @property
    def name(self) -> str:
        return "%s/%s" % self.key

    @property
    def ours(self) -> bool:
        return bool(self.association and self.association.tags.get(MIGRATED_TAG) == MIGRATED_VALUE)

    def pod_problems(self, to: str = "pod_identity") -> Dict[str, list]:
        """``{pod: [problem]}`` of the live pods not carrying the credentials of ``to`` (pod_identity / irsa)."""
        result = {}
        for pod in self.pods:
            if to == "pod_identity":
                problems = workloads.pod_credential_problems(pod, "pod_identity")
            else:
                problems = workloads.pod_irsa_problems(pod, self.role_arn)
            if problems:
                result[workloads.metadata(pod).get("name")] = ["%s: %s" % (c, p) if c else p for c, p in problems]
        return result

    @property
    def status(self) -> str:
        if self.blockers:
            return "cannot_move"
        if self.association is None:
            return "pending"
        if self.pod_problems():
            return "associated"
        if self.annotated or self.oidc_trusted:
            return "migrated"
        return "cleaned"

    def view(self) -> dict:
        result = {
            "namespace": self.namespace, "service_account": self.service_account, "role_arn": self.role_arn,
            "status": self.status, "annotated": self.annotated, "oidc_trusted": self.oidc_trusted,
            "pod_identity_trusted": self.pod_identity_trusted,
            "association_id": self.association.association_id if self.association else None,
            "created_by_migration": self.ours,
            "workloads": [workload_name(w) for w in self.workloads],
            "pods": len(self.pods),
            "pods_without_pod_identity": self.pod_problems(),
        }
        if self.addon:
            result["addon"] = self.addon
        if self.blockers:
            result["reasons"] = list(self.blockers)
        return result


# --------------------------------------------------------------------------- small pure helpers

def workload_name(workload: dict) -> str:
    meta = workloads.metadata(workload)
    return "%s/%s/%s" % (workload.get("kind"), meta.get("namespace"), meta.get("name"))


def template_spec(workload: dict) -> dict:
    return (((workload.get("spec") or {}).get("template") or {}).get("spec")) or {}


def template_labels(workload: dict) -> dict:
    return ((((workload.get("spec") or {}).get("template") or {}).get("metadata")) or {}).get("labels") or {}


def service_account_of(spec: dict) -> str:
    return spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"


def _in_scope(namespace, namespaces) -> bool:
    return namespaces is None or namespace in namespaces


def _subset(wanted: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in (wanted or {}).items())


def oidc_trusts(policy, provider_arn, namespace, service_account) -> bool:
    """Whether ``policy`` trusts exactly ``system:serviceaccount:NS:SA`` through ``provider_arn``."""
    subject = trust_policy.service_account_subject(namespace, service_account)
    return any(arn_rules.same_arn(provider, provider_arn) and value == subject
               for provider, _issuer, value in trust_policy.trusted_service_accounts(policy))


def pod_identity_trusted(policy) -> bool:
    missing, denied = trust_policy.pod_identity_trust_gaps(policy)
    return not missing and not denied


def trust_with_pod_identity(policy) -> dict:
    """The trust policy with the Pod Identity statement added; every other statement (the OIDC one) kept."""
    return trust_policy.merge_statement(policy, trust_policy.pod_identity_statement())[0]


def trust_without_oidc(policy, provider_arn, issuer, namespace, service_account) -> dict:
    """The trust policy without the OIDC subject of that service account (other subjects kept)."""
    return trust_policy.remove_service_account(policy, provider_arn, issuer, namespace, service_account)[0]


def addon_associations_with(current: List[pod_identity.Current], service_account: str, role_arn: str) -> list:
    """The add-on's ``podIdentityAssociations`` with one service account added: UpdateAddon replaces the whole
    list, so every association the add-on has keeps its role."""
    result = [{"serviceAccount": c.service_account, "roleArn": c.role_arn} for c in current
              if c.service_account != service_account]
    return sorted(result + [{"serviceAccount": service_account, "roleArn": role_arn}],
                  key=lambda a: a["serviceAccount"])


def addon_associations_without(current: List[pod_identity.Current], service_account: str) -> list:
    return sorted(({"serviceAccount": c.service_account, "roleArn": c.role_arn} for c in current
                   if c.service_account != service_account), key=lambda a: a["serviceAccount"])


# --------------------------------------------------------------------------- discovery

def _new_item(facts, namespace, name, role_arn, addon=None, annotated=False):
    item = Item(namespace, name, role_arn, addon=addon, annotated=annotated)
    item.pods = [p for p in facts.pods
                 if workloads.metadata(p).get("namespace") == namespace and workloads.is_live(p)
                 and service_account_of(p.get("spec") or {}) == name]
    item.workloads = [w for w in facts.workloads
                      if workloads.metadata(w).get("namespace") == namespace
                      and service_account_of(template_spec(w)) == name]
    return item


def _placement_blockers(facts, item) -> List[str]:
    """Fargate and Windows: EKS Pod Identity works on Linux EC2 nodes only."""
    found = []
    for workload in item.workloads:
        selector = template_spec(workload).get("nodeSelector") or {}
        if any(selector.get(label) == "windows" for label in OS_LABELS):
            found.append("%s runs on Windows nodes (nodeSelector), where EKS Pod Identity does not work"
                         % workload_name(workload))
        if selector.get(COMPUTE_TYPE_LABEL) == "fargate":
            found.append("%s runs on Fargate (nodeSelector), where EKS Pod Identity does not work"
                         % workload_name(workload))
    for pod in item.pods:
        node = (pod.get("spec") or {}).get("nodeName")
        labels = facts.node_labels.get(node) or {}
        if any(labels.get(label) == "windows" for label in OS_LABELS):
            found.append("pod %s runs on Windows node %s, where EKS Pod Identity does not work"
                         % (workloads.metadata(pod).get("name"), node))
        elif labels.get(COMPUTE_TYPE_LABEL) == "fargate":
            found.append("pod %s runs on Fargate (%s), where EKS Pod Identity does not work"
                         % (workloads.metadata(pod).get("name"), node))
    label_sets = [template_labels(w) for w in item.workloads]
    label_sets += [workloads.metadata(p).get("labels") or {} for p in item.pods]
    for selector in facts.fargate_selectors:
        if selector.get("namespace") != item.namespace:
            continue
        wanted = selector.get("labels") or {}
        if (not wanted) or any(_subset(wanted, labels) for labels in label_sets):
            found.append("Fargate profile %s selects %s pods of namespace %s, where EKS Pod Identity does not work"
                         % (selector.get("profile"), "the" if not wanted else "labelled", item.namespace))
    return sorted(set(found), key=found.index)


def _role_blockers(facts, item) -> List[str]:
    try:
        parsed = arn_rules.require_role_arn(item.role_arn)
    except arn_rules.ArnError as e:
        return ["the annotated role is not a role ARN (%s)" % e]
    if parsed.account_id != facts.account:
        return ["role %s is in account %s, the cluster in %s: EKS Pod Identity assumes a role of the cluster's "
                "account (create one there and use target_role_arn of pod_identity_association)"
                % (item.role_arn, parsed.account_id, facts.account)]
    if item.role_arn not in facts.trusts:
        return []
    trust = facts.trusts[item.role_arn]
    if trust is None:
        return ["role %s does not exist" % item.role_arn]
    _missing, denied = trust_policy.pod_identity_trust_gaps(trust)
    if denied:
        return ["role %s denies %s to %s in its trust policy" % (item.role_arn, " and ".join(denied),
                                                                 trust_policy.POD_IDENTITY_SERVICE)]
    return []


def roles_to_read(facts: Facts, items: List[Item]) -> List[str]:
    """The roles of the cluster's account whose trust policy the plan needs (sorted, once each)."""
    result = set()
    for item in items:
        try:
            parsed = arn_rules.require_role_arn(item.role_arn)
        except arn_rules.ArnError:
            continue
        if parsed.account_id == facts.account:
            result.add(item.role_arn)
    return sorted(result)


def discover(facts: Facts) -> List[Item]:
    """Every item of the migration (sorted by namespace and service account), with its status facts filled."""
    by_key = {a.key: a for a in facts.associations}
    items = {}
    addons = {a["addonName"]: a for a in facts.addons}
    arn_to_addon = {a.get("addonArn"): name for name, a in addons.items()}
    annotated = {}
    for sa in facts.service_accounts:
        meta = workloads.metadata(sa)
        role = workloads.annotations(sa).get(irsa.ROLE_ARN_ANNOTATION)
        if role and _in_scope(meta.get("namespace"), facts.namespaces):
            annotated[(meta.get("namespace"), meta.get("name"))] = role

    # Add-ons first: their service account belongs to them, not to a plain association.
    for name, addon in sorted(addons.items()):
        role = addon.get("serviceAccountRoleArn")
        supported = facts.addon_service_accounts.get(name) or []
        owned = [a for a in facts.associations if a.owner_arn and a.owner_arn == addon.get("addonArn")]
        if not _in_scope(ADDON_NAMESPACE, facts.namespaces):
            continue
        if role:
            candidates = [sa for (ns, sa), r in annotated.items() if ns == ADDON_NAMESPACE and r == role]
            sa_name = next((sa for sa in supported if sa in candidates), None) \
                or (supported[0] if supported else (candidates[0] if candidates else None))
            if sa_name is None:
                continue  # nothing in the cluster runs with the role: nothing to move
            item = _new_item(facts, ADDON_NAMESPACE, sa_name, role, addon=name,
                             annotated=annotated.get((ADDON_NAMESPACE, sa_name)) == role)
            if not supported:
                item.blockers.append("add-on %s %s does not support EKS Pod Identity (describe_addon_configuration "
                                     "gives no podIdentityConfiguration); update the add-on first"
                                     % (name, addon.get("addonVersion")))
            items[item.key] = item
        for association in owned:
            if association.tags.get(MIGRATED_TAG) == MIGRATED_VALUE and association.key not in items:
                items[association.key] = _new_item(facts, association.namespace, association.service_account,
                                                   association.role_arn, addon=name,
                                                   annotated=association.key in annotated)
    for key, role in sorted(annotated.items()):
        if key not in items:
            items[key] = _new_item(facts, key[0], key[1], role, annotated=True)
    for association in facts.associations:
        if association.key in items or not _in_scope(association.namespace, facts.namespaces):
            continue
        if association.tags.get(MIGRATED_TAG) == MIGRATED_VALUE:
            items[association.key] = _new_item(facts, association.namespace, association.service_account,
                                               association.role_arn,
                                               addon=arn_to_addon.get(association.owner_arn))

    for item in items.values():
        association = by_key.get(item.key)
        trust = facts.trusts.get(item.role_arn) if item.role_arn else None
        item.oidc_trusted = bool(trust) and oidc_trusts(trust, facts.provider_arn, item.namespace,
                                                        item.service_account)
        item.pod_identity_trusted = bool(trust) and pod_identity_trusted(trust)
        if association is not None:
            other_role = association.role_arn and item.role_arn and \
                not arn_rules.same_arn(association.role_arn, item.role_arn)
            if other_role:
                item.blockers.append("%s already has a Pod Identity association with another role (%s)"
                                     % (item.name, association.role_arn))
            else:
                item.association = association
        if item.association is None or not item.ours:
            item.blockers.extend(_placement_blockers(facts, item))
        if item.association is None:
            item.blockers.extend(_role_blockers(facts, item))
    return [items[k] for k in sorted(items)]


# --------------------------------------------------------------------------- decisions

def agent_refusal(facts: Facts, items: List[Item]) -> Optional[Refused]:
    """Refused when something would be associated but the cluster has no Pod Identity agent add-on."""
    movable = [i.name for i in items if i.status in ("pending", "associated")]
    if not movable or facts.agent_installed:
        return None
    return Refused(
        "Cluster %r has no %s add-on, so pods would not get Pod Identity credentials; nothing was changed. Install "
        "it first (aws eks create-addon --cluster-name %s --addon-name %s), then re-run; %d service account(s) "
        "wait: %s" % (facts.cluster_name, pod_identity.AGENT_ADDON, facts.cluster_name, pod_identity.AGENT_ADDON,
                      len(movable), ", ".join(movable[:5]) + (" ..." if len(movable) > 5 else "")))


def rollback_blockers(item: Item) -> List[str]:
    """Why an item cannot go back to IRSA: both trusts and the annotation must still be there."""
    if not item.ours:
        return []
    found = []
    if item.addon is None and not item.annotated:
        found.append("its %s annotation was removed (cleanup ran)" % irsa.ROLE_ARN_ANNOTATION)
    if item.addon is not None and not item.annotated:
        found.append("add-on %s no longer has serviceAccountRoleArn (cleanup ran)" % item.addon)
    if not item.oidc_trusted:
        found.append("role %s no longer trusts the cluster's OIDC provider for it (cleanup ran)" % item.role_arn)
    return found


def workloads_to_restart(item: Item, to: str = "pod_identity") -> List[dict]:
    """The item's workloads with a live pod that lacks the credentials of ``to``."""
    lacking = set(item.pod_problems(to))
    result = []
    for workload in item.workloads:
        selector = ((workload.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        if any(workloads.metadata(p).get("name") in lacking
               and _subset(selector, workloads.metadata(p).get("labels") or {}) for p in item.pods):
            result.append(workload)
    return result


def unmanaged_pods(item: Item, to: str = "pod_identity") -> List[str]:
    """Pods lacking the credentials that no Deployment, DaemonSet or StatefulSet of the item would replace."""
    selectors = [((w.get("spec") or {}).get("selector") or {}).get("matchLabels") or {} for w in item.workloads]
    lacking = item.pod_problems(to)
    return sorted(workloads.metadata(p).get("name") for p in item.pods
                  if workloads.metadata(p).get("name") in lacking
                  and not any(s and _subset(s, workloads.metadata(p).get("labels") or {}) for s in selectors))


def summary(items: List[Item]) -> Dict[str, List[str]]:
    """Item names by status."""
    result = {status: [] for status in STATUSES}
    for item in items:
        result[item.status].append(item.name)
    return result
