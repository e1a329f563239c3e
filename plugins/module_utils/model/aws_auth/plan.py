# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure model of a change to the EKS ``aws-auth`` ConfigMap.

Reading and writing live beside it in model/aws_auth/ (go_yaml: the YAML
subset read exactly as aws-iam-authenticator v0.6.13 reads it; parse: its
reading, or a refusal; render: writing that reads back the same; errors).
This module validates requested entries, plans a change and lints.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from dataclasses import dataclass, field

from ansible_collections.eks.access.plugins.module_utils.model.arn import (
    ArnError,
    assumed_role_to_role_arn,
    classify_for_aws_auth,
    is_sso_reserved_role,
    match_key,
    parse_iam_arn,
    strip_role_path,
    validate_account_id,
)
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth.errors import AwsAuthError, LockoutError
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth.parse import (
    ARN_KEY,
    AwsAuth,
    ordered_entry as _ordered_entry,
)

# Placeholders pkg/server renderTemplate() substitutes, in username and groups.
TEMPLATE_VARIABLES = ("AccountID", "SessionName", "SessionNameRaw",
                      "EC2PrivateDNSName", "AccessKeyID")
_TEMPLATE_RE = re.compile(r"\{\{(.*?)\}\}")

NODE_GROUPS = ("system:bootstrappers", "system:nodes")
NODE_USERNAME = "system:node:{{EC2PrivateDNSName}}"
MASTERS_GROUP = "system:masters"


@dataclass
class Plan:
    changed: bool
    after: AwsAuth
    added: list = field(default_factory=list)
    removed: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


# --------------------------------------------------------------------------
# Validation of requested entries


def template_variables(text):
    """Names used as {{Name}} in text."""
    return _TEMPLATE_RE.findall(text)


def unknown_template_variables(text):
    """Template names the authenticator would leave unrendered."""
    bad = [v for v in template_variables(text) if v not in TEMPLATE_VARIABLES]
    rest = _TEMPLATE_RE.sub("", text)
    if "{{" in rest or "}}" in rest:
        bad.append(rest)
    return bad


def is_node_mapping(entry):
    groups = entry.get("groups") or []
    return "system:nodes" in groups


def stock_node_mapping(rolearn):
    """The entry EKS creates for a managed node group role."""
    return {"rolearn": rolearn, "username": NODE_USERNAME, "groups": list(NODE_GROUPS)}


def _entry_label(index, arn):
    return "entry %d (%s)" % (index, arn) if arn else "entry %d" % index


