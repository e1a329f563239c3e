# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""aws-auth -> EKS access entries: the fate of every aws-auth mapping, as plain data.

Pure: no boto3, no Kubernetes.  The runner (runners/eks_access_entry_migration.py)
reads aws-auth, asks IAM about the mapped principals of the cluster's account
and lists the access entries; this module decides, per aws-auth entry:

* ``create``: a new access entry (tagged as the migration's own);
* ``unchanged``: an access entry for the principal already says the same;
* ``differs``: an access entry exists and says something else (reported,
  changed only with ``update_existing``, then ``update``);
* ``skipped``: nothing to migrate, and nobody loses access (a principal IAM
  no longer has, a duplicate the authenticator overrides, a mapping that
  never matched);
* ``blocked``: cannot be an access entry, so switching to ``API`` would take
  that access away (mapAccounts, other ``system:`` groups, service-linked
  roles, IAM root...).

The EKS rules come from model/access_entry.py (username, groups, principal);
how the authenticator reads aws-auth from model/aws_auth/ (parse.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import parse as aws_auth_parse
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import plan as aws_auth_plan
from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model.arn import ArnError
from ansible_collections.eks.access.plugins.module_utils.model.arn import SSO_PATH_PREFIX
from ansible_collections.eks.access.plugins.module_utils.model.arn import parse_iam_arn
from ansible_collections.eks.access.plugins.module_utils.model import access_entry as model
from ansible_collections.eks.access.plugins.module_utils.model.eks_cluster import ClusterFacts

# The tag on every access entry the migration creates: rollback deletes those, and only those.
MIGRATION_TAG_KEY = "eks.access/migrated-from"
MIGRATION_TAG_VALUE = "aws-auth"
# Put before a username EKS refuses (the rewrite is shown in the plan).
DEFAULT_USERNAME_PREFIX = "aws-auth:"

FATES = ("create", "update", "unchanged", "differs", "skipped", "blocked")

_NODE_USERNAME_EC2 = aws_auth_plan.NODE_USERNAME  # system:node:{{EC2PrivateDNSName}}
_NODE_USERNAME_SESSION = "system:node:{{SessionName}}"
_WINDOWS_GROUP = "eks:kube-proxy-windows"
_NODE_PROXIER_GROUP = "system:node-proxier"
# Groups a node mapping may carry that the node entry types give (or make unnecessary).
_NODE_GROUPS = set(aws_auth_plan.NODE_GROUPS) | {_WINDOWS_GROUP, _NODE_PROXIER_GROUP}


def iam_key(resource_type: str, name: str) -> str:
    """How the runner keys what IAM said about a role or user (IAM names are unique whatever their case)."""
    return "%s:%s" % (resource_type, name.lower())


@dataclass
class Item:
    """The fate of one aws-auth entry (or one mapAccounts account)."""

    section: str
    index: int
    aws_auth_arn: str
    username: str = ""
    groups: tuple = ()
    fate: str = "skipped"
    reason: str = ""
    blocks_api: bool = False
    principal_arn: str = None
    entry: model.AccessEntry = None
    username_rewrite: dict = None
    path_restored: bool = False
    notes: list = field(default_factory=list)
    existing: model.AccessEntry = None

    def to_result(self) -> dict:
        result = {
            "section": self.section, "index": self.index, "aws_auth_arn": self.aws_auth_arn,
            "aws_auth_username": self.username, "aws_auth_groups": list(self.groups),
            "fate": self.fate, "reason": self.reason, "blocks_api": self.blocks_api,
            "principal_arn": self.principal_arn, "path_restored": self.path_restored,
            "username_rewrite": self.username_rewrite, "notes": list(self.notes),
            "entry": None, "existing_entry": None,
        }
        if self.entry is not None:
            entry = self.entry.to_result()
            entry.pop("tags", None)
            result["entry"] = entry
        if self.existing is not None:
            result["existing_entry"] = self.existing.to_result()
        return result


@dataclass
class MigrationPlan:
    items: list
    # The entries to write, for model.plan (wanted) and what they are now (current).
    wanted: list
    current: dict

    def by_fate(self, fate: str) -> list:
        return [item for item in self.items if item.fate == fate]

    @property
    def blockers(self) -> list:
        return [item for item in self.items if item.blocks_api]

    @property
    def migrated(self) -> list:
        """Items whose principal gets (or has) the access entry aws-auth describes."""
        return [item for item in self.items if item.fate in ("create", "update", "unchanged")]

    def summary(self) -> dict:
        counts = {fate: len(self.by_fate(fate)) for fate in FATES}
        counts["blocks_api"] = len(self.blockers)
        return counts


# --------------------------------------------------------------------------- what IAM must be asked


def principals_to_look_up(mappings: dict, account_id: str) -> list:
    """``[(resource_type, name)]`` of the roles and users of the cluster's account that aws-auth maps.

    ``mappings``: model/aws_auth/render.py to_result() of the ConfigMap.  Principals of other
    accounts cannot be looked up with the cluster account's credentials.
    """
    found = []
    keys = set()
    for section in ("mapRoles", "mapUsers"):
        arn_key = aws_auth_parse.ARN_KEY[section]
        for entry in mappings.get(section) or ():
            try:
                parsed = parse_iam_arn(entry.get(arn_key) or "")
            except ArnError:
                continue
            wanted = iam_key(parsed.resource_type, parsed.name)
            if parsed.service == "iam" and parsed.resource_type in ("role", "user") and \
                    parsed.account_id == account_id and wanted not in keys:
                keys.add(wanted)
                found.append((parsed.resource_type, parsed.name))
    return found


# --------------------------------------------------------------------------- the plan


def _node_type(username: str, groups: tuple):
    """The node entry type a node mapping becomes, or None for a mapping that is not a node's."""
    group_set = set(groups)
    if "system:nodes" not in group_set or not group_set <= _NODE_GROUPS:
        return None
    if username == _NODE_USERNAME_EC2:
        return "EC2_WINDOWS" if _WINDOWS_GROUP in group_set else "EC2_LINUX"
    if username == _NODE_USERNAME_SESSION and _NODE_PROXIER_GROUP in group_set:
        return "FARGATE_LINUX"
    return None


def node_roles_of(mappings: dict) -> dict:
    """Role ARN -> ["aws-auth mapRoles[i]"] of the aws-auth mappings that let nodes in, as the authenticator reads them.

    A node mapping gives the ``system:nodes`` group or a ``system:node:``
    username (the stock ``system:node:{{EC2PrivateDNSName}}`` with
    ``system:bootstrappers`` and ``system:nodes``, Windows and Fargate ones
    too). Entries the authenticator never uses (a duplicate overridden by a
    later one, a rolearn with a path) are left out: they let no node in today.
    """
    entries = list(mappings.get("mapRoles") or ())
    found = {}
    for index, (mapping, winner) in enumerate(zip(entries, aws_auth_plan.authenticator_winners("mapRoles", entries))):
        arn = mapping.get("rolearn") or ""
        groups = mapping.get("groups") or ()
        if winner != index or not arn:
            continue
        if "system:nodes" not in groups and not (mapping.get("username") or "").startswith("system:node:"):
            continue
        try:
            parsed = parse_iam_arn(arn)
        except ArnError:
            continue
        if parsed.resource_type != "role" or parsed.path != "/":
            continue
        found.setdefault(arn, []).append("aws-auth mapRoles[%d]" % index)
    return found


def _rewrite_username(username: str, prefix: str):
    """(username EKS accepts, rewrite dict or None); InvalidInput when even the rewrite is refused."""
    try:
        return model.check_username(username, model.STANDARD, "username"), None
    except errors.InvalidInput as e:
        why = e.message
    rewritten = prefix + username
    model.check_username(rewritten, model.STANDARD, "the rewritten username")
    return rewritten, {"from": username, "to": rewritten, "why": why}


def _resolve_principal(item: Item, parsed, iam: dict, account_id: str):
    """The principal's real ARN (role path from IAM), or None with the item marked skipped."""
    if parsed.account_id != account_id:
        item.notes.append("principal of account %s, not the cluster's: its existence and role path were not "
                          "checked" % parsed.account_id)
        return item.aws_auth_arn
    known = iam.get(iam_key(parsed.resource_type, parsed.name), False)
    if known is False:
        item.notes.append("IAM was not asked about this principal")
        return item.aws_auth_arn
    if known is None:
        item.fate = "skipped"
        item.reason = ("IAM has no %s %s: the mapping admits no one today, so it is skipped (EKS refuses an "
                       "access entry for a principal IAM does not know)" % (parsed.resource_type, parsed.name))
        return None
    real = known.get("arn") or item.aws_auth_arn
    if parsed.resource_type == "role" and real != item.aws_auth_arn:
        real_path = parse_iam_arn(real).path
        if real_path != "/":
            item.path_restored = True
            kind = "IAM Identity Center role" if real_path.startswith(SSO_PATH_PREFIX) else "role"
            item.notes.append("%s path %s restored from IAM (aws-auth matches the ARN without it, an access "
                              "entry needs the real one)" % (kind, real_path))
    return real


def _block(item: Item, reason: str) -> Item:
    item.fate = "blocked"
    item.reason = reason
    item.blocks_api = True
    return item


def _plan_mapping(section: str, index: int, mapping: dict, winner: int, cluster: ClusterFacts, iam: dict,
                  username_prefix: str) -> Item:
    arn_key = aws_auth_parse.ARN_KEY[section]
    arn = mapping.get(arn_key) or ""
    username = mapping.get("username") or ""
    groups = tuple(mapping.get("groups") or ())
    item = Item(section, index, arn, username, groups)
    if not arn:
        item.reason = "no %s: the authenticator never matches this entry" % arn_key
        return item
    if winner != index:
        item.reason = ("duplicate: entry %d of %s maps the same ARN and the authenticator uses that one (the last "
                       "wins), so this one is not migrated" % (winner, section))
        return item
    try:
        parsed = parse_iam_arn(arn)
    except ArnError as e:
        item.reason = "not a valid ARN, so the authenticator never matches it: %s" % e
        return item
    if section == "mapRoles" and parsed.resource_type == "role" and parsed.path != "/":
        item.reason = ("the rolearn carries a path, which the authenticator never matches (a session's ARN has "
                       "none): this entry grants nothing today, so it is not migrated")
        return item

    node_type = _node_type(username, groups)
    masters = aws_auth_plan.MASTERS_GROUP in groups
    entry_type = node_type or model.STANDARD
    other_groups = tuple(sorted(set(g for g in groups if g != aws_auth_plan.MASTERS_GROUP)))
    if node_type is None:
        system = [g for g in other_groups if g.startswith(model.RESERVED_GROUP_PREFIX)]
        if system:
            plural = len(system) > 1
            return _block(item, "group%s %s cannot be in an access entry (EKS refuses system: groups) and no entry "
                                "type or access policy gives %s; keep this mapping in aws-auth (API mode would drop "
                                "it)" % ("s" if plural else "", ", ".join(system), "them" if plural else "it"))
        try:
            model.check_groups(other_groups, model.STANDARD, "groups")
        except errors.InvalidInput as e:
            return _block(item, "%s; keep this mapping in aws-auth (API mode would drop it)" % e.message)

    real = _resolve_principal(item, parsed, iam, cluster.account_id)
    if real is None:
        return item
    item.principal_arn = real
    try:
        model.check_principal(real, entry_type, cluster, "principal")
    except errors.InvalidInput as e:
        return _block(item, "%s; it stays in aws-auth, which API mode ignores" % e.message)

    if node_type is not None:
        item.entry = model.AccessEntry(real, node_type, (), None, {}, None)
        item.notes.append("node role: entry type %s, EKS gives the node username and groups" % node_type)
        return item

    if not username:
        return _block(item, "no username in aws-auth; an access entry would get EKS's default username instead, so "
                            "set the username this principal has today in aws-auth first")
    try:
        username, item.username_rewrite = _rewrite_username(username, username_prefix)
    except errors.InvalidInput as e:
        return _block(item, "username %r cannot be kept or rewritten: %s" % (item.username, e.message))
    if item.username_rewrite:
        item.notes.append("username rewritten %(from)r -> %(to)r because EKS refuses the original; RBAC bindings "
                          "that name the old user must be updated" % item.username_rewrite)
    policies = {}
    if masters:
        policies[model.policy_arn(model.CLUSTER_ADMIN_POLICY, cluster.partition)] = model.CLUSTER_SCOPE
        item.notes.append("system:masters becomes %s at cluster scope%s" % (
            model.CLUSTER_ADMIN_POLICY, ", its other groups are kept" if other_groups else ""))
    item.entry = model.AccessEntry(real, model.STANDARD, other_groups, username, policies, None)
    return item


def _same_as_wanted(existing: model.AccessEntry, wanted: model.AccessEntry) -> list:
    """What differs between an existing entry and the wanted one ([] when nothing that matters does)."""
    if existing.type != wanted.type:
        return ["type %s, aws-auth says %s" % (existing.type, wanted.type)]
    differences = []
    if wanted.type == model.STANDARD:
        if (existing.username or "") != (wanted.username or ""):
            differences.append("username %r, aws-auth says %r" % (existing.username, wanted.username))
        if tuple(existing.kubernetes_groups or ()) != tuple(wanted.kubernetes_groups or ()):
            differences.append("groups [%s], aws-auth says [%s]" % (
                ", ".join(existing.kubernetes_groups or ()), ", ".join(wanted.kubernetes_groups or ())))
    for policy, scope in (wanted.policies or {}).items():
        if (existing.policies or {}).get(policy) != scope:
            differences.append("no %s at cluster scope" % model.policy_name(policy))
    return differences


def plan(mappings: dict, cluster: ClusterFacts, iam: dict, existing: dict, update_existing: bool = False,
         username_prefix: str = DEFAULT_USERNAME_PREFIX) -> MigrationPlan:
    """The migration plan.

    ``mappings``: model/aws_auth/render.py to_result() of the ConfigMap as the authenticator
    reads it.  ``iam``: iam_key(type, name) -> {"arn": real ARN} or None (IAM
    has no such principal), for the principals_to_look_up().  ``existing``:
    principal ARN -> model.AccessEntry (empty in CONFIG_MAP mode).
    """
    items = []
    for section in ("mapRoles", "mapUsers"):
        entries = list(mappings.get(section) or ())
        winners = aws_auth_plan.authenticator_winners(section, entries)
        for index, (mapping, winner) in enumerate(zip(entries, winners)):
            items.append(_plan_mapping(section, index, mapping, winner, cluster, iam, username_prefix))
    for index, account in enumerate(mappings.get("mapAccounts") or ()):
        items.append(_block(Item("mapAccounts", index, str(account)),
                            "mapAccounts admits every identity of account %s; access entries have no equivalent, so "
                            "map each principal that needs access, then remove the account" % account))

    by_key = {model.principal_key(arn): entry for arn, entry in existing.items()}
    wanted = []
    current = {}
    claimed = {}
    for item in items:
        if item.entry is None:
            continue
        key = model.principal_key(item.principal_arn)
        if key in claimed:
            # A role mapped twice under ARNs that differ other than by case: both cannot have an entry.
            item.entry = None
            _block(item, "the same principal as %s entry %d; keep one mapping" % claimed[key])
            continue
        claimed[key] = (item.section, item.index)
        found = by_key.get(key)
        if found is None:
            item.fate = "create"
            item.entry = model.AccessEntry(item.entry.principal_arn, item.entry.type, item.entry.kubernetes_groups,
                                           item.entry.username, item.entry.policies,
                                           {MIGRATION_TAG_KEY: MIGRATION_TAG_VALUE})
            wanted.append(item.entry)
            continue
        item.existing = found
        item.principal_arn = found.principal_arn
        differences = _same_as_wanted(found, item.entry)
        if not differences:
            item.fate = "unchanged"
            continue
        item.reason = "an access entry exists with " + "; ".join(differences)
        if update_existing and found.type == item.entry.type:
            item.fate = "update"
            policies = dict(found.policies or {})
            policies.update(item.entry.policies or {})
            update = model.AccessEntry(found.principal_arn, found.type,
                                       item.entry.kubernetes_groups if found.type == model.STANDARD else None,
                                       item.entry.username if found.type == model.STANDARD else None,
                                       policies, None)
            wanted.append(update)
            current[found.principal_arn] = found
            continue
        item.fate = "differs"
        item.blocks_api = True
        item.reason += ("; in API mode the entry alone counts, so set update_existing to make it what aws-auth says"
                        if found.type == item.entry.type else
                        "; EKS cannot change an entry's type: delete that entry, then re-run")
    return MigrationPlan(items, wanted, current)


def planned_in_check_mode(migration: MigrationPlan) -> list:
    """The migrated entries a check-mode run only planned: ``{"principal_arn", "action"}`` with "would be created"
    or "would be updated". Verification in check mode lists them and verifies the others; their absence is the
    plan, not a failure."""
    actions = {"create": "would be created", "update": "would be updated"}
    return [{"principal_arn": item.principal_arn, "action": actions[item.fate]}
            for item in migration.migrated if item.fate in actions]


def write_plan(migration: MigrationPlan, protected=()) -> model.Plan:
    """The access entry writes (model.plan over the entries concerned).

    ``protected``: the caller (and ``protect``), whose entries an update may
    not shrink (model.lost_access): Refused before any write.
    """
    return model.plan(dict(migration.current), migration.wanted, protected=tuple(protected))


# --------------------------------------------------------------------------- rollback


def rollback_targets(existing: dict) -> list:
    """Principal ARNs of the entries the migration created (by its tag)."""
    return sorted(arn for arn, entry in existing.items()
                  if (entry.tags or {}).get(MIGRATION_TAG_KEY) == MIGRATION_TAG_VALUE)


# What apply changes in an entry that existed before it (update_existing) is written down first, in this
# ConfigMap of kube-system, so that rollback can put the entry back: the entry itself cannot carry it (an
# EKS tag value holds 256 characters).
UNDO_CONFIGMAP = "eks-access-entry-migration-undo"
UNDO_KEY = "entries.json"


def entry_record(entry: model.AccessEntry) -> dict:
    """What rollback needs of an entry, as JSON."""
    return {"type": entry.type, "kubernetes_groups": sorted(entry.kubernetes_groups or ()),
            "username": entry.username,
            "policies": {arn: scope.to_result() for arn, scope in sorted((entry.policies or {}).items())}}


def _entry_from_record(principal_arn: str, record: dict) -> model.AccessEntry:
    policies = {arn: model.AccessScope(scope["type"], tuple(sorted(scope.get("namespaces") or ())))
                for arn, scope in (record.get("policies") or {}).items()}
    return model.AccessEntry(principal_arn, record.get("type") or model.STANDARD,
                             tuple(sorted(record.get("kubernetes_groups") or ())), record.get("username"), policies)


def undo_records(recorded: dict, changes) -> dict:
    """``recorded`` with the before and after of each update in ``changes`` (an earlier ``before`` is kept:
    after an interrupted apply the entry may already be half-way)."""
    records = dict(recorded)
    for change in changes:
        if change.before is None or not change.changed:
            continue
        earlier = recorded.get(change.principal_arn) or {}
        records[change.principal_arn] = {"before": earlier.get("before") or entry_record(change.before),
                                         "after": entry_record(change.after)}
    return records


@dataclass
class Restore:
    """What rollback does with the entries apply updated."""

    wanted: list  # model.AccessEntry as they were before apply
    restored: list  # principal ARNs put back
    settled: list  # principal ARNs whose record can go: put back already, or the entry is gone
    kept: list  # {"principal_arn", "reason"}: changed since apply, or protected


def _between(current: model.AccessEntry, before: model.AccessEntry, after: model.AccessEntry) -> bool:
    """Whether every part of ``current`` is as apply found it or as apply left it (an interrupted apply or
    rollback leaves a mix); anything else was changed by somebody since."""
    if current.type != before.type:
        return False
    if current.kubernetes_groups not in (before.kubernetes_groups, after.kubernetes_groups) or \
            current.username not in (before.username, after.username):
        return False
    policies = set(current.policies or {}) | set(before.policies or {}) | set(after.policies or {})
    return all((current.policies or {}).get(arn) in ((before.policies or {}).get(arn), (after.policies or {}).get(arn))
               for arn in policies)


def restore_plan(records: dict, existing: dict, protected_keys=frozenset()) -> Restore:
    """Which recorded entries rollback puts back, from their records and the entries as they are now."""
    by_key = {model.principal_key(arn): entry for arn, entry in existing.items()}
    restore = Restore([], [], [], [])
    for arn, record in sorted(records.items()):
        current = by_key.get(model.principal_key(arn))
        if current is None:
            restore.settled.append(arn)
            continue
        # Named as EKS lists the entry now, for the writes.
        before = _entry_from_record(current.principal_arn, record.get("before") or {})
        after = _entry_from_record(current.principal_arn, record.get("after") or {})
        if (current.kubernetes_groups, current.username, current.policies or {}) == \
                (before.kubernetes_groups, before.username, before.policies):
            restore.settled.append(arn)
        elif model.principal_key(arn) in protected_keys:
            restore.kept.append({"principal_arn": arn, "reason": "the identity this task runs as, or in protect: "
                                 "its entry stays as the migration updated it"})
        elif not _between(current, before, after):
            restore.kept.append({"principal_arn": arn, "reason": "changed since the migration updated it, so it is "
                                 "left as it is; its record stays in ConfigMap %s" % UNDO_CONFIGMAP})
        else:
            restore.wanted.append(before)
            restore.restored.append(arn)
    return restore


# --------------------------------------------------------------------------- verification


def render_username(template: str, account_id: str, session_name: str, access_key_id: str = "") -> str:
    """A username template as the authenticator renders it for a role session (no EC2 lookup)."""
    return (template.replace("{{AccountID}}", account_id)
            .replace("{{SessionNameRaw}}", session_name)
            .replace("{{SessionName}}", session_name.replace("@", "-"))
            .replace("{{AccessKeyID}}", access_key_id))


def check_identity(item: Item, username: str, groups, account_id: str, session_name: str,
                   access_key_id: str = "") -> list:
    """What is wrong with the identity a token of ``item``'s principal got ([] when it is what aws-auth gave).

    Groups are compared without ``system:authenticated`` (the API server adds
    it) and without ``system:masters`` (replaced by the admin policy).
    """
    problems = []
    want_user = render_username(item.entry.username or "", account_id, session_name, access_key_id)
    if username != want_user:
        problems.append("username %r, expected %r" % (username, want_user))
    have = sorted(set(groups or ()) - {"system:authenticated"})
    want = sorted(set(render_username(g, account_id, session_name, access_key_id)
                      for g in item.groups if g != aws_auth_plan.MASTERS_GROUP))
    if have != want:
        problems.append("groups %s, expected %s" % (have, want))
    return problems


def entry_problems(item: Item, entry: model.AccessEntry) -> list:
    """What is wrong with the access entry EKS reports for a migrated item ([] when it is what aws-auth says)."""
    if entry is None:
        return ["EKS reports no access entry"]
    return _same_as_wanted(entry, item.entry)
