# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The part of YAML this collection reads exactly as aws-iam-authenticator does.

The authenticator (v0.6.13) reads an aws-auth section with Go's
``gopkg.in/yaml.v2`` (a port of libyaml), through ``sigs.k8s.io/yaml`` and
``encoding/json`` for mapRoles/mapUsers.  PyYAML's libyaml agrees with it on
plain YAML but not on the corners: tags, merges, anchors, directives, some
escapes, flow-context indicators, line breaks other than LF, control and
format characters.  Rather than imitate every corner, :func:`read_section`
accepts a *safe subset* and reads it with yaml.v2's own scalar resolution;
anything else raises :class:`NotUnderstood` naming the line and the construct.

The subset: one document of block or flow collections and single-line
scalars (plain, single-quoted, double-quoted with no escape other than
``\\\\`` and ``\\"``); keys that are ASCII strings; no tags, anchors, aliases,
merge keys, explicit keys (``?``), directives, block scalars (``|``, ``>``),
tabs, carriage returns, control, format, private-use, unassigned or
line-separator characters (a byte-order mark is allowed at the very start).
"""

from __future__ import annotations

import re
import unicodedata

try:
    import yaml
    HAS_YAML = True
    _Loader = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader
except ImportError:  # pragma: no cover - PyYAML ships with ansible-core
    HAS_YAML = False
    _Loader = None

from ansible_collections.eks.access.plugins.module_utils.model.aws_auth.errors import (
    NotUnderstood,
)

MAX_DEPTH = 32
MAX_KEY_LENGTH = 256

# Go's unicode.IsSpace, which strings.TrimSpace and the apimachinery JSON
# sniffing use.  Python's str.strip() also strips U+001C..U+001F.
GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
           "\u2028\u2029\u202f\u205f\u3000"


def go_trim_space(text):
    return text.strip(GO_SPACE)


def go_is_skippable(text):
    """configmap.isSkippable: the authenticator ignores such a section."""
    return go_trim_space(text) in ("", "``", '""', "''")


def go_is_json(text):
    """apimachinery yaml.ToJSON hands a buffer starting with '{' to encoding/json."""
    return text.lstrip(GO_SPACE).startswith("{")


# ---------------------------------------------------------------- characters

_REFUSED_CATEGORIES = {
    "Cc": "a control character",
    "Cf": "an invisible format character",
    "Cs": "a lone surrogate",
    "Co": "a private-use character",
    "Cn": "an unassigned code point",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
}
# Fast path: text made only of these needs no per-character look-up.
_PLAIN_TEXT = re.compile(r"[\n\x20-\x7e]*\Z")
_NON_ASCII_OR_CONTROL = re.compile(r"[^\n\x20-\x7e]")


def refused_character(char):
    """Why a character is refused in aws-auth text, or None when it is fine."""
    if char == "\t":
        return "a tab"
    if char == "\r":
        return "a carriage return"
    if "\x20" <= char <= "\x7e" or char == "\n":
        return None
    return _REFUSED_CATEGORIES.get(unicodedata.category(char))


def first_refused_character(text, allow_newline=True):
    """(index, reason) of the first character the subset refuses, or None."""
    if _PLAIN_TEXT.match(text):
        if allow_newline or "\n" not in text:
            return None
        return text.index("\n"), "a line break"
    for match in _NON_ASCII_OR_CONTROL.finditer(text):
        char = match.group()
        if char == "\n":
            if allow_newline:
                continue
            return match.start(), "a line break"
        reason = refused_character(char)
        if reason:
            return match.start(), reason
    return None


def describe_char(char):
    return "U+%04X" % ord(char)


# ---------------------------------------------------------------- yaml.v2 scalar resolution

_GO_MAP = {}
for _words, _val in ((("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
                     (("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False)):
    for _w in _words:
        _GO_MAP[_w] = _val
for _w in ("", "~", "null", "Null", "NULL"):
    _GO_MAP[_w] = None
for _w in (".nan", ".NaN", ".NAN"):
    _GO_MAP[_w] = float("nan")
for _w in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"):
    _GO_MAP[_w] = float("inf")
for _w in ("-.inf", "-.Inf", "-.INF"):
    _GO_MAP[_w] = float("-inf")

MERGE_KEY = "<<"
# strconv.ParseInt(s, 0, 64) syntax (underscores already removed).
_GO_INT = re.compile(r"([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)\Z")
_GO_UINT = re.compile(r"(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)\Z")
# yaml.v2 yamlStyleFloat, and what strconv.ParseFloat accepts after a leading '.'.
_GO_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
# (strconv allows '_' between digits, as Python's float() does.)
_GO_DOT_FLOAT = re.compile(r"\.[0-9](_?[0-9])*([eE][-+]?[0-9](_?[0-9])*)?\Z")
_GO_BIN_DIGITS = re.compile(r"[01]+\Z")
_NUMERIC_START = frozenset("+-0123456789")


def _int_of(digits):
    if digits[:2] in ("0x", "0X"):
        return int(digits[2:], 16)
    if digits[:2] in ("0o", "0O"):
        return int(digits[2:], 8)
    if digits[:2] in ("0b", "0B"):
        return int(digits[2:], 2)
    if len(digits) > 1 and digits[0] == "0":
        return int(digits[1:], 8)
    return int(digits)


def _finite_float(text):
    value = float(text)
    # strconv.ParseFloat fails with ErrRange where Python rounds to infinity;
    # yaml.v2 then keeps the scalar as a string.
    return None if value in (float("inf"), float("-inf")) else value


def go_resolve(text):
    """The Go value yaml.v2 gives an untagged plain scalar decoded into interface{}.

    str, None (null), bool, int or float.  A timestamp stays a string (yaml.v2
    decodes timestamps into interface{} as their text); ``<<`` is returned as
    the string it is when it is not a mapping key.
    """
    if text in _GO_MAP:
        return _GO_MAP[text]
    first = text[0]
    if first == ".":
        if _GO_DOT_FLOAT.match(text):
            value = _finite_float(text)
            if value is not None:
                return value
        return text
    if first not in _NUMERIC_START:
        return text
    plain = text.replace("_", "")
    match = _GO_INT.match(plain)
    if match:
        # (its own name: pylint of ansible-test 2.17 takes `value` for the float above, maybe None)
        number = _int_of(match.group(2))
        if match.group(1) == "-":
            number = -number
        if -(2 ** 63) <= number < 2 ** 63:
            return number
    if _GO_UINT.match(plain):
        value = _int_of(plain)
        if value < 2 ** 64:
            return value
    if _GO_YAML_FLOAT.match(plain):
        value = _finite_float(plain)
        if value is not None:
            return value
    if plain.startswith("-0b") and _GO_BIN_DIGITS.match(plain[3:]):
        value = -int(plain[3:], 2)
        if value >= -(2 ** 63):
            return value
    return text


def go_type_name(value):
    """How Go/JSON would name the type of a resolved value, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, GoList):
        return "a list"
    return "a mapping"


