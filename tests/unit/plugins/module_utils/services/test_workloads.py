# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""services/workloads.py: the workload reads (a DaemonSet, its pods, its status) over a scripted Kubernetes API."""

from __future__ import annotations

from ansible_collections.eks.access.plugins.module_utils.model import workloads
from ansible_collections.eks.access.plugins.module_utils.services import workloads as workload_reads
from ansible_collections.eks.access.tests.unit.plugins.fakes import ScriptedKube

from ..model.test_workloads import DS_PATH, webhook_pod

# SHARED: DS_PATH


def _daemonset():
    return {"metadata": {"name": "aws-node", "namespace": "kube-system"},
            "spec": {"selector": {"matchLabels": {"app": "x"}}, "template": {"spec": {"serviceAccountName": "aws-node"}}},
            "status": {"desiredNumberScheduled": 2, "numberReady": 1}}


def test_daemonset_pods_select_by_match_labels():
    other = webhook_pod("other")
    other["metadata"]["labels"] = {"app": "y"}
    api = ScriptedKube({DS_PATH: _daemonset()}, {"kube-system": [webhook_pod("a"), other]})
    ds = workload_reads.daemonset(api, "kube-system", "aws-node")
    assert [p["metadata"]["name"] for p in workload_reads.daemonset_pods(api, ds)] == ["a"]
    assert workloads.daemonset_service_account(ds) == "aws-node"
    assert workloads.desired_pods(ds) == 2


def test_daemonset_status_uses_the_definition():
    by_hand = webhook_pod("by-hand")
    by_hand["spec"]["volumes"] = []
    api = ScriptedKube({DS_PATH: _daemonset()}, {"kube-system": [webhook_pod("a"), by_hand]})
    status = workload_reads.daemonset_status(api, "kube-system", "aws-node")
    assert status["desired"] == 2 and status["ready"] == 1 and status["service_account"] == "aws-node"
    assert [(p["name"], p["irsa_env"]) for p in status["pods"]] == [("a", True), ("by-hand", False)]
    assert workload_reads.daemonset_status(ScriptedKube(), "kube-system", "aws-node") == {"exists": False}
