# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IRSA -> Pod Identity migration, killed again and again, then run to completion.

``ansible-playbook eks.access.migrate_to_pod_identity -e pod_identity_migration_cleanup=true``
is started on the sandbox (one namespace: an IRSA service account, its role and a
Deployment of three pods) and killed (SIGKILL to the whole process group, as a
lost CI runner or a cancelled AWX job would) after 2 s, then, re-run, after
4 s, 6 s, ... until a run finishes by itself.

Throughout, a sampler thread checks the safety invariant continuously, and it
is checked again after every kill: IRSA is taken away (the annotation removed,
or the service account's subject gone from the role's OIDC statement) only
while every live pod of the service account carries Pod Identity credentials
(the two variables, and a projected token of audience pods.eks.amazonaws.com
mounted there, in every container). At the end every pod is on Pod Identity,
IRSA is gone, and one association exists.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time

from conftest import REPO, figure  # pylint: disable=import-error

INVENTORY = os.path.join(REPO, "playbooks", "inventory", "sandbox.yml")
NAMESPACE = "podmig-rel"
ROLE = "podmig-rel-app"
AGENT = "eks-pod-identity-agent"
MAX_RUNS = 40
PI_DIR = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount"


def playbook(env):
    argv = [env["ANSIBLE_PLAYBOOK"], "eks.access.migrate_to_pod_identity", "-i", INVENTORY,
            "-e", json.dumps({"pod_identity_migration_namespaces": [NAMESPACE],
                              "pod_identity_migration_wait_timeout": 180, "pod_identity_migration_cleanup": True})]
    run_env = dict(env, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0")
    return subprocess.Popen(argv, env=run_env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)


def live_pods(core):
    response = core.list_namespaced_pod(NAMESPACE, label_selector="app=app", _preload_content=False)
    return [p for p in json.loads(response.data)["items"] if not p["metadata"].get("deletionTimestamp")]


def on_pod_identity(pod):
    """The test's own judge: every container has both variables and the pods.eks.amazonaws.com token there."""
    volumes = dict((v["name"], v) for v in pod["spec"].get("volumes") or [])
    for container in (pod["spec"].get("initContainers") or []) + pod["spec"]["containers"]:
        env = dict((e["name"], e.get("value")) for e in container.get("env") or [])
        if not env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI") or \
                env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") != PI_DIR + "/eks-pod-identity-token":
            return False
        mounted = [m["name"] for m in container.get("volumeMounts") or [] if m.get("mountPath") == PI_DIR]
        tokens = [s["serviceAccountToken"] for name in mounted
                  for s in ((volumes.get(name) or {}).get("projected") or {}).get("sources") or []
                  if s.get("serviceAccountToken")]
        if not any(t.get("audience") == "pods.eks.amazonaws.com" for t in tokens):
            return False
    return True


def state(iam, core):
    sa = core.read_namespaced_service_account("app", NAMESPACE)
    trust = iam.get_role(RoleName=ROLE)["Role"]["AssumeRolePolicyDocument"]
    subject = "system:serviceaccount:%s:app" % NAMESPACE
    pods = live_pods(core)
    return {
        "annotated": "eks.amazonaws.com/role-arn" in (sa.metadata.annotations or {}),
        "oidc_trusted": subject in json.dumps(trust),
        "pods": len(pods),
        "pods_on_pod_identity": sum(on_pod_identity(p) for p in pods),
    }


def safe(snapshot):
    """The invariant: IRSA is taken away only while every pod is on Pod Identity."""
    return (snapshot["annotated"] and snapshot["oidc_trusted"]) or (
        snapshot["pods"] > 0 and snapshot["pods_on_pod_identity"] == snapshot["pods"])


class Sampler(threading.Thread):
    def __init__(self, iam, core):
        super().__init__(daemon=True)
        self.iam, self.core = iam, core
        self.samples = 0
        self.violations = []
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            try:
                snapshot = state(self.iam, self.core)
            except Exception:  # noqa: BLE001  pylint: disable=broad-except
                continue  # a read racing a restart
            self.samples += 1
            if not safe(snapshot):
                self.violations.append(snapshot)
            time.sleep(0.2)


