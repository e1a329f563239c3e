# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""EKS Pod Identity associations as plain data: parse the task's list, plan the changes, render the diff.

Nothing here talks to AWS. An association is identified by its namespace and
service account (EKS allows one per pair and cluster); what EKS lets
UpdatePodIdentityAssociation change is the role, the target role and
``disableSessionTags``. Tags change through TagResource / UntagResource.
An association an add-on created (``ownerArn``) belongs to that add-on's
``podIdentityAssociations`` and is never planned here.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Dict
from typing import List
from typing import Optional
from typing import Tuple

from ansible_collections.eks.access.plugins.module_utils.model import arn as arn_rules
from ansible_collections.eks.access.plugins.module_utils.model import trust_policy
from ansible_collections.eks.access.plugins.module_utils.errors import InvalidInput
from ansible_collections.eks.access.plugins.module_utils.errors import Refused

AGENT_ADDON = "eks-pod-identity-agent"
MAX_ASSOCIATIONS_PER_CLUSTER = 1000
MAX_TAGS = 50
PURGE_CHOICES = ("none", "namespace", "cluster")

Key = Tuple[str, str]


@dataclass(frozen=True)
class Association:
    """One wanted association. ``tags`` None: the association's tags are left as they are."""

    namespace: str
    service_account: str
    role_arn: Optional[str] = None
    target_role_arn: Optional[str] = None
    disable_session_tags: bool = False
    tags: Optional[Dict[str, str]] = None

    @property
    def key(self) -> Key:
        return (self.namespace, self.service_account)


@dataclass(frozen=True)
class Current:
    """One association as EKS describes it (``role_arn`` None when only its list summary was read)."""

    namespace: str
    service_account: str
    association_id: str
    association_arn: str
    role_arn: Optional[str] = None
    target_role_arn: Optional[str] = None
    disable_session_tags: bool = False
    tags: Dict[str, str] = field(default_factory=dict)
    owner_arn: Optional[str] = None

    @property
    def key(self) -> Key:
        return (self.namespace, self.service_account)


@dataclass
class Change:
    """One write: ``create``, ``update`` (fields for UpdatePodIdentityAssociation and/or tags) or ``delete``."""

    action: str
    key: Key
    wanted: Optional[Association] = None
    current: Optional[Current] = None
    update: Dict[str, object] = field(default_factory=dict)
    tags_to_add: Dict[str, str] = field(default_factory=dict)
    tags_to_remove: List[str] = field(default_factory=list)


@dataclass
class Plan:
    changes: List[Change] = field(default_factory=list)
    unchanged: List[Key] = field(default_factory=list)
    # (key, owner ARN): add-on associations a purge leaves alone
    kept_for_addons: List[Tuple[Key, str]] = field(default_factory=list)

    def of(self, action: str) -> List[Change]:
        return [c for c in self.changes if c.action == action]


def key_name(key: Key) -> str:
    return "%s/%s" % key


# --------------------------------------------------------------------------- parsing

def _where(index: int, item) -> str:
    if isinstance(item, dict) and item.get("namespace") and item.get("service_account"):
        return "associations[%d] (%s/%s)" % (index, item["namespace"], item["service_account"])
    return "associations[%d]" % index


def _role_arn(value, what, where, cluster_account, partition):
    try:
        parsed = arn_rules.require_role_arn(value)
    except arn_rules.ArnError as e:
        raise InvalidInput("%s: %s %s" % (where, what, e))
    if partition and parsed.partition != partition:
        raise InvalidInput("%s: %s %s is in partition %s, the cluster in %s; give a role of the cluster's partition"
                           % (where, what, value, parsed.partition, partition))
    if what == "role_arn" and cluster_account and parsed.account_id != cluster_account:
        raise InvalidInput(
            "%s: role_arn %s is in account %s but the cluster is in account %s; EKS Pod Identity assumes a role of "
            "the cluster's account, so give one there and put the other account's role in target_role_arn"
            % (where, value, parsed.account_id, cluster_account))
    return value


