# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy
import json
from urllib.parse import quote

import pytest

from ansible_collections.eks.access.plugins.module_utils.model import trust_policy as tp
from ansible_collections.eks.access.plugins.module_utils.model.trust_policy import TrustPolicyError

ISSUER = "oidc.eks.region-code.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
ISSUER_URL = "https://" + ISSUER
PROVIDER = "arn:aws:iam::111122223333:oidc-provider/" + ISSUER
OTHER_ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/0THER0000000000000000000000000000"
OTHER_PROVIDER = "arn:aws:iam::111122223333:oidc-provider/" + OTHER_ISSUER

# vpc-cni-trust-policy.json from the VPC CNI guide, verbatim.
GUIDE_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Federated": PROVIDER},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    ISSUER + ":aud": "sts.amazonaws.com",
                    ISSUER + ":sub": "system:serviceaccount:kube-system:aws-node",
                }
            },
        }
    ],
}


def stmt(ns="kube-system", name="aws-node", **kw):
    return tp.irsa_statement(PROVIDER, ISSUER_URL, ns, name, **kw)


# --------------------------------------------------------------------- issuer


@pytest.mark.parametrize(
    "value, expected",
    [
        (ISSUER_URL, ISSUER),
        (ISSUER_URL + "/", ISSUER),
        (ISSUER, ISSUER),
        ("HTTPS://" + ISSUER, ISSUER),
        ("  " + ISSUER_URL + " ", ISSUER),
    ],
)
def test_issuer_host_path(value, expected):
    assert tp.issuer_host_path(value) == expected


@pytest.mark.parametrize("value", ["", None, "http://" + ISSUER, "https://", "https://bad host/id/x", 42])
def test_issuer_host_path_rejects(value):
    with pytest.raises(TrustPolicyError):
        tp.issuer_host_path(value)


@pytest.mark.parametrize(
    "partition, account, expected",
    [
        ("aws", "111122223333", PROVIDER),
        ("aws", 111122223333, PROVIDER),
        ("aws-cn", "111122223333", "arn:aws-cn:iam::111122223333:oidc-provider/" + ISSUER),
        ("aws-us-gov", "111122223333", "arn:aws-us-gov:iam::111122223333:oidc-provider/" + ISSUER),
    ],
)
def test_oidc_provider_arn(partition, account, expected):
    assert tp.oidc_provider_arn(partition, account, ISSUER_URL) == expected


@pytest.mark.parametrize("partition, account", [("aws", "1234"), ("aws", True), ("amazon", "111122223333"), ("aws", "11112222333x")])
def test_oidc_provider_arn_rejects(partition, account):
    with pytest.raises(TrustPolicyError):
        tp.oidc_provider_arn(partition, account, ISSUER_URL)


# ----------------------------------------------------------- irsa_statement


def test_irsa_statement_matches_guide():
    assert tp.policies_equal({"Version": "2012-10-17", "Statement": [stmt()]}, GUIDE_TRUST_POLICY)
    assert stmt() == GUIDE_TRUST_POLICY["Statement"][0]


def test_irsa_statement_issuer_without_scheme_and_custom_audience():
    s = tp.irsa_statement(PROVIDER, ISSUER, "team-a", "app", audience="my-aud")
    assert s["Condition"]["StringEquals"][ISSUER + ":aud"] == "my-aud"
    assert s["Condition"]["StringEquals"][ISSUER + ":sub"] == "system:serviceaccount:team-a:app"


@pytest.mark.parametrize(
    "ns, name",
    [("kube-*", "aws-node"), ("kube-system", "*"), ("kube-system", "app-?"), ("*", "*")],
)
def test_irsa_statement_wildcard_refused_without_sub_pattern(ns, name):
    with pytest.raises(TrustPolicyError, match="sub_pattern"):
        stmt(ns, name)


@pytest.mark.parametrize("ns, name", [("kube-*", "aws-node"), ("kube-system", "*"), ("team-?", "app.v*")])
def test_irsa_statement_wildcard_with_sub_pattern_uses_string_like(ns, name):
    s = stmt(ns, name, sub_pattern=True)
    assert s["Condition"]["StringLike"] == {ISSUER + ":sub": "system:serviceaccount:%s:%s" % (ns, name)}
    assert s["Condition"]["StringEquals"] == {ISSUER + ":aud": "sts.amazonaws.com"}


def test_irsa_statement_sub_pattern_without_wildcard_stays_string_equals():
    assert stmt(sub_pattern=True) == stmt()


