# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""model/aws_auth/plan.py: normalisation, the plan (add, update, purge, absent), the lockout guards and the lint."""


from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import parse as aws_auth_parse
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import plan as aws_auth_plan
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import render as aws_auth_render
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth.errors import AwsAuthError, LockoutError
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth.parse import AwsAuth

ACCT = "111122223333"
NODE = "arn:aws:iam::111122223333:role/eks-node"
ADMIN = "arn:aws:iam::111122223333:role/admin"
DEV = "arn:aws:iam::111122223333:role/dev"
ALICE = "arn:aws:iam::111122223333:user/alice"
BOB = "arn:aws:iam::111122223333:user/bob"


# ---------------------------------------------------------------- normalize

SSO = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef"
SSO_REGIONAL = ("arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/"
                "AWSReservedSSO_Admin_0123456789abcdef")


SSO_PLAIN = "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123456789abcdef"


@pytest.mark.parametrize("kind, entry, expected, warning", [
    ("mapRoles", {"rolearn": ADMIN}, {"rolearn": ADMIN}, None),
    ("mapRoles", {"arn": ADMIN, "username": "admin:{{SessionName}}", "groups": ["g"]},
     {"rolearn": ADMIN, "username": "admin:{{SessionName}}", "groups": ["g"]}, None),
    ("mapRoles", {"rolearn": "arn:aws:iam::111122223333:role/my-team/developers/my-role"},
     {"rolearn": "arn:aws:iam::111122223333:role/my-role"},
     "arn:aws:iam::111122223333:role/my-team/developers/my-role -> arn:aws:iam::111122223333:role/my-role"),
    ("mapRoles", {"rolearn": SSO}, {"rolearn": SSO_PLAIN}, "IAM Identity Center"),
    ("mapRoles", {"rolearn": SSO_REGIONAL}, {"rolearn": SSO_PLAIN}, "IAM Identity Center"),
    ("mapRoles", {"rolearn": ADMIN, "groups": ["system:masters"]},
     {"rolearn": ADMIN, "groups": ["system:masters"]}, "system:masters"),
    ("mapRoles", {"rolearn": ADMIN, "groups": ["g", "g"]}, {"rolearn": ADMIN, "groups": ["g"]}, "duplicate group"),
    ("mapRoles", {"rolearn": NODE, "username": "system:node:{{EC2PrivateDNSName}}", "groups": []},
     {"rolearn": NODE, "username": "system:node:{{EC2PrivateDNSName}}", "groups": []}, None),
    ("mapRoles", {"rolearn": ADMIN, "username": "{{AccountID}}-{{SessionNameRaw}}-{{AccessKeyID}}"},
     {"rolearn": ADMIN, "username": "{{AccountID}}-{{SessionNameRaw}}-{{AccessKeyID}}"}, None),
    ("mapUsers", {"userarn": ALICE, "username": "alice"}, {"userarn": ALICE, "username": "alice"}, None),
    ("mapUsers", {"arn": "arn:aws:iam::111122223333:user/p/alice"},
     {"userarn": "arn:aws:iam::111122223333:user/p/alice"}, None),
    ("mapUsers", {"userarn": "arn:aws:iam::111122223333:root"}, {"userarn": "arn:aws:iam::111122223333:root"}, None),
    ("mapUsers", {"userarn": ALICE, "username": "{{SessionName}}"},
     {"userarn": ALICE, "username": "{{SessionName}}"}, "no session name"),
])
def test_normalize_entries(kind, entry, expected, warning):
    entries, warnings = aws_auth_plan.normalize_entries(kind, [entry])
    assert entries == [expected]
    if warning is None:
        assert warnings == []
    else:
        assert any(warning in w for w in warnings), warnings