def setup(env, iam, eks, core, apps):
    from kubernetes import client

    account = env["AWS_ACCOUNT_ID"]
    issuer = env["EKS_OIDC_ISSUER"].replace("https://", "")
    provider = "arn:aws:iam::%s:oidc-provider/%s" % (account, issuer)
    created_provider = not any(p["Arn"] == provider for p in
                               iam.list_open_id_connect_providers()["OpenIDConnectProviderList"])
    if created_provider:
        iam.create_open_id_connect_provider(Url="https://" + issuer, ClientIDList=["sts.amazonaws.com"],
                                            ThumbprintList=["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"])
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {issuer + ":sub": "system:serviceaccount:%s:app" % NAMESPACE}}}]}
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(trust))
    core.create_namespace({"metadata": {"name": NAMESPACE}})
    core.create_namespaced_service_account(NAMESPACE, {"metadata": {"name": "app", "annotations": {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::%s:role/%s" % (account, ROLE)}}})
    apps.create_namespaced_deployment(NAMESPACE, client.V1Deployment(
        metadata={"name": "app"},
        spec={"replicas": 3, "selector": {"matchLabels": {"app": "app"}},
              "template": {"metadata": {"labels": {"app": "app"}},
                           "spec": {"serviceAccountName": "app",
                                    "containers": [{"name": "app", "image": "registry.example/app:1"}]}}}))
    if AGENT not in eks.list_addons(clusterName=env["EKS_CLUSTER_NAME"])["addons"]:
        eks.create_addon(clusterName=env["EKS_CLUSTER_NAME"], addonName=AGENT)
    deadline = time.monotonic() + 120
    while len([p for p in live_pods(core) if p["status"].get("phase") == "Running"]) < 3:
        assert time.monotonic() < deadline, "the app pods did not start"
        time.sleep(1)
    return provider if created_provider else None


def teardown(env, iam, eks, core, created_provider):
    cluster = env["EKS_CLUSTER_NAME"]
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


def test_pod_identity_migration_killed_repeatedly_converges_and_never_cleans_up_early(env, core):
    import boto3
    from kubernetes import client

    iam, eks = boto3.client("iam"), boto3.client("eks")
    apps = client.AppsV1Api(core.api_client)
    created_provider = setup(env, iam, eks, core, apps)
    sampler = Sampler(iam, core)
    kills, violations, finished = 0, [], None
    try:
        before = state(iam, core)
        assert before == {"annotated": True, "oidc_trusted": True, "pods": 3, "pods_on_pod_identity": 0}, before
        sampler.start()
        for attempt in range(1, MAX_RUNS + 1):
            delay = 2 * attempt
            process = playbook(env)
            try:
                out = process.communicate(timeout=delay)[0]
                finished = (attempt, process.returncode, out)
                break
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
                kills += 1
            time.sleep(1)  # let in-flight API calls land before looking
            snapshot = state(iam, core)
            if not safe(snapshot):
                violations.append((delay, snapshot))
        assert finished, "no run finished within %d attempts" % MAX_RUNS
        attempt, rc, out = finished
        assert rc == 0, out[-15000:]
        final = state(iam, core)
        associations = eks.list_pod_identity_associations(clusterName=env["EKS_CLUSTER_NAME"],
                                                          namespace=NAMESPACE)["associations"]
    finally:
        sampler.halt.set()
        sampler.join(timeout=30)
        teardown(env, iam, eks, core, created_provider)
    figure("Pod Identity migration: killed %d times (after 2 s, 4 s, ... %d s), finished on run %d; invariant "
           "violations %d after kills, %d in %d samples; at the end %d/%d pods on Pod Identity, annotation %s, OIDC "
           "subject %s" % (kills, 2 * kills, attempt, len(violations), len(sampler.violations), sampler.samples,
                           final["pods_on_pod_identity"], final["pods"],
                           "kept" if final["annotated"] else "removed", "kept" if final["oidc_trusted"] else "removed"))
    assert violations == [] and sampler.violations == [], (violations, sampler.violations[:3])
    assert final == {"annotated": False, "oidc_trusted": False, "pods": 3, "pods_on_pod_identity": 3}, final
    assert [a["serviceAccount"] for a in associations] == ["app"]
