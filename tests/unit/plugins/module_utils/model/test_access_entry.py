# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""model/access_entry.py: every EKS rule, normalisation, the plan, the diff and the lint."""

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils.model.eks_cluster import ClusterFacts
from ansible_collections.eks.access.plugins.module_utils.model.eks_cluster import cluster_facts
from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model import access_entry as m

ACCOUNT = "111122223333"
POLICIES = frozenset(m.policy_arn(n) for n in (
    "AmazonEKSViewPolicy", "AmazonEKSEditPolicy", "AmazonEKSAdminPolicy", "AmazonEKSClusterAdminPolicy",
    "AmazonEKSAutoNodePolicy"))
CLUSTER = ClusterFacts("prod", ACCOUNT, "aws", "API_AND_CONFIG_MAP", POLICIES)
ROLE = "arn:aws:iam::%s:role/developers" % ACCOUNT
NODE_ROLE = "arn:aws:iam::%s:role/eks-node" % ACCOUNT
VIEW = m.policy_arn("AmazonEKSViewPolicy")
ADMIN = m.policy_arn("AmazonEKSClusterAdminPolicy")


def normalize(**item):
    item.setdefault("principal_arn", ROLE)
    return m.normalize_entries([item], CLUSTER)[0]


def refused(match, **item):
    with pytest.raises(errors.InvalidInput, match=match):
        normalize(**item)


# --------------------------------------------------------------------------- rules


def test_a_standard_entry_with_groups_username_and_a_policy_by_name_normalises():
    entry = normalize(kubernetes_groups=["b", "a", "a"], username="dev:{{SessionName}}",
                      access_policies=[{"policy": "AmazonEKSViewPolicy",
                                        "access_scope": {"type": "namespace", "namespaces": ["team-b", "team-a"]}}])
    assert entry.kubernetes_groups == ("a", "b")
    assert entry.policies == {VIEW: m.AccessScope("namespace", ("team-a", "team-b"))}


def test_a_policy_by_full_arn_is_accepted_and_a_missing_scope_means_cluster():
    assert normalize(access_policies=[{"policy": ADMIN}]).policies == {ADMIN: m.CLUSTER_SCOPE}


@pytest.mark.parametrize("policy,match", [
    ("AmazonEKSNoSuchPolicy", "not an access policy EKS lists"),
    ("arn:aws:eks::aws:cluster-access-policy/AmazonEKSNoSuch", "not an access policy EKS lists"),
    ("arn:aws:iam::aws:policy/AdministratorAccess", "not an EKS access policy ARN"),
    ("view policy", "neither an access policy name"),
])
def test_policies_are_checked_against_what_eks_lists(policy, match):
    refused(match, access_policies=[{"policy": policy}])


def test_each_policy_once_per_entry():
    refused("listed twice", access_policies=[{"policy": "AmazonEKSViewPolicy"}, {"policy": VIEW}])


@pytest.mark.parametrize("scope,match", [
    ({"type": "namespace"}, "at least one namespace"),
    ({"type": "namespace", "namespaces": ["Team_A"]}, "not a namespace name"),
    ({"type": "namespace", "namespaces": ["a*b"]}, "not a namespace name"),
    ({"type": "namespace", "namespaces": ["x" * 64]}, "not a namespace name"),
    ({"type": "namespace", "namespaces": ["a", "a"]}, "twice"),
    ({"type": "cluster", "namespaces": ["a"]}, "takes no namespaces"),
    ({"type": "account"}, "cluster or namespace"),
])
def test_scope_rules(scope, match):
    refused(match, access_policies=[{"policy": "AmazonEKSViewPolicy", "access_scope": scope}])


def test_namespace_prefix_wildcards_are_accepted():
    entry = normalize(access_policies=[{"policy": "AmazonEKSEditPolicy",
                                        "access_scope": {"type": "namespace", "namespaces": ["team-*", "dev"]}}])
    assert list(entry.policies.values())[0].namespaces == ("dev", "team-*")


@pytest.mark.parametrize("group", ["system:masters", "system:nodes"])
def test_groups_may_not_start_with_system(group):
    refused("starts with 'system:'.*AmazonEKSClusterAdminPolicy", kubernetes_groups=["dev", group])


@pytest.mark.parametrize("username", ["system:admin", "eks:x", "aws:x", "amazon:x", "iam:x"])
def test_reserved_username_prefixes(username):
    refused("EKS reserves", username=username)