@pytest.mark.parametrize(
    "ns, name, message",
    [
        ("Kube-System", "aws-node", "namespace"),
        ("kube.system", "aws-node", "namespace"),  # a label has no dots
        ("-kube", "aws-node", "namespace"),
        ("a" * 64, "aws-node", "namespace"),
        ("", "aws-node", "namespace"),
        ("kube-system", "AWS-node", "service account"),
        ("kube-system", "aws_node", "service account"),
        ("kube-system", "aws-node-", "service account"),
        ("kube-system", "a" * 254, "service account"),
        ("kube-system", "a:b", "service account"),
        ("kube-system", None, "service account"),
        ("kube-*", "a:b*", "service account"),
    ],
)
def test_irsa_statement_validates_names(ns, name, message):
    with pytest.raises(TrustPolicyError, match=message):
        stmt(ns, name, sub_pattern=True)


@pytest.mark.parametrize("name", ["aws-node", "my.app.v2", "a", "a" * 253, "0abc"])
def test_irsa_statement_accepts_subdomain_names(name):
    assert stmt("ns1", name)["Condition"]["StringEquals"][ISSUER + ":sub"].endswith(":" + name)


@pytest.mark.parametrize(
    "provider, issuer",
    [
        (OTHER_PROVIDER, ISSUER),  # provider for another cluster
        ("arn:aws:iam::111122223333:role/foo", ISSUER),
        ("not-an-arn", ISSUER),
        (PROVIDER, OTHER_ISSUER),
    ],
)
def test_irsa_statement_rejects_provider_issuer_mismatch(provider, issuer):
    with pytest.raises(TrustPolicyError):
        tp.irsa_statement(provider, issuer, "kube-system", "aws-node")


def test_irsa_statement_rejects_empty_audience():
    with pytest.raises(TrustPolicyError, match="audience"):
        stmt(audience="")


# ------------------------------------------------------------ load / equal


def test_load_policy_forms():
    as_json = json.dumps(GUIDE_TRUST_POLICY)
    for doc in (GUIDE_TRUST_POLICY, as_json, quote(as_json), quote(as_json).encode(), as_json.encode()):
        assert tp.load_policy(doc) == GUIDE_TRUST_POLICY
    assert tp.load_policy(None) is None


def test_load_policy_returns_a_copy():
    loaded = tp.load_policy(GUIDE_TRUST_POLICY)
    loaded["Statement"].append({})
    assert len(GUIDE_TRUST_POLICY["Statement"]) == 1


@pytest.mark.parametrize("doc", ["not json", "[1, 2]", 12, "%7Bbroken"])
def test_load_policy_rejects(doc):
    with pytest.raises(TrustPolicyError):
        tp.load_policy(doc)


def _variant_single_items_as_lists():
    p = copy.deepcopy(GUIDE_TRUST_POLICY)
    s = p["Statement"][0]
    s["Action"] = [s["Action"]]
    s["Principal"]["Federated"] = [PROVIDER]
    cond = s["Condition"]["StringEquals"]
    for k in list(cond):
        cond[k] = [cond[k]]
    return p


def _variant_statement_dict():
    p = copy.deepcopy(GUIDE_TRUST_POLICY)
    p["Statement"] = p["Statement"][0]
    return p


def _variant_reordered_keys():
    return json.loads(json.dumps(GUIDE_TRUST_POLICY, sort_keys=True))


@pytest.mark.parametrize(
    "other, equal",
    [
        (GUIDE_TRUST_POLICY, True),
        (json.dumps(GUIDE_TRUST_POLICY), True),
        (quote(json.dumps(GUIDE_TRUST_POLICY)), True),
        (_variant_single_items_as_lists(), True),
        (_variant_statement_dict(), True),
        (_variant_reordered_keys(), True),
        ({"Version": "2012-10-17", "Statement": [stmt(name="other")]}, False),
        ({"Version": "2012-10-17", "Statement": []}, False),
        (None, False),
    ],
)
def test_policies_equal(other, equal):
    assert tp.policies_equal(GUIDE_TRUST_POLICY, other) is equal
    assert tp.policies_equal(other, GUIDE_TRUST_POLICY) is equal


def test_policies_equal_statement_order_insensitive_and_empty_condition():
    a = {"Version": "2012-10-17", "Statement": [stmt(name="a"), stmt(name="b")]}
    b = {"Version": "2012-10-17", "Statement": [stmt(name="b"), stmt(name="a")]}
    assert tp.policies_equal(a, b)
    role = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef"
    with_empty = {"Version": "2012-10-17", "Statement": [dict(tp.assume_role_statement(role), Condition={})]}
    assert tp.policies_equal(with_empty, {"Version": "2012-10-17", "Statement": [tp.assume_role_statement(role)]})
    assert tp.policies_equal(None, None)


