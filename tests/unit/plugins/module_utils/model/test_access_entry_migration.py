# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""model/access_entry_migration.py: the fate of every aws-auth entry, over plain data."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model.eks_cluster import ClusterFacts
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import plan as aws_auth_plan
from ansible_collections.eks.access.plugins.module_utils.model import access_entry as m
from ansible_collections.eks.access.plugins.module_utils.model import access_entry_migration as mig

ACCOUNT = "111122223333"
OTHER = "444455556666"
CLUSTER = ClusterFacts("prod", ACCOUNT, "aws", "API_AND_CONFIG_MAP")
ADMIN = m.policy_arn("AmazonEKSClusterAdminPolicy")
NODE = "system:node:{{EC2PrivateDNSName}}"


def role(name, path="/", account=ACCOUNT):
    return "arn:aws:iam::%s:role%s%s" % (account, path, name)


def user(name):
    return "arn:aws:iam::%s:user/%s" % (ACCOUNT, name)


def mappings(roles=(), users=(), accounts=()):
    return {"mapRoles": [dict(rolearn=a, username=u, groups=list(g)) for a, u, g in roles],
            "mapUsers": [dict(userarn=a, username=u, groups=list(g)) for a, u, g in users],
            "mapAccounts": list(accounts)}


def iam_for(data, real=None, missing=()):
    """IAM's answer for every principal to look up: its ARN (path restored from ``real``), None for ``missing``."""
    answers = {}
    real = real or {}
    for kind, name in mig.principals_to_look_up(data, ACCOUNT):
        key = mig.iam_key(kind, name)
        if name in missing:
            answers[key] = None
        else:
            answers[key] = {"arn": real.get(name) or (role(name) if kind == "role" else user(name))}
    return answers


def plan(data, existing=None, real=None, missing=(), **kw):
    return mig.plan(data, CLUSTER, iam_for(data, real, missing), existing or {}, **kw)


def only(result):
    assert len(result.items) == 1
    return result.items[0]


# --------------------------------------------------------------------------- fates


def test_a_node_role_becomes_an_ec2_linux_entry_without_username_or_groups():
    item = only(plan(mappings(roles=[(role("ng"), NODE, ["system:bootstrappers", "system:nodes"])])))
    assert item.fate == "create" and not item.blocks_api
    assert item.entry.type == "EC2_LINUX" and item.entry.username is None and item.entry.kubernetes_groups == ()
    assert item.entry.tags == {mig.MIGRATION_TAG_KEY: mig.MIGRATION_TAG_VALUE}


def test_a_windows_node_role_becomes_ec2_windows():
    groups = ["system:bootstrappers", "system:nodes", "eks:kube-proxy-windows"]
    item = only(plan(mappings(roles=[(role("win"), NODE, groups)])))
    assert item.entry.type == "EC2_WINDOWS"


def test_a_fargate_pod_execution_role_becomes_fargate_linux():
    item = only(plan(mappings(roles=[(role("fargate"), "system:node:{{SessionName}}",
                                      ["system:bootstrappers", "system:nodes", "system:node-proxier"])])))
    assert item.entry.type == "FARGATE_LINUX"


def test_a_node_role_of_another_account_blocks_api():
    item = only(plan(mappings(roles=[(role("ng", account=OTHER), NODE, ["system:nodes"])])))
    assert item.fate == "blocked" and item.blocks_api and "cluster's account" in item.reason


def test_system_masters_becomes_the_cluster_admin_policy_and_keeps_its_other_groups():
    item = only(plan(mappings(roles=[(role("ops"), "ops:{{SessionName}}", ["system:masters", "oncall", "audit"])])))
    assert item.fate == "create"
    assert item.entry.type == "STANDARD"
    assert item.entry.kubernetes_groups == ("audit", "oncall")
    assert item.entry.username == "ops:{{SessionName}}"
    assert item.entry.policies == {ADMIN: m.CLUSTER_SCOPE}


