# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write aws-auth sections the authenticator reads back exactly as the model holds them.

Every section that is written anew is read back with parse.parse_section
before it is returned, and refused if its reading differs: a write can only
change the entries the plan reports.
"""

from __future__ import annotations

import math

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover - PyYAML ships with ansible-core
    HAS_YAML = False

from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import go_yaml
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth.errors import AwsAuthError
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth.parse import (
    ARN_KEY,
    MAP_KEYS,
    ordered_entry,
    parse_aws_auth,
    parse_section,
)

# Kubernetes refuses a ConfigMap whose values add up to more than this (MaxSecretSize).
MAX_CONFIGMAP_BYTES = 1024 * 1024

_TAG = "tag:yaml.org,2002:"

if HAS_YAML:
    class _GoDumper(yaml.SafeDumper):
        """Quote every string that yaml.v2 (or PyYAML) would not read back as that string."""

        def resolve(self, kind, value, implicit):
            if kind is yaml.ScalarNode and implicit[0]:
                go_value = go_yaml.go_resolve(value) if value else None
                if go_value is None:
                    return _TAG + "null"
                if isinstance(go_value, bool):
                    return _TAG + "bool"
                if isinstance(go_value, int):
                    return _TAG + "int"
                if isinstance(go_value, float):
                    return _TAG + "float"
            return super(_GoDumper, self).resolve(kind, value, implicit)

    def _represent_float(dumper, data):
        text = repr(data)
        if "." not in text and "e" not in text:
            text += ".0"
        return dumper.represent_scalar(_TAG + "float", text)

    _GoDumper.add_representer(float, _represent_float)


def _require_yaml():
    if not HAS_YAML:
        raise AwsAuthError("the PyYAML Python library is required to read or write aws-auth")


def _dump(value):
    return yaml.dump(value, Dumper=_GoDumper, default_flow_style=False,
                     sort_keys=False, allow_unicode=True, width=1 << 30)


def _check_writable(kind, index, value, what):
    """Refuse a value the authenticator would read differently, or not at all, once written."""
    if isinstance(value, str):
        bad = go_yaml.first_refused_character(value, allow_newline=False)
        if bad is not None:
            where, reason = bad
            raise AwsAuthError(
                "%s entry %d: refusing to write %s %r: it contains %s (%s), which the authenticator would read "
                "differently or not at all; remove it" % (kind, index, what, value[:200], reason,
                                                          go_yaml.describe_char(value[where])))
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise AwsAuthError("%s entry %d: refusing to write the key %r: keys must be strings"
                                   % (kind, index, key))
            _check_writable(kind, index, key, "the key")
            _check_writable(kind, index, item, key)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check_writable(kind, index, item, what)
    elif isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise AwsAuthError("%s entry %d: refusing to write %s %r: it has no JSON form" % (kind, index, what, value))
    elif value is not None and not isinstance(value, (bool, int)):
        raise AwsAuthError("%s entry %d: refusing to write %s of type %s" % (kind, index, what, type(value).__name__))


def meaning(kind, entry):
    """What the authenticator takes from an entry (or an account ID)."""
    if kind == "mapAccounts":
        return entry
    groups = entry.get("groups")
    return (entry.get(ARN_KEY[kind]) or "", entry.get("username") or "", tuple(groups or ()),
            entry.get("userid") or "")


def render_section(kind, items):
    """YAML text of one section, checked to read back as ``items``."""
    _require_yaml()
    if kind == "mapAccounts":
        for index, account in enumerate(items):
            _check_writable(kind, index, account, "account")
        text = _dump([str(a) for a in items])
    else:
        entries = []
        for index, entry in enumerate(items):
            if not isinstance(entry, dict):
                raise AwsAuthError("%s entry %d: refusing to write %r: not a mapping" % (kind, index, entry))
            _check_writable(kind, index, entry, "a value")
            entries.append(ordered_entry(kind, entry))
        text = _dump(entries)
    try:
        reread = parse_section(kind, text)
    except AwsAuthError as exc:
        raise AwsAuthError("refusing to write %s: the authenticator would not read it back (%s)" % (kind, exc))
    want = [meaning(kind, str(item) if kind == "mapAccounts" else item) for item in items]
    got = [meaning(kind, item) for item in reread]
    if want != got:
        raise AwsAuthError("refusing to write %s: the authenticator would read it back differently" % kind)
    return text


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
        data[key] = render_section(key, items)
    for key, text in aws_auth.other.items():
        data[key] = text
    return data


def validate_rendered(data):
    """Re-parse rendered data with the authenticator's rules; raise on error.

    Also refuses data Kubernetes would refuse for its size, before any write.
    """
    if not isinstance(data, dict):
        raise AwsAuthError("aws-auth data must be a mapping of strings")
    size = sum(len(v.encode("utf-8", "surrogatepass")) for v in data.values() if isinstance(v, str))
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
        result[key] = [{arn_key: e.get(arn_key) or "", "username": e.get("username") or "",
                        "groups": list(e.get("groups") or [])}
                       for e in aws_auth.section(key)]
    result["mapAccounts"] = [str(a) for a in aws_auth.map_accounts]
    return result


def diff_text(aws_auth):
    """Readable YAML of the managed sections, for Ansible's diff mode."""
    _require_yaml()
    return _dump({
        "mapRoles": [ordered_entry("mapRoles", e) for e in aws_auth.map_roles],
        "mapUsers": [ordered_entry("mapUsers", e) for e in aws_auth.map_users],
        "mapAccounts": list(aws_auth.map_accounts),
    })
