# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json

import pytest

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model import sso
from ansible_collections.eks.access.plugins.module_utils.model.sso import SsoRoleError

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


# ------------------------------------------------------------------ permission sets (sso-admin)

INSTANCE = "arn:aws:sso:::instance/ssoins-1234567890abcdef"
PS_ARN = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-0123456789abcdef"


@pytest.mark.parametrize(
    "ps_arn, expected",
    [
        (PS_ARN, {"partition": "aws", "instance_arn": INSTANCE, "permission_set_id": "ps-0123456789abcdef"}),
        # moto spells permission set ARNs instance/ssoins-.../ps-...
        ("arn:aws:sso:::instance/ssoins-1234567890abcdef/ps-abc",
         {"partition": "aws", "instance_arn": INSTANCE, "permission_set_id": "ps-abc"}),
        ("arn:aws-us-gov:sso:::permissionSet/ssoins-1/ps-2",
         {"partition": "aws-us-gov", "instance_arn": "arn:aws-us-gov:sso:::instance/ssoins-1", "permission_set_id": "ps-2"}),
    ],
)
def test_parse_permission_set_arn(ps_arn, expected):
    assert sso.parse_permission_set_arn(ps_arn) == expected


@pytest.mark.parametrize("bad", [None, "", INSTANCE, "arn:aws:sso:::permissionSet/ps-1", "EKSClusterAdminAccess",
                                 "arn:aws:iam::111222333444:role/x", PS_ARN + "/extra"])
def test_parse_permission_set_arn_rejects(bad):
    with pytest.raises(SsoRoleError, match="not a permission set ARN"):
        sso.parse_permission_set_arn(bad)


def test_instance_for():
    assert sso.instance_for() is None
    assert sso.instance_for(instance_arn=INSTANCE) == INSTANCE
    assert sso.instance_for(PS_ARN) == INSTANCE
    assert sso.instance_for(PS_ARN, INSTANCE) == INSTANCE
    with pytest.raises(SsoRoleError, match="belongs to instance"):
        sso.instance_for(PS_ARN, "arn:aws:sso:::instance/ssoins-ffffffffffffffff")
    with pytest.raises(SsoRoleError, match="not an IAM Identity Center instance ARN"):
        sso.instance_for(instance_arn=PS_ARN)


def test_find_permission_set():
    described = [
        {"PermissionSet": {"Name": "EKSClusterAdminAccessReadOnly", "PermissionSetArn": PS_ARN + "1"}},
        {"PermissionSet": {"Name": "EKSClusterAdminAccess", "PermissionSetArn": PS_ARN}},
    ]
    assert sso.find_permission_set(described, "EKSClusterAdminAccess") == {
        "Name": "EKSClusterAdminAccess", "PermissionSetArn": PS_ARN}
    with pytest.raises(SsoRoleError, match="no permission set named 'EKSCluster'; it has: "
                                           "EKSClusterAdminAccess, EKSClusterAdminAccessReadOnly"):
        sso.find_permission_set(described, "EKSCluster")
    with pytest.raises(SsoRoleError, match="it has: none"):
        sso.find_permission_set([], "EKSCluster")


# ------------------------------------------------------------------ every role of a permission set

HASH_OLD = "AWSReservedSSO_EKSClusterAdminAccess_00000000000000aa"