def test_an_ordinary_entry_keeps_username_and_groups():
    item = only(plan(mappings(users=[(user("alice"), "alice", ["devs"])])))
    assert item.fate == "create" and item.entry.username == "alice" and item.entry.kubernetes_groups == ("devs",)
    assert item.username_rewrite is None and item.entry.policies == {}


def test_a_session_name_without_a_colon_before_it_is_rewritten_and_the_rewrite_shown():
    item = only(plan(mappings(roles=[(role("dev"), "{{SessionName}}", ["devs"])])))
    assert item.fate == "create"
    assert item.entry.username == "aws-auth:{{SessionName}}"
    assert item.username_rewrite["from"] == "{{SessionName}}"
    assert item.username_rewrite["to"] == "aws-auth:{{SessionName}}"
    assert "':'" in item.username_rewrite["why"]


def test_a_reserved_username_prefix_is_rewritten_with_the_prefix_given():
    item = only(plan(mappings(roles=[(role("adm"), "system:admin", ["system:masters"])]), username_prefix="was:"))
    assert item.entry.username == "was:system:admin"


def test_an_acceptable_username_is_never_rewritten():
    item = only(plan(mappings(roles=[(role("dev"), "dev:{{SessionName}}", [])])))
    assert item.username_rewrite is None and item.entry.username == "dev:{{SessionName}}"


def test_the_sso_role_gets_its_path_back_from_iam():
    name = "AWSReservedSSO_Admin_0123456789abcdef"
    real = role(name, "/aws-reserved/sso.amazonaws.com/eu-west-1/")
    item = only(plan(mappings(roles=[(role(name), "sso:{{SessionName}}", ["admins"])]), real={name: real}))
    assert item.fate == "create" and item.principal_arn == real and item.entry.principal_arn == real
    assert item.path_restored and any("Identity Center" in note for note in item.notes)


def test_other_role_paths_are_restored_too():
    real = role("ci", "/automation/")
    item = only(plan(mappings(roles=[(role("ci"), "ci", ["deployers"])]), real={"ci": real}))
    assert item.entry.principal_arn == real and item.path_restored


def test_a_rolearn_with_a_path_never_matched_and_is_skipped():
    item = only(plan(mappings(roles=[(role("ci", "/automation/"), "ci", ["deployers"])])))
    assert item.fate == "skipped" and not item.blocks_api and "path" in item.reason


def test_map_accounts_blocks_api():
    item = only(plan(mappings(accounts=[OTHER])))
    assert item.section == "mapAccounts" and item.fate == "blocked" and item.blocks_api


def test_another_system_group_blocks_and_the_entry_is_not_migrated():
    item = only(plan(mappings(roles=[(role("x"), "x", ["system:bootstrappers", "devs"])])))
    assert item.fate == "blocked" and item.blocks_api and item.entry is None
    assert "system:bootstrappers" in item.reason


def test_a_service_linked_role_blocks_api():
    name = "AWSServiceRoleForAmazonEMRContainers"
    real = role(name, "/aws-service-role/emr-containers.amazonaws.com/")
    item = only(plan(mappings(roles=[(role(name), "emr-containers", [])]), real={name: real}))
    assert item.fate == "blocked" and item.blocks_api and "service-linked" in item.reason


def test_a_vanished_principal_is_skipped_and_the_rest_goes_on():
    result = plan(mappings(roles=[(role("gone"), "gone", ["devs"]), (role("here"), "here", ["devs"])]),
                  missing=("gone",))
    gone, here = result.items
    assert gone.fate == "skipped" and not gone.blocks_api and "IAM has no role gone" in gone.reason
    assert here.fate == "create"


def test_iam_root_blocks_api():
    item = only(plan(mappings(users=[("arn:aws:iam::%s:root" % ACCOUNT, "root", ["devs"])])))
    assert item.fate == "blocked" and item.blocks_api


def test_a_malformed_arn_is_skipped_without_stopping_the_plan():
    result = plan(mappings(roles=[("arn:aws:iam::12:role/bad", "bad", []), (role("ok"), "ok", [])]))
    assert [i.fate for i in result.items] == ["skipped", "create"]