@pytest.mark.parametrize("username", ["{{SessionName}}", "dev-{{SessionName}}", "{{SessionNameRaw}}:x"])
def test_session_name_needs_a_colon_before_it(username):
    refused("without a ':' before it", username=username)


@pytest.mark.parametrize("username", ["dev:{{SessionName}}", "a:b-{{SessionName}}", "{{AccountID}}:{{SessionNameRaw}}"])
def test_session_name_after_a_colon_is_accepted(username):
    assert normalize(username=username).username == username


def test_assumed_role_arns_are_refused_with_the_role_arn():
    refused(r"assumed-role session.*arn:aws:iam::111122223333:role/developers",
            principal_arn="arn:aws:sts::%s:assumed-role/developers/alice" % ACCOUNT)


def test_service_linked_roles_are_refused():
    refused("service-linked role",
            principal_arn="arn:aws:iam::%s:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS" % ACCOUNT)


def test_role_arns_with_a_path_are_allowed():
    arn = "arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123" % ACCOUNT
    assert normalize(principal_arn=arn).principal_arn == arn


@pytest.mark.parametrize("arn,match", [
    ("arn:aws:iam::%s:group/devs" % ACCOUNT, "IAM group"),
    ("arn:aws:iam::%s:root" % ACCOUNT, "IAM root"),
    ("arn:aws:iam::1234:role/x", "account"),
    ("developers", "not an ARN"),
    ("arn:aws-cn:iam::%s:role/x" % ACCOUNT, "partition aws-cn"),
])
def test_principals_must_be_iam_roles_or_users(arn, match):
    refused(match, principal_arn=arn)


def test_a_principal_listed_twice_is_refused():
    with pytest.raises(errors.InvalidInput, match="also entries\\[0\\]"):
        m.normalize_entries([{"principal_arn": ROLE}, {"principal_arn": ROLE}], CLUSTER)


@pytest.mark.parametrize("node_type", m.NODE_TYPES)
def test_node_types_take_no_groups_username_or_policies(node_type):
    refused("takes no kubernetes_groups", principal_arn=NODE_ROLE, type=node_type, kubernetes_groups=["x"])
    refused("takes no username", principal_arn=NODE_ROLE, type=node_type, username="node")
    refused("takes no access policies", principal_arn=NODE_ROLE, type=node_type,
            access_policies=[{"policy": "AmazonEKSViewPolicy"}])
    assert normalize(principal_arn=NODE_ROLE, type=node_type, kubernetes_groups=[]).type == node_type


def test_auto_mode_node_entries_may_carry_the_auto_node_policy():
    entry = normalize(principal_arn=NODE_ROLE, type="EC2", access_policies=[{"policy": "AmazonEKSAutoNodePolicy"}])
    assert list(entry.policies) == [m.policy_arn("AmazonEKSAutoNodePolicy")]


@pytest.mark.parametrize("arn", ["arn:aws:iam::%s:user/alice" % ACCOUNT, "arn:aws:iam::444455556666:role/node"])
def test_node_types_must_be_roles_of_the_clusters_account(arn):
    refused("must be an IAM role of the cluster's account", principal_arn=arn, type="EC2_LINUX")


def test_unknown_type_and_bad_tags_are_refused():
    refused("type 'NODE' is not one of", type="NODE")
    refused("not starting with aws:", tags={"aws:x": "y"})
    refused("must be a string", tags={"team": 1})


def test_absent_reads_only_the_principal():
    [entry] = m.normalize_entries([{"principal_arn": ROLE, "kubernetes_groups": ["system:masters"]}], CLUSTER,
                                  state="absent")
    assert entry.principal_arn == ROLE


def test_config_map_mode_is_refused_with_the_fix():
    with pytest.raises(errors.Refused, match="API_AND_CONFIG_MAP first"):
        m.require_entries_mode(ClusterFacts("prod", ACCOUNT, authentication_mode="CONFIG_MAP"))
    m.require_entries_mode(CLUSTER)


def test_cluster_facts_come_from_the_cluster_arn():
    facts = cluster_facts({"name": "c", "arn": "arn:aws-cn:eks:cn-north-1:%s:cluster/c" % ACCOUNT,
                           "accessConfig": {"authenticationMode": "API"}})
    assert (facts.partition, facts.account_id, facts.authentication_mode) == ("aws-cn", ACCOUNT, "API")


# --------------------------------------------------------------------------- plan