# ---------------------------------------------------------------- the reader

class GoList(list):
    """A YAML sequence; ``line`` is 1-based."""

    __slots__ = ("line",)


class GoMap(list):
    """A YAML mapping as ``[(key, value), ...]`` in document order; ``line`` is 1-based."""

    __slots__ = ("line",)


# Between two events only these may appear: blanks, block and flow
# indicators, comments (after a blank), document markers.
_BLOCK_GAP = re.compile(r"(?:---|\.\.\.|[ \n]+|-(?=[ \n]|\Z)|:(?=[ \n]|\Z)|(?:(?<=[ \n])|(?<![\s\S]))#[^\n]*)*\Z")
# In [ ] and { } a ':' is a value indicator even right before the value ({"a":"b"}, JSON style).
_FLOW_GAP = re.compile(r"(?:[ \n,:\[\]{}]+|(?:(?<=[ \n])|(?<![\s\S]))#[^\n]*)*\Z")
_DIRECTIVE = re.compile(r"^%", re.M)
_ESCAPES_ALLOWED = re.compile(r'\\[\\"]')


def _line_of(text, index):
    return text.count("\n", 0, index) + 1


def go_literal(text):
    """What yaml.v2 puts in a Go string for an untagged plain scalar: its text, or "" for a null."""
    return None if text in _GO_NULLS else text


_GO_NULLS = frozenset(("", "~", "null", "Null", "NULL"))