@pytest.mark.parametrize(
    "role_arn, expected",
    [
        (EKS_ADMIN["Arn"], True),  # with the global path (IAM, trust policies)
        (EKS_ADMIN_REGIONAL["Arn"], True),  # with a regional path
        ("arn:aws:iam::%s:role/%s" % (ACCOUNT, EKS_ADMIN["RoleName"]), True),  # without path (aws-auth)
        ("arn:aws:iam::%s:role/%s" % (ACCOUNT, HASH_OLD), True),  # another hash
        ("arn:aws:iam::999988887777:role/%s" % EKS_ADMIN["RoleName"], False),  # another account
        ("arn:aws:iam::%s:role/AWSReservedSSO_EKSClusterAdminAccessReadOnly_0123456789abcdef" % ACCOUNT, False),
        ("arn:aws:iam::%s:role/other/%s" % (ACCOUNT, EKS_ADMIN["RoleName"]), False),  # not Identity Center's path
        ("arn:aws:iam::%s:user/%s" % (ACCOUNT, EKS_ADMIN["RoleName"]), False),
        ("arn:aws:sts::%s:assumed-role/%s/alice" % (ACCOUNT, EKS_ADMIN["RoleName"]), False),
        ("AROAEXAMPLEUNIQUEID", False),  # what IAM shows for a deleted principal
        ("*", False),
    ],
)
def test_is_permission_set_role_arn(role_arn, expected):
    assert sso.is_permission_set_role_arn(role_arn, "EKSClusterAdminAccess", ACCOUNT) is expected


def test_permission_set_mappings_and_stale():
    current = "arn:aws:iam::%s:role/%s" % (ACCOUNT, EKS_ADMIN["RoleName"])
    old = "arn:aws:iam::%s:role/%s" % (ACCOUNT, HASH_OLD)
    map_roles = [
        {"rolearn": "arn:aws:iam::%s:role/node" % ACCOUNT, "groups": ["system:nodes"]},
        {"rolearn": old, "groups": ["system:masters"]},
        {"rolearn": "arn:aws:iam::%s:role/AWSReservedSSO_EKSClusterAdminAccessReadOnly_0123456789abcdef" % ACCOUNT},
        {"rolearn": current, "groups": ["admins"]},
        {"rolearn": current, "groups": ["admins"]},  # duplicate listed once
        {"groups": ["no-arn"]},
        "not a dict",
    ]
    assert sso.permission_set_mappings(map_roles, "EKSClusterAdminAccess", ACCOUNT) == [old, current]
    assert sso.stale_mappings(map_roles, "EKSClusterAdminAccess", ACCOUNT, EKS_ADMIN["RoleName"]) == [old]
    assert sso.permission_set_mappings(map_roles, "EKSClusterAdminAccess", "999988887777") == []
    assert sso.permission_set_mappings(None, "EKSClusterAdminAccess", ACCOUNT) == []


def test_default_username():
    assert sso.default_username("EKSClusterAdminAccess") == "sso:EKSClusterAdminAccess"
    with pytest.raises(SsoRoleError):
        sso.default_username("bad name")


@pytest.mark.parametrize(
    "username, warns",
    [
        ("{{SessionName}}", True),
        ("{{SessionName}}{{AccountID}}", True),
        ("sso-admin:{{SessionName}}", False),
        ("cluster-admin", False),
        (None, False),
        ("", False),
    ],
)
def test_username_warnings(username, warns):
    assert bool(sso.username_warnings(username)) is warns


def test_creator_ownership_tags():
    assert sso.creator_ownership_tags("EKSClusterAdminAccess") == {
        "eks.access/managed-by": "eks.access", "eks.access/sso-permission-set": "EKSClusterAdminAccess"}


# ------------------------------------------------------------------ cluster-creator trust policy

BLOG_ASSUME_ROLE = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Principal": {"AWS": EKS_ADMIN["Arn"]},
        "Action": "sts:AssumeRole",
        "Condition": {},
    }],
}
OLD_ARN = "arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/%s" % (ACCOUNT, HASH_OLD)
CI_ROLE = "arn:aws:iam::%s:role/ci" % ACCOUNT


def _assume(principal):
    return {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}


def test_plan_creator_trust_new_role():
    policy, changed, removed = sso.plan_creator_trust(None, EKS_ADMIN["Arn"], "EKSClusterAdminAccess", ACCOUNT)
    assert changed and removed == []
    assert policy == {"Version": "2012-10-17", "Statement": [_assume(EKS_ADMIN["Arn"])]}


