# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""model/aws_auth/go_yaml.py on its own: scalars as yaml.v2 resolves them, sections as the authenticator reads them."""

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import go_yaml
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth.errors import NotUnderstood


@pytest.mark.parametrize("text, value", [
    ("true", True), ("False", False), ("null", None), ("~", None), ("12", 12), ("-0x1F", -31), ("0o17", 15),
    ("1_000", 1000), ("1.5", 1.5), (".inf", float("inf")), (".nan2", ".nan2"), ("9223372036854775808", 9223372036854775808),
    ("arn:aws:iam::111122223333:role/x", "arn:aws:iam::111122223333:role/x"), ("2024-01-01", "2024-01-01"),
])
def test_go_resolve_gives_the_go_value_of_a_plain_scalar(text, value):
    assert go_yaml.go_resolve(text) == value


def test_skippable_and_json_sections():
    assert go_yaml.go_is_skippable("  ") and go_yaml.go_is_skippable('""') and go_yaml.go_is_skippable("``")
    assert not go_yaml.go_is_skippable("[]")
    assert go_yaml.go_is_json('  {"a": 1}') and not go_yaml.go_is_json("- a")


def test_go_literal_keeps_text_and_turns_nulls_into_none():
    assert go_yaml.go_literal("0123") == "0123"
    assert go_yaml.go_literal("~") is None and go_yaml.go_literal("null") is None


def test_read_section_reads_a_list_of_maps_in_order():
    section = go_yaml.read_section("mapRoles", "- rolearn: arn:aws:iam::111122223333:role/a\n"
                                               "  username: a\n  groups:\n  - system:masters\n")
    assert isinstance(section, go_yaml.GoList) and len(section) == 1
    entry = section[0]
    assert isinstance(entry, go_yaml.GoMap)
    assert [key for key, _value in entry] == ["rolearn", "username", "groups"]
    assert list(dict(entry)["groups"]) == ["system:masters"]


def test_read_section_literal_keeps_account_ids_as_text():
    assert list(go_yaml.read_section("mapAccounts", "- 012345678901\n", literal=True)) == ["012345678901"]


def test_read_section_refuses_what_is_outside_the_subset():
    with pytest.raises(NotUnderstood):
        go_yaml.read_section("mapRoles", "- &anchor {rolearn: x}\n- *anchor\n")