def existing(arn=ROLE, type="STANDARD", groups=(), username=None, policies=None, tags=None):
    return m.AccessEntry(arn, type, tuple(groups), username or "u", dict(policies or {}), dict(tags or {}),
                         entry_arn="arn:aws:eks:us-east-1:%s:access-entry/prod/x" % ACCOUNT)


def test_a_new_entry_is_created_then_its_policies_associated():
    wanted = [normalize(kubernetes_groups=["dev"], access_policies=[{"policy": "AmazonEKSViewPolicy"}])]
    plan = m.plan({}, wanted)
    [change] = plan.changes
    assert change.action == "create"
    assert change.create == {"principalArn": ROLE, "type": "STANDARD", "kubernetesGroups": ["dev"]}
    assert change.associate == [(VIEW, m.CLUSTER_SCOPE)]
    assert plan.writes() == 2


def test_the_same_entry_again_plans_nothing():
    current = {ROLE: existing(groups=["dev"], policies={VIEW: m.CLUSTER_SCOPE})}
    plan = m.plan(current, [normalize(kubernetes_groups=["dev"], access_policies=["AmazonEKSViewPolicy"])])
    assert not plan.changed and plan.writes() == 0


def test_what_the_task_does_not_name_is_kept():
    current = {ROLE: existing(groups=["dev"], username="dev", policies={VIEW: m.CLUSTER_SCOPE}, tags={"a": "b"})}
    plan = m.plan(current, [normalize()])
    assert not plan.changed
    assert plan.after[ROLE].kubernetes_groups == ("dev",)


def test_groups_username_scope_and_extra_policies_are_updated():
    current = {ROLE: existing(groups=["dev"], username="dev", policies={VIEW: m.CLUSTER_SCOPE, ADMIN: m.CLUSTER_SCOPE})}
    wanted = normalize(kubernetes_groups=["ops"], username="ops",
                       access_policies=[{"policy": "AmazonEKSViewPolicy",
                                         "access_scope": {"type": "namespace", "namespaces": ["a"]}}])
    [change] = m.plan(current, [wanted]).changes
    assert change.action == "update"
    assert change.update == {"principalArn": ROLE, "kubernetesGroups": ["ops"], "username": "ops"}
    assert change.associate == [(VIEW, m.AccessScope("namespace", ("a",)))]
    assert change.disassociate == [ADMIN]


def test_tags_are_set_and_removed_when_given():
    current = {ROLE: existing(tags={"team": "a", "old": "x"})}
    [change] = m.plan(current, [normalize(tags={"team": "b"})]).changes
    assert change.tag == {"team": "b"} and change.untag == ["old"]


def test_a_type_change_is_refused_with_the_fix_unless_replace():
    current = {NODE_ROLE: existing(NODE_ROLE, type="EC2_LINUX")}
    wanted = [normalize(principal_arn=NODE_ROLE, type="EC2_WINDOWS")]
    with pytest.raises(errors.Refused, match="set replace: true"):
        m.plan(current, wanted)
    [change] = m.plan(current, wanted, replace=True).changes
    assert change.action == "replace" and change.create["type"] == "EC2_WINDOWS" and change.writes() == 2


def test_replacing_the_callers_own_entry_is_refused():
    current = {ROLE: existing(type="STANDARD")}
    wanted = [m.AccessEntry(NODE_ROLE, "EC2_LINUX"), m.AccessEntry(ROLE, "EC2_LINUX")]
    with pytest.raises(errors.Refused, match="would lose access"):
        m.plan(current, wanted[1:], replace=True, protected=("arn:aws:sts::%s:assumed-role/developers/s" % ACCOUNT,))


def test_purge_keeps_the_caller_node_entries_and_service_linked_roles():
    caller = "arn:aws:iam::%s:role/admins/ci" % ACCOUNT  # with a path; the caller comes as an assumed role
    slr = "arn:aws:iam::%s:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS" % ACCOUNT
    gone = "arn:aws:iam::%s:user/bob" % ACCOUNT
    current = {caller: existing(caller), NODE_ROLE: existing(NODE_ROLE, type="EC2_LINUX"),
               slr: existing(slr), gone: existing(gone), ROLE: existing()}
    plan = m.plan(current, [normalize()], purge=True,
                  protected=("arn:aws:sts::%s:assumed-role/ci/session" % ACCOUNT,))
    assert plan.by_action("delete") == [gone]
    assert sorted(k["principal_arn"] for k in plan.kept) == sorted([caller, NODE_ROLE, slr])
    assert m.plan(current, [normalize()], purge=True, allow_node_entry_deletion=True,
                  protected=(caller,)).by_action("delete") == sorted([gone, NODE_ROLE])


