# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS throttling and 5xx (injected by aws_fault_proxy.py in front of moto): retried, and the result converges."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from figures import figure
from playbook_runs import run_module

HERE = os.path.dirname(os.path.abspath(__file__))
FAIL = 0.5
NAMESPACE = "reliability-faults"
ROLE = "reliability-faults-irsa"
S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def fault_proxy(env):
    port = free_port()
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "aws_fault_proxy.py"), "--listen",
                             "127.0.0.1:%d" % port, "--target", env["AWS_ENDPOINT_URL"], "--fail", str(FAIL)])
    url = "http://127.0.0.1:%d" % port
    deadline = time.time() + 10
    while True:
        try:
            urllib.request.urlopen(url + "/__fault_stats", timeout=1).read()
            break
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.1)

    def stats():
        return json.loads(urllib.request.urlopen(url + "/__fault_stats", timeout=5).read())

    yield url, stats
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def irsa_cleanup(env, core):
    import boto3

    iam = boto3.client("iam", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=env["AWS_REGION"],
                       aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    issuer = env["EKS_OIDC_ISSUER"].replace("https://", "")
    providers_before = {p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]}
    core.create_namespace({"metadata": {"name": NAMESPACE}})
    yield iam
    try:
        for policy in iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=ROLE, PolicyArn=policy["PolicyArn"])
        iam.delete_role(RoleName=ROLE)
    except iam.exceptions.NoSuchEntityException:
        pass
    for provider in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
        if provider["Arn"] not in providers_before and provider["Arn"].endswith(issuer):
            iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=provider["Arn"])
    core.delete_namespace(NAMESPACE)


def test_irsa_service_account_converges_through_throttling_and_5xx(env, core, fault_proxy, irsa_cleanup, tmp_path):
    url, stats = fault_proxy
    args = {"cluster_name": env["EKS_CLUSTER_NAME"], "k8s_auth": "kubernetes", "namespace": NAMESPACE,
            "name": "faulty", "role_name": ROLE, "managed_policies": [S3_READ], "create_oidc_provider": True}
    through_proxy = {"AWS_ENDPOINT_URL": url}
    t0 = time.monotonic()
    rc, first = run_module(env, "irsa_service_account", args, tmp_path, extra_env=through_proxy)
    first_s = time.monotonic() - t0
    assert rc == 0 and first["changed"], first
    after_first = stats()
    rc, second = run_module(env, "irsa_service_account", args, tmp_path, extra_env=through_proxy)
    assert rc == 0 and not second["changed"], (second.get("msg"), second.get("response_metadata"))
    totals = stats()

    iam = irsa_cleanup
    role = iam.get_role(RoleName=ROLE)["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    condition = json.dumps(trust["Statement"][0]["Condition"])
    assert "system:serviceaccount:%s:faulty" % NAMESPACE in condition
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]] == [S3_READ]
    annotations = core.read_namespaced_service_account("faulty", NAMESPACE).metadata.annotations
    assert annotations["eks.amazonaws.com/role-arn"] == role["Arn"]
    failed = totals["throttled"] + totals["unavailable"]
    assert failed > 0, totals
    figure("AWS faults: %d%% of AWS requests failed by the proxy (%d throttled, %d 503 of %d): irsa_service_account "
           "converged in %.1fs (%d requests, %d failed and retried), the second run changed nothing; role, trust, "
           "policy and annotation as asked"
           % (FAIL * 100, totals["throttled"], totals["unavailable"], totals["requests"], first_s,
              after_first["requests"], after_first["throttled"] + after_first["unavailable"]))


def test_aws_auth_info_check_iam_through_throttling_and_5xx(env, aws_auth, fault_proxy, tmp_path):
    url, stats = fault_proxy
    missing = "arn:aws:iam::%s:role/reliability-no-such-role" % aws_auth.account
    rc, _result = run_module(env, "aws_auth_mapping", {"roles": [{"rolearn": missing, "groups": ["g"]}]}, tmp_path)
    assert rc == 0
    rc, direct = run_module(env, "aws_auth_info", {"check_iam": True}, tmp_path)
    assert rc == 0
    results = []
    for _run in range(3):
        rc, faulty = run_module(env, "aws_auth_info", {"check_iam": True}, tmp_path,
                                extra_env={"AWS_ENDPOINT_URL": url})
        assert rc == 0, faulty
        results.append(faulty["findings"])
    totals = stats()
    assert all(findings == direct["findings"] for findings in results)
    assert [f["arn"] for f in direct["findings"] if f["code"] == "missing_iam_identity"] == [missing]
    assert totals["throttled"] + totals["unavailable"] > 0, totals
    figure("AWS faults: aws_auth_info check_iam run 3 times with %d%% of AWS requests failing (%d throttled, "
           "%d 503 of %d): the same findings as without faults every time" % (
               FAIL * 100, totals["throttled"], totals["unavailable"], totals["requests"]))
