# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""model/aws_auth/parse.py: ConfigMap data into AwsAuth as aws-iam-authenticator reads it, or a refusal."""

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import parse
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import render
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth.errors import AwsAuthError
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import errors as aws_auth_errors
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import plan as aws_auth_plan
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth.parse import AwsAuth

from .test_plan import ACCT, ADMIN, ALICE, NODE

ROLE = "arn:aws:iam::111122223333:role/admin"

# (name, ConfigMap data, result of aws-iam-authenticator v0.6.13 ParseMap or
# None when it errors). Generated with tests/sandbox/aws-auth-check.
AUTHENTICATOR_CASES = [
    ('good',
     {'mapAccounts': "- 111122223333\n- '222233334444'\n",
      'mapRoles': '- rolearn: arn:aws:iam::111122223333:role/r\n  username: u\n  groups:\n  - g\n',
      'mapUsers': '- userarn: arn:aws:iam::111122223333:user/u\n  username: u\n'},
     {'mapAccounts': ['111122223333', '222233334444'],
      'mapRoles': [{'groups': ['g'], 'rolearn': 'arn:aws:iam::111122223333:role/r', 'username': 'u'}],
      'mapUsers': [{'groups': [], 'userarn': 'arn:aws:iam::111122223333:user/u', 'username': 'u'}]}),
    ('skip_empty',
     {'mapAccounts': '``', 'mapRoles': '', 'mapUsers': "''"},
     {'mapAccounts': [], 'mapRoles': [], 'mapUsers': []}),
    ('skip_dq',
     {'mapRoles': '  ""  '},
     {'mapAccounts': [], 'mapRoles': [], 'mapUsers': []}),
    ('null_top',
     {'mapAccounts': 'null', 'mapRoles': 'null', 'mapUsers': '~'},
     {'mapAccounts': [], 'mapRoles': [], 'mapUsers': []}),
    ('empty_list',
     {'mapAccounts': '[]', 'mapRoles': '[]'},
     {'mapAccounts': [], 'mapRoles': [], 'mapUsers': []}),
    ('map_top',
     {'mapRoles': 'rolearn: x'},
     None),
    ('scalar_top',
     {'mapRoles': 'hello'},
     None),
    ('num_top',
     {'mapRoles': '5'},
     None),
    ('json_obj',
     {'mapRoles': '{"rolearn": "x"}'},
     None),
    ('json_list',
     {'mapRoles': '[{"rolearn": "x", "groups": ["a"]}]'},
     {'mapAccounts': [], 'mapRoles': [{'groups': ['a'], 'rolearn': 'x', 'username': ''}], 'mapUsers': []}),
    ('item_scalar',
     {'mapRoles': '- foo'},
     None),
    ('item_list',
     {'mapRoles': '- [a]'},
     None),
    ('item_null',
     {'mapRoles': '-\n- rolearn: x'},
     {'mapAccounts': [],
      'mapRoles': [{'groups': [], 'rolearn': '', 'username': ''}, {'groups': [], 'rolearn': 'x', 'username': ''}],
      'mapUsers': []}),
    ('arn_int',
     {'mapRoles': '- rolearn: 5'},
     None),
    ('username_bool_y',
     {'mapRoles': '- rolearn: x\n  username: y'},
     None),
    ('username_yes',
     {'mapRoles': '- rolearn: x\n  username: yes'},
     None),
    ('username_float',
     {'mapRoles': '- rolearn: x\n  username: 1e3'},
     None),
    ('username_oct',
     {'mapRoles': '- rolearn: x\n  username: 0o17'},
     None),
    ('username_08',
     {'mapRoles': '- rolearn: x\n  username: 08'},
     None),
    ('username_underscore',
     {'mapRoles': '- rolearn: x\n  username: 1_000'},
     None),
    ('username_sexa',
     {'mapRoles': '- rolearn: x\n  username: 1:30'},
     {'mapAccounts': [], 'mapRoles': [{'groups': [], 'rolearn': 'x', 'username': '1:30'}], 'mapUsers': []}),
    ('username_ts',
     {'mapRoles': '- rolearn: x\n  username: 2001-12-14'},
     {'mapAccounts': [], 'mapRoles': [{'groups': [], 'rolearn': 'x', 'username': '2001-12-14'}], 'mapUsers': []}),
    ('username_inf',
     {'mapRoles': '- rolearn: x\n  username: .inf'},
     None),
    ('username_null',
     {'mapRoles': '- rolearn: x\n  username:'},
     {'mapAccounts': [], 'mapRoles': [{'groups': [], 'rolearn': 'x', 'username': ''}], 'mapUsers': []}),
    ('username_list',
     {'mapRoles': '- rolearn: x\n  username: [a]'},
     None),
    ('groups_str',
     {'mapRoles': '- rolearn: x\n  groups: a'},
     None),
    ('groups_num',
     {'mapRoles': '- rolearn: x\n  groups: [1]'},
     None),
    ('groups_nullitem',
     {'mapRoles': '- rolearn: x\n  groups: [~, a]'},
     {'mapAccounts': [], 'mapRoles': [{'groups': ['', 'a'], 'rolearn': 'x', 'username': ''}], 'mapUsers': []}),
    ('groups_null',
     {'mapRoles': '- rolearn: x\n  groups:'},
     {'mapAccounts': [], 'mapRoles': [{'groups': [], 'rolearn': 'x', 'username': ''}], 'mapUsers': []}),
    ('groups_map',
     {'mapRoles': '- rolearn: x\n  groups: {a: b}'},
     None),
    ('case_keys',
     {'mapRoles': '- RoleARN: x\n  UserName: u\n  GROUPS: [g]'},
     {'mapAccounts': [], 'mapRoles': [{'groups': ['g'], 'rolearn': 'x', 'username': 'u'}], 'mapUsers': []}),
    ('case_both',
     {'mapRoles': '- RoleARN: x\n  rolearn: z'},
     {'mapAccounts': [], 'mapRoles': [{'groups': [], 'rolearn': 'z', 'username': ''}], 'mapUsers': []}),
    ('case_both2',
     {'mapRoles': '- rolearn: z\n  RoleARN: x'},
     {'mapAccounts': [], 'mapRoles': [{'groups': [], 'rolearn': 'z', 'username': ''}], 'mapUsers': []}),
    ('case_two_variants',
     {'mapRoles': '- RoleARN: x\n  RoleArn: z'},
     {'mapAccounts': [], 'mapRoles': [{'groups': [], 'rolearn': 'z', 'username': ''}], 'mapUsers': []}),
    ('case_two_variants2',
     {'mapRoles': '- RoleArn: z\n  ROLEARN: x\n  USERNAME: a\n  Username: b'},
     {'mapAccounts': [], 'mapRoles': [{'groups': [], 'rolearn': 'z', 'username': 'b'}], 'mapUsers': []}),
    ('case_variant_badtype',
     {'mapRoles': '- rolearn: z\n  RoleArn: 5'},
     None),
    ('nested_null_key',
     {'mapRoles': '- rolearn: z\n  foo: {~: 1}'},
     None),
    ('binary',
     {'mapRoles': '- rolearn: z\n  username: !!binary aGVsbG8='},
     {'mapAccounts': [], 'mapRoles': [{'groups': [], 'rolearn': 'z', 'username': 'hello'}], 'mapUsers': []}),
    ('custom_tag_map',
     {'mapRoles': '- !foo\n  rolearn: z'},
     {'mapAccounts': [], 'mapRoles': [{'groups': [], 'rolearn': 'z', 'username': ''}], 'mapUsers': []}),
    ('unknown_keys',
     {'mapRoles': '- rolearn: x\n  foo: 1\n  userarn: z\n  userid: AROA'},
     {'mapAccounts': [], 'mapRoles': [{'groups': [], 'rolearn': 'x', 'username': ''}], 'mapUsers': []}),
    ('userid_int',
     {'mapRoles': '- rolearn: x\n  userid: 5'},
     None),
    ('unknown_bad_type',
     {'mapRoles': '- rolearn: x\n  foo: .inf'},
     None),
    ('dup_keys',
     {'mapRoles': '- rolearn: x\n  rolearn: z'},
     {'mapAccounts': [], 'mapRoles': [{'groups': [], 'rolearn': 'z', 'username': ''}], 'mapUsers': []}),
    ('missing_arn',
     {'mapRoles': '- username: u'},
     {'mapAccounts': [], 'mapRoles': [{'groups': [], 'rolearn': '', 'username': 'u'}], 'mapUsers': []}),
    ('users_rolearn',
     {'mapUsers': '- rolearn: x'},
     {'mapAccounts': [], 'mapRoles': [], 'mapUsers': [{'groups': [], 'userarn': '', 'username': ''}]}),
    ('bad_yaml',
     {'mapRoles': '- rolearn: [x'},
     None),
    ('bad_yaml_tab',
     {'mapRoles': '- rolearn: x\n\tusername: y'},
     None),
    ('multidoc',
     {'mapRoles': '- rolearn: x\n---\n- rolearn: y\n'},
     {'mapAccounts': [], 'mapRoles': [{'groups': [], 'rolearn': 'x', 'username': ''}], 'mapUsers': []}),
    ('multidoc_bad2',
     {'mapRoles': '- rolearn: x\n---\n- rolearn: [y\n'},
     {'mapAccounts': [], 'mapRoles': [{'groups': [], 'rolearn': 'x', 'username': ''}], 'mapUsers': []}),
    ('docstart',
     {'mapRoles': '---\n- rolearn: x\n'},
     {'mapAccounts': [], 'mapRoles': [{'groups': [], 'rolearn': 'x', 'username': ''}], 'mapUsers': []}),
    ('anchors',
     {'mapRoles': '- &a\n  rolearn: x\n  groups: [g]\n- <<: *a\n  rolearn: z\n'},
     {'mapAccounts': [],
      'mapRoles': [{'groups': ['g'], 'rolearn': 'x', 'username': ''},
                   {'groups': ['g'], 'rolearn': 'z', 'username': ''}],
      'mapUsers': []}),
    ('acc_map',
     {'mapAccounts': 'a: b'},
     None),
    ('acc_scalar',
     {'mapAccounts': '111122223333'},
     None),
    ('acc_nested',
     {'mapAccounts': '- [1]'},
     None),
    ('acc_mapitem',
     {'mapAccounts': '- {a: 1}'},
     None),
    ('acc_weird',
     {'mapAccounts': '- yes\n- 1.50\n- 0x1F\n- ~\n- \'~\'\n- 2001-01-01\n- "q"\n-\n'},
     {'mapAccounts': ['yes', '1.50', '0x1F', '', '~', '2001-01-01', 'q', ''], 'mapRoles': [], 'mapUsers': []}),
    ('acc_flow',
     {'mapAccounts': '[111122223333, 222233334444]'},
     {'mapAccounts': ['111122223333', '222233334444'], 'mapRoles': [], 'mapUsers': []}),
    ('acc_bad_yaml',
     {'mapAccounts': '- [x'},
     None),
    ('other_keys',
     {'foo': 'bar: [', 'mapRoles': '[]'},
     {'mapAccounts': [], 'mapRoles': [], 'mapUsers': []}),
    ('int_key',
     {'mapRoles': '- rolearn: x\n  1: a\n  true: b'},
     {'mapAccounts': [], 'mapRoles': [{'groups': [], 'rolearn': 'x', 'username': ''}], 'mapUsers': []}),
    ('null_key',
     {'mapRoles': '- rolearn: x\n  ~: a'},
     None),
    ('comment_only',
     {'mapRoles': '# just a comment\n'},
     {'mapAccounts': [], 'mapRoles': [], 'mapUsers': []}),
    ('bom',
     {'mapRoles': '\ufeff- rolearn: x'},
     {'mapAccounts': [], 'mapRoles': [{'groups': [], 'rolearn': 'x', 'username': ''}], 'mapUsers': []}),
    ('tagged_str',
     {'mapRoles': '- rolearn: x\n  username: !!str 5'},
     {'mapAccounts': [], 'mapRoles': [{'groups': [], 'rolearn': 'x', 'username': '5'}], 'mapUsers': []}),
    ('tagged_int_bad',
     {'mapRoles': '- rolearn: x\n  username: !!int abc'},
     None),
    ('custom_tag',
     {'mapRoles': '- rolearn: x\n  username: !foo bar'},
     {'mapAccounts': [], 'mapRoles': [{'groups': [], 'rolearn': 'x', 'username': 'bar'}], 'mapUsers': []}),
]
# Cases the authenticator reads but that lie outside the YAML subset this
# collection reads exactly (tags, anchors and merges, a second document, a key
# that is not a string): they are refused as not understood, never misread.
NOT_UNDERSTOOD = {"binary", "custom_tag_map", "multidoc", "multidoc_bad2", "anchors", "int_key", "tagged_str",
                  "custom_tag"}