def test_deletions_come_after_every_grant():
    gone = "arn:aws:iam::%s:user/bob" % ACCOUNT
    plan = m.plan({gone: existing(gone)}, [normalize()], purge=True)
    assert [c.action for c in plan.changes] == ["create", "delete"]


def test_absent_deletes_listed_entries_that_exist_and_refuses_the_callers_own():
    current = {ROLE: existing()}
    other = "arn:aws:iam::%s:user/nobody" % ACCOUNT
    plan = m.plan(current, [m.AccessEntry(ROLE), m.AccessEntry(other)], state="absent")
    assert plan.by_action("delete") == [ROLE] and plan.after == {}
    with pytest.raises(errors.Refused, match="lock itself out"):
        m.plan(current, [m.AccessEntry(ROLE)], state="absent", protected=(ROLE,))
    assert m.plan(current, [m.AccessEntry(ROLE)], state="absent", protected=(ROLE,),
                  allow_self_lockout=True).changed


def test_the_diff_shows_only_touched_entries_field_by_field():
    other = "arn:aws:iam::%s:user/alice" % ACCOUNT
    current = {ROLE: existing(groups=["dev"]), other: existing(other)}
    plan = m.plan(current, [normalize(kubernetes_groups=["ops"], access_policies=["AmazonEKSViewPolicy"])])
    diff = m.diff(plan, "prod")
    assert "kubernetes_groups: [dev]" in diff["before"] and "kubernetes_groups: [ops]" in diff["after"]
    assert "policy AmazonEKSViewPolicy: cluster" in diff["after"]
    assert other not in diff["before"] + diff["after"]


# --------------------------------------------------------------------------- modes, lockout, lint


def test_mode_changes_go_one_step_at_a_time_and_never_back():
    facts = ClusterFacts("prod", ACCOUNT, authentication_mode="CONFIG_MAP")
    assert m.check_mode_change(facts, "API") == ["API_AND_CONFIG_MAP", "API"]
    assert m.check_mode_change(facts, "CONFIG_MAP") == []
    with pytest.raises(errors.Refused, match="never back"):
        m.check_mode_change(ClusterFacts("prod", ACCOUNT, authentication_mode="API"), "API_AND_CONFIG_MAP")


def test_missing_admins_matches_assumed_role_callers_to_their_role_entry():
    admin = "arn:aws:iam::%s:role/platform/admins" % ACCOUNT
    entries = {admin: existing(admin, policies={ADMIN: m.CLUSTER_SCOPE}),
               ROLE: existing(policies={ADMIN: m.AccessScope("namespace", ("a",))})}
    assert m.cluster_admins(entries) == [admin]
    caller = "arn:aws:sts::%s:assumed-role/admins/s" % ACCOUNT
    assert m.missing_admins(entries, [caller, ROLE]) == [ROLE]


def test_lint_finds_groups_that_differ_from_aws_auth_and_missing_principals():
    entries = {ROLE: existing(groups=["dev"])}
    findings = m.lint(entries, {"mapRoles": [{"rolearn": ROLE, "groups": ["ops"]}], "mapUsers": []},
                      missing_principals=[ROLE], recreated_principals=[])
    assert [f["code"] for f in findings] == ["missing_principal", "aws_auth_groups_differ"]
    assert m.lint(entries, {"mapRoles": [{"rolearn": ROLE, "groups": ["dev"]}]}) == []


def test_aws_auth_writes_are_refused_only_in_api_mode():
    with pytest.raises(errors.Refused, match="ignores the aws-auth ConfigMap.*eks_access_entry"):
        m.require_aws_auth_honoured("prod", "API")
    for mode in ("CONFIG_MAP", "API_AND_CONFIG_MAP", None):
        m.require_aws_auth_honoured("prod", mode)


# --------------------------------------------------------------------------- issue 27: principals matched as IAM does

PATHED = "arn:aws:iam::%s:role/teams/platform/p3-pathed" % ACCOUNT
SSO = "arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef" % ACCOUNT
LOWER = "arn:aws:iam::%s:role/p3-dev" % ACCOUNT
USER_P3 = "arn:aws:iam::%s:user/p3-dev" % ACCOUNT


