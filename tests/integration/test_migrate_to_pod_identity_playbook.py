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
import os
import time

import pytest

from conftest import recap, run_sandbox_playbook  # pylint: disable=import-error

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INVENTORY = os.path.join(REPO, "playbooks", "inventory", "sandbox.yml")
NAMESPACE = "podmig-play"
ROLE = "podmig-play-app"
AGENT = "eks-pod-identity-agent"
PI_VARS = {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"}


def run(env, *args):
    argv = [env.get("ANSIBLE_PLAYBOOK", "ansible-playbook"), "eks.access.migrate_to_pod_identity", "-i", INVENTORY,
            "-e", json.dumps({"pod_identity_migration_namespaces": [NAMESPACE],
                              "pod_identity_migration_wait_timeout": 180,
                              "pod_identity_migration_install_agent": True})] + list(args)
    return run_sandbox_playbook(env, argv)


@pytest.fixture
def clients(sandbox_env):
    import boto3
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=sandbox_env["KUBECONFIG"])
    return boto3.client("iam"), boto3.client("eks"), client.CoreV1Api(api), client.AppsV1Api(api)


def live_pods(core):
    return [p for p in core.list_namespaced_pod(NAMESPACE, label_selector="app=app").items
            if not p.metadata.deletion_timestamp]


def state(iam, eks, core, cluster):
    sa = core.read_namespaced_service_account("app", NAMESPACE)
    pods = live_pods(core)
    trust = iam.get_role(RoleName=ROLE)["Role"]["AssumeRolePolicyDocument"]
    associations = eks.list_pod_identity_associations(clusterName=cluster, namespace=NAMESPACE)["associations"]
    return {
        "annotation": (sa.metadata.annotations or {}).get("eks.amazonaws.com/role-arn"),
        "pods": sorted(p.metadata.name for p in pods),
        "pod_identity_pods": sorted(p.metadata.name for p in pods
                                    if PI_VARS <= {e.name for c in p.spec.containers for e in c.env or []}),
        "trust": sorted(json.dumps(s, sort_keys=True) for s in trust["Statement"]),
        "associations": [a["serviceAccount"] for a in associations],
        "agent": AGENT in eks.list_addons(clusterName=cluster)["addons"],
    }


def _setup(sandbox_env, iam, eks, core, apps):
    from kubernetes import client

    account = sandbox_env["AWS_ACCOUNT_ID"]
    issuer = sandbox_env["EKS_OIDC_ISSUER"].replace("https://", "")
    provider = "arn:aws:iam::%s:oidc-provider/%s" % (account, issuer)
    created_provider = not any(p["Arn"] == provider for p in
                               iam.list_open_id_connect_providers()["OpenIDConnectProviderList"])
    if created_provider:
        iam.create_open_id_connect_provider(Url="https://" + issuer, ClientIDList=["sts.amazonaws.com"],
                                            ThumbprintList=["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"])
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {issuer + ":sub": "system:serviceaccount:%s:app" % NAMESPACE,
                                       issuer + ":aud": "sts.amazonaws.com"}}}]}
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(trust))
    role_arn = "arn:aws:iam::%s:role/%s" % (account, ROLE)
    core.create_namespace({"metadata": {"name": NAMESPACE}})
    core.create_namespaced_service_account(NAMESPACE, {"metadata": {
        "name": "app", "annotations": {"eks.amazonaws.com/role-arn": role_arn}}})
    apps.create_namespaced_deployment(NAMESPACE, client.V1Deployment(
        metadata={"name": "app"},
        spec={"replicas": 2, "selector": {"matchLabels": {"app": "app"}},
              "template": {"metadata": {"labels": {"app": "app"}},
                           "spec": {"serviceAccountName": "app",
                                    "containers": [{"name": "app", "image": "registry.example/app:1"}]}}}))
    if AGENT in eks.list_addons(clusterName=sandbox_env["EKS_CLUSTER_NAME"])["addons"]:
        eks.delete_addon(clusterName=sandbox_env["EKS_CLUSTER_NAME"], addonName=AGENT)  # the playbook installs it
    deadline = time.monotonic() + 120
    while len([p for p in live_pods(core) if p.status.phase == "Running"]) < 2:
        assert time.monotonic() < deadline, "the app pods did not start"
        time.sleep(1)
    return provider if created_provider else None


def _teardown(sandbox_env, iam, eks, core, created_provider):
    cluster = sandbox_env["EKS_CLUSTER_NAME"]
    for association in eks.list_pod_identity_associations(clusterName=cluster, namespace=NAMESPACE)["associations"]:
        eks.delete_pod_identity_association(clusterName=cluster, associationId=association["associationId"])
    if AGENT in eks.list_addons(clusterName=cluster)["addons"]:
        eks.delete_addon(clusterName=cluster, addonName=AGENT)
    try:
        iam.delete_role(RoleName=ROLE)
    except iam.exceptions.NoSuchEntityException:
        pass
    if created_provider:
        iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=created_provider)
    core.delete_namespace(NAMESPACE)


def test_playbook_check_run_rerun_cleanup(sandbox_env, clients):
    iam, eks, core, apps = clients
    cluster = sandbox_env["EKS_CLUSTER_NAME"]
    created_provider = _setup(sandbox_env, iam, eks, core, apps)
    try:
        before = state(iam, eks, core, cluster)
        assert before["annotation"] and before["pod_identity_pods"] == [] and before["associations"] == []
        assert not before["agent"]  # the playbook installs it (pod_identity_migration_install_agent)

        out = run(sandbox_env, "--check", "--diff")
        assert "pods.eks.amazonaws.com" in out and "%s/app" % NAMESPACE in out
        assert state(iam, eks, core, cluster) == before

        out = run(sandbox_env)
        assert recap(out)["changed"] > 0
        migrated = state(iam, eks, core, cluster)
        assert migrated["associations"] == ["app"]
        assert len(migrated["pods"]) == 2 and migrated["pod_identity_pods"] == migrated["pods"]
        assert not set(migrated["pods"]) & set(before["pods"])
        assert migrated["annotation"] == before["annotation"]
        assert len(migrated["trust"]) == 2  # the OIDC statement stays until cleanup
        assert migrated["agent"]

        out = run(sandbox_env)
        assert recap(out)["changed"] == 0
        assert state(iam, eks, core, cluster) == migrated

        out = run(sandbox_env, "-e", "pod_identity_migration_cleanup=true")
        assert recap(out)["changed"] > 0
        cleaned = state(iam, eks, core, cluster)
        assert cleaned["annotation"] is None
        assert cleaned["pods"] == migrated["pods"] and cleaned["associations"] == ["app"]
        assert [json.loads(s)["Principal"] for s in cleaned["trust"]] == [{"Service": "pods.eks.amazonaws.com"}]
    finally:
        _teardown(sandbox_env, iam, eks, core, created_provider)
