# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure Pod Identity planner (model/pod_identity.py) and the Pod Identity trust rules (trust_policy.py)."""

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils.model import trust_policy
from ansible_collections.eks.access.plugins.module_utils.errors import InvalidInput
from ansible_collections.eks.access.plugins.module_utils.errors import Refused
from ansible_collections.eks.access.plugins.module_utils.model import pod_identity as model

ACCOUNT = "111122223333"
ROLE = "arn:aws:iam::%s:role/app" % ACCOUNT
OTHER = "arn:aws:iam::%s:role/other" % ACCOUNT
ADDON = "arn:aws:eks:us-west-2:%s:addon/prod/vpc-cni/1" % ACCOUNT


def item(ns="apps", sa="web", role=ROLE, **kw):
    return dict(namespace=ns, service_account=sa, role_arn=role, **kw)


def current(ns="apps", sa="web", role=ROLE, ident="a-00000000000000001", **kw):
    return model.Current(ns, sa, ident, "arn:aws:eks:us-west-2:%s:podidentityassociation/prod/%s" % (ACCOUNT, ident),
                         role_arn=role, **kw)


def parse(items, state="present"):
    return model.parse_associations(items, state, ACCOUNT, "aws")


# --------------------------------------------------------------------------- parsing

@pytest.mark.parametrize("bad, words", [
    (item(ns="Apps"), "associations[0]"),
    (item(sa="web_1"), "RFC 1123"),
    (item(sa="web*"), "wildcard"),
    (item(role=None), "role_arn is required"),
    (item(role="arn:aws:iam::%s:user/app" % ACCOUNT), "not an IAM role ARN"),
    (item(role="arn:aws:iam::999988887777:role/app"), "target_role_arn"),
    (item(role="arn:aws-cn:iam::%s:role/app" % ACCOUNT), "partition"),
    (item(target_role_arn="nope"), "target_role_arn"),
    (item(target_role_arn=ROLE), "same role"),
    (item(tags={"k%d" % i: "v" for i in range(51)}), "at most 50"),
])
def test_bad_input_is_refused_with_the_entry(bad, words):
    with pytest.raises(InvalidInput) as e:
        parse([bad])
    assert words in str(e.value)


def test_duplicates_are_refused():
    with pytest.raises(InvalidInput) as e:
        parse([item(), item(role=OTHER)])
    assert "listed twice" in str(e.value) and "apps/web" in str(e.value)


def test_absent_needs_no_role():
    parsed = parse([dict(namespace="apps", service_account="web")], state="absent")
    assert parsed[0].key == ("apps", "web") and parsed[0].role_arn is None


def test_cross_account_target_role_is_accepted():
    parsed = parse([item(target_role_arn="arn:aws:iam::444455556666:role/reader")])
    assert parsed[0].target_role_arn == "arn:aws:iam::444455556666:role/reader"


# --------------------------------------------------------------------------- planning

def test_create_update_unchanged():
    wanted = parse([item(), item(sa="api", role=OTHER), item(sa="jobs", disable_session_tags=True)])
    plan = model.plan(wanted, [current(), current(sa="api", ident="a-00000000000000002")], "present")
    assert [(c.action, c.key) for c in plan.changes] == [("update", ("apps", "api")), ("create", ("apps", "jobs"))]
    assert plan.changes[0].update == {"roleArn": OTHER}
    assert plan.unchanged == [("apps", "web")]


def test_second_plan_after_applying_is_empty():
    wanted = parse([item(tags={"team": "a"}, target_role_arn="arn:aws:iam::444455556666:role/reader",
                         disable_session_tags=True)])
    applied = current(tags={"team": "a"}, target_role_arn="arn:aws:iam::444455556666:role/reader",
                      disable_session_tags=True)
    plan = model.plan(wanted, [applied], "present", purge="cluster")
    assert plan.changes == [] and plan.unchanged == [("apps", "web")]


def test_target_role_removed_and_tags_purged():
    wanted = parse([item(tags={"keep": "1", "new": "2"})])
    existing = current(target_role_arn="arn:aws:iam::444455556666:role/reader", tags={"keep": "1", "old": "x"})
    change = model.plan(wanted, [existing], "present").changes[0]
    assert change.update == {"targetRoleArn": ""}
    assert change.tags_to_add == {"new": "2"} and change.tags_to_remove == ["old"]
    no_purge = model.plan(wanted, [existing], "present", purge_tags=False).changes[0]
    assert no_purge.tags_to_remove == []


def test_tags_left_out_are_left_alone():
    plan = model.plan(parse([item()]), [current(tags={"owner": "someone"})], "present")
    assert plan.changes == []