def test_parse_reads_the_three_sections_and_keeps_other_keys():
    data = {"mapRoles": "- rolearn: %s\n  username: admin\n  groups: [system:masters]\n" % ROLE,
            "mapUsers": "[]", "mapAccounts": "- '111122223333'\n", "other": "kept"}
    parsed = parse.parse_aws_auth(data)
    assert [e["rolearn"] for e in parsed.map_roles] == [ROLE]
    assert parsed.map_roles[0]["groups"] == ["system:masters"]
    assert parsed.map_users == [] and [str(a) for a in parsed.map_accounts] == ["111122223333"]
    assert parsed.other == {"other": "kept"}
    assert parsed.raw["mapRoles"][0] == data["mapRoles"]


def test_parse_of_nothing_is_empty():
    assert parse.parse_aws_auth(None) == parse.AwsAuth()


@pytest.mark.parametrize("data", [["mapRoles"], {"mapRoles": 1}])
def test_parse_refuses_data_that_is_not_a_mapping_of_strings(data):
    with pytest.raises(AwsAuthError):
        parse.parse_aws_auth(data)


def test_ordered_entry_puts_the_arn_first():
    entry = parse.ordered_entry("mapRoles", {"groups": ["g"], "username": "u", "rolearn": ROLE})
    assert list(entry)[0] == "rolearn"