# ------------------------------------------------- trusted_service_accounts


def test_trusted_service_accounts_guide():
    assert tp.trusted_service_accounts(GUIDE_TRUST_POLICY) == [
        (PROVIDER, ISSUER, "system:serviceaccount:kube-system:aws-node")
    ]


def test_trusted_service_accounts_tolerant_shapes():
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Principal": {"Federated": [PROVIDER, OTHER_PROVIDER]},
                "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
                "Condition": {
                    "StringEquals": {
                        ISSUER + ":sub": ["system:serviceaccount:a:one", "system:serviceaccount:a:two"],
                        OTHER_ISSUER + ":sub": "system:serviceaccount:b:three",
                    },
                    "StringLike": {ISSUER + ":sub": "system:serviceaccount:c:*"},
                },
            },
        }
    )
    assert tp.trusted_service_accounts(quote(policy)) == [
        (PROVIDER, ISSUER, "system:serviceaccount:a:one"),
        (PROVIDER, ISSUER, "system:serviceaccount:a:two"),
        (PROVIDER, ISSUER, "system:serviceaccount:c:*"),
        (OTHER_PROVIDER, OTHER_ISSUER, "system:serviceaccount:b:three"),
    ]


@pytest.mark.parametrize(
    "statement",
    [
        dict(stmt(), Effect="Deny"),
        dict(stmt(), Action="sts:AssumeRole"),
        dict(stmt(), Principal={"AWS": "arn:aws:iam::111122223333:root"}),
        dict(stmt(), Condition={"StringEquals": {ISSUER + ":aud": "sts.amazonaws.com"}}),
        dict(stmt(), Condition={"StringEquals": {ISSUER + ":sub": "not-a-service-account"}}),
    ],
)
def test_trusted_service_accounts_ignores(statement):
    assert tp.trusted_service_accounts({"Statement": [statement]}) == []


def test_trusted_service_accounts_empty_inputs():
    assert tp.trusted_service_accounts(None) == []
    assert tp.trusted_service_accounts({"Version": "2012-10-17"}) == []
    assert tp.trusted_service_accounts({"Statement": []}) == []


def test_trusted_service_accounts_action_wildcard_and_dedupe():
    s = dict(stmt(), Action="sts:*")
    assert tp.trusted_service_accounts({"Statement": [s, stmt()]}) == [
        (PROVIDER, ISSUER, "system:serviceaccount:kube-system:aws-node")
    ]


# ----------------------------------------------------------- merge_statement


def test_merge_into_none_creates_policy():
    policy, changed = tp.merge_statement(None, stmt())
    assert changed
    assert policy == {"Version": "2012-10-17", "Statement": [stmt()]}


def test_merge_is_idempotent():
    policy = tp.merge_statement(None, stmt())[0]
    again, changed = tp.merge_statement(policy, stmt())
    assert not changed
    assert tp.policies_equal(again, policy)


@pytest.mark.parametrize(
    "existing",
    [
        GUIDE_TRUST_POLICY,
        json.dumps(GUIDE_TRUST_POLICY),
        quote(json.dumps(GUIDE_TRUST_POLICY)),
        _variant_single_items_as_lists(),
        _variant_statement_dict(),
    ],
)
def test_merge_recognises_equivalent_forms(existing):
    policy, changed = tp.merge_statement(existing, stmt())
    assert not changed
    assert tp.policies_equal(policy, GUIDE_TRUST_POLICY)


def test_merge_recognises_subject_in_existing_list():
    p = copy.deepcopy(GUIDE_TRUST_POLICY)
    p["Statement"][0]["Condition"]["StringEquals"][ISSUER + ":sub"] = [
        "system:serviceaccount:default:other",
        "system:serviceaccount:kube-system:aws-node",
    ]
    changed = tp.merge_statement(p, stmt())[1]
    assert not changed


def test_merge_does_not_treat_stricter_statement_as_covering():
    p = copy.deepcopy(GUIDE_TRUST_POLICY)
    p["Statement"][0]["Condition"]["StringEquals"]["aws:SourceAccount"] = "111122223333"
    policy, changed = tp.merge_statement(p, stmt())
    assert changed
    assert len(policy["Statement"]) == 2