def test_duplicates_migrate_the_authenticators_winner_the_last_one():
    result = plan(mappings(roles=[(role("dup"), "first", ["a"]), (role("DUP"), "second", ["b"])]))
    first, second = result.items
    assert first.fate == "skipped" and "entry 1" in first.reason and not first.blocks_api
    assert second.fate == "create" and second.entry.username == "second"
    assert aws_auth_plan.authenticator_winners("mapRoles", [{"rolearn": "a"}, {"rolearn": "A"}, {"rolearn": "b"}]) == \
        [1, 1, 2]


def test_an_entry_without_username_blocks():
    item = only(plan(mappings(roles=[(role("x"), "", ["devs"])])))
    assert item.fate == "blocked" and "username" in item.reason


# --------------------------------------------------------------------------- existing entries


def existing_entry(arn, **kw):
    kw.setdefault("type", "STANDARD")
    kw.setdefault("kubernetes_groups", ())
    kw.setdefault("policies", {})
    kw.setdefault("tags", {})
    return m.AccessEntry(arn, **kw)


def test_an_equal_existing_entry_needs_nothing_even_with_a_path_and_extra_policies():
    real = role("ops", "/team/")
    found = existing_entry(real, username="ops", kubernetes_groups=("oncall",),
                           policies={ADMIN: m.CLUSTER_SCOPE, m.policy_arn("AmazonEKSViewPolicy"): m.CLUSTER_SCOPE})
    result = plan(mappings(roles=[(role("ops"), "ops", ["system:masters", "oncall"])]), existing={real: found},
                  real={"ops": real})
    item = only(result)
    assert item.fate == "unchanged" and result.wanted == []
    assert not mig.write_plan(result).changed


def test_a_different_existing_entry_is_reported_blocks_and_is_not_changed():
    found = existing_entry(role("dev"), username="someone-else", kubernetes_groups=("devs",))
    result = plan(mappings(roles=[(role("dev"), "dev", ["devs"])]), existing={role("dev"): found})
    item = only(result)
    assert item.fate == "differs" and item.blocks_api and "someone-else" in item.reason
    assert not mig.write_plan(result).changed


def test_update_existing_changes_it_keeping_its_policies_and_tags():
    view = m.policy_arn("AmazonEKSViewPolicy")
    found = existing_entry(role("ops"), username="x", policies={view: m.CLUSTER_SCOPE}, tags={"owner": "me"})
    result = plan(mappings(roles=[(role("ops"), "ops", ["system:masters", "oncall"])]), existing={role("ops"): found},
                  update_existing=True)
    item = only(result)
    assert item.fate == "update" and not item.blocks_api
    writes = mig.write_plan(result)
    change = writes.changes[0]
    assert change.action == "update"
    assert change.update == {"principalArn": role("ops"), "kubernetesGroups": ["oncall"], "username": "ops"}
    assert change.associate == [(ADMIN, m.CLUSTER_SCOPE)] and change.disassociate == []
    assert not change.tag and not change.untag


def test_an_existing_entry_of_another_type_is_reported_even_with_update_existing():
    found = existing_entry(role("ng"), username="n")
    item = only(plan(mappings(roles=[(role("ng"), NODE, ["system:nodes"])]), existing={role("ng"): found},
                     update_existing=True))
    assert item.fate == "differs" and "type" in item.reason


def test_node_entries_eks_created_at_the_switch_are_equal():
    found = existing_entry(role("ng"), type="EC2_LINUX", username=NODE, kubernetes_groups=("system:nodes",))
    item = only(plan(mappings(roles=[(role("ng"), NODE, ["system:bootstrappers", "system:nodes"])]),
                     existing={role("ng"): found}))
    assert item.fate == "unchanged"


