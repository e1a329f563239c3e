# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One named case per class of issue 18: the authenticator's reading, or a refusal, never a third thing.

Expected readings were checked with aws-auth-check (aws-iam-authenticator
v0.6.13's ConfigMap parser); test_parse_differential covers the classes
with generated cases.
"""

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import errors as aws_auth_errors
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import parse as aws_auth_parse
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import plan as aws_auth_plan
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import render as aws_auth_render
from ansible_collections.eks.access.plugins.module_utils.errors import EksAccessError
from ansible_collections.eks.access.tests.unit.plugins.fakes import ScriptedKube

ADMIN = "arn:aws:iam::111122223333:role/admin"
DEV = "arn:aws:iam::111122223333:role/dev"


def roles(text):
    return aws_auth_render.to_result(aws_auth_parse.parse_aws_auth({"mapRoles": text}))["mapRoles"]


def refused(data, construct):
    with pytest.raises(aws_auth_errors.NotUnderstood) as exc:
        aws_auth_parse.parse_aws_auth(data)
    message = str(exc.value)
    assert message.startswith("this collection cannot safely edit section %s: " % next(iter(data))), message
    assert construct in message, message
    assert "repair: true" in message
    return exc.value


# ------------------------------------------------------------- refused: outside the subset

NOT_UNDERSTOOD = [
    # 1. Go's JSON decoder folds Unicode case in keys: ſ is s, the Kelvin sign is k.
    ("unicode_fold_groups", {"mapRoles": "- rolearn: %s\n  groups: [view]\n  groupſ: [system:masters]\n" % ADMIN},
     "a key with a non-ASCII character ('groupſ')"),
    ("unicode_fold_username", {"mapRoles": "- rolearn: %s\n  uſername: root\n" % ADMIN}, "non-ASCII"),
    ("unicode_fold_userarn", {"mapUsers": "- uſerarn: arn:aws:iam::111122223333:user/a\n"}, "non-ASCII"),
    ("kelvin_sign_key", {"mapRoles": "- rolearn: x\n  \u212aey: v\n"}, "non-ASCII"),
    # 2. A section the authenticator drops must not be kept as valid (here: a YAML 1.2 directive).
    ("directive_yaml_1_2", {"mapAccounts": "%YAML 1.2\n---\n- 111122223333\n"}, "a directive"),
    ("directive_tag", {"mapRoles": "%TAG !e! tag:example.com,2000:\n---\n- rolearn: x\n"}, "a directive"),
    # 3. Re-rendering must not change meaning: merges (yaml.v2 merges in document order), NEL, !!binary.
    ("merge_after_explicit_keys",
     {"mapRoles": "- rolearn: a\n  groups: [view]\n  <<: {groups: [system:masters], rolearn: b}\n"},
     "a merge key (<<)"),
    ("merge_with_anchor", {"mapRoles": "- &a\n  rolearn: x\n  groups: [g]\n- <<: *a\n  rolearn: z\n"}, "an anchor (&a)"),
    ("nel_in_group", {"mapRoles": "- rolearn: x\n  groups: [a\u0085b]\n"}, "a control character (U+0085)"),
    ("line_separator_in_group", {"mapRoles": "- rolearn: x\n  groups: [a\u2028b]\n"}, "a line separator (U+2028)"),
    ("paragraph_separator", {"mapRoles": "- rolearn: x\n  username: a\u2029b\n"}, "a paragraph separator"),
    ("binary_account", {"mapAccounts": "- !!binary MTExMTIyMjIzMzMz\n"}, "a tag (!!binary)"),
    # Explicit tags: yaml.v2 ignores or stringifies many of them.
    ("tag_bang", {"mapRoles": "- rolearn: ! x\n"}, "a tag (!)"),
    ("tag_map", {"mapRoles": "- !!map\n  rolearn: x\n"}, "a tag (!!map)"),
    ("tag_set", {"mapRoles": "- rolearn: x\n  groups: !!set {a, b}\n"}, "a tag (!!set)"),
    ("tag_omap", {"mapRoles": "!!omap\n- rolearn: x\n"}, "a tag (!!omap)"),
    ("tag_float", {"mapRoles": "- rolearn: x\n  username: !!float 5\n"}, "a tag (!!float)"),
    ("tag_timestamp", {"mapRoles": "- rolearn: x\n  username: !!timestamp 2001-12-14\n"}, "a tag (!!timestamp)"),
    ("tag_unknown", {"mapRoles": "- rolearn: x\n  username: !foo bar\n"}, "a tag (!foo)"),
    ("tag_str", {"mapRoles": "- rolearn: x\n  username: !!str 5\n"}, "a tag (!!str)"),
    # Escapes the two parsers read differently.
    ("json_slash_escape", {"mapRoles": '- rolearn: "arn:aws:iam::111122223333:role\\/admin"\n'}, "an escape sequence"),
    ("escaped_single_quote", {"mapRoles": '- rolearn: "\\\'"\n'}, "YAML this collection cannot read"),
    ("escaped_nel", {"mapRoles": '- rolearn: x\n  username: "a\\Nb"\n'}, "an escape sequence"),
    # Flow-context indicators: yaml.v2 ends a plain scalar at '?', libyaml does not.
    ("question_mark_in_flow", {"mapRoles": "- rolearn: x\n  groups: [a?b]\n"}, "a '?' or ':' indicator"),
    ("colon_before_flow_end", {"mapRoles": "- rolearn: x\n  groups: [x:]\n"}, "YAML this collection cannot read"),
    ("explicit_key", {"mapRoles": "- ? rolearn\n  : x\n"}, "an explicit key (?)"),
    ("pair_in_flow_sequence", {"mapRoles": "- rolearn: x\n  groups: [a, b: c]\n"}, "a key: value pair inside [ ]"),
    # A byte-order mark after a newline (one at the very start is fine).
    ("bom_after_newline", {"mapRoles": "- rolearn: x\n\ufeff- rolearn: y\n"}, "an invisible format character (U+FEFF)"),
    # Anchors, aliases, and what they make possible.
    ("duplicate_anchor", {"mapRoles": "- rolearn: &a x\n  username: &a y\n  groups: [*a]\n"}, "an anchor (&a)"),
    ("self_referencing_alias", {"mapRoles": "- &a [*a]\n"}, "an anchor (&a)"),
    ("alias_expansion", {"mapRoles": "- rolearn: x\n  note: &a [1, 1]\n  more: [*a, *a, *a]\n"}, "an anchor (&a)"),
    ("nesting_over_1000", {"mapRoles": "- rolearn: x\n  note: %s%s\n" % ("[" * 1001, "]" * 1001)},
     "nesting"),
    # Documents, block scalars, multi-line values.
    ("second_document", {"mapRoles": "- rolearn: x\n---\n- rolearn: y\n"}, "a second YAML document"),
    ("block_scalar", {"mapRoles": "- rolearn: x\n  username: |-\n    u\n"}, "a block scalar (|)"),
    ("multi_line_value", {"mapRoles": "- rolearn: x\n  username: 'a\n    b'\n"}, "a value that spans several lines"),
    # Characters: controls, tabs, carriage returns, sections of U+001C..U+001F only.
    ("control_only_section", {"mapRoles": "\x1c\x1d\x1e\x1f"}, "a control character (U+001C)"),
    ("control_in_value", {"mapAccounts": "- 1111\x1f22223333\n"}, "a control character (U+001F)"),
    ("tab", {"mapRoles": "- rolearn: x\n\tusername: y\n"}, "a tab"),
    ("carriage_return", {"mapRoles": "- rolearn: x\r\n  username: y\r\n"}, "a carriage return"),
    ("lone_surrogate", {"mapRoles": "- rolearn: x\ud800\n"}, "a lone surrogate"),
    # Keys that are not strings.
    ("integer_key", {"mapRoles": "- rolearn: x\n  1: a\n"}, "a key that is not a string (1)"),
    ("null_key", {"mapRoles": "- rolearn: x\n  ~: a\n"}, "a key that is not a string (~)"),
    # A second groups key with a null item: encoding/json reuses the slice it already holds.
    ("groups_twice_with_null_item", {"mapRoles": "- rolearn: x\n  Groups: [a, b]\n  groups: [~, c]\n"},
     "a second groups key"),
    # Crashed the parser with a traceback before.
    ("timestamp_tag_on_text", {"mapRoles": "- rolearn: x\n  username: !!timestamp abc\n"}, "a tag (!!timestamp)"),
]


@pytest.mark.parametrize("name, data, construct", NOT_UNDERSTOOD, ids=[c[0] for c in NOT_UNDERSTOOD])
def test_not_understood(name, data, construct):
    error = refused(data, construct)
    assert isinstance(error, EksAccessError) and error.section == next(iter(data))


def test_not_understood_names_the_line():
    error = refused({"mapRoles": "- rolearn: %s\n  groups: [view]\n  groupſ: [system:masters]\n" % ADMIN}, "groupſ")
    assert error.line == 3 and "line 3:" in str(error)


# ------------------------------------------------------------- read exactly as the authenticator does

READ_EXACTLY = [
    # A null does not overwrite a string field; the later (sorted) key wins.
    ("null_does_not_overwrite", "- RoleARN: admin\n  rolearn:\n", [{"rolearn": "admin", "username": "", "groups": []}]),
    ("last_key_wins", "- ROLEARN: r\n  RoleArn: s\n", [{"rolearn": "s", "username": "", "groups": []}]),
    ("exact_duplicate_last_wins", "- rolearn: r\n  rolearn: s\n", [{"rolearn": "s", "username": "", "groups": []}]),
    # ...but a null empties groups (it sets the slice to nil).
    ("null_empties_groups", "- rolearn: r\n  groups: [a]\n  Groups:\n",
     [{"rolearn": "r", "username": "", "groups": ["a"]}]),
    ("later_groups_key_wins", "- rolearn: r\n  Groups: [a, b, c]\n  GROUPS: [x]\n  groups: [z]\n",
     [{"rolearn": "r", "username": "", "groups": ["z"]}]),
    # Numbers Go's strconv does not take are strings.
    ("dot_underscore_is_a_string", "- rolearn: r\n  username: ._5\n", [{"rolearn": "r", "username": "._5", "groups": []}]),
    ("out_of_range_float_is_a_string", "- rolearn: r\n  username: 1e400\n",
     [{"rolearn": "r", "username": "1e400", "groups": []}]),
    ("timestamp_is_a_string", "- rolearn: r\n  username: 2001-12-14\n",
     [{"rolearn": "r", "username": "2001-12-14", "groups": []}]),
    # A byte-order mark at the very start, JSON-style flow (what CDK writes), quoted keys (Terraform).
    ("bom_at_start", "\ufeff- rolearn: r\n", [{"rolearn": "r", "username": "", "groups": []}]),
    ("json_style", '[{"rolearn":"%s","username":"a","groups":["system:masters"]}]' % ADMIN,
     [{"rolearn": ADMIN, "username": "a", "groups": ["system:masters"]}]),
    ("quoted_keys", '- "groups":\n  - "view"\n  "rolearn": "%s"\n' % ADMIN,
     [{"rolearn": ADMIN, "username": "", "groups": ["view"]}]),
    # Go's TrimSpace: NBSP around '' makes a skipped section; Python's strip() would also drop U+001C.
    ("nbsp_around_empty_quotes", "\u00a0''\u00a0", []),
    # An overwritten duplicate key is gone before the JSON step, its .nan with it.
    ("nan_under_a_duplicate_key", "- rolearn: r\n  username: .NaN\n  username: ~\n",
     [{"rolearn": "r", "username": "", "groups": []}]),
]


@pytest.mark.parametrize("name, text, expected", READ_EXACTLY, ids=[c[0] for c in READ_EXACTLY])
def test_read_exactly(name, text, expected):
    assert roles(text) == expected


CANNOT_READ = [
    ("number_in_string_field", {"mapRoles": "- rolearn: 5\n"}, "entry 0: rolearn is a number"),
    ("boolean_y", {"mapRoles": "- rolearn: x\n  username: y\n"}, "username is a boolean"),
    ("float_with_underscore", {"mapRoles": "- rolearn: x\n  groups: [.5_0]\n"}, "groups holds a number"),
    ("nan_in_unknown_key", {"mapRoles": "- rolearn: x\n  note: .nan\n"}, "no JSON form"),
    ("json_object", {"mapRoles": '{"rolearn": "x"}'}, "it starts with '{'"),
    ("list_item_not_a_mapping", {"mapUsers": "- [a]\n"}, "entry 0 is a list"),
    ("account_list_item", {"mapAccounts": "- [1]\n"}, "item 0 is a list"),
]


@pytest.mark.parametrize("name, data, problem", CANNOT_READ, ids=[c[0] for c in CANNOT_READ])
def test_the_authenticator_cannot_read(name, data, problem):
    with pytest.raises(aws_auth_errors.AuthenticatorCannotRead) as exc:
        aws_auth_parse.parse_aws_auth(data)
    assert str(exc.value).startswith("the authenticator cannot read section %s (" % next(iter(data)))
    assert problem in str(exc.value)


# ------------------------------------------------------------- writing

def test_untouched_entry_keeps_its_meaning_when_the_section_is_rewritten():
    # RoleARN: admin followed by an empty rolearn: Go keeps admin; it must not be written as rolearn: ''.
    current = aws_auth_parse.parse_aws_auth({"mapRoles": "- RoleARN: %s\n  rolearn:\n  groups: [system:masters]\n" % ADMIN})
    result = aws_auth_plan.plan(current, roles=[{"rolearn": DEV, "groups": ["view"]}])
    data = aws_auth_render.render_aws_auth(result.after)
    assert aws_auth_render.to_result(aws_auth_parse.parse_aws_auth(data))["mapRoles"] == [
        {"rolearn": ADMIN, "username": "", "groups": ["system:masters"]},
        {"rolearn": DEV, "username": DEV, "groups": ["view"]},
    ]
    assert [a["entry"]["rolearn"] for a in result.added] == [DEV] and not result.updated and not result.removed


def test_a_section_that_is_not_understood_is_never_kept_as_valid():
    parsed, broken = aws_auth_parse.parse_sections({"mapAccounts": "%YAML 1.2\n---\n- 111122223333\n",
                                                    "mapRoles": "- rolearn: %s\n" % ADMIN})
    assert list(broken) == ["mapAccounts"] and parsed.map_accounts == []
    assert "this collection cannot safely edit section mapAccounts: line 1: a directive" in broken["mapAccounts"]


@pytest.mark.parametrize("value", ["0\n", "a\u0085b", "a\u2028b", "a\u2029b", "a\x1cb", "a\tb", "a\rb", "\ufeffa",
                                   "a\x00b"], ids=repr)
def test_renderer_refuses_characters_the_authenticator_reads_differently(value):
    # "0\n" made the renderer raise ValueError before.
    for entry in ({"rolearn": ADMIN, "username": value}, {"rolearn": ADMIN, "groups": [value]},
                  {"rolearn": ADMIN, value: "x"}, {"rolearn": ADMIN, "note": {"k": [value]}}):
        with pytest.raises(aws_auth_errors.AwsAuthError) as exc:
            aws_auth_render.render_aws_auth(aws_auth_parse.AwsAuth(map_roles=[entry]))
        assert "refusing to write" in str(exc.value)
    with pytest.raises(aws_auth_errors.AwsAuthError):
        aws_auth_render.render_aws_auth(aws_auth_parse.AwsAuth(map_accounts=[value]))


@pytest.mark.parametrize("value", ["y", "no", "~", "", "0x1F", "08", "1e400", "._5", "<<", "1:30", "- x", "? x",
                                   "a: b", "a #b", "'", '"', "\\", "café", "\u00a0x", "x ", " x", "{{SessionName}}",
                                   "!x", "&x", "*x", "%x", "@x", "`x", "|", ">", "[a]", "{a}", ",", "#"])
def test_renderer_writes_what_reads_back_the_same(value):
    entry = {"rolearn": ADMIN, "username": value, "groups": [value], "note": value}
    data = aws_auth_render.render_aws_auth(aws_auth_parse.AwsAuth(map_roles=[entry], map_accounts=[value]))
    parsed = aws_auth_parse.parse_aws_auth(data)
    assert parsed.map_roles == [entry] and parsed.map_accounts == [value]


def test_no_other_exception_escapes_on_odd_input():
    odd = ["- &a [*a]\n", "- rolearn: !!timestamp abc\n", "[" * 20000, "- {" * 5000, "\x00", "- !<!> x\n",
           "- rolearn: \"\\ud800\"\n", "&a [*a, *a]", "- ? [a]\n  : b\n", "%YAML 9.9\n--- x\n"]
    for text in odd:
        for kind in aws_auth_parse.MAP_KEYS:
            try:
                aws_auth_parse.parse_aws_auth({kind: text})
            except aws_auth_errors.AwsAuthError:
                pass


# ------------------------------------------------------------- through configmap.apply (read, plan, write)

def _api(data):
    """A Kubernetes API holding one aws-auth ConfigMap with ``data``."""
    return ScriptedKube({"/api/v1/namespaces/kube-system/configmaps/aws-auth": {
        "metadata": {"name": "aws-auth", "namespace": "kube-system", "resourceVersion": "7"}, "data": data}})


def _update_admin(current):
    return aws_auth_plan.plan(current, roles=[{"rolearn": ADMIN, "groups": ["dev"]}])


@pytest.mark.parametrize("data, section", [
    # 1. groupſ still grants system:masters after the update to [dev]: refused.
    ({"mapRoles": "- rolearn: %s\n  groups: [view]\n  groupſ: [system:masters]\n" % ADMIN}, "mapRoles"),
    # 2. another section that the authenticator drops must not be kept as valid.
    ({"mapRoles": "- rolearn: %s\n" % ADMIN, "mapAccounts": "%YAML 1.2\n---\n- 111122223333\n"}, "mapAccounts"),
    # 3. a merge after explicit keys, a NEL in a group, a !!binary account.
    ({"mapRoles": "- rolearn: %s\n- rolearn: %s\n  groups: [view]\n  <<: {groups: [system:masters]}\n" % (ADMIN, DEV)},
     "mapRoles"),
    ({"mapRoles": "- rolearn: %s\n- rolearn: %s\n  groups: [a\u0085b]\n" % (ADMIN, DEV)}, "mapRoles"),
    ({"mapRoles": "- rolearn: %s\n" % ADMIN, "mapAccounts": "- !!binary MTExMTIyMjIzMzMz\n"}, "mapAccounts"),
])
def test_a_write_is_refused_when_a_section_is_not_understood(data, section):
    from ansible_collections.eks.access.plugins.module_utils.services import configmap

    api = _api(dict(data))
    with pytest.raises(aws_auth_errors.AwsAuthError) as exc:
        configmap.apply(api, _update_admin, check_mode=False)
    message = str(exc.value)
    assert api.writes == []
    assert "cannot be edited safely: this collection cannot safely edit section %s: line " % section in message
    assert "the authenticator cannot read" not in message and "repair=true" in message


def test_repair_replaces_a_section_that_is_not_understood_with_the_listed_entries():
    from ansible_collections.eks.access.plugins.module_utils.services import configmap

    api = _api({"mapRoles": "- rolearn: %s\n  groups: [view]\n  groupſ: [system:masters]\n" % ADMIN})
    outcome = configmap.apply(api, _update_admin, check_mode=False, repair_kinds=("mapRoles",))
    assert outcome.repaired == ("mapRoles",) and len(api.writes) == 1
    written = aws_auth_parse.parse_aws_auth(api.bodies("PUT")[0]["data"])
    assert aws_auth_render.to_result(written)["mapRoles"] == [{"rolearn": ADMIN, "username": ADMIN, "groups": ["dev"]}]
    assert "groupſ" not in api.bodies("PUT")[0]["data"]["mapRoles"]


def test_an_untouched_entry_is_written_back_as_the_authenticator_reads_it():
    from ansible_collections.eks.access.plugins.module_utils.services import configmap

    # RoleARN: dev followed by an empty rolearn: the authenticator reads dev; the write must keep dev mapped.
    api = _api({"mapRoles": "- RoleARN: %s\n  rolearn:\n  groups: [view]\n- rolearn: %s\n" % (DEV, ADMIN)})
    outcome = configmap.apply(api, _update_admin, check_mode=False)
    written = aws_auth_render.to_result(aws_auth_parse.parse_aws_auth(api.bodies("PUT")[0]["data"]))["mapRoles"]
    assert written == [{"rolearn": DEV, "username": "", "groups": ["view"]},
                       {"rolearn": ADMIN, "username": "", "groups": ["dev"]}]
    assert [u["after"]["rolearn"] for u in outcome.plan.updated] == [ADMIN] and not outcome.plan.added
