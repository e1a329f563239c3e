# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils import sso
from ansible_collections.eks.access.plugins.module_utils.sso import SsoRoleError

ACCOUNT = "111222333444"
GLOBAL_PATH = "/aws-reserved/sso.amazonaws.com/"
REGIONAL_PATH = "/aws-reserved/sso.amazonaws.com/eu-west-1/"


def role(name, path=GLOBAL_PATH, partition="aws"):
    return {"RoleName": name, "Path": path, "Arn": "arn:%s:iam::%s:role%s%s" % (partition, ACCOUNT, path, name)}


ADMIN = role("AWSReservedSSO_Admin_0123456789abcdef")
ADMIN_RO = role("AWSReservedSSO_AdminReadOnly_fedcba9876543210")
ADMIN_EXTRA = role("AWSReservedSSO_Admin_Extra_00112233aabbccdd")
EKS_ADMIN = role("AWSReservedSSO_EKSClusterAdminAccess_4ffa4321e413c0b0")
EKS_ADMIN_REGIONAL = role("AWSReservedSSO_EKSClusterAdminAccess_6a316cc66d154241", REGIONAL_PATH)
NOT_SSO_PATH = role("AWSReservedSSO_Admin_1111111111111111", "/")
OTHER_PATH = role("AWSReservedSSO_Admin_2222222222222222", "/aws-reserved/sso.amazonaws.com.evil/")
PLAIN = role("Admin", "/")
ROLES = [PLAIN, ADMIN_RO, ADMIN_EXTRA, ADMIN, EKS_ADMIN, NOT_SSO_PATH, OTHER_PATH]


def test_path_prefix_constant():
    assert sso.SSO_PATH_PREFIX == "/aws-reserved/sso.amazonaws.com/"


@pytest.mark.parametrize(
    "permission_set, name, matches",
    [
        ("Admin", "AWSReservedSSO_Admin_0123456789abcdef", True),
        ("Admin", "AWSReservedSSO_AdminReadOnly_0123456789abcdef", False),
        ("Admin", "AWSReservedSSO_Admin_Extra_0123456789abcdef", False),
        ("Admin", "AWSReservedSSO_Admin_0123456789ABCDEF", False),
        ("Admin", "AWSReservedSSO_Admin_", False),
        ("Admin", "AWSReservedSSO_admin_0123456789abcdef", False),
        ("Admin", "xAWSReservedSSO_Admin_0123456789abcdef", False),
        ("Admin", "AWSReservedSSO_Admin_0123456789abcdef_x", False),
        ("Admin_Extra", "AWSReservedSSO_Admin_Extra_00112233aabbccdd", True),
        ("Admin.Ops", "AWSReservedSSO_Admin.Ops_00112233aabbccdd", True),
        ("Admin.Ops", "AWSReservedSSO_AdminxOps_00112233aabbccdd", False),  # '.' is literal
        ("a+b=c,d@e-f", "AWSReservedSSO_a+b=c,d@e-f_abc", True),
    ],
)
def test_sso_role_name_pattern(permission_set, name, matches):
    assert bool(sso.sso_role_name_pattern(permission_set).match(name)) is matches


@pytest.mark.parametrize("bad", ["", "a" * 33, "has space", "slash/x", None, "*"])
def test_sso_role_name_pattern_rejects_bad_names(bad):
    with pytest.raises(SsoRoleError):
        sso.sso_role_name_pattern(bad)


@pytest.mark.parametrize(
    "permission_set, expected",
    [
        ("Admin", [ADMIN]),
        ("AdminReadOnly", [ADMIN_RO]),
        ("Admin_Extra", [ADMIN_EXTRA]),
        ("EKSClusterAdminAccess", [EKS_ADMIN]),
        ("Missing", []),
    ],
)
def test_match_permission_set_roles(permission_set, expected):
    assert sso.match_permission_set_roles(ROLES, permission_set) == expected


def test_match_accepts_regional_path_and_snake_case():
    snake = {"role_name": EKS_ADMIN_REGIONAL["RoleName"], "path": REGIONAL_PATH, "arn": EKS_ADMIN_REGIONAL["Arn"]}
    assert sso.match_permission_set_roles([EKS_ADMIN_REGIONAL, snake], "EKSClusterAdminAccess") == [EKS_ADMIN_REGIONAL, snake]