def test_plan_creator_trust_blog_policy_is_already_right():
    policy, changed, removed = sso.plan_creator_trust(
        json.dumps(BLOG_ASSUME_ROLE), EKS_ADMIN["Arn"], "EKSClusterAdminAccess", ACCOUNT)
    assert not changed and removed == []
    assert policy == BLOG_ASSUME_ROLE


def test_plan_creator_trust_replaces_earlier_hash_and_keeps_others():
    other_account = "arn:aws:iam::999988887777:role/aws-reserved/sso.amazonaws.com/" + HASH_OLD
    current = {"Version": "2012-10-17", "Statement": [
        _assume(CI_ROLE),
        _assume([OLD_ARN, other_account]),
        _assume(OLD_ARN),
        {"Effect": "Deny", "Principal": {"AWS": OLD_ARN}, "Action": "sts:AssumeRole"},
    ]}
    policy, changed, removed = sso.plan_creator_trust(current, EKS_ADMIN["Arn"], "EKSClusterAdminAccess", ACCOUNT)
    assert changed and removed == [OLD_ARN]
    assert policy["Statement"] == [
        _assume(CI_ROLE),
        _assume([other_account]),
        {"Effect": "Deny", "Principal": {"AWS": OLD_ARN}, "Action": "sts:AssumeRole"},
        _assume(EKS_ADMIN["Arn"]),
    ]
    again = sso.plan_creator_trust(policy, EKS_ADMIN["Arn"], "EKSClusterAdminAccess", ACCOUNT)
    assert again == (policy, False, [])


def test_plan_creator_trust_regional_path():
    policy, changed, _removed = sso.plan_creator_trust(
        None, EKS_ADMIN_REGIONAL["Arn"], "EKSClusterAdminAccess", ACCOUNT)
    assert changed
    assert policy["Statement"][0]["Principal"]["AWS"] == EKS_ADMIN_REGIONAL["Arn"]


def test_plan_creator_trust_refuses_pathless_sso_arn():
    pathless = "arn:aws:iam::%s:role/%s" % (ACCOUNT, EKS_ADMIN["RoleName"])
    with pytest.raises(ValueError, match="without its path"):
        sso.plan_creator_trust(None, pathless, "EKSClusterAdminAccess", ACCOUNT)


def test_plan_creator_trust_removal():
    current = {"Version": "2012-10-17", "Statement": [_assume(CI_ROLE), _assume([OLD_ARN, EKS_ADMIN["Arn"]])]}
    policy, removed, remaining = sso.plan_creator_trust_removal(current, "EKSClusterAdminAccess", ACCOUNT)
    assert removed == [OLD_ARN, EKS_ADMIN["Arn"]]
    assert remaining == 1
    assert policy["Statement"] == [_assume(CI_ROLE)]
    policy, removed, remaining = sso.plan_creator_trust_removal(BLOG_ASSUME_ROLE, "EKSClusterAdminAccess", ACCOUNT)
    assert removed == [EKS_ADMIN["Arn"]] and remaining == 0 and policy["Statement"] == []
    assert sso.plan_creator_trust_removal(policy, "EKSClusterAdminAccess", ACCOUNT)[1:] == ([], 0)


# ---------------------------------------------------------------------------
# access entries (issue 29)
# ---------------------------------------------------------------------------

from ansible_collections.eks.access.plugins.module_utils.model import access_entry as _ae  # noqa: E402

_ACCOUNT = "111122223333"
_ADMIN = "arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_EKSClusterAdminAccess_4ffa4321e413c0b0" % _ACCOUNT
_OLD = "arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_EKSClusterAdminAccess_00000000000000aa" % _ACCOUNT
_DECOY = "arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_EKSClusterAdminAccessReadOnly_9b8c7d6e5f4a3b2c" % _ACCOUNT
_ADMIN_POLICY = _ae.policy_arn("AmazonEKSClusterAdminPolicy")


def _entry(arn, groups=(), username="sso-admin:{{SessionName}}", policies=None):
    return _ae.AccessEntry(arn, _ae.STANDARD, tuple(groups), username, dict(policies or {}), {})