def parse_associations(items, state: str, cluster_account: str = None, partition: str = None) -> List[Association]:
    """The task's ``associations`` as Associations; InvalidInput (one sentence, which entry) on any error."""
    result = []
    seen = {}
    for index, item in enumerate(items or []):
        where = _where(index, item)
        if not isinstance(item, dict):
            raise InvalidInput("%s must be a dict with namespace, service_account and role_arn" % where)
        namespace = item.get("namespace")
        service_account = item.get("service_account")
        try:
            trust_policy.validate_namespace(namespace)
            trust_policy.validate_service_account_name(service_account)
        except trust_policy.TrustPolicyError as e:
            raise InvalidInput("%s: %s" % (where, e))
        role = item.get("role_arn")
        target = item.get("target_role_arn")
        if state == "present":
            if not role:
                raise InvalidInput("%s: role_arn is required with state=present" % where)
            _role_arn(role, "role_arn", where, cluster_account, partition)
            if target:
                _role_arn(target, "target_role_arn", where, None, partition)
                if target == role:
                    raise InvalidInput("%s: target_role_arn is the same role as role_arn; leave it out" % where)
        tags = item.get("tags")
        if tags is not None:
            if not isinstance(tags, dict):
                raise InvalidInput("%s: tags must be a dict of strings" % where)
            if len(tags) > MAX_TAGS:
                raise InvalidInput("%s: %d tags, EKS allows at most %d" % (where, len(tags), MAX_TAGS))
            tags = {str(k): "" if v is None else str(v) for k, v in tags.items()}
        association = Association(namespace, service_account, role or None, target or None,
                                  bool(item.get("disable_session_tags")), tags)
        if association.key in seen:
            raise InvalidInput("%s: %s is listed twice (also at associations[%d]); EKS allows one association per "
                               "service account" % (where, key_name(association.key), seen[association.key]))
        seen[association.key] = index
        result.append(association)
    return result


def current_from_eks(association: dict) -> Current:
    """A Current from DescribePodIdentityAssociation's ``association`` or a list summary."""
    return Current(
        namespace=association["namespace"],
        service_account=association["serviceAccount"],
        association_id=association["associationId"],
        association_arn=association["associationArn"],
        role_arn=association.get("roleArn"),
        target_role_arn=association.get("targetRoleArn") or None,
        disable_session_tags=bool(association.get("disableSessionTags")),
        tags=dict(association.get("tags") or {}),
        owner_arn=association.get("ownerArn") or None,
    )


# --------------------------------------------------------------------------- planning

def _owned_refusal(current: Current, what: str) -> Refused:
    return Refused(
        "%s is managed by the add-on %s; %s it through that add-on's podIdentityAssociations instead of this module"
        % (key_name(current.key), current.owner_arn, what))


def _update_of(wanted: Association, current: Current, purge_tags: bool) -> Change:
    change = Change("update", wanted.key, wanted, current)
    if wanted.role_arn != current.role_arn:
        change.update["roleArn"] = wanted.role_arn
    if (wanted.target_role_arn or None) != current.target_role_arn:
        change.update["targetRoleArn"] = wanted.target_role_arn or ""  # "" removes it
    if wanted.disable_session_tags != current.disable_session_tags:
        change.update["disableSessionTags"] = wanted.disable_session_tags
    if wanted.tags is not None:
        change.tags_to_add = {k: v for k, v in wanted.tags.items() if current.tags.get(k) != v}
        if purge_tags:
            change.tags_to_remove = sorted(k for k in current.tags if k not in wanted.tags)
    return change


def plan(wanted: List[Association], current: List[Current], state: str, purge: str = "none",
         purge_tags: bool = True) -> Plan:
    """What to write so the cluster holds ``wanted`` (state present) or none of them (absent).

    ``purge`` (present only): ``namespace`` also deletes the associations of the
    listed namespaces that are not listed, ``cluster`` every association of the
    cluster that is not listed. Add-on associations are never deleted (they are
    reported in ``kept_for_addons``). Refused when a listed service account's
    association belongs to an add-on, or when the result would exceed EKS's
    1,000 associations per cluster.
    """
    if purge not in PURGE_CHOICES:
        raise InvalidInput("purge must be one of %s, got %r" % (", ".join(PURGE_CHOICES), purge))
    if state == "absent" and purge != "none":
        raise InvalidInput("purge applies to state=present only; with state=absent list the associations to delete")
    by_key = {c.key: c for c in current}
    result = Plan()
    wanted_keys = set()
    for association in wanted:
        wanted_keys.add(association.key)
        existing = by_key.get(association.key)
        if state == "absent":
            if existing is None:
                result.unchanged.append(association.key)
            elif existing.owner_arn:
                raise _owned_refusal(existing, "delete")
            else:
                result.changes.append(Change("delete", association.key, association, existing))
            continue
        if existing is None:
            result.changes.append(Change("create", association.key, association))
            continue
        if existing.owner_arn:
            raise _owned_refusal(existing, "change")
        change = _update_of(association, existing, purge_tags)
        if change.update or change.tags_to_add or change.tags_to_remove:
            result.changes.append(change)
        else:
            result.unchanged.append(association.key)
    if state == "present" and purge != "none":
        namespaces = {a.namespace for a in wanted}
        for existing in current:
            if existing.key in wanted_keys or (purge == "namespace" and existing.namespace not in namespaces):
                continue
            if existing.owner_arn:
                result.kept_for_addons.append((existing.key, existing.owner_arn))
                continue
            result.changes.append(Change("delete", existing.key, None, existing))
    total = len(current) + len(result.of("create")) - len(result.of("delete"))
    if total > MAX_ASSOCIATIONS_PER_CLUSTER:
        raise Refused("the cluster would hold %d Pod Identity associations, more than EKS's %d per cluster; "
                      "delete some (purge) or ask AWS for a higher quota first" % (total, MAX_ASSOCIATIONS_PER_CLUSTER))
    return result