def test_a_second_run_after_apply_plans_nothing():
    data = mappings(roles=[(role("ng"), NODE, ["system:nodes"]), (role("ops"), "ops", ["system:masters", "x"])],
                    users=[(user("alice"), "alice", ["devs"])])
    first = plan(data)
    after = {entry.principal_arn: m.AccessEntry(entry.principal_arn, entry.type, entry.kubernetes_groups,
                                                entry.username if entry.type == "STANDARD" else NODE,
                                                entry.policies, entry.tags) for entry in first.wanted}
    second = plan(data, existing=after)
    assert [i.fate for i in second.items] == ["unchanged"] * 3
    assert not mig.write_plan(second).changed
    assert mig.rollback_targets(after) == sorted(after)


def test_rollback_targets_only_the_migrations_tag():
    entries = {role("a"): existing_entry(role("a"), tags={mig.MIGRATION_TAG_KEY: mig.MIGRATION_TAG_VALUE}),
               role("b"): existing_entry(role("b"), tags={"other": "x"}),
               role("c"): existing_entry(role("c"))}
    assert mig.rollback_targets(entries) == [role("a")]


def test_summary_counts_each_fate_and_the_blockers():
    result = plan(mappings(roles=[(role("ng"), NODE, ["system:nodes"]), (role("gone"), "g", [])], accounts=[OTHER]),
                  missing=("gone",))
    assert result.summary() == {"create": 1, "update": 0, "unchanged": 0, "differs": 0, "skipped": 1,
                                "blocked": 1, "blocks_api": 1}


def test_principals_to_look_up_are_the_cluster_accounts_roles_and_users_once_whatever_their_case():
    data = mappings(roles=[(role("a"), "a", []), (role("A"), "a", []), (role("x", account=OTHER), "x", [])],
                    users=[(user("u"), "u", [])])
    assert mig.principals_to_look_up(data, ACCOUNT) == [("role", "a"), ("user", "u")]


def test_cross_account_principals_are_kept_as_written_with_a_note():
    item = only(plan(mappings(roles=[(role("x", account=OTHER), "x", ["devs"])])))
    assert item.fate == "create" and item.principal_arn == role("x", account=OTHER)
    assert any("not checked" in note for note in item.notes)


# --------------------------------------------------------------------------- verification


def test_check_identity_renders_the_session_and_ignores_authenticated_and_masters():
    item = only(plan(mappings(roles=[(role("ops"), "ops:{{SessionName}}", ["system:masters", "oncall"])])))
    assert mig.check_identity(item, "ops:me-example.com", ["oncall", "system:authenticated"], ACCOUNT,
                              "me@example.com") == []
    problems = mig.check_identity(item, "ops:other", ["system:masters"], ACCOUNT, "me@example.com")
    assert len(problems) == 2


def test_entry_problems_names_what_differs():
    item = only(plan(mappings(roles=[(role("ops"), "ops", ["system:masters"])])))
    assert mig.entry_problems(item, None) == ["EKS reports no access entry"]
    assert mig.entry_problems(item, existing_entry(role("ops"), username="ops", policies={ADMIN: m.CLUSTER_SCOPE},
                                                   created_at=datetime.datetime(2026, 1, 1))) == []
    assert mig.entry_problems(item, existing_entry(role("ops"), username="ops")) == [
        "no AmazonEKSClusterAdminPolicy at cluster scope"]


# --------------------------------------------------------------------------- undo of update_existing

VIEW = m.policy_arn("AmazonEKSViewPolicy")


def _entry(arn, groups=("devs",), username="dev", policies=None):
    return m.AccessEntry(arn, m.STANDARD, tuple(groups), username, dict(policies or {}))


