# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Differential fuzzer: the collection's aws-auth reading against aws-iam-authenticator's own.

Sections are generated from a small grammar of YAML features (block and
flow collections, every scalar style, key case variants and Unicode
look-alikes, duplicate keys, nulls, Go-YAML number and boolean forms, unknown
keys) and then mutated (tags, anchors and aliases, merges, directives,
documents, byte-order marks, escapes, flow indicators, control and
line-separator characters, carriage returns, tabs, deep nesting, random
character edits).  Each case is read by plugins/module_utils/model/aws_auth/ and by
``aws-auth-check -batch`` (the authenticator's ConfigMap parser), and
checked against three invariants:

(a) a section the collection reads has exactly the authenticator's reading,
    and a section it says "the authenticator cannot read" is one the
    authenticator reports an error for;
(b) for a simulated write (a random task planned over what was read), the
    authenticator reads the written data exactly as the module reports it
    (``mappings``), entries the task does not name keep their meaning, and
    every change of meaning is in added/removed/updated;
(c) nothing but the collection's own error type escapes parse, plan or render.

Seeded and bounded: ``run(seed, count, checker)`` returns a Report.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import traceback
from dataclasses import dataclass, field

from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import errors as aws_auth_errors
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import parse as aws_auth_parse
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import plan as aws_auth_plan
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import render as aws_auth_render
from ansible_collections.eks.access.plugins.module_utils.errors import EksAccessError

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CHECK_SOURCE = os.path.join(REPO, "tests", "sandbox", "aws-auth-check", "main.go")

ACCOUNTS = ("111122223333", "222233334444", "012345678901")


# ------------------------------------------------------------------ oracle

def find_checker():
    """Path of an aws-auth-check built from this checkout's main.go, or (None, why)."""
    import hashlib

    explicit = os.environ.get("AWS_AUTH_CHECK")
    if explicit:
        return explicit, None
    candidates = []
    if os.environ.get("SANDBOX_BIN"):
        candidates.append(os.environ["SANDBOX_BIN"])
    versions = {}
    with open(os.path.join(REPO, "tests", "sandbox", "versions.sh")) as f:
        for line in f:
            if "=" in line and not line.startswith("#"):
                name, _sep, value = line.strip().partition("=")
                versions[name] = value.strip('"')
    key = versions.get("SANDBOX_KEY", "")
    for name, value in versions.items():
        key = key.replace("${%s}" % name, value)
    cache = os.environ.get("EKS_SANDBOX_CACHE", os.path.expanduser("~/.cache/eks-access-sandbox"))
    candidates.append(os.path.join(cache, "bin-" + key))
    with open(CHECK_SOURCE, "rb") as f:
        want = hashlib.sha256(f.read()).hexdigest()
    for directory in candidates:
        binary = os.path.join(directory, "aws-auth-check")
        if os.access(binary, os.X_OK):
            try:
                with open(binary + ".sha256") as f:
                    have = f.read().strip()
            except OSError:
                have = ""
            if have == want:
                return binary, None
            return None, "%s was built from another main.go; `make sandbox` rebuilds it" % binary
    return None, "aws-auth-check is not built; `make sandbox` builds it"


def check_batch(checker, datas, chunk=4000):
    """The authenticator's reading of each ConfigMap data, one process per chunk."""
    results = []
    for begin in range(0, len(datas), chunk):
        lines = "".join(json.dumps(d, ensure_ascii=True) + "\n" for d in datas[begin:begin + chunk])
        proc = subprocess.run([checker, "-batch"], input=lines.encode("utf-8", "surrogatepass"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        if proc.returncode != 0:
            raise RuntimeError("aws-auth-check -batch failed: %s" % proc.stderr.decode(errors="replace"))
        out = [json.loads(line) for line in proc.stdout.decode("utf-8").split("\n") if line]
        if len(out) != len(datas[begin:begin + chunk]):
            raise RuntimeError("aws-auth-check -batch answered %d of %d" % (len(out), len(datas[begin:begin + chunk])))
        results.extend(out)
    return results


# ------------------------------------------------------------------ grammar

ROLE_KEYS = ("rolearn", "RoleArn", "ROLEARN", "roleARN", "rolearn", "rolearn")
USER_KEYS = ("userarn", "UserArn", "USERARN", "userarn", "userarn")
NAME_KEYS = ("username", "UserName", "USERNAME", "username", "username")
GROUP_KEYS = ("groups", "Groups", "GROUPS", "groups", "groups")
ODD_KEYS = ("groupſ", "uſername", "uſerarn", "roleARN", "rolearn ", "role_arn", "userid", "UserId", "note",
            "extra", "grоups",  # Cyrillic o
            "\u212aey", "<<", "1", "true", "~", "", "'quoted'", "a b")

# Plain scalars with interesting yaml.v2 resolutions.
GO_SCALARS = ("y", "Y", "yes", "no", "on", "OFF", "true", "False", "~", "null", "Null", "NULL", "", "0", "08",
              "0x1F", "0o17", "0b101", "-0b101", "1_000", "1e3", "1e400", "-1e400", ".5", "._5", ".5_0", "1.", "+.5",
              ".inf", "-.Inf", ".NaN", "2001-12-14", "2001-12-14T21:59:43.10-05:00", "1:30", "<<", "=", "-5",
              "9223372036854775808", "18446744073709551616", "-9223372036854775809", "+12", "0.", "1__0",
              "0x_1F", "-", "--", "-a", ".", "..", "+", "0b", "0o", "0x", "1e", "1e+", "12e3_4")

TEXTS = ("admin", "system:masters", "system:node:{{EC2PrivateDNSName}}", "dev team", "a#b", "a #b", "a: b",
         "x:", "a?b", "[a]", "{a}", "'", "\"", "\\", "a'b", "a\"b", "café", "\u00a0x", "x\u00a0", "\u3000",
         "ſ", "😀", "\u0085", "\u2028", "\u2029", "\x1c", "\x1f", "\t", "\r", "\x00", "\x7f", "\ufeff", "\u200b",
         "\ue000", "\ufffe", "a\nb", " lead", "trail ", "@x", "`x", "%x", "!x", "&x", "*x", "|", ">", "? x",
         "- x", ",x", "{{SessionName}}")


def arn(rng, kind):
    account = rng.choice(ACCOUNTS)
    if kind == "mapUsers":
        return "arn:aws:iam::%s:user/%s" % (account, rng.choice(("alice", "bob", "Alice", "carol")))
    path = rng.choice(("", "", "", "team/"))
    return "arn:aws:iam::%s:role/%s%s" % (account, path, rng.choice(("admin", "dev", "Admin", "node", "ops")))


def quote(rng, text, allow_plain=True):
    style = rng.randrange(4 if allow_plain else 3)
    if style == 0:
        return "'" + text.replace("'", "''") + "'"
    if style == 1:
        return json.dumps(text, ensure_ascii=rng.random() < 0.3)
    if style == 2 and rng.random() < 0.3:
        escapes = ("\\/", "\\'", "\\N", "\\L", "\\P", "\\_", "\\x41", "\\u00e9", "\\U0001F600", "\\t", "\\ ",
                   "\\0", "\\e", "\\ud800", "\\\\", "\\\"")
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + rng.choice(escapes) + '"'
    return text


def scalar(rng, text=None, clean=False):
    """A value: an ARN-ish text, a Go-YAML special or an odd text, in some style.

    ``clean`` values are always quoted when odd, so that whole sections read
    and the writes that follow re-render tricky strings.
    """
    roll = rng.random()
    if text is None:
        if roll < 0.25:
            text = rng.choice(GO_SCALARS)
        elif roll < 0.45:
            text = rng.choice(TEXTS)
        else:
            text = rng.choice(("admin", "dev", "ops", "system:masters", "system:nodes", "view", "u-1"))
            if clean:
                return text
    if clean:
        return "'" + text.replace("'", "''") + "'" if rng.random() < 0.5 else json.dumps(text, ensure_ascii=False)
    if rng.random() < 0.5:
        return text
    return quote(rng, text)


def group_list(rng, flow, clean=False):
    items = []
    for _count in range(rng.randrange(4)):
        roll = rng.random()
        if roll < 0.08:
            items.append("")            # null item
        elif roll < 0.12 and not clean:
            items.append("[a]")
        else:
            items.append(scalar(rng, clean=clean))
    if flow:
        return "[" + ", ".join(items) + "]"
    if not items:
        return rng.choice(("[]", "", "~"))
    return items


def entry(rng, kind, clean=False):
    """(list of (key, value) where value is a text or a list of item texts)."""
    arn_keys = ROLE_KEYS if kind == "mapRoles" else USER_KEYS
    pairs = []
    if rng.random() < 0.92:
        pairs.append((rng.choice(arn_keys), scalar(rng, arn(rng, kind)) if rng.random() < 0.9
                      else scalar(rng, clean=clean)))
    if rng.random() < 0.7:
        pairs.append((rng.choice(NAME_KEYS), scalar(rng, clean=clean)))
    if rng.random() < 0.8:
        pairs.append((rng.choice(GROUP_KEYS), group_list(rng, rng.random() < 0.4, clean)))
    for _count in range(rng.choice((0, 0, 0, 1, 1, 2))):
        roll = rng.random()
        if roll < 0.4:
            key = rng.choice(arn_keys + NAME_KEYS + GROUP_KEYS)
            value = rng.choice((scalar(rng, clean=clean), "", "~", group_list(rng, True, clean)))
        else:
            key = rng.choice(ODD_KEYS[:11] if clean else ODD_KEYS)
            value = rng.choice((scalar(rng, clean=clean), "", "~", group_list(rng, True, clean), "{a: b}", "5"))
        pairs.append((key, value))
    rng.shuffle(pairs)
    return pairs


def render_key(rng, key):
    if key == "" or key != key.strip() or rng.random() < 0.1:
        return quote(rng, key, allow_plain=False)
    return key


def block_entry(rng, pairs, indent="  "):
    lines = []
    for i, (key, value) in enumerate(pairs):
        prefix = "- " if i == 0 else indent
        k = render_key(rng, key)
        if isinstance(value, list):
            lines.append("%s%s:" % (prefix, k))
            dash = rng.choice(("  - ", "- ")) if indent == "  " else indent + "- "
            lines.extend(("%s%s" % (dash, item)).rstrip() for item in value)
        else:
            lines.append(("%s%s: %s" % (prefix, k, value)).rstrip())
    if not lines:
        lines.append(rng.choice(("-", "- {}", "- ~")))
    return lines


def flow_entry(rng, pairs):
    parts = []
    for key, value in pairs:
        if isinstance(value, list):
            value = "[" + ", ".join(v or "~" for v in value) + "]"
        parts.append("%s: %s" % (render_key(rng, key), value or "~"))
    return "{" + ", ".join(parts) + "}"


def json_value(rng):
    roll = rng.random()
    if roll < 0.7:
        return rng.choice(("admin", "dev", "system:masters", "a/b", "café", "", "u\u2028", "x\x1c", "😀"))
    return rng.choice((None, 5, 1.5, True, [], {}, ["a", None], {"a": 1}, 1e300))


def json_section(rng, kind):
    """What CDK (JSON) or Terraform's yamlencode (quoted keys) write."""
    arn_key = ARN_KEYS_BY_KIND[kind]
    entries = []
    for _count in range(rng.randrange(4)):
        item = {rng.choice((arn_key, arn_key, arn_key.upper())): arn(rng, kind)}
        if rng.random() < 0.7:
            item["username"] = json_value(rng) if rng.random() < 0.3 else "user"
        if rng.random() < 0.7:
            item["groups"] = [json_value(rng) if rng.random() < 0.2 else "system:masters"
                              for _count in range(rng.randrange(3))]
        if rng.random() < 0.1:
            item["groups" if rng.random() < 0.5 else "Groups"] = json_value(rng)
        entries.append(item)
    if rng.random() < 0.6:
        separators = rng.choice(((",", ":"), (", ", ": "), (",", ": "), (", ", ":")))
        return json.dumps(entries, separators=separators, ensure_ascii=rng.random() < 0.5)
    lines = []
    for item in entries:
        first = True
        for key, value in sorted(item.items()):
            prefix = "- " if first else "  "
            first = False
            if isinstance(value, list):
                lines.append('%s"%s":' % (prefix, key))
                lines.extend("  - %s" % json.dumps(v, ensure_ascii=False) for v in value)
            else:
                lines.append('%s"%s": %s' % (prefix, key, json.dumps(value, ensure_ascii=False)))
    return "\n".join(lines) + "\n"


ARN_KEYS_BY_KIND = {"mapRoles": "rolearn", "mapUsers": "userarn"}


def mappings_section(rng, kind, clean=False):
    if rng.random() < 0.15:
        return json_section(rng, kind)
    entries = [entry(rng, kind, clean) for _count in range(rng.randrange(5))]
    style = rng.random()
    if style < 0.65:
        lines = []
        for pairs in entries:
            lines.extend(block_entry(rng, pairs))
            if rng.random() < 0.1:
                lines.append(rng.choice(("# comment", "  # indented comment", "")))
        return "\n".join(lines) + rng.choice(("\n", "", "\n\n"))
    if style < 0.85:
        return "[" + ", ".join(flow_entry(rng, p) for p in entries) + "]" + rng.choice(("", "\n"))
    if style < 0.93:
        return "\n".join("- " + flow_entry(rng, p) for p in entries) + "\n"
    return rng.choice(("", "  ", "``", "''", '""', " '' ", "~", "null", "[]", "{}", "rolearn: x", "hello",
                       "5", "- foo", "- [a]", "# only a comment\n", "\u00a0''", "\x1c\x1d", "\x1f", "\u0085",
                       "\ufeff", "{\"rolearn\": \"x\"}", "[{\"rolearn\": \"x\", \"groups\": [\"a\"]}]",
                       " \n[\n]\n", "---\n", "...\n", "-", "- ", "-\n-\n"))


def accounts_section(rng, clean=False):
    items = []
    for _count in range(rng.randrange(5)):
        roll = rng.random()
        if roll < 0.5:
            items.append(scalar(rng, rng.choice(ACCOUNTS)))
        elif roll < 0.85 or clean:
            items.append(scalar(rng, clean=clean))
        else:
            items.append(rng.choice(("[1]", "{a: 1}", "", "~")))
    if rng.random() < 0.75:
        return "".join(("- %s" % i).rstrip() + "\n" for i in items)
    if rng.random() < 0.8:
        return "[" + ", ".join(i or "~" for i in items) + "]"
    return rng.choice(("111122223333", "a: b", "null", "[]", "''", "\"\"  # x", "{}", "- [x", "\x1e"))


# ------------------------------------------------------------------ mutations

TAGS = ("!", "!!map", "!!set", "!!omap", "!!float", "!!int", "!!str", "!!timestamp", "!!binary", "!!bool",
        "!!null", "!!seq", "!foo", "!<tag:yaml.org,2002:str>", "!!merge", "!!pairs", "!e!x")


def _positions(text):
    return [i for i, ch in enumerate(text) if ch in " \n[{,-:"] or [0]


def mutate(rng, text):
    """Apply one or two mutations from the classes the authenticator reads differently."""
    for _count in range(rng.choice((1, 1, 2))):
        roll = rng.randrange(22)
        if roll == 0:  # a tag before some value
            pos = rng.choice(_positions(text))
            text = text[:pos + 1] + rng.choice(TAGS) + " " + text[pos + 1:]
        elif roll == 1:  # an anchor and an alias to it (maybe self-referencing)
            text = rng.choice(("- &a\n  rolearn: x\n  groups: [g]\n- <<: *a\n  rolearn: z\n",
                               "- &a [*a]\n", "&a\n- rolearn: x\n  groups: *a\n", "- rolearn: &x a\n  username: *x\n",
                               "- rolearn: &a x\n  username: &a y\n  groups: [*a]\n")) + text
        elif roll == 2:  # a merge after explicit keys
            text = ("- rolearn: a\n  groups: [view]\n  <<: {groups: [system:masters], rolearn: b}\n"
                    if rng.random() < 0.5 else "- <<: [{username: u}, {groups: [g]}]\n  rolearn: r\n") + text
        elif roll == 3:
            text = rng.choice(("%YAML 1.2\n---\n", "%YAML 1.1\n---\n", "%TAG !e! tag:example.com,2000:\n---\n",
                               "--- ", "---\n")) + text
        elif roll == 4:
            text = text + rng.choice(("\n---\n- rolearn: y\n", "\n...\n", "\n--- [\n", "\n---\n"))
        elif roll == 5:  # a byte-order mark somewhere
            pos = rng.choice([0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"])
            text = text[:pos] + "\ufeff" + text[pos:]
        elif roll == 6:  # odd characters
            pos = rng.randrange(len(text) + 1)
            odd = ("\u0085", "\u2028", "\u2029", "\x1c", "\x1f", "\x0b", "\x0c", "\t", "\r", "\x00", "\x7f",
                   "\u00a0", "\u200b", "\ufeff", "ſ", "\u212a", "😀", "\ud800")
            text = text[:pos] + rng.choice(odd) + text[pos:]
        elif roll == 7:
            text = text.replace("\n", "\r\n")
        elif roll == 8:  # flow indicators next to values
            text = text + rng.choice(("- [a?b]\n", "- [x:]\n", "- {a: b:}\n", "- [? a]\n", "- {\"a\":b}\n",
                                      "- [a, b: c]\n", "- {a, b: c}\n", "- [x:y]\n", "- {a: [b]c}\n",
                                      "- rolearn: [a,]\n", "- rolearn: [,]\n"))
        elif roll == 9:  # explicit keys
            text = "- ? rolearn\n  : x\n" + text
        elif roll == 10:  # nesting
            depth = rng.choice((10, 31, 33, 200, 1001, 10001))
            text = text + "- rolearn: x\n  note: " + "[" * depth + "]" * depth + "\n"
        elif roll == 11:  # escapes
            escaped = ("a\\/b", "\\'", "a\\Nb", "\\L", "\\P", "\\x41", "\\u2028", "\\ud800", "\\U0001F600", "\\z",
                       "\\\n x")
            text = text + '- rolearn: "%s"\n' % rng.choice(escaped)
        elif roll == 12:  # delete a character
            if text:
                pos = rng.randrange(len(text))
                text = text[:pos] + text[pos + 1:]
        elif roll == 13:  # duplicate a line
            lines = text.split("\n")
            pos = rng.randrange(len(lines))
            lines.insert(pos, lines[pos])
            text = "\n".join(lines)
        elif roll == 14:  # whitespace-only or control-only sections
            text = rng.choice(("\x1c\x1d\x1e\x1f", " \x1c ", "\u00a0", "\u3000''\u3000", "\x85", "\n\n", "\t",
                               "\ufeff''", "``", "` `"))
        elif roll == 15:  # multi-line and block scalars
            text = text + rng.choice(("- rolearn: a\n  username: |\n    u\n", "- rolearn: a\n  username: >-\n  u\n",
                                      "- rolearn: a\n  username: 'u\n    v'\n", "- rolearn: a\n  username: u\n    v\n"))
        elif roll == 16:  # case and Unicode key variants of a live entry
            text = text + rng.choice(("- RoleARN: admin\n  rolearn:\n", "- rolearn: r\n  groups: [view]\n  groupſ: [system:masters]\n",
                                      "- rolearn: r\n  uſername: root\n", "- rolearn: r\n  Groups: [a, b, c]\n  GROUPS: [x]\n  groups: [~, ~, ~]\n",
                                      "- rolearn: r\n  groups: [a, b]\n  Groups:\n", "- ROLEARN: r\n  RoleArn: s\n",
                                      "- rolearn: r\n  rolearn: s\n  rolearn: ~\n",
                                      "- rolearn: r\n  username: .nan\n  username: u\n",
                                      "- rolearn: r\n  note: [.inf]\n  note: x\n", "- rolearn: r\n  note: x\n  note: .inf\n"))
        elif roll == 17:  # comments in odd places
            pos = rng.choice(_positions(text))
            text = text[:pos + 1] + rng.choice(("#c", " #c\n", "# c\n")) + text[pos + 1:]
        elif roll == 18:  # indentation change
            lines = text.split("\n")
            pos = rng.randrange(len(lines))
            lines[pos] = rng.choice((" ", "   ", "")) + lines[pos]
            text = "\n".join(lines)
        elif roll == 19:  # an unknown key holding awkward values
            awkward = (".inf", ".nan", "1e400", "[1, .nan]", "{a: .inf}", "{1: a}", "{~: a}", "!!binary aGk=")
            text = text + "- rolearn: r\n  %s: %s\n" % (rng.choice(("note", "x", "userid")), rng.choice(awkward))
        elif roll == 20:  # a leading '{' (JSON for the authenticator)
            text = rng.choice(("{", " {", "\u00a0{", "\n{")) + text
        else:  # insert a random indicator
            pos = rng.randrange(len(text) + 1)
            text = text[:pos] + rng.choice("&*!|>%@`?:-,[]{}#'\"\\") + text[pos:]
    return text


def generate(rng):
    """One ConfigMap .data."""
    data = {}
    clean = rng.random() < 0.4
    for kind in aws_auth_parse.MAP_KEYS:
        if rng.random() < 0.55:
            text = accounts_section(rng, clean) if kind == "mapAccounts" else mappings_section(rng, kind, clean)
            if not clean and rng.random() < 0.45:
                text = mutate(rng, text)
            data[kind] = text
    if rng.random() < 0.05:
        data["other"] = "kept: ["
    return data


# ------------------------------------------------------------------ invariants

@dataclass
class Report:
    seed: int
    cases: int = 0
    sections: int = 0
    read_same: int = 0
    cannot_read: int = 0
    not_understood: int = 0
    writes: int = 0
    writes_refused: int = 0
    violations: list = field(default_factory=list)

    def summary(self):
        return ("seed %d: %d cases, %d sections: %d read exactly as the authenticator, %d refused as unreadable by "
                "the authenticator (confirmed), %d refused as not understood; %d simulated writes (%d refused); "
                "%d violations" % (self.seed, self.cases, self.sections, self.read_same, self.cannot_read,
                                   self.not_understood, self.writes, self.writes_refused, len(self.violations)))


def _violation(report, kind, data, detail):
    if len(report.violations) < 50:
        report.violations.append({"invariant": kind, "data": data, "detail": detail})
    else:
        report.violations.append({"invariant": kind})


def _match_key(kind, arn_value):
    return aws_auth_plan._match_key(kind, arn_value)  # pylint: disable=protected-access


def random_task(rng, before):
    """Keyword arguments for aws_auth_plan.plan: a few named entries, some matching existing ones."""
    kwargs = {"state": rng.choice(("present", "present", "present", "absent")),
              "append_groups": rng.random() < 0.3, "allow_node_mapping_changes": True,
              "update_existing": rng.random() < 0.9, "purge": rng.random() < 0.15}
    for kind, key in (("mapRoles", "roles"), ("mapUsers", "users")):
        if rng.random() < 0.4:
            continue
        wanted = []
        existing = [e.get(aws_auth_parse.ARN_KEY[kind]) for e in before.section(kind)]
        for _count in range(rng.randrange(1, 3)):
            if existing and rng.random() < 0.5:
                value = rng.choice(existing) or arn(rng, kind)
                if rng.random() < 0.3:
                    value = value.upper().replace("ARN:AWS:IAM::", "arn:aws:iam::")
            else:
                value = arn(rng, kind)
            item = {aws_auth_parse.ARN_KEY[kind]: value}
            if rng.random() < 0.6:
                item["username"] = rng.choice(("admin", "dev:{{SessionName}}", "ops"))
            if rng.random() < 0.7:
                item["groups"] = rng.sample(["view", "edit", "system:nodes", "system:bootstrappers", "team"],
                                            rng.randrange(3))
            wanted.append(item)
        kwargs[key] = wanted
    if rng.random() < 0.3:
        kwargs["accounts"] = [rng.choice(ACCOUNTS)]
    return kwargs


def _named_keys(kwargs):
    named = set()
    for kind, key in (("mapRoles", "roles"), ("mapUsers", "users")):
        for item in kwargs.get(key) or []:
            named.add((kind, _match_key(kind, item[aws_auth_parse.ARN_KEY[kind]])))
    return named


def _meanings_by_key(kind, entries):
    grouped = {}
    for entry in entries:
        from ansible_collections.eks.access.plugins.module_utils.model.aws_auth.render import meaning
        grouped.setdefault(_match_key(kind, entry.get(aws_auth_parse.ARN_KEY[kind])), []).append(meaning(kind, entry))
    return grouped


def check_reads(report, data, oracle):
    """Invariants (a) and (c) for one case; returns the module's AwsAuth (sections that parsed)."""
    try:
        parsed, errors = aws_auth_parse.section_errors(data)
    except EksAccessError as exc:
        _violation(report, "c", data, "section_errors raised %r" % exc)
        return None, {}
    except Exception:  # pylint: disable=broad-except
        _violation(report, "c", data, traceback.format_exc())
        return None, {}
    if "panic" in oracle:
        _violation(report, "oracle", data, oracle["panic"])
        return None, {}
    got = aws_auth_render.to_result(parsed)
    oracle_errors = oracle.get("errors") or {}
    for kind in aws_auth_parse.MAP_KEYS:
        if kind not in data:
            continue
        report.sections += 1
        error = errors.get(kind)
        if error is None:
            if kind in oracle_errors:
                _violation(report, "a", data, "%s: read as %r, the authenticator fails: %s"
                           % (kind, got[kind], oracle_errors[kind]))
            elif got[kind] != oracle["sections"][kind]:
                _violation(report, "a", data, "%s: read as %r, the authenticator reads %r"
                           % (kind, got[kind], oracle["sections"][kind]))
            else:
                report.read_same += 1
        elif isinstance(error, aws_auth_errors.AuthenticatorCannotRead):
            if kind not in oracle_errors:
                _violation(report, "a", data, "%s: said the authenticator cannot read it (%s), it reads %r"
                           % (kind, error, oracle["sections"][kind]))
            else:
                report.cannot_read += 1
        elif isinstance(error, aws_auth_errors.NotUnderstood):
            report.not_understood += 1
        else:
            _violation(report, "c", data, "%s: unexpected error type %r" % (kind, error))
    return parsed, errors


def simulate_write(report, rng, data, parsed, errors):
    """Plan a random task and render it; (written data, expected reading, check) or None when refused."""
    kwargs = random_task(rng, parsed)
    repair = bool(errors)
    if repair:
        # repair=true replaces broken sections with the listed entries (configmap.apply).
        for kind in errors:
            key = {"mapRoles": "roles", "mapUsers": "users", "mapAccounts": "accounts"}.get(kind)
            if key is None:
                return None
            kwargs.setdefault(key, [] if key != "accounts" else [ACCOUNTS[0]])
    try:
        plan = aws_auth_plan.plan(parsed, **kwargs)
        if repair:
            plan.changed = True
        after_data = aws_auth_render.render_aws_auth(plan.after)
        aws_auth_render.validate_rendered(after_data)
        diff = aws_auth_render.diff_text(plan.after)
    except EksAccessError:
        report.writes += 1
        report.writes_refused += 1
        return None
    except Exception:  # pylint: disable=broad-except
        _violation(report, "c", data, "plan/render with %r: %s" % (kwargs, traceback.format_exc()))
        return None
    report.writes += 1
    return after_data, plan, kwargs, diff


def check_write(report, data, parsed, write, oracle):
    after_data, plan, kwargs, diff = write
    if "panic" in oracle or oracle.get("errors"):
        _violation(report, "b", data, "wrote %r, the authenticator fails: %r" % (after_data, oracle))
        return
    reported = aws_auth_render.to_result(plan.after)
    if reported != oracle["sections"]:
        _violation(report, "b", data, "wrote %r with %r; module reports %r, the authenticator reads %r"
                   % (after_data, kwargs, reported, oracle["sections"]))
        return
    named = _named_keys(kwargs)
    changed_kinds = set()
    for item in plan.added + plan.removed + plan.updated:
        changed_kinds.add(item["kind"])
    for kind in ("mapRoles", "mapUsers"):
        before = _meanings_by_key(kind, parsed.section(kind))
        after = _meanings_by_key(kind, plan.after.section(kind))
        reported_keys = set()
        for item in plan.added + plan.removed:
            if item["kind"] == kind:
                reported_keys.add(_match_key(kind, item["entry"].get(aws_auth_parse.ARN_KEY[kind])))
        for item in plan.updated:
            if item["kind"] == kind:
                reported_keys.add(_match_key(kind, item["before"].get(aws_auth_parse.ARN_KEY[kind])))
        for key in set(before) | set(after):
            if before.get(key) == after.get(key):
                continue
            if kwargs.get("purge") and key not in after and key in reported_keys:
                continue  # purge removes what the task does not list, and says so
            if (kind, key) not in named:
                _violation(report, "b", data, "%s entry %r changed meaning (%r -> %r) without being named by %r"
                           % (kind, key, before.get(key), after.get(key), kwargs))
            elif key not in reported_keys:
                _violation(report, "b", data, "%s entry %r changed meaning (%r -> %r) but is not reported"
                           % (kind, key, before.get(key), after.get(key)))
        for entry in plan.after.section(kind):
            value = entry.get(aws_auth_parse.ARN_KEY[kind]) or ""
            if value.startswith("arn:aws:iam::") and value.replace(":", "").replace("/", "").isalnum() \
                    and value not in diff:
                _violation(report, "b", data, "%s entry %r missing from the diff" % (kind, entry))
    if parsed.map_accounts != plan.after.map_accounts and "mapAccounts" not in changed_kinds:
        _violation(report, "b", data, "mapAccounts changed without being reported")
    if aws_auth_render.to_result(parsed) != reported and aws_auth_render.diff_text(parsed) == diff:
        _violation(report, "b", data, "the meaning changed and the diff shows nothing")


def run(seed, count, checker, writes=True):
    """Generate ``count`` cases from ``seed``, check them all; returns a Report."""
    rng = random.Random(seed)
    report = Report(seed=seed)
    datas = [generate(rng) for _count in range(count)]
    report.cases = len(datas)
    oracles = check_batch(checker, datas)
    pending = []
    for data, oracle in zip(datas, oracles):
        parsed, errors = check_reads(report, data, oracle)
        if writes and parsed is not None:
            write = simulate_write(report, rng, data, parsed, errors)
            if write is not None:
                pending.append((data, parsed, write))
    if pending:
        written = check_batch(checker, [w[0] for _data, _parsed, w in pending])
        for (data, parsed, write), oracle in zip(pending, written):
            check_write(report, data, parsed, write, oracle)
    return report