def test_access_methods_follow_the_mode():
    assert sso.access_methods("auto", "CONFIG_MAP", "present") == ("aws_auth",)
    assert sso.access_methods("auto", None, "absent") == ("aws_auth",)
    assert sso.access_methods("auto", "API_AND_CONFIG_MAP", "present") == ("access_entry",)
    assert sso.access_methods("auto", "API_AND_CONFIG_MAP", "absent") == ("access_entry", "aws_auth")
    assert sso.access_methods("auto", "API", "absent") == ("access_entry",)
    assert sso.access_methods("aws_auth", "API", "present") == ("aws_auth",)


def test_permission_set_entries_any_hash_any_case_not_the_decoy():
    upper = _ADMIN.replace("EKSClusterAdminAccess", "EKSCLUSTERADMINACCESS")
    entries = {a: _entry(a) for a in (_ADMIN, _OLD, _DECOY, upper, "arn:aws:iam::%s:role/other" % _ACCOUNT)}
    assert sorted(sso.permission_set_entries(entries, "EKSClusterAdminAccess", _ACCOUNT)) == sorted([_ADMIN, _OLD, upper])


def test_new_entry_keeps_the_path_and_policies():
    wanted = sso.wanted_entry(_ADMIN, "sso-admin:{{SessionName}}", None, {_ADMIN_POLICY: _ae.CLUSTER_SCOPE}, {})
    plan, stale = sso.plan_access_entry({}, wanted, "present")
    assert stale == []
    assert plan.by_action("create") == [_ADMIN]
    assert plan.changes[0].create["principalArn"] == _ADMIN  # the real ARN, aws-reserved path included
    assert plan.changes[0].associate == [(_ADMIN_POLICY, _ae.CLUSTER_SCOPE)]
    again, _stale = sso.plan_access_entry({_ADMIN: plan.after[_ADMIN]}, wanted, "present")
    assert not again.changed


def test_recreated_role_replaces_the_stale_entry_and_inherits_its_access():
    ours = {_OLD: _entry(_OLD, groups=["admins"], policies={_ADMIN_POLICY: _ae.CLUSTER_SCOPE})}
    wanted = sso.wanted_entry(_ADMIN, None, None, None, ours)
    plan, stale = sso.plan_access_entry(ours, wanted, "present")
    assert stale == [_OLD]
    assert [(c.action, c.principal_arn) for c in plan.changes] == [("create", _ADMIN), ("delete", _OLD)]
    assert plan.after == {_ADMIN: _entry(_ADMIN, ["admins"], policies={_ADMIN_POLICY: _ae.CLUSTER_SCOPE})}


def test_entry_spelled_in_another_case_is_updated_not_duplicated():
    upper = _ADMIN.replace("AWSReservedSSO_EKSClusterAdminAccess", "awsreservedsso_eksclusteradminaccess")
    ours = {upper: _entry(upper, groups=["a"])}
    wanted = sso.wanted_entry(_ADMIN, None, ("b",), None, ours, append_groups=True)
    plan, stale = sso.plan_access_entry(ours, wanted, "present")
    assert stale == []
    assert [(c.action, c.principal_arn) for c in plan.changes] == [("update", upper)]
    assert plan.after[upper].kubernetes_groups == ("a", "b")


def test_absent_deletes_every_entry_of_the_permission_set_but_not_the_callers():
    ours = {_ADMIN: _entry(_ADMIN), _OLD: _entry(_OLD)}
    plan, _stale = sso.plan_access_entry(ours, None, "absent")
    assert sorted(plan.by_action("delete")) == sorted([_ADMIN, _OLD])
    caller = "arn:aws:sts::%s:assumed-role/AWSReservedSSO_EKSClusterAdminAccess_4ffa4321e413c0b0/alice" % _ACCOUNT
    with pytest.raises(errors.Refused):
        sso.plan_access_entry(ours, None, "absent", protected=(caller,))