@pytest.mark.parametrize("kind, entries, fragment", [
    ("mapRoles", [{"rolearn": "arn:aws:iam::111122223333:group/devs"}], "IAM groups cannot be mapped"),
    ("mapRoles", [{"rolearn": "arn:aws:sts::111122223333:assumed-role/Role/session"}],
     "use the role ARN 'arn:aws:iam::111122223333:role/Role'"),
    ("mapRoles", [{"rolearn": "arn:aws-mars:iam::111122223333:role/r"}], "partition"),
    ("mapRoles", [{"rolearn": "arn:aws:iam::12345:role/r"}], "account"),
    ("mapRoles", [{"rolearn": ALICE}], "mapUsers"),
    ("mapUsers", [{"userarn": ADMIN}], "mapRoles"),
    ("mapRoles", [{"userarn": ALICE}], "userarn belongs in mapUsers"),
    ("mapRoles", [{"rolearn": ADMIN}, {"rolearn": DEV}, {"rolearn": ADMIN.upper().replace("ARN:AWS:IAM", "arn:aws:iam")
                                                         .replace("ROLE/", "role/")}],
     "entry 2 (arn:aws:iam::111122223333:role/ADMIN): duplicate of entry 0"),
    ("mapRoles", [{"rolearn": "arn:aws:iam::111122223333:role/p/admin"}, {"rolearn": ADMIN}], "duplicate of entry 0"),
    ("mapRoles", [{"rolearn": ADMIN, "username": "{{SessionID}}"}], "entry 0 (%s)" % ADMIN),
    ("mapRoles", [{"rolearn": ADMIN, "username": "{{SessionID}}"}], "unsupported template 'SessionID'"),
    ("mapRoles", [{"rolearn": ADMIN, "username": "{{ AccountID }}"}], "unsupported template"),
    ("mapRoles", [{"rolearn": ADMIN, "username": "x{{AccountID"}], "unsupported template"),
    ("mapRoles", [{"rolearn": ADMIN, "groups": ["{{Foo}}"]}], "groups"),
    ("mapUsers", [{"userarn": ALICE, "username": "{{EC2PrivateDNSName}}"}], "EC2PrivateDNSName"),
    ("mapRoles", [{"rolearn": ADMIN, "username": ""}], "username must be a non-empty string"),
    ("mapRoles", [{"rolearn": ADMIN, "username": "dev\n- rolearn: %s\n  groups: [system:masters]" % DEV}],
     "contains a control character (U+000A)"),
    ("mapRoles", [{"rolearn": ADMIN, "username": "dev\u2028groups: [system:masters]"}], "a line break (U+2028)"),
    ("mapRoles", [{"rolearn": ADMIN, "username": "dev\x85x"}], "a control character (U+0085)"),
    ("mapRoles", [{"rolearn": ADMIN, "username": "\ufeffdev"}], "an invisible format character (U+FEFF)"),
    ("mapUsers", [{"userarn": ALICE, "username": "a\x00b"}], "U+0000"),
    ("mapRoles", [{"rolearn": ADMIN, "groups": ["system:mas\u200bters"]}], "contains an invisible format character (U+200B)"),
    ("mapRoles", [{"rolearn": ADMIN, "groups": ["dev\r\n- system:masters"]}], "U+000D"),
    ("mapRoles", [{"rolearn": ADMIN, "username": 5}], "username must be a non-empty string"),
    ("mapRoles", [{"rolearn": ADMIN, "groups": "g"}], "groups must be a list"),
    ("mapRoles", [{"rolearn": ADMIN, "groups": ["g", ""]}], "non-empty strings"),
    ("mapRoles", [{"rolearn": ADMIN, "groups": [1]}], "non-empty strings"),
    ("mapRoles", [{"username": "x"}], "rolearn is required"),
    ("mapRoles", [{"rolearn": ADMIN, "arn": DEV}], "disagree"),
    ("mapRoles", [{"rolearn": ADMIN, "extra": 1}], "unsupported keys extra"),
    ("mapRoles", ["x"], "must be a mapping"),
    ("mapRoles", "x", "must be a list"),
    ("mapAccounts", [], "kind must be"),
])
def test_normalize_entries_rejects(kind, entries, fragment):
    with pytest.raises(AwsAuthError) as exc:
        aws_auth_plan.normalize_entries(kind, entries)
    assert fragment in str(exc.value)


