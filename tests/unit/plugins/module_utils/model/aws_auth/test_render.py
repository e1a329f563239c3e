# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""model/aws_auth/render.py: what it writes reads back the same; untouched sections keep their text."""

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import parse
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import plan as aws_auth_plan
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import render
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth.errors import AwsAuthError
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth.parse import AwsAuth

from .test_plan import ACCT, ADMIN, ALICE, NODE

ROLE = "arn:aws:iam::111122223333:role/admin"
USER = "arn:aws:iam::111122223333:user/ci"
ROLES_TEXT = "# kept\n- rolearn: %s\n  username: admin\n  groups: [system:masters]\n" % ROLE

ROUND_TRIP = [
    AwsAuth(),
    AwsAuth(map_roles=[aws_auth_plan.stock_node_mapping(NODE)]),
    AwsAuth(map_roles=[{"rolearn": ADMIN, "username": "y", "groups": ["no", "1_000", "0o17", "2001-01-01", ""],
                        "extra": {"k": [1, True, None, "yes"]}}, {}],
            map_users=[{"userarn": ALICE, "username": "alice", "groups": ["system:masters"], "userid": "AIDA"}],
            map_accounts=[ACCT, "1e3", "", "~"],
            other={"x": "y"}),
]


def test_an_untouched_section_keeps_its_text_and_a_changed_one_reads_back_the_same():
    aws_auth = parse.parse_aws_auth({"mapRoles": ROLES_TEXT})
    aws_auth.map_users.append({"userarn": USER, "username": "ci", "groups": ["ci"]})
    data = render.render_aws_auth(aws_auth)
    assert data["mapRoles"] == ROLES_TEXT
    assert "mapAccounts" not in data
    again = parse.parse_aws_auth(data)
    assert render.to_result(again) == render.to_result(aws_auth)
    render.validate_rendered(data)


def test_to_result_fills_the_authenticators_defaults():
    aws_auth = parse.parse_aws_auth({"mapRoles": "- rolearn: %s\n" % ROLE})
    assert render.to_result(aws_auth) == {"mapRoles": [{"rolearn": ROLE, "username": "", "groups": []}],
                                          "mapUsers": [], "mapAccounts": []}


def test_diff_text_shows_the_managed_sections():
    text = render.diff_text(parse.parse_aws_auth({"mapRoles": ROLES_TEXT}))
    assert ROLE in text and "mapUsers: []" in text


@pytest.mark.parametrize("value", ROUND_TRIP)
def test_round_trip(value):
    data = render.render_aws_auth(value)
    render.validate_rendered(data)
    assert parse.parse_aws_auth(data) == value


def test_render_style_and_key_order():
    value = AwsAuth(map_roles=[{"groups": ["system:nodes"], "x": 1, "username": "u", "rolearn": NODE}],
                    map_accounts=[ACCT])
    data = render.render_aws_auth(value)
    assert data["mapRoles"] == ("- rolearn: %s\n  username: u\n  groups:\n  - system:nodes\n  x: 1\n" % NODE)
    assert data["mapAccounts"] == "- '111122223333'\n"
    assert "mapUsers" not in data


def test_render_keeps_existing_empty_key_and_untouched_text():
    original = {"mapRoles": "# managed by hand\n- rolearn: %s\n" % ADMIN, "mapUsers": "- userarn: %s\n" % ALICE}
    parsed = parse.parse_aws_auth(original)
    parsed.map_users = []
    data = render.render_aws_auth(parsed)
    assert data["mapRoles"] == original["mapRoles"]
    assert data["mapUsers"] == "[]\n"
    assert "mapAccounts" not in data


def test_validate_rendered_rejects():
    for data in ({"mapRoles": "- 5"}, {"mapRoles": 1}, "nope"):
        with pytest.raises(AwsAuthError):
            render.validate_rendered(data)


def test_validate_rendered_refuses_more_than_a_configmap_holds():
    entry = "- rolearn: %s\n  username: %s\n" % (ADMIN, "u" * 100)
    fits = entry * (render.MAX_CONFIGMAP_BYTES // len(entry))
    assert len(render.validate_rendered({"mapRoles": fits}).map_roles) == render.MAX_CONFIGMAP_BYTES // len(entry)
    with pytest.raises(AwsAuthError) as exc:
        render.validate_rendered({"mapRoles": fits, "mapUsers": "x" * len(entry)})
    assert "at most 1 MiB (1048576 bytes)" in str(exc.value)


def test_to_result_and_diff_text():
    value = AwsAuth(map_roles=[{"rolearn": ADMIN}], map_users=[{"userarn": ALICE, "username": "a", "groups": ["g"],
                                                                "userid": "x"}], map_accounts=[ACCT])
    assert render.to_result(value) == {
        "mapRoles": [{"rolearn": ADMIN, "username": "", "groups": []}],
        "mapUsers": [{"userarn": ALICE, "username": "a", "groups": ["g"]}],
        "mapAccounts": [ACCT],
    }
    text = render.diff_text(value)
    assert text.startswith("mapRoles:\n- rolearn: %s\n" % ADMIN)
    assert "mapAccounts:\n- '111122223333'\n" in text