def test_an_update_is_recorded_with_the_entry_as_it_was_and_an_earlier_record_keeps_its_before():
    before = _entry(role("dev"), policies={VIEW: m.AccessScope("namespace", ("team",))})
    after = _entry(role("dev"), groups=("devs", "ops"), policies={ADMIN: m.CLUSTER_SCOPE})
    change = m.plan({before.principal_arn: before}, [after]).changes[0]
    records = mig.undo_records({}, [change])
    assert records == {role("dev"): {
        "before": {"type": "STANDARD", "kubernetes_groups": ["devs"], "username": "dev",
                   "policies": {VIEW: {"type": "namespace", "namespaces": ["team"]}}},
        "after": {"type": "STANDARD", "kubernetes_groups": ["devs", "ops"], "username": "dev",
                  "policies": {ADMIN: {"type": "cluster", "namespaces": []}}}}}
    # An apply interrupted half-way and run again: the entry is already part-updated, the first before stays.
    half = _entry(role("dev"), groups=("devs", "ops"), policies={VIEW: m.AccessScope("namespace", ("team",))})
    again = m.plan({half.principal_arn: half}, [after]).changes[0]
    assert mig.undo_records(records, [again])[role("dev")]["before"] == records[role("dev")]["before"]


def test_rollback_restores_what_apply_left_or_half_left_and_nothing_changed_since():
    before = _entry(role("dev"), policies={VIEW: m.AccessScope("namespace", ("team",))})
    after = _entry(role("dev"), groups=("devs", "ops"), policies={VIEW: m.AccessScope("namespace", ("team",)),
                                                                  ADMIN: m.CLUSTER_SCOPE})
    record = {"before": mig.entry_record(before), "after": mig.entry_record(after)}
    records = {role(n): record for n in ("dev", "half", "done", "gone", "changed", "caller")}

    def like(name, entry):
        return m.AccessEntry(role(name), entry.type, entry.kubernetes_groups, entry.username, entry.policies)

    existing = {
        role("dev"): like("dev", after),
        # groups updated, the admin policy not yet associated when apply stopped
        role("half"): m.AccessEntry(role("half"), m.STANDARD, ("devs", "ops"), "dev", dict(before.policies)),
        role("done"): like("done", before),
        role("changed"): m.AccessEntry(role("changed"), m.STANDARD, ("devs", "ops", "sre"), "dev",
                                       dict(after.policies)),
        role("caller"): like("caller", after),
    }
    restore = mig.restore_plan(records, existing, {m.principal_key(role("caller"))})
    assert restore.restored == [role("dev"), role("half")]
    assert [e.principal_arn for e in restore.wanted] == [role("dev"), role("half")]
    assert all((e.kubernetes_groups, e.username, e.policies) == (before.kubernetes_groups, "dev", before.policies)
               for e in restore.wanted)
    assert restore.settled == [role("done"), role("gone")]
    assert [(k["principal_arn"], k["reason"].split(",")[0].split(":")[0]) for k in restore.kept] == [
        (role("caller"), "the identity this task runs as"), (role("changed"), "changed since the migration updated it")]
    writes = m.plan(existing, restore.wanted)
    dev = next(c for c in writes.changes if c.principal_arn == role("dev"))
    assert (dev.action, dev.update, dev.disassociate) == (
        "update", {"principalArn": role("dev"), "kubernetesGroups": ["devs"]}, [ADMIN])


# --------------------------------------------------------------------------- issue 27: the caller's entry, names


def test_update_existing_may_not_shrink_the_callers_own_entry():
    """aws-auth maps the caller with fewer groups than its entry has: apply is refused before any write."""
    found = existing_entry(role("p2-op", "/ops/"), username="op", kubernetes_groups=("admins", "oncall"))
    data = mappings(roles=[(role("p2-op"), "op", ["oncall"])])
    result = plan(data, existing={role("p2-op", "/ops/"): found}, real={"p2-op": role("p2-op", "/ops/")},
                  update_existing=True)
    caller = "arn:aws:sts::%s:assumed-role/p2-op/ci" % ACCOUNT
    with pytest.raises(errors.Refused, match="group admins removed"):
        mig.write_plan(result, protected=(caller,))
    assert mig.write_plan(result).changed  # another principal's entry is updated


def test_a_lookalike_system_group_is_not_migrated():
    result = plan(mappings(roles=[(role("dev"), "dev", ["\u0455ystem:masters"])]))
    item = only(result)
    assert item.entry is None and "outside ASCII" in item.reason
