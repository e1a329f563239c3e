# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``ansible-playbook eks.access.migrate_to_pod_identity`` itself, as an operator runs it.

Against the sandbox inventory (one cluster), limited to one namespace with one
IRSA service account and its Deployment: ``--check --diff`` changes nothing; a
run moves the pods onto Pod Identity; a second run reports no change in the
PLAY RECAP; ``-e pod_identity_migration_cleanup=true`` removes the annotation
and the OIDC subject; everything is removed afterwards.
"""

from __future__ import annotations

import json

import pytest

from playbook_runs import SANDBOX_INVENTORY, ansible_playbook, recap, run_sandbox_playbook
from pod_identity_app import ROLE_ANNOTATION, IrsaApp

NAMESPACE = "podmig-play"
ROLE = "podmig-play-app"
PI_VARS = {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"}


def run(env, *args):
    argv = [ansible_playbook(env), "eks.access.migrate_to_pod_identity", "-i", SANDBOX_INVENTORY,
            "-e", json.dumps({"pod_identity_migration_namespaces": [NAMESPACE],
                              "pod_identity_migration_wait_timeout": 180,
                              "pod_identity_migration_install_agent": True})] + list(args)
    return run_sandbox_playbook(env, argv)


@pytest.fixture
def app(sandbox_env):
    """The IRSA workload, 2 pods, no agent add-on (the playbook installs it); removed afterwards."""
    import boto3
    from kubernetes import client, config

    core = client.CoreV1Api(config.new_client_from_config(config_file=sandbox_env["KUBECONFIG"]))
    workload = IrsaApp(sandbox_env, boto3.client("iam"), boto3.client("eks"), core, NAMESPACE, ROLE, replicas=2)
    workload.setup(agent=False, audience_condition=True)
    yield workload
    workload.teardown()


def state(app):
    sa = app.core.read_namespaced_service_account("app", NAMESPACE)
    pods = app.live_pods()
    return {
        "annotation": (sa.metadata.annotations or {}).get(ROLE_ANNOTATION),
        "pods": sorted(p["metadata"]["name"] for p in pods),
        "pod_identity_pods": sorted(p["metadata"]["name"] for p in pods
                                    if PI_VARS <= {e["name"] for c in p["spec"]["containers"] for e in c.get("env") or []}),
        "trust": sorted(json.dumps(s, sort_keys=True) for s in app.trust()["Statement"]),
        "associations": [a["serviceAccount"] for a in app.associations()],
        "agent": app.agent_installed(),
    }


def test_playbook_check_run_rerun_cleanup(sandbox_env, app):
    before = state(app)
    assert before["annotation"] and before["pod_identity_pods"] == [] and before["associations"] == []
    assert not before["agent"]  # the playbook installs it (pod_identity_migration_install_agent)

    out = run(sandbox_env, "--check", "--diff")
    assert "pods.eks.amazonaws.com" in out and "%s/app" % NAMESPACE in out
    assert state(app) == before

    out = run(sandbox_env)
    assert recap(out)["changed"] > 0
    migrated = state(app)
    assert migrated["associations"] == ["app"]
    assert len(migrated["pods"]) == 2 and migrated["pod_identity_pods"] == migrated["pods"]
    assert not set(migrated["pods"]) & set(before["pods"])
    assert migrated["annotation"] == before["annotation"]
    assert len(migrated["trust"]) == 2  # the OIDC statement stays until cleanup
    assert migrated["agent"]

    out = run(sandbox_env)
    assert recap(out)["changed"] == 0
    assert state(app) == migrated

    out = run(sandbox_env, "-e", "pod_identity_migration_cleanup=true")
    assert recap(out)["changed"] > 0
    cleaned = state(app)
    assert cleaned["annotation"] is None
    assert cleaned["pods"] == migrated["pods"] and cleaned["associations"] == ["app"]
    assert [json.loads(s)["Principal"] for s in cleaned["trust"]] == [{"Service": "pods.eks.amazonaws.com"}]
