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
import time

from figures import figure
from invariant import Sampler, carries_token
from playbook_runs import SANDBOX_INVENTORY, start_killable
from pod_identity_app import ROLE_ANNOTATION, IrsaApp

NAMESPACE = "podmig-rel"
ROLE = "podmig-rel-app"
MAX_RUNS = 40
PI_DIR = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount"
# any non-empty URI; the token file in the pods.eks.amazonaws.com folder
PI_VARIABLES = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": None,
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": PI_DIR + "/eks-pod-identity-token"}


def playbook(env):
    return start_killable(env, [env["ANSIBLE_PLAYBOOK"], "eks.access.migrate_to_pod_identity", "-i", SANDBOX_INVENTORY,
                                "-e", json.dumps({"pod_identity_migration_namespaces": [NAMESPACE],
                                                  "pod_identity_migration_wait_timeout": 180,
                                                  "pod_identity_migration_cleanup": True})])


def on_pod_identity(pod):
    """The test's own judge: every container has both variables and the pods.eks.amazonaws.com token there."""
    return carries_token(pod, PI_VARIABLES, PI_DIR, "pods.eks.amazonaws.com")


def state(app):
    sa = app.core.read_namespaced_service_account("app", NAMESPACE)
    trust = app.trust()
    subject = "system:serviceaccount:%s:app" % NAMESPACE
    pods = app.live_pods()
    return {
        "annotated": ROLE_ANNOTATION in (sa.metadata.annotations or {}),
        "oidc_trusted": subject in json.dumps(trust),
        "pods": len(pods),
        "pods_on_pod_identity": sum(on_pod_identity(p) for p in pods),
    }


def safe(snapshot):
    """The invariant: IRSA is taken away only while every pod is on Pod Identity."""
    return (snapshot["annotated"] and snapshot["oidc_trusted"]) or (
        snapshot["pods"] > 0 and snapshot["pods_on_pod_identity"] == snapshot["pods"])


def test_pod_identity_migration_killed_repeatedly_converges_and_never_cleans_up_early(env, core):
    import boto3

    app = IrsaApp(env, boto3.client("iam"), boto3.client("eks"), core, NAMESPACE, ROLE, replicas=3)
    app.setup(agent=True, audience_condition=False)
    sampler = Sampler(lambda: state(app), safe, pause=0.2)
    kills, violations, finished = 0, [], None
    try:
        before = state(app)
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
            snapshot = state(app)
            if not safe(snapshot):
                violations.append((delay, snapshot))
        assert finished, "no run finished within %d attempts" % MAX_RUNS
        attempt, rc, out = finished
        assert rc == 0, out[-15000:]
        final = state(app)
        associations = app.associations()
    finally:
        sampler.stop()
        app.teardown()
    figure("Pod Identity migration: killed %d times (after 2 s, 4 s, ... %d s), finished on run %d; invariant "
           "violations %d after kills, %d in %d samples; at the end %d/%d pods on Pod Identity, annotation %s, OIDC "
           "subject %s" % (kills, 2 * kills, attempt, len(violations), len(sampler.violations), sampler.samples,
                           final["pods_on_pod_identity"], final["pods"],
                           "kept" if final["annotated"] else "removed", "kept" if final["oidc_trusted"] else "removed"))
    assert violations == [] and sampler.violations == [], (violations, sampler.violations[:3])
    assert final == {"annotated": False, "oidc_trusted": False, "pods": 3, "pods_on_pod_identity": 3}, final
    assert [a["serviceAccount"] for a in associations] == ["app"]
