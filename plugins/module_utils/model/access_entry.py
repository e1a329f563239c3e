# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""EKS access entries as plain data: every EKS rule, normalisation, the plan and its diff.

Pure: no boto3, no I/O.  The service (services/access_entries.py) reads and
writes; the runners feed this module what they read (the cluster's account
and partition, the access policies EKS lists, the current entries) and apply
the plan it returns.  Every rule EKS enforces on access entries is checked
here, so a task is refused before its first write, with one sentence that
says what to do.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from dataclasses import field

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model.arn import ArnError
from ansible_collections.eks.access.plugins.module_utils.model.arn import assumed_role_to_role_arn
from ansible_collections.eks.access.plugins.module_utils.model.arn import match_key
from ansible_collections.eks.access.plugins.module_utils.model.arn import parse_iam_arn
from ansible_collections.eks.access.plugins.module_utils.model.eks_cluster import ClusterFacts
from ansible_collections.eks.access.plugins.module_utils.model.trust_policy import DNS1123_LABEL_RE

# Authentication modes, in the only order EKS moves them: one step right at a time, never back.
AUTHENTICATION_MODES = ("CONFIG_MAP", "API_AND_CONFIG_MAP", "API")

STANDARD = "STANDARD"
# Node entry types: IAM roles of the cluster's account; EKS sets their username and groups.
NODE_TYPES = ("EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "HYBRID_LINUX", "EC2")
ENTRY_TYPES = (STANDARD,) + NODE_TYPES
# The only policies a node type may carry (Auto Mode node roles get this one); STANDARD: any.
NODE_TYPE_POLICIES = {"EC2": ("AmazonEKSAutoNodePolicy",)}

RESERVED_USERNAME_PREFIXES = ("system:", "eks:", "aws:", "amazon:", "iam:")
RESERVED_GROUP_PREFIX = "system:"
SESSION_NAME_VARIABLES = ("{{SessionName}}", "{{SessionNameRaw}}")
# IAM puts service-linked roles under this path; EKS refuses them as principals.
SERVICE_LINKED_ROLE_PATH = "/aws-service-role/"

CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
_POLICY_ARN_RE = re.compile(r"^arn:(?P<partition>[a-z-]+):eks::aws:cluster-access-policy/(?P<name>[A-Za-z0-9]+)\Z")
_POLICY_NAME_RE = re.compile(r"^[A-Za-z0-9]+\Z")
# A namespace prefix followed by one trailing "*", e.g. "team-*".
_NAMESPACE_PREFIX_RE = re.compile(r"^[a-z0-9][-a-z0-9]*\*\Z")
MAX_NAMESPACE_LENGTH = 63


def policy_arn(name: str, partition: str = "aws") -> str:
    """The ARN of the EKS access policy ``name`` (``AmazonEKSViewPolicy``)."""
    return "arn:%s:eks::aws:cluster-access-policy/%s" % (partition, name)


def policy_name(arn: str) -> str:
    """``AmazonEKSViewPolicy`` of its ARN (the ARN itself when it is not one)."""
    match = _POLICY_ARN_RE.match(arn or "")
    return match.group("name") if match else arn


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class AccessScope:
    type: str  # "cluster" or "namespace"
    namespaces: tuple = ()

    def to_api(self) -> dict:
        return {"type": self.type, "namespaces": list(self.namespaces)} if self.type == "namespace" \
            else {"type": "cluster"}

    def to_result(self) -> dict:
        return {"type": self.type, "namespaces": list(self.namespaces)}


CLUSTER_SCOPE = AccessScope("cluster")


@dataclass(frozen=True)
class AccessEntry:
    """One access entry.  ``None`` in a desired entry means "not managed: keep what EKS has"."""

    principal_arn: str
    type: str = STANDARD
    kubernetes_groups: tuple = None
    username: str = None
    # policy ARN -> AccessScope
    policies: dict = None
    tags: dict = None
    # The entry's own ARN (for tagging); not part of what is compared.
    entry_arn: str = field(default=None, compare=False)
    # When EKS created the entry (a datetime), to spot principals recreated since.
    created_at: object = field(default=None, compare=False)

    def to_result(self) -> dict:
        return {
            "principal_arn": self.principal_arn,
            "type": self.type,
            "kubernetes_groups": list(self.kubernetes_groups or ()),
            "username": self.username,
            "access_policies": [
                {"policy": policy_name(arn), "policy_arn": arn, "access_scope": scope.to_result()}
                for arn, scope in sorted((self.policies or {}).items())],
            "tags": dict(self.tags or {}),
        }


def entry_from_api(entry: dict, associations: list) -> AccessEntry:
    """An :class:`AccessEntry` from DescribeAccessEntry's ``accessEntry`` and ListAssociatedAccessPolicies."""
    policies = {}
    for association in associations or ():
        scope = association.get("accessScope") or {}
        policies[association["policyArn"]] = AccessScope(
            scope.get("type") or "cluster",
            tuple(sorted(scope.get("namespaces") or ())) if scope.get("type") == "namespace" else ())
    return AccessEntry(
        principal_arn=entry["principalArn"],
        type=entry.get("type") or STANDARD,
        kubernetes_groups=tuple(sorted(entry.get("kubernetesGroups") or ())),
        username=entry.get("username"),
        policies=policies,
        tags=dict(entry.get("tags") or {}),
        entry_arn=entry.get("accessEntryArn"),
        created_at=entry.get("createdAt"),
    )


# --------------------------------------------------------------------------- the cluster's facts


def require_entries_mode(cluster: ClusterFacts) -> None:
    """Refuse when the cluster's mode ignores access entries (EKS answers InvalidRequestException)."""
    if cluster.authentication_mode == "CONFIG_MAP":
        raise errors.Refused(
            "Cluster %r uses authentication mode CONFIG_MAP, where EKS has no access entries; switch it to "
            "API_AND_CONFIG_MAP first (eks.access.eks_authentication_mode). Nothing was written." % cluster.name)


def require_aws_auth_honoured(cluster_name: str, mode: str) -> None:
    """Refuse an aws-auth write on a cluster in API mode, where EKS never reads aws-auth."""
    if mode == "API":
        raise errors.Refused(
            "Cluster %r uses authentication mode API, where EKS ignores the aws-auth ConfigMap, so this change would "
            "grant nothing; manage its access with eks.access.eks_access_entry instead. Nothing was written." % (
                cluster_name,))


# --------------------------------------------------------------------------- principals


def check_principal(arn, entry_type: str, cluster: ClusterFacts, where: str = "principal_arn"):
    """The parsed principal of an entry, or InvalidInput saying why EKS would refuse it."""
    try:
        parsed = parse_iam_arn(arn)
    except ArnError as e:
        raise errors.InvalidInput("%s: %s" % (where, e))
    if parsed.resource_type == "assumed-role":
        raise errors.InvalidInput(
            "%s %s is an STS assumed-role session, which EKS does not accept for an access entry; use its role "
            "ARN %s (with the role's path, if it has one)" % (where, arn, assumed_role_to_role_arn(arn)))
    if parsed.service != "iam" or parsed.resource_type not in ("role", "user"):
        raise errors.InvalidInput(
            "%s %s is an IAM %s; an access entry's principal is an IAM role or user ARN" % (
                where, arn, parsed.resource_type))
    if parsed.resource_type == "role" and parsed.path.startswith(SERVICE_LINKED_ROLE_PATH):
        raise errors.InvalidInput(
            "%s %s is a service-linked role, which EKS does not accept for an access entry; use an ordinary "
            "IAM role" % (where, arn))
    if cluster.partition and parsed.partition != cluster.partition:
        raise errors.InvalidInput("%s %s is in partition %s but cluster %s is in %s" % (
            where, arn, parsed.partition, cluster.name, cluster.partition))
    if entry_type != STANDARD and (parsed.resource_type != "role" or parsed.account_id != cluster.account_id):
        raise errors.InvalidInput(
            "%s %s: an entry of type %s must be an IAM role of the cluster's account %s; use type STANDARD "
            "for other principals" % (where, arn, entry_type, cluster.account_id))
    return parsed


def principal_key(arn: str):
    """What identifies an IAM principal across ARN spellings: roles by account and name (path dropped).

    An assumed-role caller ARN (``sts::...:assumed-role/NAME/SESSION``) has
    the same key as its role's ARN with or without a path: EKS matches an
    entry by the principal's unique ID, and a role's name is unique in its
    account whatever its path (and case: names are compared through
    arn.match_key, the collection's one ARN comparison).
    """
    try:
        parsed = parse_iam_arn(arn)
    except ArnError:
        return ("unparsed", match_key(arn))
    kind = "role" if parsed.resource_type in ("role", "assumed-role") else parsed.resource_type
    return (parsed.partition, parsed.account_id, kind, match_key(parsed.name))


# --------------------------------------------------------------------------- names


def _reserved_prefix(name: str, prefixes) -> str:
    """The reserved prefix ``name`` starts with, compared the way a reader of audit logs would.

    EKS documents the prefixes in lower case; the collection refuses them in
    any case (``SYSTEM:admin``) and after NFKC folding (fullwidth
    ``ｓｙｓｔｅｍ：``), and refuses any character outside ASCII before the
    first colon, so that a lookalike (``ѕystem:masters`` with a Cyrillic
    ``ѕ``) can never pass for a reserved name in RBAC bindings or logs.
    Returns the prefix, ``"lookalike"`` or ``""``.
    """
    folded = unicodedata.normalize("NFKC", name).casefold()
    for prefix in prefixes:
        if folded.startswith(prefix):
            return prefix
    colon = folded.find(":")
    if colon >= 0 and not folded[:colon + 1].isascii():
        return "lookalike"
    return ""


def _control_character(name: str):
    """The first control or invisible formatting character of ``name`` (NUL, newline, zero-width ...), or None."""
    for character in name:
        if unicodedata.category(character) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            return character
    return None


def check_name(name, kind: str, where: str, prefixes) -> str:
    """Refuse a Kubernetes username or group name EKS reserves, or one that could pass for such a name.

    ``kind`` is ``username`` or ``group``; ``prefixes``: the reserved
    prefixes (lower case).  The one place the collection decides these rules.
    """
    if not isinstance(name, str) or not name:
        raise errors.InvalidInput("%s: each %s must be a non-empty string, got %r" % (where, kind, name))
    bad = _control_character(name)
    if bad is not None:
        raise errors.InvalidInput(
            "%s: %s %r contains the control or invisible character U+%04X, which no RBAC binding can name "
            "reliably; remove it" % (where, kind, name, ord(bad)))
    prefix = _reserved_prefix(name, prefixes)
    if prefix == "lookalike":
        raise errors.InvalidInput(
            "%s: %s %r has characters outside ASCII before its first ':', which can pass for a prefix EKS "
            "reserves (%s); write that part in ASCII" % (where, kind, name, ", ".join(prefixes)))
    if prefix:
        if kind == "group":
            raise errors.InvalidInput(
                "%s: group %r starts with %r, which EKS refuses in access entries (in any case); for cluster admin "
                "associate AmazonEKSClusterAdminPolicy instead of system:masters" % (where, name, prefix))
        raise errors.InvalidInput(
            "%s %r starts with %r, which EKS reserves (%s, in any case); choose another username" % (
                where, name, prefix, ", ".join(prefixes)))
    return name


def check_username(username, entry_type: str, where: str):
    if username is None:
        return None
    if not isinstance(username, str) or not username:
        raise errors.InvalidInput("%s must be a non-empty string, got %r" % (where, username))
    if entry_type != STANDARD:
        raise errors.InvalidInput(
            "%s: an entry of type %s takes no username (EKS sets it); remove it or use type STANDARD" % (
                where, entry_type))
    check_name(username, "username", where, RESERVED_USERNAME_PREFIXES)
    for variable in SESSION_NAME_VARIABLES:
        at = username.find(variable)
        if at >= 0 and ":" not in username[:at]:
            raise errors.InvalidInput(
                "%s %r uses %s without a ':' before it, which EKS refuses; write it like 'dev:%s'" % (
                    where, username, variable, variable))
    return username


def check_groups(groups, entry_type: str, where: str):
    if groups is None:
        return None
    if not isinstance(groups, (list, tuple)):
        raise errors.InvalidInput("%s must be a list of group names, got %r" % (where, groups))
    if groups and entry_type != STANDARD:
        raise errors.InvalidInput(
            "%s: an entry of type %s takes no kubernetes_groups (EKS sets them); remove them or use type "
            "STANDARD" % (where, entry_type))
    for group in groups:
        check_name(group, "group", where, (RESERVED_GROUP_PREFIX,))
    return tuple(sorted(set(groups)))


# --------------------------------------------------------------------------- policies


def normalize_policy(policy, cluster: ClusterFacts, where: str) -> str:
    """The ARN of a policy given by name (``AmazonEKSViewPolicy``) or ARN, checked against ListAccessPolicies."""
    if not isinstance(policy, str) or not policy:
        raise errors.InvalidInput("%s must be an access policy name or ARN, got %r" % (where, policy))
    if policy.startswith("arn:"):
        match = _POLICY_ARN_RE.match(policy)
        if not match:
            raise errors.InvalidInput(
                "%s %r is not an EKS access policy ARN (arn:%s:eks::aws:cluster-access-policy/NAME)" % (
                    where, policy, cluster.partition))
        arn = policy
    elif _POLICY_NAME_RE.match(policy):
        arn = policy_arn(policy, cluster.partition)
    else:
        raise errors.InvalidInput("%s %r is neither an access policy name like AmazonEKSViewPolicy nor its ARN" % (
            where, policy))
    known = cluster.access_policy_arns
    if known is not None and arn not in known:
        names = sorted(policy_name(a) for a in known)
        raise errors.InvalidInput("%s %s is not an access policy EKS lists; use one of %s" % (
            where, policy, ", ".join(names)))
    return arn


def normalize_scope(scope, where: str) -> AccessScope:
    if scope is None:
        return CLUSTER_SCOPE
    if not isinstance(scope, dict):
        raise errors.InvalidInput("%s must be a dict with type and namespaces, got %r" % (where, scope))
    kind = scope.get("type") or ("namespace" if scope.get("namespaces") else "cluster")
    namespaces = scope.get("namespaces") or []
    if kind == "cluster":
        if namespaces:
            raise errors.InvalidInput("%s: a cluster scope takes no namespaces; use type namespace" % where)
        return CLUSTER_SCOPE
    if kind != "namespace":
        raise errors.InvalidInput("%s.type must be cluster or namespace, got %r" % (where, kind))
    if not namespaces:
        raise errors.InvalidInput("%s: a namespace scope needs at least one namespace" % where)
    for namespace in namespaces:
        if not isinstance(namespace, str) or len(namespace) > MAX_NAMESPACE_LENGTH or not (
                DNS1123_LABEL_RE.match(namespace) or _NAMESPACE_PREFIX_RE.match(namespace)):
            raise errors.InvalidInput(
                "%s: %r is not a namespace name or a prefix ending in * (like team-*)" % (where, namespace))
    if len(set(namespaces)) != len(namespaces):
        raise errors.InvalidInput("%s lists a namespace twice" % where)
    return AccessScope("namespace", tuple(sorted(namespaces)))


def normalize_policies(items, entry_type: str, cluster: ClusterFacts, where: str):
    if items is None:
        return None
    if not isinstance(items, (list, tuple)):
        raise errors.InvalidInput("%s must be a list, got %r" % (where, items))
    policies = {}
    for index, item in enumerate(items):
        here = "%s[%d]" % (where, index)
        if isinstance(item, str):
            item = {"policy": item}
        if not isinstance(item, dict):
            raise errors.InvalidInput("%s must be a dict with policy and access_scope, got %r" % (here, item))
        arn = normalize_policy(item.get("policy"), cluster, here + ".policy")
        if arn in policies:
            raise errors.InvalidInput(
                "%s: %s is listed twice for this entry; EKS associates a policy once per entry, so merge the "
                "scopes into one item" % (here, policy_name(arn)))
        allowed = NODE_TYPE_POLICIES.get(entry_type, ()) if entry_type != STANDARD else None
        if allowed is not None and policy_name(arn) not in allowed:
            raise errors.InvalidInput(
                "%s: an entry of type %s takes no access policies%s; remove it or use type STANDARD" % (
                    here, entry_type, " other than %s" % ", ".join(allowed) if allowed else ""))
        policies[arn] = normalize_scope(item.get("access_scope"), here + ".access_scope")
    return policies


def normalize_tags(tags, where: str):
    if tags is None:
        return None
    if not isinstance(tags, dict):
        raise errors.InvalidInput("%s must be a dict, got %r" % (where, tags))
    for key, value in tags.items():
        if not isinstance(key, str) or not key or key.lower().startswith("aws:"):
            raise errors.InvalidInput("%s: tag key %r must be a non-empty string not starting with aws:" % (where, key))
        if not isinstance(value, str):
            raise errors.InvalidInput("%s: the value of tag %r must be a string" % (where, key))
    return dict(tags)


def normalize_entries(items, cluster: ClusterFacts, state: str = "present") -> list:
    """Desired :class:`AccessEntry` list from the task's ``entries``; InvalidInput on the first broken rule.

    With ``state=absent`` only the principal is read.
    """
    entries = []
    seen = {}
    for index, item in enumerate(items or ()):
        where = "entries[%d]" % index
        if not isinstance(item, dict):
            raise errors.InvalidInput("%s must be a dict with principal_arn, got %r" % (where, item))
        entry_type = item.get("type") or STANDARD
        if entry_type not in ENTRY_TYPES:
            raise errors.InvalidInput("%s.type %r is not one of %s" % (where, entry_type, ", ".join(ENTRY_TYPES)))
        arn = item.get("principal_arn")
        check_principal(arn, entry_type if state == "present" else STANDARD, cluster, where + ".principal_arn")
        key = principal_key(arn)
        if key in seen:
            raise errors.InvalidInput(
                "%s.principal_arn %s is also entries[%d] (one IAM principal: names are unique whatever their "
                "case and role path); list each principal once" % (where, arn, seen[key]))
        seen[key] = index
        if state == "absent":
            entries.append(AccessEntry(arn, entry_type))
            continue
        entries.append(AccessEntry(
            principal_arn=arn,
            type=entry_type,
            kubernetes_groups=check_groups(item.get("kubernetes_groups"), entry_type, where + ".kubernetes_groups"),
            username=check_username(item.get("username"), entry_type, where + ".username"),
            policies=normalize_policies(item.get("access_policies"), entry_type, cluster, where + ".access_policies"),
            tags=normalize_tags(item.get("tags"), where + ".tags"),
        ))
    return entries


def named_policies(items) -> bool:
    """True when any entry names an access policy (so the run must ask EKS which policies exist)."""
    return any(isinstance(item, dict) and item.get("access_policies") for item in items or ())


# --------------------------------------------------------------------------- matching principals


@dataclass
class Resolution:
    """The task's entries, each named as EKS lists the entry its principal ARN matches."""

    entries: list  # AccessEntry, principal_arn replaced by the matching entry's real ARN
    matched: list = field(default_factory=list)  # {"name": as written, "principal_arn": the entry's ARN}
    unmatched: list = field(default_factory=list)  # ARNs as written that name no entry


def resolve_principals(wanted: list, listed) -> Resolution:
    """Match each wanted principal to an existing entry the way IAM identifies principals.

    IAM role and user names are unique in their account whatever their case,
    and a role is the same principal with or without its path
    (``role/p3-pathed`` is ``role/teams/platform/p3-pathed``, an SSO role is
    the same under ``aws-reserved/sso.amazonaws.com/[REGION/]``); a user and
    a role of the same name are not.  An exact match wins; two entries that
    fold to the same principal (EKS keeps the entry of a deleted principal
    next to one made for its successor) are refused as ambiguous.
    """
    listed = list(listed or ())
    exact = set(listed)
    by_key = {}
    for arn in listed:
        by_key.setdefault(principal_key(arn), []).append(arn)
    resolution = Resolution([])
    for entry in wanted:
        arn = entry.principal_arn
        if arn in exact:
            resolution.entries.append(entry)
            continue
        candidates = sorted(by_key.get(principal_key(arn)) or ())
        if not candidates:
            resolution.unmatched.append(arn)
            resolution.entries.append(entry)
            continue
        if len(candidates) > 1:
            raise errors.Refused(
                "%s matches the access entries of %s, which IAM takes for one principal (names are unique whatever "
                "their case and path); name the entry exactly as EKS lists it. Nothing was written." % (
                    arn, " and ".join(candidates)))
        resolution.matched.append({"name": arn, "principal_arn": candidates[0]})
        resolution.entries.append(replace_principal(entry, candidates[0]))
    return resolution


def replace_principal(entry: AccessEntry, principal_arn: str) -> AccessEntry:
    return AccessEntry(principal_arn, entry.type, entry.kubernetes_groups, entry.username, entry.policies,
                       entry.tags, entry.entry_arn, entry.created_at)


# --------------------------------------------------------------------------- what the caller would lose


def is_cluster_admin(entry: AccessEntry) -> bool:
    """Whether the entry carries AmazonEKSClusterAdminPolicy at cluster scope (everything, whatever else it has)."""
    return entry.type == STANDARD and any(
        policy_name(arn) == CLUSTER_ADMIN_POLICY and scope.type == "cluster"
        for arn, scope in (entry.policies or {}).items())


def scope_covers(wider: AccessScope, narrower: AccessScope) -> bool:
    """Whether ``wider`` reaches every namespace ``narrower`` does (``team-*`` covers ``team-a`` and ``team-a-*``)."""
    if wider.type == "cluster":
        return True
    if narrower.type == "cluster":
        return False
    return all(any(namespace == pattern or (pattern.endswith("*") and namespace.startswith(pattern[:-1]))
                   for pattern in wider.namespaces) for namespace in narrower.namespaces)


def lost_access(before: AccessEntry, after: AccessEntry) -> list:
    """Why ``after`` lets its principal do less than ``before`` (one phrase each); [] when it does not.

    An entry that keeps AmazonEKSClusterAdminPolicy at cluster scope loses
    nothing.  Otherwise a policy removed, a scope narrowed (cluster to
    namespaces, or fewer namespaces), a Kubernetes group removed (its RBAC
    bindings stop applying) or a username changed (bindings naming the user
    stop applying) is a loss.
    """
    if after is None:
        return ["its entry deleted"]
    if is_cluster_admin(after):
        return []
    reasons = []
    now = after.policies or {}
    for arn, scope in sorted((before.policies or {}).items()):
        if arn not in now:
            reasons.append("%s removed" % policy_name(arn))
        elif not scope_covers(now[arn], scope):
            reasons.append("%s narrowed from %s to %s" % (
                policy_name(arn), _scope_text(scope), _scope_text(now[arn])))
    removed = sorted(set(before.kubernetes_groups or ()) - set(after.kubernetes_groups or ()))
    if removed:
        reasons.append("group%s %s removed" % ("s" if len(removed) > 1 else "", ", ".join(removed)))
    if before.type == STANDARD and (before.username or "") != (after.username or ""):
        reasons.append("username changed from %r to %r" % (before.username, after.username))
    return reasons


def _scope_text(scope: AccessScope) -> str:
    return "the cluster" if scope.type == "cluster" else "namespaces %s" % ", ".join(scope.namespaces)


def refuse_self_lockout(principal_arn: str, before: AccessEntry, after: AccessEntry) -> None:
    """Refused when the caller's own entry would let it do less."""
    reasons = lost_access(before, after)
    if reasons:
        raise errors.Refused(
            "Refusing to change the access entry of %s, the identity this task runs as: it would lose access "
            "(%s) and could lock itself out of the cluster; run the task as another admin, or set "
            "allow_self_lockout: true. Nothing was written." % (principal_arn, "; ".join(reasons)),
            self_lockout=reasons)


# --------------------------------------------------------------------------- plan


@dataclass
class EntryChange:
    """What happens to one entry, in the order the writes must run."""

    principal_arn: str
    action: str  # create, update, replace, delete, none
    before: AccessEntry = None
    after: AccessEntry = None
    # Request parameters, ready for the service.
    create: dict = None
    update: dict = None
    associate: list = field(default_factory=list)  # [(policy_arn, AccessScope)]
    disassociate: list = field(default_factory=list)  # [policy_arn]
    tag: dict = field(default_factory=dict)
    untag: list = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.action != "none" or bool(self.associate or self.disassociate or self.tag or self.untag)

    def writes(self) -> int:
        """How many AWS write requests this change makes."""
        count = {"create": 1, "update": 1, "replace": 2, "delete": 1}.get(self.action, 0)
        return count + len(self.associate) + len(self.disassociate) + bool(self.tag) + bool(self.untag)

    def summary(self) -> dict:
        return {
            "principal_arn": self.principal_arn,
            "action": self.action,
            "associate": [{"policy": policy_name(arn), "access_scope": scope.to_result()}
                          for arn, scope in self.associate],
            "disassociate": [policy_name(arn) for arn in self.disassociate],
        }


@dataclass
class Plan:
    changes: list  # EntryChange, for every entry the task touches (writes first, deletions last)
    before: dict  # principal ARN -> AccessEntry
    after: dict
    kept: list = field(default_factory=list)  # purge candidates kept, with why

    @property
    def changed(self) -> bool:
        return any(change.changed for change in self.changes)

    def writes(self) -> int:
        return sum(change.writes() for change in self.changes)

    def by_action(self, action: str) -> list:
        return [c.principal_arn for c in self.changes if c.action == action]


def _merge(current: AccessEntry, wanted: AccessEntry) -> AccessEntry:
    """The entry after the task: what the task manages from ``wanted``, the rest from ``current``."""
    return AccessEntry(
        principal_arn=current.principal_arn,
        type=wanted.type,
        kubernetes_groups=current.kubernetes_groups if wanted.kubernetes_groups is None else wanted.kubernetes_groups,
        username=current.username if wanted.username is None else wanted.username,
        policies=dict(current.policies or {}) if wanted.policies is None else dict(wanted.policies),
        tags=dict(current.tags or {}) if wanted.tags is None else dict(wanted.tags),
    )


def _new_entry(wanted: AccessEntry) -> AccessEntry:
    return AccessEntry(wanted.principal_arn, wanted.type, wanted.kubernetes_groups or (), wanted.username,
                       dict(wanted.policies or {}), dict(wanted.tags or {}))


def _create_request(entry: AccessEntry) -> dict:
    request = {"principalArn": entry.principal_arn, "type": entry.type}
    if entry.kubernetes_groups:
        request["kubernetesGroups"] = list(entry.kubernetes_groups)
    if entry.username:
        request["username"] = entry.username
    if entry.tags:
        request["tags"] = dict(entry.tags)
    return request


def _policy_changes(current: dict, wanted: dict):
    associate = [(arn, scope) for arn, scope in sorted(wanted.items()) if current.get(arn) != scope]
    disassociate = sorted(arn for arn in current if arn not in wanted)
    return associate, disassociate


def plan(current: dict, wanted: list, state: str = "present", purge: bool = False, replace: bool = False,
         allow_node_entry_deletion: bool = False, protected: tuple = (), allow_self_lockout: bool = False) -> Plan:
    """Plan the changes from ``current`` (principal ARN -> AccessEntry) to the task's ``wanted`` entries.

    ``protected``: principal ARNs (any spelling: assumed-role, role with or
    without path) whose entries are never deleted (the caller's), unless
    ``allow_self_lockout``, nor changed so that they can do less
    (:func:`lost_access`).  Raises Refused for an immutable change without
    ``replace``, for deleting or shrinking a protected entry on purpose, and
    for deleting a node entry by name without ``allow_node_entry_deletion``.
    ``wanted`` is named as :func:`resolve_principals` returns it.
    """
    protected_keys = {principal_key(arn) for arn in protected}
    after = dict(current)
    changes = []
    deletions = []
    kept = []
    # Any spelling of a listed principal (case, role path) keeps its entry from the purge.
    listed = {principal_key(entry.principal_arn) for entry in wanted}

    def delete(entry: AccessEntry):
        deletions.append(EntryChange(entry.principal_arn, "delete", before=entry))
        after.pop(entry.principal_arn, None)

    if state == "absent":
        for entry in wanted:
            existing = current.get(entry.principal_arn)
            if existing is None:
                continue
            if principal_key(entry.principal_arn) in protected_keys and not allow_self_lockout:
                raise errors.Refused(
                    "Refusing to delete the access entry of %s: this task runs as that identity and would lock "
                    "itself out; run it as another admin, or set allow_self_lockout: true" % entry.principal_arn)
            if existing.type != STANDARD and not allow_node_entry_deletion:
                raise errors.Refused(
                    "Refusing to delete the %s node entry of %s: nodes using that role could no longer join or reach "
                    "the cluster; set allow_node_entry_deletion: true once no node uses it. Nothing was written." % (
                        existing.type, existing.principal_arn))
            delete(existing)
        return Plan(deletions, dict(current), after)

    for entry in wanted:
        existing = current.get(entry.principal_arn)
        if existing is None:
            new = _new_entry(entry)
            changes.append(EntryChange(entry.principal_arn, "create", after=new, create=_create_request(new),
                                       associate=sorted(new.policies.items())))
            after[entry.principal_arn] = new
            continue
        if existing.type != entry.type:
            if not replace:
                raise errors.Refused(
                    "The access entry of %s has type %s and the task wants %s; EKS cannot change an entry's type, "
                    "so set replace: true to delete and recreate it (its access is gone for the moments in "
                    "between), or keep type %s" % (entry.principal_arn, existing.type, entry.type, existing.type))
            if principal_key(entry.principal_arn) in protected_keys and not allow_self_lockout:
                raise errors.Refused(
                    "Refusing to replace the access entry of %s: this task runs as that identity and would lose "
                    "access between the delete and the create; run it as another admin" % entry.principal_arn)
            new = _new_entry(_merge(AccessEntry(entry.principal_arn, entry.type, (), None, {}, existing.tags),
                                    entry))
            changes.append(EntryChange(entry.principal_arn, "replace", before=existing, after=new,
                                       create=_create_request(new), associate=sorted(new.policies.items())))
            after[entry.principal_arn] = new
            continue
        new = _merge(existing, entry)
        if principal_key(entry.principal_arn) in protected_keys and not allow_self_lockout:
            refuse_self_lockout(entry.principal_arn, existing, new)
        change = EntryChange(entry.principal_arn, "none", before=existing, after=new)
        if entry.type == STANDARD and (
                new.kubernetes_groups != existing.kubernetes_groups or new.username != existing.username):
            change.action = "update"
            change.update = {"principalArn": entry.principal_arn}
            if new.kubernetes_groups != existing.kubernetes_groups:
                change.update["kubernetesGroups"] = list(new.kubernetes_groups)
            if new.username != existing.username:
                change.update["username"] = new.username
        change.associate, change.disassociate = _policy_changes(existing.policies or {}, new.policies or {})
        if entry.tags is not None:
            change.tag = {k: v for k, v in new.tags.items() if (existing.tags or {}).get(k) != v}
            change.untag = sorted(k for k in (existing.tags or {}) if k not in new.tags)
        changes.append(change)
        after[entry.principal_arn] = new

    if purge:
        for arn, entry in sorted(current.items()):
            if principal_key(arn) in listed:
                continue
            if principal_key(arn) in protected_keys and not allow_self_lockout:
                kept.append({"principal_arn": arn, "reason": "the identity this task runs as"})
                continue
            if entry.type != STANDARD and not allow_node_entry_deletion:
                kept.append({"principal_arn": arn, "reason": "a %s node entry (allow_node_entry_deletion: false)" % entry.type})
                continue
            if SERVICE_LINKED_ROLE_PATH in arn:
                kept.append({"principal_arn": arn, "reason": "a service-linked role entry EKS manages"})
                continue
            delete(entry)
    return Plan(changes + deletions, dict(current), after, kept)


# --------------------------------------------------------------------------- lockout


def principals_of_account(arns, account_id: str) -> list:
    """``[(arn, parsed)]`` of the IAM roles and users of ``account_id`` among ``arns`` (IAM can only be asked about
    those)."""
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


def cluster_admins(entries: dict) -> list:
    """Principal ARNs whose entry carries AmazonEKSClusterAdminPolicy at cluster scope."""
    return sorted(arn for arn, entry in entries.items() if is_cluster_admin(entry))


def missing_admins(entries: dict, principals) -> list:
    """Those of ``principals`` (any ARN spelling) that no cluster-admin access entry covers."""
    admin_keys = {principal_key(arn) for arn in cluster_admins(entries)}
    return [arn for arn in principals if principal_key(arn) not in admin_keys]


def node_lockouts(node_roles: dict, entries: dict) -> list:
    """The node roles that would lose the cluster in API mode: ``[{"principal_arn", "sources"}]``.

    ``node_roles``: role ARN (any spelling) -> list of where it was found
    (an aws-auth node mapping, a managed node group, a Fargate profile).
    Only an entry of a node type (EC2_LINUX, EC2_WINDOWS, FARGATE_LINUX,
    HYBRID_LINUX, EC2) lets a node in: EKS gives the node username and the
    ``system:nodes`` group to those alone, and refuses ``system:`` groups in a
    STANDARD entry, so no STANDARD entry is an equivalent.
    """
    covered = {principal_key(arn) for arn, entry in entries.items() if entry.type in NODE_TYPES}
    merged = {}
    for arn, sources in sorted(node_roles.items()):
        key = principal_key(arn)
        if key in covered:
            continue
        found = merged.setdefault(key, {"principal_arn": arn, "sources": []})
        found["sources"].extend(s for s in sources if s not in found["sources"])
    return [merged[key] for key in sorted(merged, key=lambda k: merged[k]["principal_arn"])]


def refuse_node_lockout(cluster_name: str, lockouts: list, where: str = "Nothing was changed.") -> None:
    """The guard of the step to API for the nodes: Refused naming each node role without a node entry."""
    if not lockouts:
        return
    named = ", ".join("%s (%s)" % (item["principal_arn"], "; ".join(item["sources"])) for item in lockouts)
    raise errors.Refused(
        "Refusing to switch cluster %r to authentication mode API: aws-auth is ignored there, and node role%s %s "
        "%s no access entry of a node type (EC2_LINUX, EC2_WINDOWS, FARGATE_LINUX, HYBRID_LINUX or EC2), so %s "
        "nodes would lose the cluster; create those entries first (eks.access.eks_access_entry with type EC2_LINUX, "
        "or the migration's apply step), or set allow_node_lockout: true. %s" % (
            cluster_name, "s" if len(lockouts) > 1 else "", named, "have" if len(lockouts) > 1 else "has",
            "their" if len(lockouts) > 1 else "its", where),
        node_lockouts=lockouts)


def check_mode_change(cluster: ClusterFacts, wanted: str) -> list:
    """The steps (modes, in order) from the cluster's mode to ``wanted``; Refused for a downgrade."""
    if wanted not in AUTHENTICATION_MODES:
        raise errors.InvalidInput("mode must be one of %s, got %r" % (", ".join(AUTHENTICATION_MODES), wanted))
    current = cluster.authentication_mode
    have, want = AUTHENTICATION_MODES.index(current), AUTHENTICATION_MODES.index(wanted)
    if want < have:
        raise errors.Refused(
            "Cluster %r is in authentication mode %s and cannot go back to %s: EKS only moves the mode "
            "CONFIG_MAP -> API_AND_CONFIG_MAP -> API, never back (the change is one-way). Nothing was changed." % (
                cluster.name, current, wanted))
    # EKS moves one step per update, so CONFIG_MAP -> API is two updates.
    return list(AUTHENTICATION_MODES[have + 1:want + 1])


# --------------------------------------------------------------------------- diff and lint


def render(entry: AccessEntry) -> str:
    """A readable, stable block of text for one entry (diff lines are per field)."""
    lines = ["%s:" % entry.principal_arn, "  type: %s" % entry.type]
    if entry.username:
        lines.append("  username: %s" % entry.username)
    if entry.kubernetes_groups:
        lines.append("  kubernetes_groups: [%s]" % ", ".join(entry.kubernetes_groups))
    for arn, scope in sorted((entry.policies or {}).items()):
        where = "cluster" if scope.type == "cluster" else "namespaces %s" % ", ".join(scope.namespaces)
        lines.append("  policy %s: %s" % (policy_name(arn), where))
    for key, value in sorted((entry.tags or {}).items()):
        lines.append("  tag %s: %s" % (key, value))
    return "\n".join(lines) + "\n"


def diff(plan_: Plan, cluster_name: str) -> dict:
    """Ansible's before/after diff over the entries the plan touches (others are not shown)."""
    touched = sorted({c.principal_arn for c in plan_.changes if c.changed})
    before = "".join(render(plan_.before[arn]) for arn in touched if arn in plan_.before)
    after = "".join(render(plan_.after[arn]) for arn in touched if arn in plan_.after)
    header = "cluster %s access entries" % cluster_name
    return {"before_header": header, "after_header": header, "before": before, "after": after}


def lint(entries: dict, aws_auth_mappings: dict = None, missing_principals=(), recreated_principals=()) -> list:
    """Findings over the access entries (and aws-auth, when read), each {code, principal_arn, message}."""
    findings = []
    for arn in missing_principals:
        findings.append({
            "code": "missing_principal", "principal_arn": arn,
            "message": "IAM principal %s no longer exists; EKS will not match this entry even if a principal of "
                       "that name is created again: delete the entry and create it again after the principal" % arn})
    for arn in recreated_principals:
        findings.append({
            "code": "recreated_principal", "principal_arn": arn,
            "message": "IAM principal %s was created after its access entry, so EKS does not match it (entries bind "
                       "to the principal's unique ID): delete and recreate the entry" % arn})
    if aws_auth_mappings:
        by_key = {}
        for kind, key in (("mapRoles", "rolearn"), ("mapUsers", "userarn")):
            for mapping in aws_auth_mappings.get(kind) or ():
                by_key[principal_key(mapping.get(key) or "")] = mapping
        for arn, entry in sorted(entries.items()):
            mapping = by_key.get(principal_key(arn))
            if mapping is None or entry.type != STANDARD:
                continue
            mapped = tuple(sorted(set(mapping.get("groups") or ())))
            if mapped != tuple(entry.kubernetes_groups or ()):
                findings.append({
                    "code": "aws_auth_groups_differ", "principal_arn": arn,
                    "message": "%s is in aws-auth with groups [%s] and has an access entry with groups [%s]; the "
                               "access entry wins, so the aws-auth groups do not apply: make them agree or remove "
                               "the aws-auth mapping" % (arn, ", ".join(mapped),
                                                         ", ".join(entry.kubernetes_groups or ()))})
    return findings