def test_merge_second_service_account_is_separate_statement():
    policy, changed = tp.merge_statement(GUIDE_TRUST_POLICY, stmt("default", "app"))
    assert changed
    assert len(policy["Statement"]) == 2
    assert policy["Statement"][0] == GUIDE_TRUST_POLICY["Statement"][0]
    assert [s for _p, _i, s in tp.trusted_service_accounts(policy)] == [
        "system:serviceaccount:kube-system:aws-node",
        "system:serviceaccount:default:app",
    ]


def test_merge_keeps_other_statements_and_does_not_mutate_input():
    ec2 = {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    original = {"Version": "2012-10-17", "Statement": [ec2]}
    snapshot = copy.deepcopy(original)
    policy, changed = tp.merge_statement(original, stmt())
    assert changed
    assert policy["Statement"] == [ec2, stmt()]
    assert original == snapshot


def test_merge_pattern_not_covered_by_exact():
    policy, changed = tp.merge_statement(GUIDE_TRUST_POLICY, stmt("kube-system", "*", sub_pattern=True))
    assert changed and len(policy["Statement"]) == 2


def test_merge_adds_missing_version():
    policy, changed = tp.merge_statement({"Statement": []}, stmt())
    assert changed and policy["Version"] == "2012-10-17"


# --------------------------------------------------- remove_service_account


def test_remove_only_subject_drops_statement():
    policy, changed, remaining = tp.remove_service_account(GUIDE_TRUST_POLICY, PROVIDER, ISSUER_URL, "kube-system", "aws-node")
    assert changed
    assert remaining == 0
    assert policy["Statement"] == []


def test_remove_absent_subject_is_noop():
    policy, changed, remaining = tp.remove_service_account(GUIDE_TRUST_POLICY, PROVIDER, ISSUER, "default", "app")
    assert not changed
    assert remaining == 1
    assert tp.policies_equal(policy, GUIDE_TRUST_POLICY)


def test_remove_other_provider_is_noop():
    dummy, changed, remaining = tp.remove_service_account(
        GUIDE_TRUST_POLICY, OTHER_PROVIDER, OTHER_ISSUER, "kube-system", "aws-node"
    )
    assert not changed and remaining == 1


@pytest.mark.parametrize(
    "subs, expected",
    [
        (["system:serviceaccount:a:one", "system:serviceaccount:kube-system:aws-node"], ["system:serviceaccount:a:one"]),
        (
            ["system:serviceaccount:a:one", "system:serviceaccount:kube-system:aws-node", "system:serviceaccount:a:two"],
            ["system:serviceaccount:a:one", "system:serviceaccount:a:two"],
        ),
    ],
)
def test_remove_from_list_keeps_other_subjects(subs, expected):
    p = copy.deepcopy(GUIDE_TRUST_POLICY)
    p["Statement"][0]["Condition"]["StringEquals"][ISSUER + ":sub"] = subs
    policy, changed, remaining = tp.remove_service_account(p, PROVIDER, ISSUER, "kube-system", "aws-node")
    assert changed and remaining == 1
    assert policy["Statement"][0]["Condition"]["StringEquals"][ISSUER + ":sub"] == expected
    # the aud condition and the rest are untouched
    assert policy["Statement"][0]["Condition"]["StringEquals"][ISSUER + ":aud"] == "sts.amazonaws.com"


def test_remove_keeps_other_statements():
    p = {
        "Version": "2012-10-17",
        "Statement": [stmt("default", "app"), stmt(), {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
    policy, changed, remaining = tp.remove_service_account(json.dumps(p), PROVIDER, ISSUER, "kube-system", "aws-node")
    assert changed and remaining == 2
    assert policy["Statement"][0] == stmt("default", "app")
    assert tp.merge_statement(policy, stmt())[1]  # really gone


def test_remove_never_leaves_statement_without_sub():
    # sub listed in both StringEquals (only ours) and StringLike (others):
    # dropping just the key would widen trust, so the statement goes.
    s = stmt()
    s["Condition"]["StringLike"] = {ISSUER + ":sub": ["system:serviceaccount:kube-system:*"]}
    policy, changed, remaining = tp.remove_service_account({"Statement": [s]}, PROVIDER, ISSUER, "kube-system", "aws-node")
    assert changed and remaining == 0


def test_remove_does_not_mutate_input():
    snapshot = copy.deepcopy(GUIDE_TRUST_POLICY)
    tp.remove_service_account(GUIDE_TRUST_POLICY, PROVIDER, ISSUER, "kube-system", "aws-node")
    assert GUIDE_TRUST_POLICY == snapshot


def test_remove_from_none():
    policy, changed, remaining = tp.remove_service_account(None, PROVIDER, ISSUER, "kube-system", "aws-node")
    assert (policy["Statement"], changed, remaining) == ([], False, 0)


# ----------------------------------------------------- assume_role_statement

SSO_ROLE = "arn:aws:iam::111222333444:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_EKSClusterAdminAccess_4ffa4321e413c0b0"
SSO_ROLE_REGIONAL = (
    "arn:aws:iam::111222333444:role/aws-reserved/sso.amazonaws.com/us-east-2/AWSReservedSSO_EKSClusterAdminAccess_4ffa4321e413c0b0"
)


@pytest.mark.parametrize("arn", [SSO_ROLE, SSO_ROLE_REGIONAL, "arn:aws:iam::111222333444:role/Plain", "arn:aws-cn:iam::111222333444:role/a/b/Plain"])
def test_assume_role_statement(arn):
    assert tp.assume_role_statement(arn) == {"Effect": "Allow", "Principal": {"AWS": arn}, "Action": "sts:AssumeRole"}


def test_assume_role_statement_matches_blog_trust_policy():
    blog = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": SSO_ROLE}, "Action": "sts:AssumeRole", "Condition": {}}],
    }
    changed = tp.merge_statement(blog, tp.assume_role_statement(SSO_ROLE))[1]
    assert not changed


@pytest.mark.parametrize(
    "arn, message",
    [
        ("arn:aws:iam::111222333444:role/AWSReservedSSO_EKSClusterAdminAccess_4ffa4321e413c0b0", "without its path"),
        ("arn:aws:iam::111222333444:root", "not an IAM role ARN"),
        ("arn:aws:iam::111222333444:role/*", "wildcard"),
        ("arn:aws:iam::111222333444:user/bob", "not an IAM role ARN"),
        ("arn:aws:sts::111222333444:assumed-role/AWSReservedSSO_X_0123/bob", "not an IAM role ARN"),
        ("111222333444", "IAM role ARN"),
        (None, "IAM role ARN"),
        ("arn:aws:iam::111222333444:role/", "not an IAM role ARN"),
    ],
)
def test_assume_role_statement_rejects(arn, message):
    with pytest.raises(TrustPolicyError, match=message):
        tp.assume_role_statement(arn)


def test_closed_policy_denies_the_provider_and_is_not_empty():
    closed = tp.closed_policy(PROVIDER)
    assert closed["Statement"] and all(s["Effect"] == "Deny" for s in closed["Statement"])
    assert tp.trusted_service_accounts(closed) == []


def test_merge_into_closed_policy_drops_the_deny():
    merged, changed = tp.merge_statement(tp.closed_policy(PROVIDER), stmt())
    assert changed
    assert merged["Statement"] == [stmt()]


# ----------------------------------------------------- remove_aws_principals

A = "arn:aws:iam::111122223333:role/a"
B = "arn:aws:iam::111122223333:role/b"


def _allow(principal, **extra):
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    statement.update(extra)
    return statement


@pytest.mark.parametrize(
    "stmts, expected, removed",
    [
        ([_allow({"AWS": A})], [], [A]),
        ([_allow({"AWS": [A, B]})], [_allow({"AWS": [B]})], [A]),
        ([_allow({"AWS": [B, A]}), _allow({"AWS": A})], [_allow({"AWS": [B]})], [A]),
        # other principal types in the same statement stay
        ([_allow({"AWS": A, "Service": "ec2.amazonaws.com"})], [_allow({"Service": "ec2.amazonaws.com"})], [A]),
        # Deny and non-AWS principals are not touched
        ([{"Effect": "Deny", "Principal": {"AWS": A}, "Action": "sts:AssumeRole"}],
         [{"Effect": "Deny", "Principal": {"AWS": A}, "Action": "sts:AssumeRole"}], []),
        ([_allow({"Federated": A})], [_allow({"Federated": A})], []),
        ([_allow("*")], [_allow("*")], []),
        ([_allow({"AWS": B}, Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})],
         [_allow({"AWS": B}, Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})], []),
    ],
)
def test_remove_aws_principals(stmts, expected, removed):
    policy = {"Version": "2012-10-17", "Statement": stmts}
    original = copy.deepcopy(policy)
    new_policy, got_removed, remaining = tp.remove_aws_principals(json.dumps(policy), lambda p: p == A)
    assert new_policy == {"Version": "2012-10-17", "Statement": expected}
    assert got_removed == removed
    assert remaining == len(expected)
    assert policy == original


def test_remove_aws_principals_none_policy():
    assert tp.remove_aws_principals(None, lambda p: True) == ({"Version": "2012-10-17", "Statement": []}, [], 0)