def _entry(arn, type="STANDARD", groups=(), username="u", policies=None):
    return m.AccessEntry(arn, type, tuple(groups), username, dict(policies or {}), {})


@pytest.mark.parametrize("spelling,real", [
    ("arn:aws:iam::%s:role/P3-DEV" % ACCOUNT, LOWER),
    ("arn:aws:iam::%s:role/p3-pathed" % ACCOUNT, PATHED),
    ("arn:aws:iam::%s:role/P3-Pathed" % ACCOUNT, PATHED),
    ("arn:aws:iam::%s:role/AWSReservedSSO_Admin_0123456789abcdef" % ACCOUNT, SSO),
    ("arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef" % ACCOUNT, SSO),
])
def test_a_principal_resolves_to_the_entry_iam_takes_it_for(spelling, real):
    resolution = m.resolve_principals([m.AccessEntry(spelling)], [LOWER, PATHED, SSO])
    assert [e.principal_arn for e in resolution.entries] == [real]
    assert resolution.matched == [{"name": spelling, "principal_arn": real}] and resolution.unmatched == []


def test_an_exact_spelling_is_not_reported_and_a_user_never_matches_a_role():
    resolution = m.resolve_principals([m.AccessEntry(LOWER), m.AccessEntry(USER_P3)], [LOWER])
    assert [e.principal_arn for e in resolution.entries] == [LOWER, USER_P3]
    assert resolution.matched == [] and resolution.unmatched == [USER_P3]


def test_two_entries_that_fold_to_one_principal_are_refused_as_ambiguous():
    other = "arn:aws:iam::%s:role/old/p3-pathed" % ACCOUNT
    with pytest.raises(errors.Refused, match="name the entry exactly"):
        m.resolve_principals([m.AccessEntry("arn:aws:iam::%s:role/p3-pathed" % ACCOUNT)], [PATHED, other])


def test_two_spellings_of_one_principal_in_a_task_are_refused():
    with pytest.raises(errors.InvalidInput, match="also entries\\[0\\]"):
        m.normalize_entries([{"principal_arn": PATHED}, {"principal_arn": "arn:aws:iam::%s:role/P3-PATHED" % ACCOUNT}],
                            CLUSTER, "absent")


def test_absent_with_another_spelling_deletes_the_real_entry():
    current = {PATHED: _entry(PATHED), LOWER: _entry(LOWER)}
    wanted = m.resolve_principals([m.AccessEntry("arn:aws:iam::%s:role/p3-pathed" % ACCOUNT),
                                   m.AccessEntry("arn:aws:iam::%s:role/P3-DEV" % ACCOUNT)], list(current)).entries
    assert sorted(m.plan(current, wanted, state="absent").by_action("delete")) == sorted([PATHED, LOWER])


def test_purge_keeps_an_entry_a_listed_spelling_names():
    current = {PATHED: _entry(PATHED), LOWER: _entry(LOWER)}
    # Even unresolved (the plan alone), the listed spelling keeps the pathed entry from the purge.
    result = m.plan(current, [m.AccessEntry("arn:aws:iam::%s:role/p3-pathed" % ACCOUNT)], purge=True)
    assert PATHED not in result.by_action("delete") and result.by_action("delete") == [LOWER]


# --------------------------------------------------------------------------- issue 27: node entries by name

