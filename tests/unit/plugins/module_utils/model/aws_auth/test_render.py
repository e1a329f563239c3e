# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""model/aws_auth/render.py on its own: what it writes reads back the same; untouched sections keep their text."""

from __future__ import annotations

from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import parse
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import render

ROLE = "arn:aws:iam::111122223333:role/admin"
USER = "arn:aws:iam::111122223333:user/ci"
ROLES_TEXT = "# kept\n- rolearn: %s\n  username: admin\n  groups: [system:masters]\n" % ROLE


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
