# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils.model import rollout
from ansible_collections.eks.access.plugins.module_utils.model.rollout import RolloutError


def ds(strategy=None, desired=3, generation=2, observed=2, updated=3, available=3):
    spec = {"selector": {"matchLabels": {"k8s-app": "aws-node"}}}
    if strategy is not None:
        spec["updateStrategy"] = strategy
    return {"metadata": {"generation": generation}, "spec": spec,
            "status": {"desiredNumberScheduled": desired, "observedGeneration": observed,
                       "updatedNumberScheduled": updated, "numberAvailable": available}}


@pytest.mark.parametrize("value, total, up, expected", [
    (1, 10, True, 1), ("2", 10, True, 2), ("10%", 3, True, 1), ("10%", 3, False, 0), ("50%", 5, True, 3),
    ("100%", 4, True, 4), (None, 3, True, None),
])
def test_scaled_value(value, total, up, expected):
    assert rollout.scaled_value(value, total, up) == expected


@pytest.mark.parametrize("value", ["x%", "abc", True, 1.5])
def test_scaled_value_rejects(value):
    with pytest.raises(RolloutError):
        rollout.scaled_value(value, 3, True)


def test_strategy_defaults_and_resolution():
    assert rollout.strategy(ds()) == {"type": "RollingUpdate", "max_unavailable": 1, "max_surge": 0, "desired": 3}
    eks_default = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%"}}
    assert rollout.strategy(ds(eks_default, desired=30))["max_unavailable"] == 3
    surge = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}}
    assert rollout.strategy(ds(surge, desired=4)) == {"type": "RollingUpdate", "max_unavailable": 0, "max_surge": 1,
                                                      "desired": 4}
    assert rollout.strategy(ds({"type": "OnDelete"}))["type"] == "OnDelete"


def test_restart_patch_is_what_kubectl_sends():
    assert rollout.restart_patch("2026-01-01T00:00:00Z") == {
        "spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"}}}}}
    with pytest.raises(RolloutError):
        rollout.restart_patch("")


def test_plan_rolling_update():
    plan = rollout.plan_restart(ds({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%"}}), "rolling")
    assert plan["how"] == "template"
    assert "at most 1 pods unavailable" in plan["message"]


def test_plan_refuses_a_rolling_update_that_takes_every_node_down():
    everything = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "100%"}}
    with pytest.raises(RolloutError, match="every node at once"):
        rollout.plan_restart(ds(everything), "rolling")
    assert rollout.plan_restart(ds(everything), "rolling", allow_full_outage=True)["how"] == "template"
    # one node is one node: nothing to protect
    assert rollout.plan_restart(ds(everything, desired=1), "rolling")["how"] == "template"
    # surge replaces before removing
    surge = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "100%", "maxSurge": 1}}
    assert rollout.plan_restart(ds(surge), "rolling")["how"] == "template"


def test_plan_on_delete_deletes_in_batches():
    plan = rollout.plan_restart(ds({"type": "OnDelete"}), "rolling", batch_size=2)
    assert plan["how"] == "batches"
    assert plan["batch_size"] == 2
    assert rollout.batches(["a", "b", "c"], 2) == [["a", "b"], ["c"]]


def test_plan_delete_pods_is_the_guides_method():
    plan = rollout.plan_restart(ds({"type": "OnDelete"}), "delete_pods")
    assert plan["how"] == "all"


@pytest.mark.parametrize("method, batch", [("kubectl", 1), ("rolling", 0), ("rolling", True), ("rolling", "1")])
def test_plan_rejects(method, batch):
    with pytest.raises(RolloutError):
        rollout.plan_restart(ds(), method, batch)


@pytest.mark.parametrize("kwargs, done, words", [
    ({}, True, "rolled out"),
    ({"observed": 1}, False, "observed"),
    ({"updated": 2}, False, "2 of 3 updated pods are scheduled"),
    ({"available": 1}, False, "1 of 3 updated pods are available"),
])
def test_rollout_status(kwargs, done, words):
    result, message = rollout.rollout_status(ds(**kwargs))
    assert result is done
    assert words in message


def pod(name, ready=True, deleting=False, env=None, phase="Running"):
    meta = {"name": name}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {"metadata": meta,
            "spec": {"containers": [{"name": "aws-node", "env": env or []}]},
            "status": {"phase": phase, "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


def test_replacements_ready():
    assert rollout.replacements_ready([pod("old")], {"old"}, 1) == (False, "waiting for old to go away")
    assert rollout.replacements_ready([pod("old", deleting=True), pod("new", ready=False)], {"old"}, 1) == (
        False, "0 of 1 pods ready")
    assert rollout.replacements_ready([pod("new"), pod("b")], {"old"}, 2) == (True, "2 of 2 pods ready")
    assert not rollout.pod_is_ready(pod("p", phase="Pending"))


ARN = "arn:aws:iam::111122223333:role/AmazonEKSVPCCNIRole"


def test_env_mismatches():
    good = pod("good", env=[{"name": "AWS_ROLE_ARN", "value": ARN}, {"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": "/t"}])
    other = pod("other", env=[{"name": "AWS_ROLE_ARN", "value": "arn:aws:iam::111122223333:role/x"},
                              {"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": "/t"}])
    bare = pod("bare")
    leaving = pod("leaving", deleting=True)
    wanted = {"AWS_ROLE_ARN": ARN, "AWS_WEB_IDENTITY_TOKEN_FILE": "*"}
    assert rollout.env_mismatches([good, other, bare, leaving], wanted) == {
        "other": ["aws-node: AWS_ROLE_ARN is arn:aws:iam::111122223333:role/x"],
        "bare": ["aws-node: AWS_ROLE_ARN is not set", "aws-node: AWS_WEB_IDENTITY_TOKEN_FILE is not set"],
    }
    # rollback: the variables must be gone
    gone = {"AWS_ROLE_ARN": None}
    assert rollout.env_mismatches([good, bare], gone) == {"good": ["aws-node: AWS_ROLE_ARN is set"]}
    assert rollout.env_mismatches([good], {}) == {}
