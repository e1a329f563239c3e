# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the aws-auth ConfigMap exactly as aws-iam-authenticator v0.6.13 does, or refuse.

What the authenticator does (pkg/mapper/configmap.ParseMap):

* a section whose text, trimmed by Go's strings.TrimSpace, is empty,
  ``````, ``""`` or ``''`` is skipped;
* mapRoles/mapUsers: apimachinery ``yaml.ToJSON`` (a text starting with
  ``{`` is taken as JSON as it is; otherwise yaml.v2 into interface{}, then
  json.Marshal, which sorts keys and fails on NaN/Inf), then encoding/json
  into ``[]RoleMapping``/``[]UserMapping``: keys match the fields
  ``rolearn``/``userarn``, ``username``, ``groups``, ``userid`` after case
  folding, every matching key is applied in sorted order (the last wins), a
  JSON null leaves a string field alone but empties ``groups``, unknown keys
  are ignored, a value of the wrong type is an error;
* mapAccounts: yaml.v2 straight into ``[]string``: each scalar's text, a null
  as "";
* a section with an error is reported by the authenticator as an error.

This module reads the subset of YAML described in go_yaml exactly that way.
A section outside the subset raises NotUnderstood ("this collection cannot
safely edit section X"); a section inside it that the authenticator rejects
raises AuthenticatorCannotRead ("the authenticator cannot read section X").
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import go_yaml
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth.errors import (
    AuthenticatorCannotRead,
    AwsAuthError,
    NotUnderstood,
)
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth.go_yaml import GoList, GoMap

AWS_AUTH_NAME = "aws-auth"
AWS_AUTH_NAMESPACE = "kube-system"
MAP_KEYS = ("mapRoles", "mapUsers", "mapAccounts")

ARN_KEY = {"mapRoles": "rolearn", "mapUsers": "userarn"}
# Fields of config.RoleMapping / config.UserMapping (json tags).
STRING_FIELDS = {
    "mapRoles": ("rolearn", "username", "userid"),
    "mapUsers": ("userarn", "username", "userid"),
}
# encoding/json matches a key to a field when they fold to the same text;
# the subset has ASCII keys only, where folding is upper-casing.
_FIELD_BY_FOLDED = {
    kind: dict((name.upper(), name) for name in names + ("groups",))
    for kind, names in STRING_FIELDS.items()
}


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


def ordered_entry(kind, entry):
    """The entry with its ARN, username and groups first, other keys after in their order."""
    arn_key = ARN_KEY[kind]
    ordered = {}
    for key in (arn_key, "username", "groups"):
        if key in entry:
            ordered[key] = entry[key]
    for key, value in entry.items():
        if key not in ordered:
            ordered[key] = value
    return ordered


def _has_nan_or_inf(value):
    if isinstance(value, float):
        return math.isnan(value) or math.isinf(value)
    if isinstance(value, GoMap):
        # Only what yaml.v2 keeps: the last of duplicate keys.
        return any(_has_nan_or_inf(v) for v in dict(value).values())
    if isinstance(value, GoList):
        return any(_has_nan_or_inf(v) for v in value)
    return False


def _plain(value):
    """GoMap/GoList to dict/list (yaml.v2 keeps the last of duplicate keys)."""
    if isinstance(value, GoMap):
        return dict((k, _plain(v)) for k, v in value)
    if isinstance(value, GoList):
        return [_plain(v) for v in value]
    return value


def _decode_entry(kind, index, item, section_line):
    """One element of the JSON array decoded into a RoleMapping/UserMapping."""
    if item is None:
        # A JSON null leaves the struct at its zero value.
        return {}
    line = getattr(item, "line", section_line)
    if not isinstance(item, GoMap):
        raise AuthenticatorCannotRead(kind, line, "entry %d is %s, not a mapping"
                                      % (index, go_type_name(item)))
    # yaml.v2 builds a Go map (the last of duplicate keys wins); json.Marshal
    # writes its keys sorted; encoding/json then applies them in that order.
    values = {}
    for key, value in item:
        values[key] = value
    fields = _FIELD_BY_FOLDED[kind]
    out = {}
    extras = {}
    groups_seen = False
    for key in sorted(values):
        value = values[key]
        name = fields.get(key.upper())
        if name is None:
            extras[key] = value
            continue
        if name == "groups":
            if value is None:
                out["groups"] = []  # a null sets the slice to nil
            elif isinstance(value, GoList):
                if groups_seen and out.get("groups") and None in value:
                    # encoding/json decodes into the slice it already holds; a null
                    # element keeps whatever that backing array held there.
                    raise NotUnderstood(kind, line, "entry %d: a second groups key (%s) with a null group"
                                        % (index, key), "keep one groups key")
                groups = []
                for group in value:
                    if group is None:
                        group = ""
                    elif not isinstance(group, str):
                        raise AuthenticatorCannotRead(kind, line, "entry %d: %s holds %s, not a string"
                                                      % (index, key, go_type_name(group)))
                    groups.append(group)
                out["groups"] = groups
            else:
                raise AuthenticatorCannotRead(kind, line, "entry %d: %s is %s, not a list of strings"
                                              % (index, key, go_type_name(value)))
            groups_seen = True
            continue
        if value is None:
            # A JSON null leaves a string field as it is.
            out.setdefault(name, "")
        elif isinstance(value, str):
            out[name] = value
        else:
            raise AuthenticatorCannotRead(kind, line, "entry %d: %s is %s, not a string"
                                          % (index, key, go_type_name(value)))
    for key, value in item:
        if key in extras:
            out[key] = _plain(extras.pop(key))
    return ordered_entry(kind, out)


def go_type_name(value):
    return go_yaml.go_type_name(value)


def _parse_mappings(kind, text):
    if go_yaml.go_is_json(text):
        raise AuthenticatorCannotRead(kind, 1, "it starts with '{', so the authenticator reads it as one JSON "
                                               "object, and it needs a list")
    value = go_yaml.read_section(kind, text)
    if _has_nan_or_inf(value):
        raise AuthenticatorCannotRead(kind, None, "it holds .nan or .inf, which has no JSON form")
    if value is None:
        return []
    if not isinstance(value, GoList):
        raise AuthenticatorCannotRead(kind, getattr(value, "line", 1), "it is %s, not a list of mappings"
                                      % go_type_name(value))
    return [_decode_entry(kind, i, item, value.line) for i, item in enumerate(value)]


def _parse_accounts(text):
    value = go_yaml.read_section("mapAccounts", text, literal=True)
    if value is None:
        return []
    if not isinstance(value, GoList):
        raise AuthenticatorCannotRead("mapAccounts", getattr(value, "line", 1), "it is %s, not a list of account IDs"
                                      % go_type_name(value))
    accounts = []
    for index, item in enumerate(value):
        if item is None:
            accounts.append("")
        elif isinstance(item, str):
            accounts.append(item)
        else:
            raise AuthenticatorCannotRead("mapAccounts", getattr(item, "line", value.line),
                                          "item %d is %s, not an account ID" % (index, go_type_name(item)))
    return accounts


def parse_section(kind, text):
    """The authenticator's reading of one section: a list of entries (or account IDs)."""
    if not go_yaml.HAS_YAML:
        raise AwsAuthError("the PyYAML Python library is required to read or write aws-auth")
    if go_yaml.go_is_skippable(text):
        return []
    if kind == "mapAccounts":
        return _parse_accounts(text)
    return _parse_mappings(kind, text)


def parse_aws_auth(data):
    """Parse ConfigMap ``.data`` (dict of str, or None) into an AwsAuth.

    Raises AuthenticatorCannotRead or NotUnderstood (both SectionError) for
    the first section that cannot be read exactly, AwsAuthError for data that
    is not a mapping of strings.
    """
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
        parsed = parse_section(key, text)
        result.section(key).extend(parsed)
        result.raw[key] = (text, copy.deepcopy(parsed))
    return result


def parse_sections(data):
    """Parse what can be parsed: ``(AwsAuth, {key: message})``.

    Each of mapRoles, mapUsers and mapAccounts is parsed on its own; a section
    that cannot be read exactly is left out of the AwsAuth (as if it were
    missing, so render() writes it anew) and its message is returned.  Used to
    report a malformed aws-auth, and to repair it when the user says how.
    """
    errors = section_errors(data)
    return errors[0], dict((key, str(exc)) for key, exc in errors[1].items())


def section_errors(data):
    """Like parse_sections, with the SectionError of each section that failed."""
    if data is None:
        return AwsAuth(), {}
    if not isinstance(data, dict):
        raise AwsAuthError("aws-auth data must be a mapping of strings")
    result, broken = AwsAuth(), {}
    for key, text in data.items():
        try:
            part = parse_aws_auth({key: text})
        except AwsAuthError as exc:
            broken[key] = exc
            continue
        if key in MAP_KEYS:
            result.section(key).extend(part.section(key))
            result.raw.update(part.raw)
        else:
            result.other.update(part.other)
    return result, broken
