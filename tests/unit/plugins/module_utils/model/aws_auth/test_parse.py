# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""model/aws_auth/parse.py on its own: ConfigMap data into AwsAuth, or a refusal."""

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import parse
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth.errors import AwsAuthError

ROLE = "arn:aws:iam::111122223333:role/admin"


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
