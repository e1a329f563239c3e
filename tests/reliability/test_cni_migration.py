# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VPC CNI migration to IRSA, killed again and again, resumes to completion.

``ansible-playbook eks.access.migrate_vpc_cni_irsa`` is started on the sandbox
and killed (SIGKILL to the whole process group, as a lost CI runner or a
cancelled AWX job would) after 2 s, then, re-run, after 4 s, 6 s, ... until
a run finishes by itself.  After every kill the safety invariant is checked:
a node role may lack AmazonEKS_CNI_Policy only when every running aws-node
pod already carries the new role (``AWS_ROLE_ARN`` and
``AWS_WEB_IDENTITY_TOKEN_FILE`` in every container).  The (un-killed)
step-by-step resume after each step is the integration target
vpc_cni_irsa_resume, part of ``make test``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

from conftest import REPO, figure  # pylint: disable=import-error

INVENTORY = os.path.join(REPO, "playbooks", "inventory", "sandbox.yml")
CNI_POLICY = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"
ROLE_NAME = "AmazonEKSVPCCNIRole"
MAX_RUNS = 40


def playbook(env, *args):
    argv = [env["ANSIBLE_PLAYBOOK"], "eks.access.migrate_vpc_cni_irsa", "-i", INVENTORY,
            "-e", "vpc_cni_irsa_restart_timeout=180"] + list(args)
    run_env = dict(env, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0")
    return subprocess.Popen(argv, env=run_env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)


def state(iam, core, node_roles, role_arn):
    pods = [p for p in core.list_namespaced_pod("kube-system", label_selector="k8s-app=aws-node").items
            if not p.metadata.deletion_timestamp]
    on_role = []
    for pod in pods:
        env_of = [dict((e.name, e.value) for e in (c.env or [])) for c in pod.spec.containers]
        on_role.append(all(e.get("AWS_ROLE_ARN") == role_arn and e.get("AWS_WEB_IDENTITY_TOKEN_FILE") for e in env_of))
    cni_on = [r for r in node_roles
              if CNI_POLICY in [a["PolicyArn"] for a in iam.list_attached_role_policies(RoleName=r)["AttachedPolicies"]]]
    return {"pods": len(pods), "pods_on_role": sum(on_role), "cni_on": sorted(cni_on)}


def safe(snapshot, node_roles):
    """The invariant: the policy leaves a node role only once every aws-node pod runs with the IRSA role."""
    return len(snapshot["cni_on"]) == len(node_roles) or (
        snapshot["pods"] > 0 and snapshot["pods_on_role"] == snapshot["pods"])


def test_cni_migration_killed_repeatedly_resumes_and_never_detaches_early(env, core):
    import boto3

    iam = boto3.client("iam")
    node_roles = sorted(arn.rsplit("/", 1)[1] for arn in env["EKS_NODE_ROLE_ARNS"].split(","))
    role_arn = "arn:aws:iam::%s:role/%s" % (env["AWS_ACCOUNT_ID"], ROLE_NAME)
    before = state(iam, core, node_roles, role_arn)
    assert before["cni_on"] == node_roles and before["pods_on_role"] == 0, before

    kills, violations, snapshots = 0, [], []
    finished = None
    try:
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
            snapshot = state(iam, core, node_roles, role_arn)
            snapshots.append((delay, snapshot))
            if not safe(snapshot, node_roles):
                violations.append((delay, snapshot))
        assert finished, "no run finished within %d attempts: %s" % (MAX_RUNS, snapshots)
        attempt, rc, out = finished
        assert rc == 0, out[-15000:]
        final = state(iam, core, node_roles, role_arn)
        figure("CNI migration: killed %d times (after 2 s, 4 s, ... %d s), finished on run %d; invariant "
               "violations %d; at the end %d/%d aws-node pods on the IRSA role, CNI policy on %d/%d node roles"
               % (kills, 2 * kills, attempt, len(violations), final["pods_on_role"], final["pods"],
                  len(final["cni_on"]), len(node_roles)))
        assert violations == [], violations
        assert final["cni_on"] == [] and final["pods_on_role"] == final["pods"] > 0, final
    finally:
        rollback = playbook(env, "-e", "vpc_cni_irsa_rollback=true", "-e", "vpc_cni_irsa_rollback_delete_role=true")
        out = rollback.communicate(timeout=900)[0]
        issuer = env["EKS_OIDC_ISSUER"].replace("https://", "")
        for provider in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
            if provider["Arn"].endswith("oidc-provider/" + issuer):
                iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=provider["Arn"])
        assert rollback.returncode == 0, out[-15000:]
    after = state(iam, core, node_roles, role_arn)
    assert after["cni_on"] == node_roles and after["pods_on_role"] == 0, after
