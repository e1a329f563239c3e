# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one definition of "carries IRSA credentials", and the workload reads."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.eks.access.plugins.module_utils.model import irsa
from ansible_collections.eks.access.plugins.module_utils.model import workloads


ROLE = "arn:aws:iam::111122223333:role/AmazonEKSVPCCNIRole"
TOKEN_DIR = "/var/run/secrets/eks.amazonaws.com/serviceaccount"
ENV = [{"name": "AWS_ROLE_ARN", "value": ROLE}, {"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": TOKEN_DIR + "/token"}]
MOUNT = {"name": "aws-iam-token", "mountPath": TOKEN_DIR, "readOnly": True}
VOLUME = {"name": "aws-iam-token", "projected": {"sources": [
    {"serviceAccountToken": {"audience": "sts.amazonaws.com", "expirationSeconds": 86400, "path": "token"}}]}}


def webhook_pod(name="p", init=True, annotations=None):
    """A pod as the pod identity webhook (tests/sandbox/pod_identity_webhook.py) mutates it."""
    container = {"name": "app", "env": list(ENV), "volumeMounts": [MOUNT]}
    spec = {"containers": [container], "volumes": [VOLUME]}
    if init:
        spec["initContainers"] = [dict(container, name="init")]
    meta = {"name": name, "labels": {"app": "x"}}
    if annotations:
        meta["annotations"] = annotations
    return copy.deepcopy({"metadata": meta, "spec": spec, "status": {"phase": "Running"}})


def test_the_webhook_s_mutation_carries_credentials():
    assert workloads.carries_irsa_credentials(webhook_pod(), ROLE)


def test_variables_set_by_hand_without_the_token_do_not():
    pod = webhook_pod()
    for container in pod["spec"]["containers"] + pod["spec"]["initContainers"]:
        container.pop("volumeMounts")
    pod["spec"]["volumes"] = []
    problems = workloads.pod_irsa_problems(pod, ROLE)
    assert [c for c, _p in problems] == ["init", "app"]
    assert "no projected service-account token volume is mounted there" in problems[0][1]


@pytest.mark.parametrize("change, problem", [
    (lambda p: p["spec"]["volumes"][0].update(projected={"sources": [{"secret": {"name": "x"}}]}),
     "projects no service-account token at token"),
    (lambda p: p["spec"]["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"].update(audience="other"),
     "has audience other, not sts.amazonaws.com"),
    (lambda p: p["spec"]["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"].update(path="t2"),
     "projects no service-account token at token"),
    (lambda p: [c["volumeMounts"][0].update(mountPath="/elsewhere") for c in p["spec"]["containers"]],
     "no projected service-account token volume is mounted there"),
    (lambda p: [c["env"].__setitem__(0, {"name": "AWS_ROLE_ARN", "value": ROLE + "x"}) for c in p["spec"]["containers"]],
     "AWS_ROLE_ARN is %sx, not %s" % (ROLE, ROLE)),
    (lambda p: [c.update(env=ENV[:1]) for c in p["spec"]["containers"]], "AWS_WEB_IDENTITY_TOKEN_FILE is not set"),
])
def test_each_part_of_the_definition_counts(change, problem):
    pod = webhook_pod(init=False)
    change(pod)
    problems = workloads.pod_irsa_problems(pod, ROLE)
    assert problems and problem in problems[0][1], problems


def test_a_mount_of_the_file_itself_counts():
    pod = webhook_pod(init=False)
    pod["spec"]["containers"][0]["volumeMounts"] = [dict(MOUNT, mountPath=TOKEN_DIR + "/token")]
    pod["spec"]["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"]["path"] = "."
    assert workloads.carries_irsa_credentials(pod, ROLE)


def test_init_containers_count_and_skip_containers_skips_both_kinds():
    pod = webhook_pod()
    pod["spec"]["initContainers"][0]["env"] = []
    assert not workloads.carries_irsa_credentials(pod)
    pod["metadata"]["annotations"] = {"eks.amazonaws.com/skip-containers": " init ,other"}
    assert workloads.carries_irsa_credentials(pod)


def test_irsa_and_cni_agree_on_init_containers():
    """Issue 15: irsa.py ignored init containers while cni.py counted them; both now use workloads."""
    from ansible_collections.eks.access.plugins.module_utils.model import cni

    pod = webhook_pod()
    pod["spec"]["initContainers"][0]["env"] = []
    assert irsa.containers_missing_irsa_env(pod) == ["init"]
    assert cni.verify_pods([pod], ROLE)["ok"] is False


def test_a_pod_without_containers_has_no_credentials():
    assert not workloads.carries_irsa_credentials({"metadata": {"name": "x"}, "spec": {}})


def test_container_env_reads_literal_values_and_names_of_value_from():
    container = {"env": [{"name": "A", "value": "1"}, {"name": "B", "valueFrom": {"fieldRef": {}}}, "junk", {"value": 2}]}
    assert workloads.container_env(container) == {"A": "1", "B": None}


def test_is_live():
    pod = webhook_pod()
    assert workloads.is_live(pod)
    assert not workloads.is_live(dict(pod, status={"phase": "Succeeded"}))
    gone = copy.deepcopy(pod)
    gone["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert not workloads.is_live(gone)


def test_audience_of_a_service_account():
    assert workloads.audience_of(None) == "sts.amazonaws.com"
    assert workloads.audience_of({"metadata": {"annotations": {"eks.amazonaws.com/audience": "a"}}}) == "a"


DS_PATH = "/apis/apps/v1/namespaces/kube-system/daemonsets/aws-node"
