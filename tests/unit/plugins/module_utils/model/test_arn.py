# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils.model import arn as arnmod
from ansible_collections.eks.access.plugins.module_utils.model.arn import ArnError

ACCT = "111122223333"
SSO = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef"
SSO_REGIONAL = ("arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/"
                "AWSReservedSSO_Admin_0123456789abcdef")


@pytest.mark.parametrize("arn, expected", [
    ("arn:aws:iam::111122223333:role/my-role", ("aws", "iam", ACCT, "role", "/", "my-role")),
    ("arn:aws-cn:iam::111122223333:role/a/b/r", ("aws-cn", "iam", ACCT, "role", "/a/b/", "r")),
    ("arn:aws-us-gov:iam::111122223333:user/u@x.com", ("aws-us-gov", "iam", ACCT, "user", "/", "u@x.com")),
    ("arn:aws:iam::111122223333:group/devs", ("aws", "iam", ACCT, "group", "/", "devs")),
    ("arn:aws:iam::111122223333:root", ("aws", "iam", ACCT, "root", "/", "")),
    ("arn:aws:sts::111122223333:assumed-role/Role/session", ("aws", "sts", ACCT, "assumed-role", "/", "Role")),
    ("arn:aws:sts::111122223333:federated-user/bob", ("aws", "sts", ACCT, "federated-user", "/", "bob")),
    ("arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC",
     ("aws", "iam", ACCT, "oidc-provider", "/", "oidc.eks.eu-west-1.amazonaws.com/id/ABC")),
    (SSO, ("aws", "iam", ACCT, "role", "/aws-reserved/sso.amazonaws.com/", "AWSReservedSSO_Admin_0123456789abcdef")),
])
def test_parse_iam_arn(arn, expected):
    p = arnmod.parse_iam_arn(arn)
    assert (p.partition, p.service, p.account_id, p.resource_type, p.path, p.name) == expected
    assert p.to_dict()["name"] == expected[5]


def test_parse_assumed_role_session():
    assert arnmod.parse_iam_arn("arn:aws:sts::111122223333:assumed-role/R/s@x").session_name == "s@x"


@pytest.mark.parametrize("arn, fragment", [
    ("", "non-empty"),
    (None, "non-empty"),
    ("not-an-arn", "not an ARN"),
    ("arn:aws:iam:111122223333:role/r", "not an ARN"),
    ("arn:aws-mars:iam::111122223333:role/r", "partition"),
    ("arn:azure:iam::111122223333:role/r", "partition"),
    ("arn:aws:iam::11112222333:role/r", "account"),
    ("arn:aws:iam::1111222233334:role/r", "account"),
    ("arn:aws:iam::abcdabcdabcd:role/r", "account"),
    ("arn:aws:s3::111122223333:bucket/x", "service"),
    ("arn:aws:iam:eu-west-1:111122223333:role/r", "region"),
    ("arn:aws:iam::111122223333:role", "resource name"),
    ("arn:aws:iam::111122223333:role/", "name"),
    ("arn:aws:iam::111122223333:role/bad name", "name"),
    ("arn:aws:iam::111122223333:role//r", "path"),
    ("arn:aws:iam::111122223333:widget/x", "unsupported"),
    ("arn:aws:sts::111122223333:assumed-role/RoleOnly", "assumed-role"),
    ("arn:aws:sts::111122223333:session/x", "unsupported"),
    ("arn:aws:iam::111122223333:role/r\n", "name"),
    ("arn:aws:iam::111122223333\n:role/r", "account"),
    ("arn:aws:iam::111122223333:role/r\u00f4le", "name"),
    ("arn:aws:iam::111122223333:role/\u00e9quipe/r", "path"),
    ("arn:aws:iam::\u0661\u0661\u0661\u0661\u0662\u0662\u0662\u0662\u0663\u0663\u0663\u0663:role/r", "account"),
    ("arn:aws:iam::111122223333:role/%s/r" % "/".join(["p" * 60] * 9), "at most 512"),
])
def test_parse_iam_arn_rejects(arn, fragment):
    with pytest.raises(ArnError) as exc:
        arnmod.parse_iam_arn(arn)
    assert fragment in str(exc.value)