def test_normalize_accounts():
    assert aws_auth_plan.normalize_accounts([ACCT, 222233334444, ACCT]) == [ACCT, "222233334444"]
    assert aws_auth_plan.normalize_accounts(None) == []
    for bad in (["123"], [True], "111122223333", [None]):
        with pytest.raises(AwsAuthError):
            aws_auth_plan.normalize_accounts(bad)


def test_is_node_mapping_and_stock():
    stock = aws_auth_plan.stock_node_mapping(NODE)
    assert stock == {"rolearn": NODE, "username": "system:node:{{EC2PrivateDNSName}}",
                     "groups": ["system:bootstrappers", "system:nodes"]}
    assert aws_auth_plan.is_node_mapping(stock)
    assert not aws_auth_plan.is_node_mapping({"rolearn": ADMIN, "groups": ["system:bootstrappers"]})
    assert not aws_auth_plan.is_node_mapping({})


# --------------------------------------------------------------------- plan


def cluster():
    return aws_auth_parse.parse_aws_auth({
        "mapRoles": ("- rolearn: %s\n  username: system:node:{{EC2PrivateDNSName}}\n"
                     "  groups:\n  - system:bootstrappers\n  - system:nodes\n"
                     "- rolearn: %s\n  username: admin\n  groups:\n  - system:masters\n" % (NODE, ADMIN)),
        "mapUsers": "- userarn: %s\n  username: alice\n  groups:\n  - view\n" % ALICE,
        "mapAccounts": "- '%s'\n" % ACCT,
        "unmanaged": "keep: me\n",
    })


def assert_idempotent(result, **kwargs):
    again = aws_auth_plan.plan(result.after, **kwargs)
    assert not again.changed, (again.added, again.removed, again.updated)
    assert again.after == result.after


def test_plan_noop():
    current = cluster()
    result = aws_auth_plan.plan(current, roles=[{"rolearn": ADMIN, "username": "admin", "groups": ["system:masters"]}])
    assert not result.changed
    assert result.after == current
    assert aws_auth_render.render_aws_auth(result.after) == aws_auth_render.render_aws_auth(current)


@pytest.mark.parametrize("kwargs, added", [
    ({"roles": [{"rolearn": DEV, "groups": ["dev"]}]},
     {"kind": "mapRoles", "entry": {"rolearn": DEV, "username": DEV, "groups": ["dev"]}}),
    ({"roles": [{"rolearn": "arn:aws:iam::111122223333:role/ng2", "groups": ["system:bootstrappers", "system:nodes"]}]},
     {"kind": "mapRoles", "entry": aws_auth_plan.stock_node_mapping("arn:aws:iam::111122223333:role/ng2")}),
    ({"users": [{"userarn": BOB, "username": "bob"}]},
     {"kind": "mapUsers", "entry": {"userarn": BOB, "username": "bob", "groups": []}}),
    ({"users": [{"arn": BOB}]},
     {"kind": "mapUsers", "entry": {"userarn": BOB, "username": BOB, "groups": []}}),
    ({"accounts": [222233334444]}, {"kind": "mapAccounts", "entry": "222233334444"}),
])
def test_plan_add(kwargs, added):
    current = cluster()
    result = aws_auth_plan.plan(current, **kwargs)
    assert result.changed
    assert result.added == [added]
    assert result.removed == [] and result.updated == []
    section = result.after.section(added["kind"])
    assert section[-1] == added["entry"]
    assert section[:-1] == current.section(added["kind"])
    assert result.after.other == current.other
    assert_idempotent(result, **kwargs)