def read_section(section, text, literal=False):
    """Read one section of the subset into GoList/GoMap/scalars (None when empty).

    Plain scalars are resolved as yaml.v2 resolves them into interface{}
    (go_resolve), or with ``literal`` kept as text as yaml.v2 decodes them into
    a Go string (go_literal: mapAccounts).  Raises NotUnderstood for anything
    outside the subset.  ``text`` must not be skippable (see go_is_skippable).
    """
    if text.startswith("\ufeff"):
        # Both libyaml and yaml.v2 drop a byte-order mark at the start of the stream.
        text = text[1:]
    bad = first_refused_character(text)
    if bad is not None:
        index, reason = bad
        raise NotUnderstood(section, _line_of(text, index), "%s (%s)" % (reason, describe_char(text[index])),
                            "remove it")
    match = _DIRECTIVE.search(text)
    if match:
        raise NotUnderstood(section, _line_of(text, match.start()), "a directive (%YAML or %TAG)",
                            "remove the directive line")
    try:
        return _Reader(section, text, go_literal if literal else go_resolve).read()
    except NotUnderstood:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise NotUnderstood(section, line, "YAML this collection cannot read (%s)" % problem,
                            "write it as plain YAML")
    except (ValueError, TypeError, LookupError, AttributeError, RecursionError) as exc:
        # What PyYAML's scanner and our event walk may raise on odd input, beyond
        # YAMLError: none of it may escape as a traceback.
        raise NotUnderstood(section, None, "YAML this collection cannot read (%s: %s)"
                            % (type(exc).__name__, exc), "write it as plain YAML")


