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

import json
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
# The session policy is handed to sts:AssumeRole, whose plain-text limit for a session policy is 2,048 characters.
MAX_POLICY_LENGTH = 2048
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
    # the session policy (a policy document); None: the association's is left as it is
    policy: Optional[str] = None

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
    policy: Optional[str] = None          # as EKS stores it (JSON text)
    external_id: Optional[str] = None
    created_at: Optional[str] = None
    modified_at: Optional[str] = None
    workload_identity_config: Optional[dict] = None

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


def is_auto_mode(cluster: Optional[dict]) -> bool:
    """Whether a cluster is in EKS Auto Mode: DescribeCluster's ``cluster`` (``computeConfig.enabled``) or the
    flattened cluster facts of eks.cluster_facts (``auto_mode``)."""
    cluster = cluster or {}
    return bool(cluster.get("auto_mode") or (cluster.get("computeConfig") or {}).get("enabled"))


def has_pod_identity_agent(cluster: Optional[dict], addon_names) -> bool:
    """Whether pods of the cluster get Pod Identity credentials from an agent: the ``eks-pod-identity-agent``
    add-on is installed, or the cluster is in EKS Auto Mode, whose nodes run the agent as part of the platform."""
    return AGENT_ADDON in (addon_names or ()) or is_auto_mode(cluster)


def agent_refusal(cluster_name: str, what: str = "pods") -> str:
    """The one sentence refusing a Pod Identity change on a cluster without the agent."""
    return ("cluster %r has no %s add-on and is not in EKS Auto Mode, so %s would get no Pod Identity credentials: "
            "install it first (eks.access.eks_addon name=%s), or set require_agent: false if the agent runs "
            "another way" % (cluster_name, AGENT_ADDON, what, AGENT_ADDON))


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
        policy = parse_policy(item.get("policy"), where)
        if policy is not None and not item.get("disable_session_tags"):
            raise InvalidInput("%s: a session policy needs disable_session_tags: true (EKS refuses a policy with "
                               "session tags)" % where)
        tags = item.get("tags")
        if tags is not None:
            if not isinstance(tags, dict):
                raise InvalidInput("%s: tags must be a dict of strings" % where)
            if len(tags) > MAX_TAGS:
                raise InvalidInput("%s: %d tags, EKS allows at most %d" % (where, len(tags), MAX_TAGS))
            tags = {str(k): "" if v is None else str(v) for k, v in tags.items()}
        association = Association(namespace, service_account, role or None, target or None,
                                  bool(item.get("disable_session_tags")), tags, policy)
        if association.key in seen:
            raise InvalidInput("%s: %s is listed twice (also at associations[%d]); EKS allows one association per "
                               "service account" % (where, key_name(association.key), seen[association.key]))
        seen[association.key] = index
        result.append(association)
    return result


def parse_policy(value, where: str = "policy") -> Optional[str]:
    """A session policy (dict or JSON text) as the compact JSON text sent to EKS; None stays None.

    InvalidInput (one sentence) when it is not a JSON policy document with statements, or longer than
    the 2,048 characters STS allows a session policy.
    """
    if value is None:
        return None
    try:
        document = trust_policy.load_policy(value)
    except trust_policy.TrustPolicyError as e:
        raise InvalidInput("%s: policy is not a JSON policy document (%s); give a dict or JSON text" % (where, e))
    try:
        statements = trust_policy.statements(document)
    except trust_policy.TrustPolicyError as e:
        raise InvalidInput("%s: policy %s" % (where, e))
    if not statements or any(not isinstance(s, dict) or s.get("Effect") not in ("Allow", "Deny") for s in statements):
        raise InvalidInput("%s: policy needs a Statement list whose statements have Effect Allow or Deny" % where)
    text = json.dumps(document, sort_keys=True, separators=(",", ":"))
    if len(text) > MAX_POLICY_LENGTH:
        raise InvalidInput("%s: policy is %d characters as compact JSON, more than the %d a session policy may have; "
                           "shorten it" % (where, len(text), MAX_POLICY_LENGTH))
    return text


def policy_document(text: Optional[str]) -> Optional[dict]:
    """A stored session policy as a dict (None when there is none or it does not parse)."""
    if not text:
        return None
    try:
        return trust_policy.load_policy(text)
    except trust_policy.TrustPolicyError:
        return None


def _timestamp(value) -> Optional[str]:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


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
        policy=association.get("policy") or None,
        external_id=association.get("externalId") or None,
        created_at=_timestamp(association.get("createdAt")),
        modified_at=_timestamp(association.get("modifiedAt")),
        workload_identity_config=association.get("workloadIdentityConfig") or None,
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
    if wanted.policy is not None and not trust_policy.policies_equal(wanted.policy, current.policy):
        change.update["policy"] = wanted.policy
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
    if item.policy is not None or isinstance(item, Current):
        result["policy"] = policy_document(item.policy)
    if isinstance(item, Current):
        result.update(association_id=item.association_id, association_arn=item.association_arn)
        if item.owner_arn:
            result["owner_arn"] = item.owner_arn
        if item.external_id:
            result["external_id"] = item.external_id
    return result


def info_view(item: Current, cluster_name: str) -> dict:
    """Every field DescribePodIdentityAssociation returns, in the collection's snake_case (policy as a dict)."""
    return {
        "cluster_name": cluster_name,
        "namespace": item.namespace,
        "service_account": item.service_account,
        "role_arn": item.role_arn,
        "association_arn": item.association_arn,
        "association_id": item.association_id,
        "tags": dict(item.tags),
        "created_at": item.created_at,
        "modified_at": item.modified_at,
        "owner_arn": item.owner_arn,
        "disable_session_tags": item.disable_session_tags,
        "target_role_arn": item.target_role_arn,
        "external_id": item.external_id,
        "policy": policy_document(item.policy),
        "workload_identity_config": item.workload_identity_config,
    }


def after_view(change: Change) -> dict:
    """How a created or updated association looks once the change is applied."""
    after = {
        "namespace": change.key[0], "service_account": change.key[1],
        "role_arn": change.wanted.role_arn, "target_role_arn": change.wanted.target_role_arn,
        "disable_session_tags": change.wanted.disable_session_tags,
    }
    policy = change.wanted.policy if change.wanted.policy is not None else (
        change.current.policy if change.current else None)
    if policy is not None:
        after["policy"] = policy_document(policy)
    tags = dict(change.current.tags) if change.current else {}
    for key in change.tags_to_remove:
        tags.pop(key, None)
    tags.update(change.tags_to_add)
    if change.wanted.tags is not None and not change.current:
        tags = dict(change.wanted.tags)
    after["tags"] = tags
    return after


def _comparable(item: dict) -> dict:
    return {k: v for k, v in item.items()
            if k not in ("association_id", "association_arn", "owner_arn", "external_id")
            and not (k == "policy" and v is None)}


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