@pytest.mark.parametrize("kwargs, before, after", [
    ({"roles": [{"rolearn": ADMIN, "groups": ["admins"]}]},
     {"rolearn": ADMIN, "username": "admin", "groups": ["system:masters"]},
     {"rolearn": ADMIN, "username": "admin", "groups": ["admins"]}),
    ({"roles": [{"rolearn": ADMIN, "groups": ["admins"]}], "append_groups": True},
     {"rolearn": ADMIN, "username": "admin", "groups": ["system:masters"]},
     {"rolearn": ADMIN, "username": "admin", "groups": ["system:masters", "admins"]}),
    ({"roles": [{"rolearn": ADMIN, "username": "boss"}]},
     {"rolearn": ADMIN, "username": "admin", "groups": ["system:masters"]},
     {"rolearn": ADMIN, "username": "boss", "groups": ["system:masters"]}),
    ({"users": [{"userarn": ALICE, "groups": ["edit"]}]},
     {"userarn": ALICE, "username": "alice", "groups": ["view"]},
     {"userarn": ALICE, "username": "alice", "groups": ["edit"]}),
    ({"roles": [{"rolearn": NODE, "groups": ["extra"]}], "append_groups": True},
     aws_auth_plan.stock_node_mapping(NODE),
     {"rolearn": NODE, "username": "system:node:{{EC2PrivateDNSName}}",
      "groups": ["system:bootstrappers", "system:nodes", "extra"]}),
])
def test_plan_update_in_place(kwargs, before, after):
    current = cluster()
    result = aws_auth_plan.plan(current, **kwargs)
    assert result.changed and result.added == [] and result.removed == []
    assert result.updated == [{"kind": "mapUsers" if "users" in kwargs else "mapRoles",
                               "before": before, "after": after}]
    kind = result.updated[0]["kind"]
    index = current.section(kind).index(before)
    assert result.after.section(kind)[index] == after
    assert_idempotent(result, **kwargs)


def test_plan_pathful_existing_matches_stripped():
    current = aws_auth_parse.parse_aws_auth({"mapRoles": "- rolearn: arn:aws:iam::111122223333:role/team/dev\n"
                                                         "  username: dev\n  groups: [dev]\n"})
    result = aws_auth_plan.plan(current, roles=[{"rolearn": "arn:aws:iam::111122223333:role/team/dev"}])
    assert [u["after"] for u in result.updated] == [{"rolearn": DEV, "username": "dev", "groups": ["dev"]}]
    assert any("role path removed" in w for w in result.warnings)
    assert len(result.after.map_roles) == 1


def test_plan_matches_case_insensitively_like_authenticator():
    current = aws_auth_parse.parse_aws_auth({"mapRoles": "- rolearn: arn:aws:iam::111122223333:role/Dev\n  username: d\n"})
    result = aws_auth_plan.plan(current, roles=[{"rolearn": DEV, "username": "d"}])
    assert result.after.map_roles == [{"rolearn": DEV, "username": "d"}]
    assert len(result.updated) == 1


def test_plan_folds_existing_duplicates_of_managed_arn():
    current = AwsAuth(map_roles=[{"rolearn": DEV, "username": "old"}, {"rolearn": ADMIN},
                                 {"rolearn": DEV, "username": "new"}])
    result = aws_auth_plan.plan(current, roles=[{"rolearn": DEV}])
    assert result.after.map_roles == [{"rolearn": DEV, "username": "new"}, {"rolearn": ADMIN}]
    assert result.removed == [{"kind": "mapRoles", "entry": {"rolearn": DEV, "username": "old"}}]


@pytest.mark.parametrize("kwargs, removed", [
    ({"roles": [{"rolearn": ADMIN}], "state": "absent"},
     {"kind": "mapRoles", "entry": {"rolearn": ADMIN, "username": "admin", "groups": ["system:masters"]}}),
    ({"users": [{"userarn": ALICE}], "state": "absent"},
     {"kind": "mapUsers", "entry": {"userarn": ALICE, "username": "alice", "groups": ["view"]}}),
    ({"accounts": [ACCT], "state": "absent"}, {"kind": "mapAccounts", "entry": ACCT}),
])
def test_plan_absent(kwargs, removed):
    result = aws_auth_plan.plan(cluster(), **kwargs)
    assert result.changed and result.removed == [removed]
    assert removed["entry"] not in result.after.section(removed["kind"])
    assert_idempotent(result, **kwargs)


def test_plan_absent_missing_is_noop():
    result = aws_auth_plan.plan(cluster(), roles=[{"rolearn": DEV}], users=[{"userarn": BOB}],
                                accounts=["999988887777"], state="absent")
    assert not result.changed