@pytest.mark.parametrize(
    "path, ok, region",
    [
        (GLOBAL_PATH, True, None),
        (REGIONAL_PATH, True, "eu-west-1"),
        ("/aws-reserved/sso.amazonaws.com/us-gov-west-1/", True, "us-gov-west-1"),
        ("/", False, None),
        ("/aws-reserved/sso.amazonaws.com", False, None),
        ("/aws-reserved/sso.amazonaws.com/eu-west-1/extra/", False, None),
        ("/x/aws-reserved/sso.amazonaws.com/", False, None),
        (None, False, None),
    ],
)
def test_sso_path(path, ok, region):
    assert sso.is_sso_path(path) is ok
    assert sso.sso_path_region(path) == region


def test_select_sso_role_single():
    assert sso.select_sso_role(ROLES, "Admin") is ADMIN


def test_select_sso_role_not_found_lists_existing():
    with pytest.raises(SsoRoleError) as err:
        sso.select_sso_role(ROLES, "Missing")
    message = str(err.value)
    for r in (ADMIN, ADMIN_RO, ADMIN_EXTRA, EKS_ADMIN):
        assert r["RoleName"] in message
    # roles outside the SSO path are not SSO roles
    assert NOT_SSO_PATH["RoleName"] not in message
    assert err.value.existing == sorted(r["RoleName"] for r in (ADMIN, ADMIN_RO, ADMIN_EXTRA, EKS_ADMIN))
    assert err.value.matches == []


def test_select_sso_role_not_found_none_exist():
    with pytest.raises(SsoRoleError, match="Existing SSO roles: none"):
        sso.select_sso_role([PLAIN], "Admin")
    with pytest.raises(SsoRoleError):
        sso.select_sso_role(None, "Admin")


def test_select_sso_role_ambiguous_lists_matches():
    second = role("AWSReservedSSO_Admin_aaaaaaaaaaaaaaaa", REGIONAL_PATH)
    with pytest.raises(SsoRoleError, match="2 IAM Identity Center roles") as err:
        sso.select_sso_role(ROLES + [second], "Admin")
    assert err.value.matches == [ADMIN["RoleName"], second["RoleName"]]
    assert ADMIN_RO["RoleName"] not in str(err.value)


@pytest.mark.parametrize(
    "r, expected",
    [
        (
            EKS_ADMIN,
            {
                "arn": "arn:aws:iam::111222333444:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_EKSClusterAdminAccess_4ffa4321e413c0b0",
                "aws_auth_arn": "arn:aws:iam::111222333444:role/AWSReservedSSO_EKSClusterAdminAccess_4ffa4321e413c0b0",
                "region": None,
            },
        ),
        (
            EKS_ADMIN_REGIONAL,
            {
                "arn": "arn:aws:iam::111222333444:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_EKSClusterAdminAccess_6a316cc66d154241",
                "aws_auth_arn": "arn:aws:iam::111222333444:role/AWSReservedSSO_EKSClusterAdminAccess_6a316cc66d154241",
                "region": "eu-west-1",
            },
        ),
        (
            role("AWSReservedSSO_X_0123456789abcdef", partition="aws-cn"),
            {
                "arn": "arn:aws-cn:iam::111222333444:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_X_0123456789abcdef",
                "aws_auth_arn": "arn:aws-cn:iam::111222333444:role/AWSReservedSSO_X_0123456789abcdef",
                "region": None,
            },
        ),
        (
            # only the ARN known: path and name derived from it
            {"Arn": EKS_ADMIN_REGIONAL["Arn"]},
            {
                "arn": EKS_ADMIN_REGIONAL["Arn"],
                "aws_auth_arn": "arn:aws:iam::111222333444:role/AWSReservedSSO_EKSClusterAdminAccess_6a316cc66d154241",
                "region": "eu-west-1",
            },
        ),
    ],
)
def test_sso_role_arns(r, expected):
    assert sso.sso_role_arns(r) == expected


@pytest.mark.parametrize("r", [{"Arn": "arn:aws:iam::111222333444:user/bob"}, {"Arn": None}, {}, {"Arn": "nope"}])
def test_sso_role_arns_rejects(r):
    with pytest.raises(SsoRoleError):
        sso.sso_role_arns(r)


@pytest.mark.parametrize(
    "response",
    [
        {"PermissionSet": {"Name": "EKSClusterAdminAccess", "PermissionSetArn": "arn:aws:sso:::permissionSet/ssoins-1/ps-1"}},
        {"Name": "EKSClusterAdminAccess"},
        {"permission_set": {"name": "EKSClusterAdminAccess"}},
    ],
)
def test_permission_set_name_from_describe(response):
    assert sso.permission_set_name_from_describe(response) == "EKSClusterAdminAccess"


@pytest.mark.parametrize("response", [{}, {"PermissionSet": {}}, None, {"PermissionSet": {"Name": ""}}])
def test_permission_set_name_from_describe_rejects(response):
    with pytest.raises(SsoRoleError):
        sso.permission_set_name_from_describe(response)