def test_purge_namespace_and_cluster_keep_addon_associations():
    existing = [current(), current(sa="old", ident="a-00000000000000002"),
                current(ns="other", sa="x", ident="a-00000000000000003"),
                current(ns="kube-system", sa="aws-node", ident="a-00000000000000004", owner_arn=ADDON)]
    wanted = parse([item()])
    by_namespace = model.plan(wanted, existing, "present", purge="namespace")
    assert [(c.action, c.key) for c in by_namespace.changes] == [("delete", ("apps", "old"))]
    by_cluster = model.plan(wanted, existing, "present", purge="cluster")
    assert [c.key for c in by_cluster.of("delete")] == [("apps", "old"), ("other", "x")]
    assert by_cluster.kept_for_addons == [(("kube-system", "aws-node"), ADDON)]
    everything = model.plan([], existing, "present", purge="cluster")
    assert len(everything.of("delete")) == 3


def test_absent_deletes_listed_only():
    existing = [current(), current(sa="api", ident="a-00000000000000002")]
    plan = model.plan(parse([dict(namespace="apps", service_account="web"),
                             dict(namespace="apps", service_account="gone")], "absent"), existing, "absent")
    assert [(c.action, c.key) for c in plan.changes] == [("delete", ("apps", "web"))]
    assert plan.unchanged == [("apps", "gone")]
    with pytest.raises(InvalidInput):
        model.plan([], existing, "absent", purge="cluster")


def test_addon_owned_association_is_refused():
    owned = current(ns="kube-system", sa="aws-node", owner_arn=ADDON)
    with pytest.raises(Refused) as e:
        model.plan(parse([item(ns="kube-system", sa="aws-node")]), [owned], "present")
    assert ADDON in str(e.value) and "podIdentityAssociations" in str(e.value)
    with pytest.raises(Refused):
        model.plan(parse([dict(namespace="kube-system", service_account="aws-node")], "absent"), [owned], "absent")


def test_cluster_limit():
    existing = [current(sa="sa-%d" % i, ident="a-%017d" % i) for i in range(999)]
    model.plan(parse([item(sa="one-more")]), existing, "present")
    with pytest.raises(Refused) as e:
        model.plan(parse([item(sa="one-more"), item(sa="two-more")]), existing, "present")
    assert "1000" in str(e.value)
    # deleting in the same run makes room
    model.plan(parse([item(sa="one-more"), item(sa="two-more")]), existing, "present", purge="cluster")


def test_diff_shows_changes_only():
    wanted = parse([item(), item(sa="api", role=OTHER), item(sa="new")])
    existing = [current(), current(sa="api", ident="a-00000000000000002"),
                current(sa="old", ident="a-00000000000000003")]
    diff = model.diff(model.plan(wanted, existing, "present", purge="namespace"))
    assert sorted(diff["before"]["associations"]) == ["apps/api", "apps/old"]
    assert sorted(diff["after"]["associations"]) == ["apps/api", "apps/new"]
    assert diff["after"]["associations"]["apps/api"]["role_arn"] == OTHER
    assert diff["before"]["associations"]["apps/api"]["role_arn"] == ROLE


def test_roles_to_verify():
    assert model.roles_to_verify(parse([item(), item(sa="b"), item(sa="c", role=OTHER)]), "present") == [ROLE, OTHER]
    assert model.roles_to_verify(parse([dict(namespace="a", service_account="b")], "absent"), "absent") == []


# --------------------------------------------------------------------------- trust

def test_trust_gaps():
    assert trust_policy.pod_identity_trust_gaps({"Statement": [trust_policy.pod_identity_statement()]}) == ([], [])
    only_assume = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
                                  "Action": "sts:AssumeRole"}]}
    assert trust_policy.pod_identity_trust_gaps(only_assume) == (["sts:TagSession"], [])
    ec2 = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                          "Action": ["sts:AssumeRole", "sts:TagSession"]}]}
    assert trust_policy.pod_identity_trust_gaps(ec2) == (["sts:AssumeRole", "sts:TagSession"], [])
    wildcard = {"Statement": [{"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com",
                                                                            "pods.eks.amazonaws.com"]},
                               "Action": "sts:*", "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}]}
    assert trust_policy.pod_identity_trust_gaps(wildcard) == ([], [])
    denied = {"Statement": [trust_policy.pod_identity_statement(),
                            {"Effect": "Deny", "Principal": {"Service": "pods.eks.amazonaws.com"},
                             "Action": "sts:TagSession"}]}
    assert trust_policy.pod_identity_trust_gaps(denied) == ([], ["sts:TagSession"])


def test_merging_the_statement_keeps_the_others():
    irsa = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::%s:oidc-provider/oidc.example/id/1" % ACCOUNT},
        "Action": "sts:AssumeRoleWithWebIdentity"}]}
    merged, changed = trust_policy.merge_statement(irsa, trust_policy.pod_identity_statement())
    assert changed and len(merged["Statement"]) == 2 and merged["Statement"][0] == irsa["Statement"][0]
    assert trust_policy.pod_identity_trust_gaps(merged) == ([], [])
    again, changed = trust_policy.merge_statement(merged, trust_policy.pod_identity_statement())
    assert not changed and again == merged


def test_trust_refusal_says_what_to_do():
    message = str(model.trust_refusal([ROLE], {OTHER: ["sts:TagSession"]}, {}))
    assert message.startswith("Nothing was changed")
    assert "does not exist" not in message and "do not exist" in message and ROLE in message
    assert "manage_trust: true" in message and OTHER in message