def test_plan_purge_keeps_node_roles_and_untouched_kinds():
    current = cluster()
    kwargs = {"roles": [{"rolearn": DEV, "groups": ["dev"]}], "purge": True}
    result = aws_auth_plan.plan(current, **kwargs)
    assert [e["rolearn"] for e in result.after.map_roles] == [NODE, DEV]
    assert result.removed == [{"kind": "mapRoles", "entry": current.map_roles[1]}]
    assert result.after.map_users == current.map_users  # users=None: untouched
    assert result.after.map_accounts == current.map_accounts
    assert any("kept node mapping" in w for w in result.warnings)
    assert_idempotent(result, **kwargs)


def test_plan_purge_empty_lists_remove_everything_purgeable():
    result = aws_auth_plan.plan(cluster(), roles=[], users=[], accounts=[], purge=True)
    assert result.after.map_roles == [aws_auth_plan.stock_node_mapping(NODE)]
    assert result.after.map_users == [] and result.after.map_accounts == []
    data = aws_auth_render.render_aws_auth(result.after)
    assert data["mapUsers"] == "[]\n" and data["mapAccounts"] == "[]\n"
    assert data["unmanaged"] == "keep: me\n"


def test_plan_purge_node_role_allowed():
    result = aws_auth_plan.plan(cluster(), roles=[], purge=True, allow_node_mapping_changes=True)
    assert result.after.map_roles == []


@pytest.mark.parametrize("kwargs", [
    {"roles": [{"rolearn": NODE}], "state": "absent"},
    {"roles": [{"rolearn": NODE, "groups": ["other"]}]},
    {"roles": [{"rolearn": NODE, "groups": ["system:nodes"]}]},
    {"roles": [{"rolearn": NODE, "username": "node"}]},
])
def test_plan_lockout_node_mapping(kwargs):
    with pytest.raises(LockoutError) as exc:
        aws_auth_plan.plan(cluster(), **kwargs)
    assert NODE in str(exc.value)
    assert aws_auth_plan.plan(cluster(), allow_node_mapping_changes=True, **kwargs).changed


def test_plan_node_mapping_group_additions_allowed():
    result = aws_auth_plan.plan(cluster(), roles=[{"rolearn": NODE, "groups": [
        "system:bootstrappers", "system:nodes", "extra"]}])
    assert result.changed


@pytest.mark.parametrize("kwargs, protected", [
    ({"roles": [{"rolearn": ADMIN}], "state": "absent"}, ADMIN),
    ({"roles": [], "purge": True}, ADMIN),
    ({"roles": [{"rolearn": ADMIN, "groups": ["view"]}]}, ADMIN),
    ({"roles": [{"rolearn": ADMIN, "username": "other"}]}, "arn:aws:sts::111122223333:assumed-role/admin/me"),
    ({"users": [{"userarn": ALICE}], "state": "absent"}, ALICE),
    ({"accounts": [], "purge": True}, BOB),
])
def test_plan_lockout_protected(kwargs, protected):
    with pytest.raises(LockoutError):
        aws_auth_plan.plan(cluster(), protected_arns=[protected], **kwargs)


def test_plan_protected_allows_growth():
    result = aws_auth_plan.plan(cluster(), roles=[{"rolearn": ADMIN, "groups": ["extra"]}], append_groups=True,
                                protected_arns=[ADMIN])
    assert result.changed
    # The account can go when the caller also has an explicit mapping.
    assert aws_auth_plan.plan(cluster(), accounts=[], purge=True, protected_arns=[ALICE]).changed


def test_plan_bad_state_and_protected():
    with pytest.raises(AwsAuthError):
        aws_auth_plan.plan(cluster(), state="latest")
    with pytest.raises(AwsAuthError):
        aws_auth_plan.plan(cluster(), protected_arns=["nope"])


def test_plan_from_empty_configmap():
    kwargs = {"roles": [{"rolearn": NODE, "groups": ["system:bootstrappers", "system:nodes"]}]}
    result = aws_auth_plan.plan(None, **kwargs)
    assert result.after.map_roles == [aws_auth_plan.stock_node_mapping(NODE)]
    assert aws_auth_render.render_aws_auth(result.after) == {"mapRoles": (
        "- rolearn: %s\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n"
        "  - system:bootstrappers\n  - system:nodes\n" % NODE)}
    assert_idempotent(result, **kwargs)