@pytest.mark.parametrize("arn, expected", [
    ("arn:aws:iam::111122223333:role/my-role", ("arn:aws:iam::111122223333:role/my-role", False)),
    ("arn:aws:iam::111122223333:role/my-team/developers/my-role",
     ("arn:aws:iam::111122223333:role/my-role", True)),
    (SSO, ("arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123456789abcdef", True)),
    (SSO_REGIONAL, ("arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123456789abcdef", True)),
    ("arn:aws:iam::111122223333:user/path/u", ("arn:aws:iam::111122223333:user/path/u", False)),
])
def test_strip_role_path(arn, expected):
    assert arnmod.strip_role_path(arn) == expected


@pytest.mark.parametrize("value, expected", [
    (SSO, True), (SSO_REGIONAL, True), ("AWSReservedSSO_Admin_x", True),
    ("arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_x", True),
    ("arn:aws:iam::111122223333:role/other/AWSReservedSSO_Admin_x", False),
    ("arn:aws:iam::111122223333:role/Admin", False), ("Admin", False), (None, False), ("arn:bad", False),
])
def test_is_sso_reserved_role(value, expected):
    assert arnmod.is_sso_reserved_role(value) is expected


def test_role_arn_builder():
    assert arnmod.role_arn("aws", ACCT, "r") == "arn:aws:iam::111122223333:role/r"
    assert arnmod.role_arn("aws-cn", 111122223333, "r", "/a/") == "arn:aws-cn:iam::111122223333:role/a/r"
    for args in (("aws-x", ACCT, "r"), ("aws", "1", "r"), ("aws", ACCT, "r", "a/"), ("aws", ACCT, "bad name")):
        with pytest.raises(ArnError):
            arnmod.role_arn(*args)


@pytest.mark.parametrize("value, ok", [
    ("111122223333", True), (111122223333, True), ("011122223333", True),
    (11122223333, False), ("1111-2222-3333", False), (True, False), (None, False), ("", False),
    ("111122223333\n", False), ("\uff11\uff11\uff11\uff11\uff12\uff12\uff12\uff12\uff13\uff13\uff13\uff13", False),
])
def test_validate_account_id(value, ok):
    if ok:
        assert arnmod.validate_account_id(value) == str(value)
    else:
        with pytest.raises(ArnError):
            arnmod.validate_account_id(value)


@pytest.mark.parametrize("kind, arn, fragment", [
    ("mapRoles", "arn:aws:iam::111122223333:group/devs", "IAM groups cannot be mapped"),
    ("mapUsers", "arn:aws:iam::111122223333:group/devs", "map a role the group's users assume, or each user"),
    ("mapRoles", "arn:aws:sts::111122223333:assumed-role/Role/session", "arn:aws:iam::111122223333:role/Role"),
    ("mapUsers", "arn:aws:sts::111122223333:assumed-role/Role/session", "use the role ARN"),
    ("mapRoles", "arn:aws:iam::111122223333:user/u", "mapUsers"),
    ("mapRoles", "arn:aws:iam::111122223333:root", "mapUsers"),
    ("mapUsers", "arn:aws:iam::111122223333:role/r", "mapRoles"),
    ("mapRoles", "arn:aws:iam::111122223333:oidc-provider/x", "cannot authenticate"),
    ("mapFoo", "arn:aws:iam::111122223333:role/r", "unknown aws-auth section"),
])
def test_classify_rejects(kind, arn, fragment):
    with pytest.raises(ArnError) as exc:
        arnmod.classify_for_aws_auth(kind, arn)
    assert fragment in str(exc.value)


@pytest.mark.parametrize("kind, arn", [
    ("mapRoles", "arn:aws:iam::111122223333:role/r"),
    ("mapRoles", SSO),
    ("mapUsers", "arn:aws:iam::111122223333:user/u"),
    ("mapUsers", "arn:aws:iam::111122223333:user/path/u"),
    ("mapUsers", "arn:aws:iam::111122223333:root"),
    ("mapUsers", "arn:aws:sts::111122223333:federated-user/bob"),
])
def test_classify_accepts(kind, arn):
    assert arnmod.classify_for_aws_auth(kind, arn).account_id == ACCT


def test_assumed_role_to_role_arn():
    assert arnmod.assumed_role_to_role_arn(
        "arn:aws-cn:sts::111122223333:assumed-role/R/s") == "arn:aws-cn:iam::111122223333:role/R"
    with pytest.raises(ArnError):
        arnmod.assumed_role_to_role_arn("arn:aws:iam::111122223333:role/R")