def normalize_entries(kind, entries):
    """Validate requested mapRoles/mapUsers entries.

    Each entry is a dict with ``rolearn``/``userarn`` (or ``arn``) and
    optional ``username`` and ``groups``. Returns ``(entries, warnings)``
    where entries carry the section's ARN key and only the fields given.
    Role paths are stripped (the authenticator never matches them).
    """
    if kind not in ARN_KEY:
        raise AwsAuthError("kind must be mapRoles or mapUsers, got %r" % (kind,))
    if entries is None:
        return [], []
    if not isinstance(entries, list):
        raise AwsAuthError("%s must be a list of mappings" % kind)
    arn_key = ARN_KEY[kind]
    other_key = ARN_KEY["mapUsers" if kind == "mapRoles" else "mapRoles"]
    result, warnings, seen = [], [], {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise AwsAuthError("%s %s: must be a mapping" % (kind, _entry_label(index, None)))
        given = [entry[k] for k in (arn_key, "arn") if entry.get(k) is not None]
        if entry.get(other_key) is not None:
            raise AwsAuthError("%s %s: %s belongs in %s; use %s here"
                               % (kind, _entry_label(index, entry[other_key]), other_key,
                                  "mapUsers" if kind == "mapRoles" else "mapRoles", arn_key))
        unknown = sorted(set(entry) - {arn_key, "arn", "username", "groups"})
        if unknown:
            raise AwsAuthError("%s %s: unsupported keys %s"
                               % (kind, _entry_label(index, given[0] if given else None),
                                  ", ".join(unknown)))
        if not given:
            raise AwsAuthError("%s %s: %s is required" % (kind, _entry_label(index, None), arn_key))
        if len(given) == 2 and given[0] != given[1]:
            raise AwsAuthError("%s %s: %s and arn disagree (%s)"
                               % (kind, _entry_label(index, given[0]), arn_key, given[1]))
        arn = given[0]
        label = _entry_label(index, arn)
        try:
            classify_for_aws_auth(kind, arn)
        except ArnError as exc:
            raise AwsAuthError("%s %s: %s" % (kind, label, exc))
        if kind == "mapRoles":
            stripped, changed = strip_role_path(arn)
            if changed:
                sso = " (IAM Identity Center role)" if is_sso_reserved_role(arn) else ""
                warnings.append(
                    "%s %s: role path removed%s, %s -> %s; aws-iam-authenticator only "
                    "matches role ARNs without a path" % (kind, label, sso, arn, stripped))
                arn = stripped
        out = {arn_key: arn}

        if entry.get("username") is not None:
            username = entry["username"]
            if not isinstance(username, str) or not username:
                raise AwsAuthError("%s %s: username must be a non-empty string" % (kind, label))
            _check_characters(kind, label, "username", username)
            _check_templates(kind, label, "username", username, warnings)
            out["username"] = username

        if entry.get("groups") is not None:
            groups = entry["groups"]
            if not isinstance(groups, list):
                raise AwsAuthError("%s %s: groups must be a list of strings" % (kind, label))
            clean = []
            for group in groups:
                if not isinstance(group, str) or not group:
                    raise AwsAuthError("%s %s: groups must be non-empty strings, got %r"
                                       % (kind, label, group))
                _check_characters(kind, label, "group", group)
                _check_templates(kind, label, "groups", group, warnings)
                if group in clean:
                    warnings.append("%s %s: duplicate group %s ignored" % (kind, label, group))
                    continue
                clean.append(group)
            if MASTERS_GROUP in clean:
                warnings.append("%s %s: grants %s (full cluster admin that RBAC cannot "
                                "restrict); prefer a narrower group bound by RBAC"
                                % (kind, label, MASTERS_GROUP))
            out["groups"] = clean

        key = match_key(arn)
        if key in seen:
            # The authenticator keys mappings by lower-cased ARN; the last wins.
            raise AwsAuthError("%s %s: duplicate of entry %d (%s)"
                               % (kind, label, seen[key][0], seen[key][1]))
        seen[key] = (index, arn)
        result.append(out)
    return result, warnings


_REFUSED_CATEGORIES = {
    "Cc": "a control character",
    "Zl": "a line break",
    "Zp": "a line break",
    "Cf": "an invisible format character",
    "Cs": "a lone surrogate",
}


def _check_characters(kind, label, what, text):
    """Refuse characters that break YAML lines or hide in names."""
    for char in text:
        category = unicodedata.category(char)
        if category in _REFUSED_CATEGORIES:
            raise AwsAuthError(
                "%s %s: %s %r contains %s (U+%04X); control characters, line breaks and invisible format "
                "characters are refused: they could inject YAML into aws-auth or make two names look alike"
                % (kind, label, what, text if len(text) <= 200 else text[:200] + "...",
                   _REFUSED_CATEGORIES[category], ord(char)))


def _check_templates(kind, label, what, text, warnings):
    bad = unknown_template_variables(text)
    if bad:
        raise AwsAuthError(
            "%s %s: %s %r uses unsupported template %s; supported: %s"
            % (kind, label, what, text, ", ".join(repr(b) for b in bad),
               ", ".join("{{%s}}" % v for v in TEMPLATE_VARIABLES)))
    used = template_variables(text)
    if kind == "mapUsers":
        if "EC2PrivateDNSName" in used:
            # Rendering needs an instance-ID session name, which users lack.
            raise AwsAuthError("%s %s: {{EC2PrivateDNSName}} only works for roles assumed "
                               "by EC2 instances, not IAM users" % (kind, label))
        if "SessionName" in used or "SessionNameRaw" in used:
            warnings.append("%s %s: IAM users have no session name, so {{SessionName}} "
                            "renders empty" % (kind, label))


def normalize_accounts(accounts):
    """Validate mapAccounts input; returns de-duplicated 12-digit strings."""
    if accounts is None:
        return []
    if not isinstance(accounts, list):
        raise AwsAuthError("mapAccounts must be a list of account IDs")
    result = []
    for index, account in enumerate(accounts):
        try:
            account = validate_account_id(account)
        except ArnError as exc:
            raise AwsAuthError("mapAccounts entry %d: %s" % (index, exc))
        if account not in result:
            result.append(account)
    return result


# --------------------------------------------------------------------------
# Planning


def _match_key(kind, arn):
    """Key under which the authenticator would find this entry."""
    if not isinstance(arn, str):
        return ""
    if kind == "mapRoles":
        try:
            arn = strip_role_path(arn)[0]
        except ArnError:
            pass
    return match_key(arn)


def _protected_keys(protected_arns):
    keys = set()
    accounts = {}
    for arn in protected_arns or ():
        try:
            parsed = parse_iam_arn(arn)
        except ArnError as exc:
            raise AwsAuthError("protected ARN: %s" % exc)
        if parsed.resource_type == "assumed-role":
            arn = assumed_role_to_role_arn(arn)
        elif parsed.resource_type == "role":
            arn = strip_role_path(arn)[0]
        keys.add(match_key(arn))
        accounts[match_key(arn)] = parsed.account_id
    return keys, accounts


def _lost_node_access(before, after):
    if after is None:
        return True
    groups = after.get("groups") or []
    before_groups = before.get("groups") or []
    if before.get("username", "") != after.get("username", ""):
        return True
    return any(g in before_groups and g not in groups for g in NODE_GROUPS)


def _lost_access(before, after):
    if after is None:
        return True
    if before.get("username", "") != after.get("username", ""):
        return True
    groups = after.get("groups") or []
    return any(g not in groups for g in before.get("groups") or [])


def _default_username(kind, entry):
    if kind == "mapRoles" and is_node_mapping(entry):
        return NODE_USERNAME
    return entry[ARN_KEY[kind]]


def _plan_section(kind, current, desired, state, purge, append_groups,
                  allow_node, protected, plan, update_existing=True):
    arn_key = ARN_KEY[kind]
    wanted = {}
    for entry in desired:
        wanted[_match_key(kind, entry[arn_key])] = entry

    after = []
    slot = {}  # match key -> index in after
    for entry in current:
        key = _match_key(kind, entry.get(arn_key))
        if key in wanted and key in slot:
            # An earlier duplicate of an entry we manage: the authenticator
            # only honours the last one, so fold them into one.
            prev = after[slot[key]]
            after[slot[key]] = copy.deepcopy(entry)
            plan.removed.append({"kind": kind, "entry": prev})
            continue
        if key not in wanted and purge and state == "present":
            if is_node_mapping(entry) and not allow_node:
                plan.warnings.append(
                    "%s: kept node mapping %s although purge is set; pass "
                    "allow_node_mapping_changes to remove it" % (kind, entry.get(arn_key)))
            else:
                _guard(kind, entry, None, allow_node, protected)
                plan.removed.append({"kind": kind, "entry": entry})
                continue
        if key in wanted and state == "absent":
            _guard(kind, entry, None, allow_node, protected)
            plan.removed.append({"kind": kind, "entry": entry})
            continue
        slot[key] = len(after)
        after.append(copy.deepcopy(entry))

    if state == "absent":
        return after

    for key, want in wanted.items():
        if key not in slot:
            new = dict(want)
            if "groups" not in new:
                new["groups"] = []
            if "username" not in new:
                new["username"] = _default_username(kind, new)
            new = _ordered_entry(kind, new)
            after.append(new)
            plan.added.append({"kind": kind, "entry": new})
            continue
        if not update_existing:
            continue
        before = after[slot[key]]
        new = dict(before)
        new[arn_key] = want[arn_key]
        if "username" in want:
            new["username"] = want["username"]
        if "groups" in want:
            if append_groups:
                groups = list(before.get("groups") or [])
                groups.extend(g for g in want["groups"] if g not in groups)
                new["groups"] = groups
            else:
                new["groups"] = list(want["groups"])
        new = _ordered_entry(kind, new)
        if new != before:
            _guard(kind, before, new, allow_node, protected)
            after[slot[key]] = new
            plan.updated.append({"kind": kind, "before": before, "after": new})
    return after


def _guard(kind, before, after, allow_node, protected):
    arn = before.get(ARN_KEY[kind], "")
    if is_node_mapping(before) and not allow_node and _lost_node_access(before, after):
        raise LockoutError(
            "%s: refusing to %s node mapping %s; worker nodes would lose access to "
            "the cluster. Set allow_node_mapping_changes to do it anyway"
            % (kind, "remove" if after is None else "change", arn))
    if _match_key(kind, arn) in protected and _lost_access(before, after):
        raise LockoutError(
            "%s: refusing to %s the mapping of %s, the identity running this task; "
            "it would lock you out of the cluster. Set allow_self_lockout to do it anyway"
            % (kind, "remove" if after is None else "reduce", arn))


def plan(current, roles=None, users=None, accounts=None, state="present", purge=False,
         append_groups=False, allow_node_mapping_changes=False, protected_arns=(),
         update_existing=True):
    """Compute the aws-auth after applying the requested entries.

    roles/users are lists of requested entries (see normalize_entries),
    accounts a list of account IDs; None leaves that section alone, even
    with purge (an empty list with purge removes everything purgeable).

    state=present adds missing entries at the end and updates existing ones
    in place; a field the request omits keeps its current value. A new entry
    without username gets ``system:node:{{EC2PrivateDNSName}}`` when it is a
    node mapping (groups contain system:nodes), else its own ARN, which is
    stable and cannot be influenced by the caller's session name. A new
    entry without groups gets []. With update_existing=False an entry that
    already exists is left exactly as it is (only missing ones are added).
    state=absent removes the listed ARNs.

    Entries match by ARN the way the authenticator looks them up: case
    insensitively and, for roles, ignoring the path (so a pathful role entry
    is rewritten to the requested path-free ARN).

    Raises LockoutError if a node mapping would be removed or lose its
    username or system:nodes/system:bootstrappers (unless
    allow_node_mapping_changes), or a protected ARN would be removed or lose
    its username or any group.
    """
    if state not in ("present", "absent"):
        raise AwsAuthError("state must be present or absent, got %r" % (state,))
    if current is None:
        current = AwsAuth()
    result = Plan(changed=False, after=AwsAuth(
        map_roles=copy.deepcopy(current.map_roles),
        map_users=copy.deepcopy(current.map_users),
        map_accounts=list(current.map_accounts),
        other=dict(current.other),
        raw=current.raw,
    ))
    protected, protected_accounts = _protected_keys(protected_arns)
    after = result.after

    for kind, requested in (("mapRoles", roles), ("mapUsers", users)):
        if requested is None:
            continue
        desired, warnings = normalize_entries(kind, requested)
        result.warnings.extend(warnings)
        section = _plan_section(kind, current.section(kind), desired, state, purge,
                                append_groups, allow_node_mapping_changes, protected, result,
                                update_existing)
        if kind == "mapRoles":
            after.map_roles = section
        else:
            after.map_users = section

    if accounts is not None:
        wanted = normalize_accounts(accounts)
        kept = []
        for account in current.map_accounts:
            drop = (state == "absent" and account in wanted) or \
                   (state == "present" and purge and account not in wanted)
            if drop or account in kept:
                result.removed.append({"kind": "mapAccounts", "entry": account})
            else:
                kept.append(account)
        if state == "present":
            for account in wanted:
                if account not in kept:
                    kept.append(account)
                    result.added.append({"kind": "mapAccounts", "entry": account})
        after.map_accounts = kept

    # Callers admitted only through mapAccounts must keep their account.
    mapped = {_match_key(k, e.get(ARN_KEY[k])) for k in ("mapRoles", "mapUsers")
              for e in after.section(k)}
    for key in protected:
        account = protected_accounts[key]
        if account in current.map_accounts and account not in after.map_accounts \
                and key not in mapped:
            raise LockoutError(
                "mapAccounts: refusing to remove account %s; the identity running this "
                "task is admitted only through it and would be locked out. Set allow_self_lockout "
                "to do it anyway" % account)

    result.changed = bool(result.added or result.removed or result.updated)
    return result


def authenticator_winners(kind, entries):
    """For each entry of section ``kind``: the index of the entry the authenticator uses for its ARN.

    aws-iam-authenticator keys mappings by the lower-cased ARN as written,
    and a later entry replaces an earlier one; so an entry whose result is
    its own index is the one in force, any other was overridden by that one.
    """
    arn_key = ARN_KEY[kind]
    last = {}
    for index, entry in enumerate(entries):
        last[match_key(entry.get(arn_key) or "")] = index
    return [last[match_key(entry.get(arn_key) or "")] for entry in entries]


# --------------------------------------------------------------------------
# Linting


def _finding(code, kind, arn, message):
    return {"code": code, "kind": kind, "arn": arn, "message": message}


def lint(aws_auth, bound_groups=None):
    """Find problems in an existing aws-auth; returns a list of findings."""
    findings = []
    for kind in ("mapRoles", "mapUsers"):
        arn_key = ARN_KEY[kind]
        seen = {}
        for index, entry in enumerate(aws_auth.section(kind)):
            arn = entry.get(arn_key, "")
            for key in entry:
                if key not in (arn_key, "username", "groups", "userid"):
                    # The authenticator ignores it: often a misspelt field (role_arn, group).
                    findings.append(_finding(
                        "ignored_key", kind, arn or "",
                        "%s entry %d has the key %r, which the authenticator ignores; it reads only %s, username, "
                        "groups and userid (in any ASCII case)" % (kind, index, key, arn_key)))
            if not arn:
                findings.append(_finding("missing_arn", kind, "",
                                         "%s entry %d has no %s and never matches" % (kind, index, arn_key)))
            else:
                try:
                    classify_for_aws_auth(kind, arn)
                except ArnError as exc:
                    findings.append(_finding("invalid_arn", kind, arn, str(exc)))
                else:
                    if kind == "mapRoles":
                        stripped, changed = strip_role_path(arn)
                        if changed:
                            findings.append(_finding(
                                "role_path", kind, arn,
                                "role ARN has a path and never matches; use %s" % stripped))
                key = _match_key(kind, arn)
                if key in seen:
                    findings.append(_finding(
                        "duplicate_arn", kind, arn,
                        "%s entries %d and %d map the same ARN; only the last one is used"
                        % (kind, seen[key], index)))
                seen[key] = index
            for text in [entry.get("username", "")] + list(entry.get("groups") or []):
                bad = unknown_template_variables(text or "")
                if bad:
                    findings.append(_finding(
                        "unknown_template_variable", kind, arn,
                        "%r uses unsupported template %s; it is passed through literally"
                        % (text, ", ".join(repr(b) for b in bad))))
            groups = entry.get("groups") or []
            if MASTERS_GROUP in groups:
                findings.append(_finding("system_masters", kind, arn,
                                         "grants %s (unrestricted cluster admin)" % MASTERS_GROUP))
            if bound_groups is not None:
                for group in groups:
                    if group.startswith("system:") or group in bound_groups:
                        continue
                    findings.append(_finding(
                        "unbound_group", kind, arn,
                        "group %r is not referenced by any RoleBinding or "
                        "ClusterRoleBinding, so it grants nothing" % group))
    for account in aws_auth.map_accounts:
        try:
            validate_account_id(account)
        except ArnError as exc:
            findings.append(_finding("invalid_account", "mapAccounts", account, str(exc)))
    return findings