@pytest.mark.parametrize("name, data, expected", AUTHENTICATOR_CASES,
                         ids=[c[0] for c in AUTHENTICATOR_CASES])
def test_parse_matches_authenticator(name, data, expected):
    if expected is None:
        with pytest.raises(aws_auth_errors.SectionError):
            parse.parse_aws_auth(data)
    elif name in NOT_UNDERSTOOD:
        with pytest.raises(aws_auth_errors.NotUnderstood) as exc:
            parse.parse_aws_auth(data)
        assert "this collection cannot safely edit section" in str(exc.value)
    else:
        assert render.to_result(parse.parse_aws_auth(data)) == expected


@pytest.mark.parametrize("data, fragment", [
    ({"mapRoles": "rolearn: x"}, "the authenticator cannot read section mapRoles (line 1: it is a mapping, not a list"),
    ({"mapUsers": "- foo"}, "the authenticator cannot read section mapUsers (line 1: entry 0 is a string, not a mapping"),
    ({"mapRoles": "- rolearn: x\n- rolearn: 5"},
     "the authenticator cannot read section mapRoles (line 2: entry 1: rolearn is a number, not a string"),
    ({"mapRoles": "- rolearn: x\n  groups: a"}, "entry 0: groups is a string, not a list of strings"),
    ({"mapRoles": "- rolearn: [x"}, "this collection cannot safely edit section mapRoles: line 2: YAML this collection "
                                    "cannot read"),
    ({"mapAccounts": "a: b"}, "the authenticator cannot read section mapAccounts (line 1: it is a mapping"),
    ({"mapAccounts": "- [1]"}, "mapAccounts (line 1: item 0 is a list, not an account ID"),
    ({"mapRoles": '{"rolearn": "x"}'}, "the authenticator cannot read section mapRoles (line 1: it starts with '{'"),
    ({"mapRoles": 5}, "must map to a string"),
])
def test_parse_error_names_key(data, fragment):
    with pytest.raises(AwsAuthError) as exc:
        parse.parse_aws_auth(data)
    assert fragment in str(exc.value)


