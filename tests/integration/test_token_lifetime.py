# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs longer than an EKS token: the sandbox refuses old tokens, and a module mints a new one and carries on.

EKS accepts a token for 15 minutes after its X-Amz-Date. The sandbox's
authenticator takes that lifetime from ``EKS_SANDBOX_TOKEN_LIFETIME`` when it
starts, and ``$EKS_SANDBOX_DIR/run/token-lifetime-<cluster>`` shortens it for
one cluster while the sandbox runs (the API servers keep a token review at
most 10 seconds, so a lifetime of 10 s holds). Here the ``sandbox`` cluster's
lifetime is 10 seconds for the test:

* a token minted and left unused for longer is refused (401), a fresh one of
  the same identity is accepted;
* ``eks.access.daemonset_restart`` of aws-node with ``k8s_auth: eks_token``
  and ``poll_interval: 25`` succeeds: its first token is refused at the
  second look at the rollout, and it mints another (the authenticator's log
  shows the refusal during the run); no token appears in its output.
"""

from __future__ import annotations

import json
import os
import ssl
import time
import urllib.error
import urllib.request

import boto3
import pytest

from playbook_runs import recap, run_sandbox_playbook
from ansible_collections.eks.access.plugins.module_utils.clients import eks_token

LIFETIME = 10


@pytest.fixture
def short_lifetime(sandbox_env):
    """The token lifetime of the CONFIG_MAP cluster is LIFETIME seconds during the test."""
    cluster = sandbox_env["EKS_CONFIG_MAP_CLUSTER_NAME"]
    path = os.path.join(sandbox_env["EKS_SANDBOX_DIR"], "run", "token-lifetime-" + cluster)
    with open(path, "w") as f:
        f.write("%d\n" % LIFETIME)
    try:
        yield cluster
    finally:
        os.unlink(path)


def status_of(env, cluster, token):
    """HTTP status of GET /api on the cluster's API server with bearer ``token``."""
    with open(os.path.join(env["EKS_SANDBOX_DIR"], "kubeconfig-" + cluster)) as f:
        server = json.load(f)["clusters"][0]["cluster"]["server"]
    ctx = ssl.create_default_context(cafile=os.path.join(env["EKS_SANDBOX_DIR"], "pki", "ca.crt"))
    request = urllib.request.Request(server + "/api", headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(request, context=ctx, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def test_old_tokens_are_refused_and_a_long_restart_mints_new_ones(sandbox_env, short_lifetime, tmp_path):
    cluster = short_lifetime
    sts = boto3.client("sts", region_name=sandbox_env["AWS_REGION"], endpoint_url=sandbox_env["AWS_ENDPOINT_URL"])
    unused = eks_token.mint_token(sts, cluster)
    minted = time.time()
    log = os.path.join(sandbox_env["EKS_SANDBOX_DIR"], "logs", "authenticator.log")
    offset = os.path.getsize(log)

    playbook = tmp_path / "restart.yml"
    playbook.write_text(json.dumps([{
        "name": "Restart aws-node with an EKS token that expires during the run",
        "hosts": "localhost", "gather_facts": False, "connection": "local",
        "tasks": [{"name": "Rolling restart, looking every 25 seconds", "register": "restarted",
                   "eks.access.daemonset_restart": {
                       "cluster_name": cluster, "k8s_auth": "eks_token", "namespace": "kube-system",
                       "name": "aws-node", "poll_interval": 25, "wait_timeout": 300}},
                  {"name": "It restarted", "ansible.builtin.assert": {"that": ["restarted is changed"]}}],
    }]))
    out = run_sandbox_playbook(sandbox_env, [sandbox_env.get("ANSIBLE_PLAYBOOK", "ansible-playbook"), str(playbook),
                                             "-i", "localhost,", "-v"])
    assert recap(out, "localhost")["failed"] == 0
    assert eks_token.TOKEN_PREFIX not in out, "a token was printed"
    with open(log) as f:
        f.seek(offset)
        refusals = [line for line in f if line.split(" ", 1)[-1].startswith(cluster + ": access denied")
                    and "%d second expiration" % LIFETIME in line]
    assert refusals, "the module's token was never refused: the run did not outlive it"

    # The token minted before the run and never used is older than the lifetime now: 401.
    assert time.time() - minted > LIFETIME
    assert status_of(sandbox_env, cluster, unused) == 401
    assert status_of(sandbox_env, cluster, eks_token.mint_token(sts, cluster)) == 200