@pytest.mark.parametrize("node_type", ["EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "HYBRID_LINUX"])
def test_deleting_a_node_entry_by_name_needs_allow_node_entry_deletion(node_type):
    current = {NODE_ROLE: _entry(NODE_ROLE, node_type, username="system:node:{{EC2PrivateDNSName}}")}
    with pytest.raises(errors.Refused, match="%s node entry.*allow_node_entry_deletion: true" % node_type):
        m.plan(current, [m.AccessEntry(NODE_ROLE)], state="absent")
    assert m.plan(current, [m.AccessEntry(NODE_ROLE)], state="absent",
                  allow_node_entry_deletion=True).by_action("delete") == [NODE_ROLE]


# --------------------------------------------------------------------------- issue 27: the caller's own entry

CALLER_SESSION = "arn:aws:sts::%s:assumed-role/p2-op/ci" % ACCOUNT
OP = "arn:aws:iam::%s:role/ops/p2-op" % ACCOUNT
EDIT = m.policy_arn("AmazonEKSEditPolicy")
NS = m.AccessScope("namespace", ("team-a", "team-b"))


@pytest.mark.parametrize("before,wanted,reason", [
    ({ADMIN: m.CLUSTER_SCOPE}, {"access_policies": []}, "AmazonEKSClusterAdminPolicy removed"),
    ({ADMIN: m.CLUSTER_SCOPE}, {"access_policies": [{"policy": ADMIN, "access_scope": {"namespaces": ["team-a"]}}]},
     "narrowed from the cluster to namespaces team-a"),
    ({EDIT: NS}, {"access_policies": [{"policy": EDIT, "access_scope": {"namespaces": ["team-a"]}}]},
     "narrowed from namespaces team-a, team-b to namespaces team-a"),
    ({EDIT: m.CLUSTER_SCOPE}, {"access_policies": [{"policy": VIEW}]}, "AmazonEKSEditPolicy removed"),
    ({}, {"kubernetes_groups": []}, "group admins removed"),
    ({}, {"username": "someone-else"}, "username changed"),
])
def test_a_change_that_shrinks_the_callers_own_entry_is_refused(before, wanted, reason):
    current = {OP: _entry(OP, groups=["admins"], username="op", policies=before)}
    task = m.normalize_entries([dict(principal_arn=OP, **wanted)], CLUSTER)
    with pytest.raises(errors.Refused, match="identity this task runs as.*%s.*allow_self_lockout" % reason):
        m.plan(current, task, protected=(CALLER_SESSION,))
    assert m.plan(current, task, protected=(CALLER_SESSION,), allow_self_lockout=True).changed
    assert m.plan(current, task).changed  # another principal's entry: no guard


def test_the_caller_may_grow_its_entry_or_shrink_it_while_it_stays_cluster_admin():
    current = {OP: _entry(OP, groups=["admins"], username="op", policies={ADMIN: m.CLUSTER_SCOPE, EDIT: NS})}
    wider = m.normalize_entries([{"principal_arn": OP, "kubernetes_groups": ["admins", "more"], "access_policies": [
        {"policy": ADMIN}, {"policy": EDIT, "access_scope": {"namespaces": ["team-*"]}}]}], CLUSTER)
    assert m.plan(current, wider, protected=(CALLER_SESSION,)).changed
    still_admin = m.normalize_entries([{"principal_arn": OP, "kubernetes_groups": [], "username": "x",
                                        "access_policies": [{"policy": ADMIN}]}], CLUSTER)
    assert m.plan(current, still_admin, protected=(CALLER_SESSION,)).changed


def test_scope_covers_prefix_wildcards():
    assert m.scope_covers(m.AccessScope("namespace", ("team-*",)), m.AccessScope("namespace", ("team-a", "team-b-*")))
    assert not m.scope_covers(m.AccessScope("namespace", ("team-a-*",)), m.AccessScope("namespace", ("team-*",)))
    assert not m.scope_covers(m.AccessScope("namespace", ("team-a",)), m.CLUSTER_SCOPE)


# --------------------------------------------------------------------------- issue 27: names EKS reserves

@pytest.mark.parametrize("username,match", [
    ("SYSTEM:admin", "starts with 'system:', which EKS reserves \\(.*in any case\\)"),
    ("Eks:x", "starts with 'eks:'"),
    ("\uff53\uff59\uff53\uff54\uff45\uff4d\uff1aadmin", "starts with 'system:'"),  # fullwidth, NFKC
    ("\u0455ystem:admin", "outside ASCII before its first ':'"),  # Cyrillic dze
    ("al\x00ice", "control or invisible character U\\+0000"),
    ("sys\u200btem:admin", "U\\+200B"),
    ("alice\n", "U\\+000A"),
])
def test_usernames_that_are_or_pass_for_reserved_ones_are_refused(username, match):
    refused(match, username=username)


@pytest.mark.parametrize("group,match", [
    ("\u0455ystem:masters", "outside ASCII before its first ':'"),
    ("SYSTEM:masters", "starts with 'system:', which EKS refuses in access entries \\(in any case\\)"),
    ("System:Masters", "AmazonEKSClusterAdminPolicy"),
    ("ops\x00", "U\\+0000"),
])
def test_groups_that_are_or_pass_for_system_groups_are_refused(group, match):
    refused(match, kubernetes_groups=["ok", group])


def test_ordinary_and_non_ascii_names_after_a_colon_are_accepted():
    entry = normalize(kubernetes_groups=["équipe", "team:ѕ"], username="dev:{{SessionName}}-é")
    assert entry.kubernetes_groups == ("team:ѕ", "équipe")
