# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""daemonset_restart's runner with a scripted KubeApi: what it writes, in which order, and when it stops."""

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils.runners import daemonset_restart as runner
from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.services import lease

from ansible_collections.eks.access.tests.unit.plugins.fakes import FakeContext, ScriptedKube

DS_PATH = "/apis/apps/v1/namespaces/kube-system/daemonsets/aws-node"
ROLE = "arn:aws:iam::111122223333:role/AmazonEKSVPCCNIRole"


def kube(on_delete=False):
    ds = {"metadata": {"name": "aws-node", "namespace": "kube-system", "generation": 1},
          "spec": {"selector": {"matchLabels": {"k8s-app": "aws-node"}},
                   "updateStrategy": {"type": "OnDelete"} if on_delete else {"type": "RollingUpdate"},
                   "template": {"spec": {"serviceAccountName": "aws-node"}}},
          "status": {"desiredNumberScheduled": 2, "observedGeneration": 1, "updatedNumberScheduled": 2,
                     "numberAvailable": 2}}
    pods = [{"metadata": {"name": "aws-node-%d" % i, "labels": {"k8s-app": "aws-node"}},
             "spec": {"containers": [{"name": "aws-node", "env": []}]},
             "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}} for i in range(2)]
    return ScriptedKube({DS_PATH: ds}, {"kube-system": pods})


ENV = {"AWS_ROLE_ARN": ROLE, "AWS_WEB_IDENTITY_TOKEN_FILE": "*"}


def test_check_mode_plans_and_writes_nothing():
    api = kube()
    result = runner.run(FakeContext(api, check_mode=True, diff_mode=True), runner.Options(restart_if_env=ENV))
    assert result["changed"] and result["restarted"] and api.writes == []
    assert sorted(result["pods_needing_restart"]) == ["aws-node-0", "aws-node-1"]
    assert "diff" in result


def test_rolling_restart_patches_the_template_once():
    api = kube()
    result = runner.run(FakeContext(api), runner.Options(restart_if_env=ENV, wait=False))
    assert [w[:2] for w in api.writes] == [("PATCH", DS_PATH)]
    assert result["restarted"] is True


def test_nothing_to_restart_writes_nothing():
    api = kube()
    result = runner.run(FakeContext(api), runner.Options(restart_if_env={"AWS_ROLE_ARN": None}))
    assert result["changed"] is False and api.writes == []


def test_a_run_that_lost_its_lease_stops_before_restarting():
    api = kube()
    with pytest.raises(lease.LeaseLost):
        runner.run(FakeContext(api), runner.Options(restart_if_env=ENV, lease_holder="migration A"))
    assert api.writes == []


def test_a_missing_daemonset_and_bad_input_are_one_sentence():
    with pytest.raises(errors.NotFound):
        runner.run(FakeContext(ScriptedKube()), runner.Options())
    with pytest.raises(errors.InvalidInput):
        runner.run(FakeContext(kube()), runner.Options(poll_interval=0))
    with pytest.raises(errors.InvalidInput):
        runner.run(FakeContext(kube()), runner.Options(method="nope"))
