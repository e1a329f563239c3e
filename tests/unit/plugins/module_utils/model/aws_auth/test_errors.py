# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""model/aws_auth/errors.py: where each aws-auth error sits under the collection's root, and its sentence."""

from __future__ import annotations

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import errors as aws_auth_errors


def test_kinds_sit_under_the_collection_root():
    assert issubclass(aws_auth_errors.AwsAuthError, errors.InvalidInput)
    assert issubclass(aws_auth_errors.AwsAuthError, ValueError)
    assert issubclass(aws_auth_errors.LockoutError, errors.Refused)
    assert issubclass(aws_auth_errors.LockoutError, aws_auth_errors.AwsAuthError)
    assert issubclass(aws_auth_errors.NotUnderstood, aws_auth_errors.SectionError)
    assert issubclass(aws_auth_errors.AuthenticatorCannotRead, aws_auth_errors.SectionError)


def test_the_authenticator_cannot_read_names_section_line_and_problem():
    error = aws_auth_errors.AuthenticatorCannotRead("mapRoles", 3, "mapping values are not allowed")
    assert str(error) == "the authenticator cannot read section mapRoles (line 3: mapping values are not allowed)"
    assert (error.section, error.line, error.problem) == ("mapRoles", 3, "mapping values are not allowed")
    assert error.details == {"section": "mapRoles", "line": 3}
    assert str(aws_auth_errors.AuthenticatorCannotRead("mapUsers", None, "bad")) == \
        "the authenticator cannot read section mapUsers (bad)"


def test_not_understood_says_how_to_repair():
    error = aws_auth_errors.NotUnderstood("mapAccounts", 2, "a !!binary tag", "remove the tag")
    assert str(error) == (
        "this collection cannot safely edit section mapAccounts: line 2: a !!binary tag is outside the YAML it reads "
        "exactly as the authenticator does; remove the tag (or re-run with repair: true listing every entry "
        "mapAccounts should hold)")
    assert (error.construct, error.repair, error.details["section"]) == ("a !!binary tag", "remove the tag",
                                                                         "mapAccounts")