def roles_to_verify(wanted: List[Association], state: str) -> List[str]:
    """The association roles whose existence and trust must be checked before any write (sorted, once each)."""
    if state != "present":
        return []
    return sorted({a.role_arn for a in wanted if a.role_arn})


# --------------------------------------------------------------------------- rendering

def view(item) -> dict:
    """The result/diff shape of an Association or a Current."""
    result = {
        "namespace": item.namespace,
        "service_account": item.service_account,
        "role_arn": item.role_arn,
        "target_role_arn": item.target_role_arn,
        "disable_session_tags": item.disable_session_tags,
    }
    if item.tags is not None:
        result["tags"] = dict(item.tags)
    if isinstance(item, Current):
        result.update(association_id=item.association_id, association_arn=item.association_arn)
        if item.owner_arn:
            result["owner_arn"] = item.owner_arn
    return result


def after_view(change: Change) -> dict:
    """How a created or updated association looks once the change is applied."""
    after = {
        "namespace": change.key[0], "service_account": change.key[1],
        "role_arn": change.wanted.role_arn, "target_role_arn": change.wanted.target_role_arn,
        "disable_session_tags": change.wanted.disable_session_tags,
    }
    tags = dict(change.current.tags) if change.current else {}
    for key in change.tags_to_remove:
        tags.pop(key, None)
    tags.update(change.tags_to_add)
    if change.wanted.tags is not None and not change.current:
        tags = dict(change.wanted.tags)
    after["tags"] = tags
    return after


def _comparable(item: dict) -> dict:
    return {k: v for k, v in item.items() if k not in ("association_id", "association_arn", "owner_arn")}


def diff(the_plan: Plan, trust_updates: Dict[str, Tuple[dict, dict]] = None) -> dict:
    """Ansible's ``diff`` (before/after) of the changed associations by ``namespace/service_account``,
    and of the role trust policies the run rewrites."""
    before = {}
    after = {}
    for change in the_plan.changes:
        name = key_name(change.key)
        if change.current is not None:
            before[name] = _comparable(view(change.current))
        if change.action != "delete":
            after[name] = after_view(change)
    result = {"before": {"associations": before}, "after": {"associations": after}}
    if trust_updates:
        result["before"]["trust_policies"] = {arn: old for arn, (old, _new) in trust_updates.items()}
        result["after"]["trust_policies"] = {arn: new for arn, (_old, new) in trust_updates.items()}
    return result


def trust_refusal(missing_roles: List[str], untrusting: Dict[str, List[str]], denied: Dict[str, List[str]]) -> Refused:
    """The one sentence refusing roles EKS Pod Identity could not assume, with what to do."""
    parts = []
    if missing_roles:
        parts.append("role(s) %s do not exist (create them first)" % ", ".join(missing_roles))
    if denied:
        parts.append("role(s) %s deny %s to %s in their trust policy (remove that Deny)" % (
            ", ".join(sorted(denied)), " and ".join(sorted({a for v in denied.values() for a in v})),
            trust_policy.POD_IDENTITY_SERVICE))
    if untrusting:
        parts.append("role(s) %s do not trust %s with %s (set manage_trust: true to add that statement, or add it "
                     "to their trust policy yourself)" % (
                         ", ".join(sorted(untrusting)), trust_policy.POD_IDENTITY_SERVICE,
                         " and ".join(trust_policy.POD_IDENTITY_ACTIONS)))
    return Refused("Nothing was changed: " + "; ".join(parts))