def test_parse_none_and_bad_container():
    assert parse.parse_aws_auth(None) == AwsAuth()
    with pytest.raises(AwsAuthError):
        parse.parse_aws_auth(["mapRoles"])


def test_parse_keeps_extras_and_other_keys():
    data = {"mapRoles": "- rolearn: %s\n  userid: AROAX\n  note: keep me\n" % ADMIN,
            "custom": "whatever: [1", "mapUsers": ""}
    parsed = parse.parse_aws_auth(data)
    assert parsed.map_roles == [{"rolearn": ADMIN, "userid": "AROAX", "note": "keep me"}]
    assert parsed.other == {"custom": "whatever: [1"}
    assert render.render_aws_auth(parsed) == data


def test_parse_canonicalizes_case_variant_keys():
    parsed = parse.parse_aws_auth({"mapRoles": "- RoleArn: %s\n  UserName: u\n" % ADMIN})
    assert parsed.map_roles == [{"rolearn": ADMIN, "username": "u"}]


def test_parse_sections_keeps_what_parses_and_names_what_does_not():
    data = {"mapRoles": "- rolearn: %s\n  groups: [a\n" % ADMIN,
            "mapUsers": "- userarn: %s\n  username: alice\n" % ALICE,
            "mapAccounts": "- '%s'\n" % ACCT, "other": "kept"}
    parsed, broken = parse.parse_sections(data)
    assert list(broken) == ["mapRoles"] and "cannot safely edit section mapRoles: line 3" in broken["mapRoles"]
    assert parsed.map_roles == [] and parsed.map_users == [{"userarn": ALICE, "username": "alice"}]
    assert parsed.map_accounts == [ACCT] and parsed.other == {"other": "kept"}
    # the broken section is planned as missing: what the task lists replaces it
    result = aws_auth_plan.plan(parsed, roles=[{"rolearn": NODE, "groups": list(aws_auth_plan.NODE_GROUPS)}])
    data_after = render.render_aws_auth(result.after)
    assert data_after["mapUsers"] == data["mapUsers"] and data_after["other"] == "kept"
    assert parse.parse_aws_auth(data_after).map_roles[0]["rolearn"] == NODE


def test_parse_sections_of_good_and_missing_data():
    assert parse.parse_sections(None) == (AwsAuth(), {})
    parsed, broken = parse.parse_sections({"mapRoles": "- rolearn: %s\n" % ADMIN})
    assert broken == {} and parsed.map_roles == [{"rolearn": ADMIN}]
    assert parse.parse_sections({"mapAccounts": "{a: 1}"})[1].keys() == {"mapAccounts"}