class _Reader(object):
    """Walk PyYAML's events, refusing what is outside the subset."""

    def __init__(self, section, text, resolve):
        self.section = section
        self.text = text
        self.resolve = resolve

    def refuse(self, index, construct, repair):
        raise NotUnderstood(self.section, _line_of(self.text, index), construct, repair)

    def read(self):
        text = self.text
        loader = _Loader(text)
        try:
            return self._walk(loader, text)
        finally:
            loader.dispose()

    def _walk(self, loader, text):
        # stack of [container, is_flow, pending_key, key_index]
        stack = []
        root = None
        documents = 0
        prev_end = 0
        flow_depth = 0
        ScalarEvent = yaml.ScalarEvent
        MappingStartEvent = yaml.MappingStartEvent
        SequenceStartEvent = yaml.SequenceStartEvent
        CollectionEndEvent = yaml.CollectionEndEvent
        AliasEvent = yaml.AliasEvent
        DocumentStartEvent = yaml.DocumentStartEvent
        block_gap = _BLOCK_GAP.match
        flow_gap = _FLOW_GAP.match
        resolve = self.resolve
        while True:
            event = loader.get_event()
            if event is None:
                break
            start = event.start_mark.index
            if start > prev_end:
                gap_ok = (flow_gap if flow_depth else block_gap)(text, prev_end, start)
                if gap_ok is None:
                    self._refuse_gap(prev_end, start, flow_depth)
            end = event.end_mark.index
            if end > prev_end:
                prev_end = end
            cls = event.__class__
            if cls is ScalarEvent:
                if event.anchor is not None:
                    self.refuse(start, "an anchor (&%s)" % event.anchor, "write the value out instead")
                if event.tag is not None:
                    self.refuse(start, "a tag (%s)" % _short_tag(event.tag), "remove the tag and quote the value")
                style = event.style
                value = event.value
                if style in ("|", ">"):
                    self.refuse(start, "a block scalar (%s)" % style, "write the value on one line")
                if style == '"':
                    raw = text[start:end]
                    if "\\" in raw and "\\" in _ESCAPES_ALLOWED.sub("", raw):
                        self.refuse(start, "an escape sequence in a double-quoted value",
                                    "write the character itself, or use single quotes")
                if "\n" in text[start:end]:
                    self.refuse(start, "a value that spans several lines", "write the value on one line")
                plain = not style
                if plain:
                    if flow_depth:
                        if start == end:
                            self.refuse(start, "an empty value inside [ ] or { }", "write null or '' explicitly")
                        if "?" in value or (text[end:end + 1] == ":" and text[end + 1:end + 2] not in (" ", "\n")):
                            self.refuse(start, "a '?' or ':' indicator next to a value inside [ ] or { }",
                                        "quote the value")
                    if value[:1] in ("?", ":") or (value[:1] == "-" and value[1:2] not in
                                                   ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", ".")):
                        self.refuse(start, "a plain value starting with %r" % value[:1], "quote the value")
                if not stack:
                    if root is not None:  # pragma: no cover - libyaml emits one node per document
                        self.refuse(start, "a second node", "remove it")
                    root = resolve(value) if plain else value
                    continue
                top = stack[-1]
                container = top[0]
                if container.__class__ is GoMap:
                    if top[2] is _NO_KEY:
                        top[2] = self._key(value, plain, start, end)
                        continue
                    container.append((top[2], resolve(value) if plain else value))
                    top[2] = _NO_KEY
                else:
                    container.append(resolve(value) if plain else value)
                continue
            if cls is MappingStartEvent or cls is SequenceStartEvent:
                if event.anchor is not None:
                    self.refuse(start, "an anchor (&%s)" % event.anchor, "write the entries out instead")
                if event.tag is not None:
                    self.refuse(start, "a tag (%s)" % _short_tag(event.tag), "remove the tag")
                if len(stack) >= MAX_DEPTH:
                    self.refuse(start, "nesting deeper than %d levels" % MAX_DEPTH, "flatten it")
                is_flow = bool(event.flow_style)
                if flow_depth and cls is MappingStartEvent and text[start:start + 1] != "{":
                    self.refuse(start, "a key: value pair inside [ ] without { }", "write it as {key: value}")
                node = GoMap() if cls is MappingStartEvent else GoList()
                node.line = event.start_mark.line + 1
                if stack:
                    top = stack[-1]
                    container = top[0]
                    if container.__class__ is GoMap:
                        if top[2] is _NO_KEY:
                            self.refuse(start, "a key that is a list or mapping", "use a string key")
                        container.append((top[2], node))
                        top[2] = _NO_KEY
                    else:
                        container.append(node)
                elif root is None:
                    root = node
                stack.append([node, is_flow, _NO_KEY])
                if is_flow:
                    flow_depth += 1
                continue
            if isinstance(event, CollectionEndEvent):
                done = stack.pop()
                if done[1]:
                    flow_depth -= 1
                continue
            if cls is AliasEvent:
                self.refuse(start, "an alias (*%s)" % event.anchor, "write the value out instead")
            if cls is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    self.refuse(start, "a second YAML document", "remove everything from the second '---' on")
                if getattr(event, "version", None) or getattr(event, "tags", None):
                    self.refuse(start, "a directive (%YAML or %TAG)", "remove the directive line")
        return root

    def _key(self, value, plain, start, end):
        if plain:
            resolved = go_resolve(value)
            if value == MERGE_KEY:
                self.refuse(start, "a merge key (<<)", "write the merged keys out in the entry")
            if not isinstance(resolved, str):
                self.refuse(start, "a key that is not a string (%s)" % value, "quote the key")
        elif value == MERGE_KEY:
            self.refuse(start, "a merge key (<<)", "write the merged keys out in the entry")
        if len(value) > MAX_KEY_LENGTH:
            self.refuse(start, "a key longer than %d characters" % MAX_KEY_LENGTH, "shorten it")
        if not value.isascii():
            self.refuse(start, "a key with a non-ASCII character (%r)" % value,
                        "spell the key in ASCII letters (the authenticator folds some non-ASCII letters "
                        "into ASCII ones)")
        return value

    def _refuse_gap(self, begin, end, flow):
        gap = self.text[begin:end]
        offset = 0
        for offset, char in enumerate(gap):
            if char not in " \n,[]{}-:":
                break
        char = gap[offset]
        repair = "write it as plain 'key: value' YAML"
        if char == "#":
            construct, repair = "a comment not preceded by a space", "put a space before the '#'"
        elif char == "?":
            construct = "an explicit key (?)"
        elif offset and gap[offset - 1] == ":":
            construct, repair = "a ':' not followed by a space", "put a space after the ':'"
        else:
            construct = "%r where a value or an indicator was expected" % char
        self.refuse(begin + offset, construct, repair)


_NO_KEY = object()


def _short_tag(tag):
    return "!!" + tag[len("tag:yaml.org,2002:"):] if tag.startswith("tag:yaml.org,2002:") else tag