def test_plan_does_not_mutate_current():
    current = cluster()
    snapshot = aws_auth_render.render_aws_auth(current)
    aws_auth_plan.plan(current, roles=[{"rolearn": ADMIN, "groups": ["x"]}], users=[], purge=True)
    assert aws_auth_render.render_aws_auth(current) == snapshot


# --------------------------------------------------------------------- lint


def test_lint_findings():
    value = AwsAuth(
        map_roles=[
            {"rolearn": "arn:aws:iam::111122223333:role/team/dev", "username": "dev", "groups": ["devs"]},
            {"rolearn": DEV, "username": "{{SessionID}}", "groups": ["system:masters"]},
            {"rolearn": "arn:aws:iam::111122223333:group/g"},
            {"username": "x", "role_arn": DEV},
            aws_auth_plan.stock_node_mapping(NODE),
        ],
        map_users=[{"userarn": ALICE, "groups": ["viewers", "bound"]}],
        map_accounts=[ACCT, "12"],
    )
    findings = aws_auth_plan.lint(value, bound_groups={"bound"})
    codes = sorted((f["code"], f["kind"], f["arn"]) for f in findings)
    assert codes == sorted([
        ("role_path", "mapRoles", "arn:aws:iam::111122223333:role/team/dev"),
        ("unbound_group", "mapRoles", "arn:aws:iam::111122223333:role/team/dev"),
        ("duplicate_arn", "mapRoles", DEV),
        ("unknown_template_variable", "mapRoles", DEV),
        ("system_masters", "mapRoles", DEV),
        ("invalid_arn", "mapRoles", "arn:aws:iam::111122223333:group/g"),
        ("missing_arn", "mapRoles", ""),
        ("ignored_key", "mapRoles", ""),
        ("unbound_group", "mapUsers", ALICE),
        ("invalid_account", "mapAccounts", "12"),
    ])
    assert all(set(f) == {"code", "kind", "arn", "message"} for f in findings)


def test_lint_without_bound_groups_and_clean():
    assert aws_auth_plan.lint(AwsAuth(map_roles=[{"rolearn": DEV, "groups": ["devs"]}])) == []
    assert aws_auth_plan.lint(cluster(), bound_groups=set()) == [
        {"code": "system_masters", "kind": "mapRoles", "arn": ADMIN,
         "message": "grants system:masters (unrestricted cluster admin)"},
        {"code": "unbound_group", "kind": "mapUsers", "arn": ALICE,
         "message": "group 'view' is not referenced by any RoleBinding or ClusterRoleBinding, so it grants nothing"},
    ]


def test_constants():
    assert aws_auth_parse.AWS_AUTH_NAME == "aws-auth"
    assert aws_auth_parse.AWS_AUTH_NAMESPACE == "kube-system"
    assert aws_auth_parse.MAP_KEYS == ("mapRoles", "mapUsers", "mapAccounts")
    assert aws_auth_plan.TEMPLATE_VARIABLES == ("AccountID", "SessionName", "SessionNameRaw",
                                                "EC2PrivateDNSName", "AccessKeyID")


def test_plan_update_existing_false_only_adds():
    node_with_path = "arn:aws:iam::111122223333:role/team/eks-node"
    result = aws_auth_plan.plan(
        cluster(),
        roles=[{"rolearn": node_with_path, "username": "other", "groups": ["system:nodes"]},
               {"rolearn": DEV, "groups": ["dev"]}],
        update_existing=False,
    )
    assert result.updated == [] and result.removed == []
    assert [a["entry"]["rolearn"] for a in result.added] == [DEV]
    assert result.after.map_roles[:len(cluster().map_roles)] == cluster().map_roles
    assert not aws_auth_plan.plan(cluster(), roles=[{"rolearn": ADMIN, "groups": []}], update_existing=False).changed


# ---------------------------------------------------------------- parse_sections
