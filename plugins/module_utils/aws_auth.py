# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure model of the EKS ``aws-auth`` ConfigMap.

Parsing mirrors aws-iam-authenticator v0.6.13 (pkg/mapper/configmap.ParseMap):

* a section whose trimmed text is empty, ``````, ``""`` or ``''`` is skipped;
* mapRoles/mapUsers go YAML -> JSON -> ``[]RoleMapping``/``[]UserMapping``
  with encoding/json, so the top level must be a list (or null), each item a
  mapping (or null), ``rolearn``/``userarn``/``username``/``userid`` must be
  strings (or null) and ``groups`` a list of strings (or null); keys match
  case-insensitively and unknown keys are ignored (we keep them verbatim);
* mapAccounts is decoded by yaml.v2 into ``[]string``: a list (or null) of
  scalars, each taken as its literal text;
* no field is required and nothing else (ARN syntax, duplicates, templates)
  is checked by the authenticator. Those stricter rules live in
  normalize_entries() and lint().

Plain YAML scalars are resolved the way yaml.v2 does (YAML 1.1 booleans
including y/n, Go integer syntax, no timestamps), so ``username: y`` is
rejected here exactly as it is by the authenticator.
"""

from __future__ import annotations

import copy
import math
import re
import unicodedata
from dataclasses import dataclass, field

try:
    import yaml
    HAS_YAML = True
except ImportError:
    HAS_YAML = False

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.arn import (
    ArnError,
    assumed_role_to_role_arn,
    classify_for_aws_auth,
    is_sso_reserved_role,
    match_key,
    parse_iam_arn,
    strip_role_path,
    validate_account_id,
)

AWS_AUTH_NAME = "aws-auth"
AWS_AUTH_NAMESPACE = "kube-system"
MAP_KEYS = ("mapRoles", "mapUsers", "mapAccounts")

ARN_KEY = {"mapRoles": "rolearn", "mapUsers": "userarn"}
# Fields of config.RoleMapping / config.UserMapping (json tags).
_STRING_FIELDS = {
    "mapRoles": ("rolearn", "username", "userid"),
    "mapUsers": ("userarn", "username", "userid"),
}

# Placeholders pkg/server renderTemplate() substitutes, in username and groups.
TEMPLATE_VARIABLES = ("AccountID", "SessionName", "SessionNameRaw",
                      "EC2PrivateDNSName", "AccessKeyID")
_TEMPLATE_RE = re.compile(r"\{\{(.*?)\}\}")

# Kubernetes refuses a ConfigMap whose values add up to more than this (MaxSecretSize).
MAX_CONFIGMAP_BYTES = 1024 * 1024

NODE_GROUPS = ("system:bootstrappers", "system:nodes")
NODE_USERNAME = "system:node:{{EC2PrivateDNSName}}"
MASTERS_GROUP = "system:masters"


class AwsAuthError(errors.InvalidInput, ValueError):
    """aws-auth content or a requested change is invalid."""


class LockoutError(errors.Refused, AwsAuthError):
    """The plan would cut off worker nodes or the caller."""


@dataclass
class AwsAuth:
    map_roles: list = field(default_factory=list)
    map_users: list = field(default_factory=list)
    map_accounts: list = field(default_factory=list)
    # ConfigMap keys we do not manage, kept verbatim.
    other: dict = field(default_factory=dict)
    # Original text of each map key and what it parsed to, so render() can
    # leave untouched sections byte-for-byte alone (comments, style).
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    def section(self, kind):
        return {"mapRoles": self.map_roles, "mapUsers": self.map_users,
                "mapAccounts": self.map_accounts}[kind]


@dataclass
class Plan:
    changed: bool
    after: AwsAuth
    added: list = field(default_factory=list)
    removed: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


# --------------------------------------------------------------------------
# YAML resolution compatible with gopkg.in/yaml.v2 (used by the authenticator)

_TAG = "tag:yaml.org,2002:"
_GO_BOOLS = {}
for _words, _val in ((("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
                     (("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False)):
    for _w in _words:
        _GO_BOOLS[_w] = _val
_GO_NULLS = ("", "~", "null", "Null", "NULL")
_GO_SPECIAL_FLOATS = {}
for _w in (".nan", ".NaN", ".NAN"):
    _GO_SPECIAL_FLOATS[_w] = float("nan")
for _w in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"):
    _GO_SPECIAL_FLOATS[_w] = float("inf")
for _w in ("-.inf", "-.Inf", "-.INF"):
    _GO_SPECIAL_FLOATS[_w] = float("-inf")
_GO_FLOAT_RE = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_GO_INT_RE = re.compile(
    r"^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$")


def _go_int(text):
    """strconv.ParseInt/ParseUint(text, 0, 64), or None."""
    if not _GO_INT_RE.match(text):
        return None
    sign = -1 if text[0] == "-" else 1
    body = text.lstrip("+-")
    if body[:2] in ("0x", "0X"):
        value = int(body[2:], 16)
    elif body[:2] in ("0o", "0O"):
        value = int(body[2:], 8)
    elif body[:2] in ("0b", "0B"):
        value = int(body[2:], 2)
    elif len(body) > 1 and body[0] == "0":
        value = int(body[1:], 8)
    else:
        value = int(body, 10)
    value *= sign
    if -(2 ** 63) <= value < 2 ** 64 and not (text[0] == "+" and value >= 2 ** 63):
        return value
    return None


def _go_resolve(text):
    """(tag, value) yaml.v2 gives a plain scalar."""
    if text in _GO_BOOLS:
        return _TAG + "bool", _GO_BOOLS[text]
    if text in _GO_NULLS:
        return _TAG + "null", None
    if text in _GO_SPECIAL_FLOATS:
        return _TAG + "float", _GO_SPECIAL_FLOATS[text]
    if text == "<<":
        return _TAG + "merge", text
    if text[0] in "-+0123456789.":
        plain = text.replace("_", "")
        if plain:
            value = _go_int(plain)
            if value is not None:
                return _TAG + "int", value
            if _GO_FLOAT_RE.match(plain):
                return _TAG + "float", float(plain)
            if plain.startswith("-0b") and re.match(r"^[01]+$", plain[3:]):
                return _TAG + "int", -int(plain[3:], 2)
    return _TAG + "str", text


if HAS_YAML:
    # libyaml's parser when PyYAML has it (about 5x faster on a large aws-auth); the
    # resolver and constructors below are Python either way, so scalars read the same.
    _SafeLoaderBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class _GoLoader(_SafeLoaderBase):
        """SafeLoader resolving plain scalars like yaml.v2."""

        def resolve(self, kind, value, implicit):
            if kind is yaml.ScalarNode and implicit[0]:
                return _go_resolve(value)[0]
            return super(_GoLoader, self).resolve(kind, value, implicit)

    def _construct_go_scalar(loader, node):
        tag, value = _go_resolve(loader.construct_scalar(node))
        if tag == node.tag:
            return value
        raise yaml.constructor.ConstructorError(
            None, None, "cannot decode %r as %s" % (node.value, node.tag), node.start_mark)

    for _t in ("bool", "int", "float", "null"):
        _GoLoader.add_constructor(_TAG + _t, _construct_go_scalar)

    def _construct_untagged(loader, node):
        # yaml.v2 ignores tags it does not know and decodes the plain value.
        if isinstance(node, yaml.ScalarNode):
            return loader.construct_scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True)
        return loader.construct_mapping(node, deep=True)

    def _construct_binary(loader, node):
        # yaml.v2 decodes !!binary into a Go string.
        return loader.construct_yaml_binary(node).decode("utf-8", "replace")

    _GoLoader.add_constructor(None, _construct_untagged)
    _GoLoader.add_constructor(_TAG + "binary", _construct_binary)

    class _GoDumper(yaml.SafeDumper):
        """Quote strings that either PyYAML or yaml.v2 would read as non-strings."""

        def resolve(self, kind, value, implicit):
            if kind is yaml.ScalarNode and implicit[0]:
                go_tag = _go_resolve(value)[0] if value else _TAG + "null"
                if go_tag != _TAG + "str":
                    return go_tag
            return super(_GoDumper, self).resolve(kind, value, implicit)

    def _represent_float(dumper, data):
        # Keep floats readable by both parsers.
        if math.isnan(data):
            text = ".nan"
        elif math.isinf(data):
            text = ".inf" if data > 0 else "-.inf"
        else:
            text = repr(data)
            if "." not in text and "e" not in text:
                text += ".0"
        return dumper.represent_scalar(_TAG + "float", text)

    _GoDumper.add_representer(float, _represent_float)


def _require_yaml():
    if not HAS_YAML:
        raise AwsAuthError("the PyYAML Python library is required to read or write aws-auth")


def _load_first_document(text, key, compose=False):
    """Load like yaml.v2 Unmarshal: only the first document counts."""
    loader = _GoLoader(text)
    try:
        node = loader.get_node() if loader.check_node() else None
        if node is None:
            return None
        if compose:
            return node
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise AwsAuthError("%s: invalid YAML: %s" % (key, exc))
    except (TypeError, ValueError) as exc:
        # e.g. unhashable (list) mapping keys
        raise AwsAuthError("%s: invalid YAML: %s" % (key, exc))
    finally:
        loader.dispose()


# --------------------------------------------------------------------------
# Parsing


def _is_skippable(text):
    trimmed = text.strip()
    return trimmed in ("", "``", '""', "''")


def _json_key(key, where):
    # sigs.k8s.io/yaml turns non-string keys into strings before JSON.
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, str):
        return key
    if isinstance(key, int):
        return str(key)
    if isinstance(key, float):
        return repr(key)
    raise AwsAuthError("%s: unsupported mapping key %r" % (where, key))


def _check_jsonable(value, where):
    # Unknown keys are ignored by the authenticator, but the YAML -> JSON
    # step still fails on these.
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        raise AwsAuthError("%s: unsupported value %r (not representable in JSON)" % (where, value))
    if isinstance(value, list):
        for item in value:
            _check_jsonable(item, where)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_jsonable(item, "%s.%s" % (where, _json_key(key, where)))


def _parse_entry(kind, index, item):
    where = "%s[%d]" % (kind, index)
    if item is None:
        # JSON null into a struct leaves it zero-valued.
        return {}
    if not isinstance(item, dict):
        raise AwsAuthError("%s: each entry must be a mapping, got %s" % (where, type(item).__name__))
    known = _STRING_FIELDS[kind] + ("groups",)
    out = {}
    matched = {}
    for key, value in item.items():
        key = _json_key(key, where)
        canon = None
        for name in known:
            # encoding/json matches field names case-insensitively.
            if key.lower() == name:
                canon = name
        if canon is None:
            _check_jsonable(value, "%s.%s" % (where, key))
            out[key] = value
            continue
        if canon == "groups":
            if value is None:
                value = []
            elif not isinstance(value, list):
                raise AwsAuthError("%s: groups must be a list of strings, got %s"
                                   % (where, type(value).__name__))
            else:
                groups = []
                for group in value:
                    if group is None:
                        group = ""
                    elif not isinstance(group, str):
                        raise AwsAuthError("%s: groups must be a list of strings, got %r"
                                           % (where, group))
                    groups.append(group)
                value = groups
        else:
            if value is None:
                value = ""
            elif not isinstance(value, str):
                raise AwsAuthError("%s: %s must be a string, got %r" % (where, key, value))
        matched.setdefault(canon, []).append((key, value))
    for canon, pairs in matched.items():
        # Exact-case key wins; among case variants, Go sees the last one in
        # sorted (JSON) key order.
        exact = [v for k, v in pairs if k == canon]
        out[canon] = exact[0] if exact else sorted(pairs, key=lambda kv: kv[0])[-1][1]
    return _ordered_entry(kind, out)


def _ordered_entry(kind, entry):
    arn_key = ARN_KEY[kind]
    ordered = {}
    for key in (arn_key, "username", "groups"):
        if key in entry:
            ordered[key] = entry[key]
    for key, value in entry.items():
        if key not in ordered:
            ordered[key] = value
    return ordered


def _parse_mappings(kind, text):
    value = _load_first_document(text, kind)
    if value is None:
        return []
    if not isinstance(value, list):
        raise AwsAuthError("%s: must be a YAML list of mappings, got %s" % (kind, type(value).__name__))
    return [_parse_entry(kind, i, item) for i, item in enumerate(value)]


def _parse_accounts(text):
    node = _load_first_document(text, "mapAccounts", compose=True)
    if node is None:
        return []
    if isinstance(node, yaml.ScalarNode) and node.tag == _TAG + "null":
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise AwsAuthError("mapAccounts: must be a YAML list of account IDs")
    accounts = []
    for i, item in enumerate(node.value):
        if not isinstance(item, yaml.ScalarNode):
            raise AwsAuthError("mapAccounts[%d]: must be a scalar account ID" % i)
        # yaml.v2 decodes any scalar into a Go string as its literal text;
        # a plain null becomes "".
        accounts.append("" if item.tag == _TAG + "null" else item.value)
    return accounts


def parse_aws_auth(data):
    """Parse ConfigMap ``.data`` (dict of str, or None) into an AwsAuth."""
    _require_yaml()
    result = AwsAuth()
    if data is None:
        return result
    if not isinstance(data, dict):
        raise AwsAuthError("aws-auth data must be a mapping of strings")
    for key, text in data.items():
        if not isinstance(key, str) or not isinstance(text, str):
            raise AwsAuthError("aws-auth data key %r must map to a string, got %s"
                               % (key, type(text).__name__))
        if key not in MAP_KEYS:
            result.other[key] = text
            continue
        if _is_skippable(text):
            parsed = []
        elif key == "mapAccounts":
            parsed = _parse_accounts(text)
        else:
            parsed = _parse_mappings(key, text)
        result.section(key).extend(parsed)
        result.raw[key] = (text, copy.deepcopy(parsed))
    return result


def parse_sections(data):
    """Parse what can be parsed: ``(AwsAuth, {key: error})``.

    Each of mapRoles, mapUsers and mapAccounts is parsed on its own; a section
    that does not parse is left out of the AwsAuth (as if it were missing, so
    render() writes it anew) and its error is returned.  Used to report a
    malformed aws-auth, and to repair it when the user says how.
    """
    _require_yaml()
    if data is None:
        return AwsAuth(), {}
    if not isinstance(data, dict):
        raise AwsAuthError("aws-auth data must be a mapping of strings")
    result, broken = AwsAuth(), {}
    for key, text in data.items():
        try:
            part = parse_aws_auth({key: text})
        except AwsAuthError as exc:
            broken[key] = str(exc)
            continue
        if key in MAP_KEYS:
            result.section(key).extend(part.section(key))
            result.raw.update(part.raw)
        else:
            result.other.update(part.other)
    return result, broken


# --------------------------------------------------------------------------
# Rendering


def _dump(value):
    return yaml.dump(value, Dumper=_GoDumper, default_flow_style=False,
                     sort_keys=False, allow_unicode=True, width=1 << 30)


def render_aws_auth(aws_auth):
    """Return ConfigMap ``.data`` for an AwsAuth.

    A map key is written when its list is non-empty or the key already
    existed (then an empty list is written as ``[]``). A section equal to
    what was parsed keeps its original text.
    """
    _require_yaml()
    data = {}
    for key in MAP_KEYS:
        items = aws_auth.section(key)
        raw = aws_auth.raw.get(key)
        if raw is not None and raw[1] == items:
            data[key] = raw[0]
            continue
        if not items and raw is None:
            continue
        if key == "mapAccounts":
            data[key] = _dump([str(a) for a in items])
        else:
            data[key] = _dump([_ordered_entry(key, e) for e in items])
    for key, text in aws_auth.other.items():
        data[key] = text
    return data


def validate_rendered(data):
    """Re-parse rendered data with the authenticator's rules; raise on error.

    Also refuses data Kubernetes would refuse for its size, before any write.
    """
    if not isinstance(data, dict):
        raise AwsAuthError("aws-auth data must be a mapping of strings")
    size = sum(len(v.encode("utf-8")) for v in data.values() if isinstance(v, str))
    if size > MAX_CONFIGMAP_BYTES:
        raise AwsAuthError(
            "aws-auth would hold %d bytes, and a ConfigMap holds at most 1 MiB (%d bytes); map fewer or "
            "shorter entries (a role per team rather than per person), or use EKS access entries"
            % (size, MAX_CONFIGMAP_BYTES))
    return parse_aws_auth(data)


def to_result(aws_auth):
    """Plain dict of the three sections as the authenticator sees them.

    username defaults to "" and groups to []; extra keys (e.g. userid) are
    left out. Matches tests/sandbox/aws-auth-check output.
    """
    result = {}
    for key in ("mapRoles", "mapUsers"):
        arn_key = ARN_KEY[key]
        result[key] = [{arn_key: e.get(arn_key, ""), "username": e.get("username", ""),
                        "groups": list(e.get("groups", []))}
                       for e in aws_auth.section(key)]
    result["mapAccounts"] = [str(a) for a in aws_auth.map_accounts]
    return result


def diff_text(aws_auth):
    """Readable YAML of the managed sections, for Ansible's diff mode."""
    _require_yaml()
    return _dump({
        "mapRoles": [_ordered_entry("mapRoles", e) for e in aws_auth.map_roles],
        "mapUsers": [_ordered_entry("mapUsers", e) for e in aws_auth.map_users],
        "mapAccounts": list(aws_auth.map_accounts),
    })


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
