# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VPC CNI migration to IRSA: killed again and again, and raced by a rollback.

Killed: ``ansible-playbook eks.access.migrate_vpc_cni_irsa`` is started on the
sandbox and killed (SIGKILL to the whole process group, as a lost CI runner or
a cancelled AWX job would) after 2 s, then, re-run, after 4 s, 6 s, ... until
a run finishes by itself (the delays count from the moment the run holds the
Lease).  A killed run cannot give its Lease back: every re-run waits for it to
expire (the runs take a 10 s Lease and wait up to 60 s) and must take it over,
nobody deletes it.  The (un-killed) step-by-step resume after each step is the
integration target vpc_cni_irsa_resume, part of ``make test``.

Raced (issue 14 item 3): a migration and a rollback of the same cluster are
started together - the second 4 to 7 s after the first (two operators, two CI
jobs), or the moment the first reaches a given step (forced interleavings) -
over and over; and a rollback done by hand between the migration's
verification and its detaching step.

Throughout, a sampler thread checks the safety invariant continuously: a node
role may lack AmazonEKS_CNI_Policy only while every live aws-node pod carries
the new role's credentials (``AWS_ROLE_ARN`` of the role,
``AWS_WEB_IDENTITY_TOKEN_FILE``, and the projected token volume mounted there
in every container).
"""

from __future__ import annotations

import datetime
import json
import os
import signal
import subprocess
import threading
import time

from figures import figure
from invariant import Sampler, carries_token
from playbook_runs import REPO, SANDBOX_INVENTORY, playbook_env, start_killable
from sandbox_aws import delete_oidc_providers

CNI_POLICY = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"
ROLE_NAME = "AmazonEKSVPCCNIRole"
MAX_RUNS = 40
TOKEN_DIR = "/var/run/secrets/eks.amazonaws.com/serviceaccount"
KILL_LEASE_DURATION = 10  # seconds: a killed run's Lease expires this long after its last renewal


def playbook(env, *args):
    return start_killable(env, [env["ANSIBLE_PLAYBOOK"], "eks.access.migrate_vpc_cni_irsa", "-i", SANDBOX_INVENTORY,
                                "-e", "vpc_cni_irsa_restart_timeout=180"] + list(args))


def live_pods(core):
    """The live aws-node pods as API JSON (camelCase), read through the test's own client."""
    response = core.list_namespaced_pod("kube-system", label_selector="k8s-app=aws-node", _preload_content=False)
    return [p for p in json.loads(response.data)["items"] if not p["metadata"].get("deletionTimestamp")]


def has_credentials(pod, role_arn):
    """The test's own judge: every container has the role's variables and the projected STS token mounted there."""
    return carries_token(pod, {"AWS_ROLE_ARN": role_arn, "AWS_WEB_IDENTITY_TOKEN_FILE": TOKEN_DIR + "/token"},
                         TOKEN_DIR, "sts.amazonaws.com", path="token")


def state(iam, core, node_roles, role_arn):
    pods = live_pods(core)
    cni_on = [r for r in node_roles
              if CNI_POLICY in [a["PolicyArn"] for a in iam.list_attached_role_policies(RoleName=r)["AttachedPolicies"]]]
    return {"pods": len(pods), "pods_on_role": sum(has_credentials(p, role_arn) for p in pods),
            "cni_on": sorted(cni_on)}


def delete_lease(core):
    from kubernetes import client

    try:
        client.CoordinationV1Api(core.api_client).delete_namespaced_lease("eks-access-vpc-cni", "kube-system")
    except client.exceptions.ApiException as e:
        if e.status != 404:  # no Lease to free
            raise


def read_lease(core):
    """The Lease as API JSON, or None."""
    from kubernetes import client

    try:
        response = client.CoordinationV1Api(core.api_client).read_namespaced_lease(
            "eks-access-vpc-cni", "kube-system", _preload_content=False)
    except client.exceptions.ApiException as e:
        if e.status == 404:
            return None
        raise
    return json.loads(response.data)


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

    kills, violations, snapshots, takeovers = 0, [], [], 0
    finished, left_held = None, False
    try:
        for attempt in range(1, MAX_RUNS + 1):
            delay = 2 * attempt
            # A short Lease, and time to wait for it: each re-run must wait until the killed run's Lease
            # expires and take it over (nobody deletes it), as a re-run after a lost CI runner would.
            run = Run(env, "migrate", "-e", "vpc_cni_irsa_lease_duration=%d" % KILL_LEASE_DURATION,
                      "-e", "vpc_cni_irsa_lease_wait=%d" % (6 * KILL_LEASE_DURATION))
            # The kill schedule counts from the moment the run holds the Lease (a re-run first waits for it).
            run.reached("Renew the Lease before step", timeout=10 * KILL_LEASE_DURATION)
            try:
                rc = run.process.wait(timeout=delay)
                rc, out = run.finish()
                finished = (attempt, rc, out)
            except subprocess.TimeoutExpired:
                os.killpg(run.process.pid, signal.SIGKILL)
                rc, out = run.finish()
                kills += 1
            if left_held:
                # The run before this one was killed holding the Lease: this one must have taken it over.
                assert "took over the expired Lease kube-system/eks-access-vpc-cni from migration of sandbox" \
                    in " ".join(out.split()), out[-15000:]
                takeovers += 1
            if finished:
                break
            time.sleep(1)  # let in-flight API calls land before looking
            left_held = bool(((read_lease(core) or {}).get("spec") or {}).get("holderIdentity"))
            snapshot = state(iam, core, node_roles, role_arn)
            snapshots.append((delay, snapshot))
            if not safe(snapshot, node_roles):
                violations.append((delay, snapshot))
        assert finished, "no run finished within %d attempts: %s" % (MAX_RUNS, snapshots)
        attempt, rc, out = finished
        assert rc == 0, out[-15000:]
        final = state(iam, core, node_roles, role_arn)
        figure("CNI migration: killed %d times (2 s, 4 s, ... %d s after taking the Lease), finished on run %d; "
               "%d re-runs took the killed run's expired Lease over; invariant violations %d; at the end %d/%d "
               "aws-node pods on the IRSA role, CNI policy on %d/%d node roles"
               % (kills, 2 * kills, attempt, takeovers, len(violations), final["pods_on_role"], final["pods"],
                  len(final["cni_on"]), len(node_roles)))
        assert violations == [], violations
        assert final["cni_on"] == [] and final["pods_on_role"] == final["pods"] > 0, final
    finally:
        delete_lease(core)
        rollback = playbook(env, "-e", "vpc_cni_irsa_rollback=true", "-e", "vpc_cni_irsa_rollback_delete_role=true")
        out = rollback.communicate(timeout=900)[0]
        delete_oidc_providers(iam, env["EKS_OIDC_ISSUER"])
        assert rollback.returncode == 0, out[-15000:]
    after = state(iam, core, node_roles, role_arn)
    assert after["cni_on"] == node_roles and after["pods_on_role"] == 0, after


# ---------------------------------------------------------------------------------------------
# A migration and a rollback at the same time (issue 14 item 3)
# ---------------------------------------------------------------------------------------------

# Where a forced interleaving starts the second run: a line of the first run's output (Ansible prints a
# task's name as the task starts).  Every step of each operation is covered once: for the migration,
# while it creates the role (before verification), while aws-node restarts, during verification, and
# between verification and the detaching step (the Lease renewal that opens step 7).
STEPS = {"migrate": ["Step 3/7", "Step 5/7: restart aws-node", "Step 6/7", "Renew the Lease before step detach"],
         "rollback": ["Rollback 1/5", "Rollback 3/5", "Rollback 4/5: restart aws-node", "Rollback 5/5"]}
OPPOSITE = {"migrate": "rollback", "rollback": "migrate"}
RESTART_STEP = {"migrate": STEPS["migrate"][1], "rollback": STEPS["rollback"][2]}


class Run:
    """One ansible-playbook run of migrate_vpc_cni_irsa, its output read as it comes."""

    def __init__(self, env, operation, *extra):
        args = list(extra)
        if operation == "rollback":
            args += ["-e", "vpc_cni_irsa_rollback=true"]
        self.operation = operation
        self.process = playbook(env, *args)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    def reached(self, text, timeout=300):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in list(self.lines)):
                return True
            if self.process.poll() is not None and not self.reader.is_alive():
                return False
            time.sleep(0.05)
        return False

    def finish(self, timeout=900):
        rc = self.process.wait(timeout=timeout)
        self.reader.join(timeout=30)
        return rc, "".join(self.lines)


def roll_back_and_clean(env, core, iam):
    """The sandbox as the race tests found it: no Lease, the CNI policy back on the node roles (the test role
    deleted), no OIDC provider for the cluster."""
    delete_lease(core)
    rc, out = Run(env, "rollback", "-e", "vpc_cni_irsa_rollback_delete_role=true").finish()
    delete_oidc_providers(iam, env["EKS_OIDC_ISSUER"])
    assert rc == 0, out[-15000:]


def write_expired_lease(core, holder):
    long_ago = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ")
    body = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": "eks-access-vpc-cni", "namespace": "kube-system"},
            "spec": {"holderIdentity": holder, "leaseDurationSeconds": 120, "acquireTime": long_ago,
                     "renewTime": long_ago}}
    from kubernetes import client

    delete_lease(core)
    client.CoordinationV1Api(core.api_client).create_namespaced_lease("kube-system", body)


def end_state_of(snapshot, node_roles):
    if snapshot["cni_on"] == [] and snapshot["pods"] > 0 and snapshot["pods_on_role"] == snapshot["pods"]:
        return "migrate"
    if snapshot["cni_on"] == node_roles and snapshot["pods_on_role"] == 0:
        return "rollback"
    return None


def race_schedule():
    """14 trials: the second run 4-7 s after the first; forced at every step of STEPS; and twice waiting its turn.

    A forced trial names no step: it takes the next one of its first operation's list, so that every step
    is forced once whichever operation a trial starts with.  ``expired``: the trial starts with the expired
    Lease of a killed run, which the first run must take over (trial 1 is a migration, trial 2 a rollback).
    """
    trials = [{"delay": delay, "forced": False, "wait": False, "expired": delay in (4, 5)} for delay in (4, 5, 6, 7)]
    trials += [{"delay": None, "forced": True, "wait": False, "expired": False} for _step in range(8)]
    trials += [{"delay": None, "forced": True, "wait": True, "expired": False} for _wait in range(2)]
    return trials


def test_migration_and_rollback_racing_never_leave_a_pod_without_credentials_or_a_policy(env, core):
    import boto3

    iam = boto3.client("iam")
    node_roles = sorted(arn.rsplit("/", 1)[1] for arn in env["EKS_NODE_ROLE_ARNS"].split(","))
    role_arn = "arn:aws:iam::%s:role/%s" % (env["AWS_ACCOUNT_ID"], ROLE_NAME)
    current = end_state_of(state(iam, core, node_roles, role_arn), node_roles)
    assert current == "rollback", "the sandbox must start as seeded (CNI policy on the node roles)"
    sampler = Sampler(lambda: state(iam, core, node_roles, role_arn), lambda snapshot: safe(snapshot, node_roles))
    sampler.start()
    outcomes = []
    schedule = race_schedule()
    pending = dict((op, list(steps)) for op, steps in STEPS.items())
    try:
        number = 0
        while schedule:
            trial = schedule.pop(0)
            number += 1
            first_op = OPPOSITE[current]
            second_op = OPPOSITE[first_op]
            expired_holder = None
            if trial["expired"]:
                # A run killed earlier left its Lease behind, long expired: the first run must take it over.
                expired_holder = "%s of sandbox by a killed run" % ("migration" if second_op == "migrate" else "rollback")
                write_expired_lease(core, expired_holder)
            first = Run(env, first_op)
            if trial["delay"] is not None:
                time.sleep(trial["delay"])
                trigger = "%d s" % trial["delay"]
            else:
                if trial["wait"]:
                    step = RESTART_STEP[first_op]  # the second asks while the first restarts aws-node
                elif pending[first_op]:
                    step = pending[first_op].pop(0)
                else:  # this operation's steps are all forced already (a second ran after a first)
                    step = STEPS[first_op][number % len(STEPS[first_op])]
                assert first.reached(step), "the %s never reached %s:\n%s" % (first_op, step, "".join(first.lines)[-8000:])
                trigger = "at %s" % step
            wait = ["-e", "vpc_cni_irsa_lease_wait=600"] if trial["wait"] else []
            second = Run(env, second_op, *wait)
            rc1, out1 = first.finish()
            rc2, out2 = second.finish()
            snapshot = state(iam, core, node_roles, role_arn)
            ended = end_state_of(snapshot, node_roles)
            outcomes.append("%d: %s then %s %s%s -> rc %d/%d, ended %s" % (
                number, first_op, second_op, trigger, " (waiting)" if trial["wait"] else "", rc1, rc2, ended))
            # Each trial as it ends (a slow machine may not see them all): the outcome and the sampler so far.
            print("[trial] %s; invariant sampled %d times, violations %d" % (
                outcomes[-1], sampler.samples, len(sampler.violations)), flush=True)
            assert rc1 == 0, out1[-15000:]
            if expired_holder:
                assert "took over the expired Lease kube-system/eks-access-vpc-cni from %s" % expired_holder \
                    in " ".join(out1.split()), out1[-15000:]
            if trial["wait"]:
                # The second waited for the Lease, then ran to the end on its own.
                assert rc2 == 0, out2[-15000:]
                assert ended == second_op, (snapshot, out2[-15000:])
                current = second_op
            elif rc2 == 0:
                # Started near the first's end, the second found the Lease given up and ran after it, whole.
                assert ended == second_op, (snapshot, out2[-15000:])
                current = second_op
            else:
                assert "another run holds Lease kube-system/eks-access-vpc-cni: %s of sandbox by" % (
                    "rollback" if first_op == "rollback" else "migration") in out2, out2[-15000:]
                assert ended == first_op, (snapshot, out1[-15000:])
                current = first_op
            if not schedule and any(pending.values()) and number < 20:
                # A second run that went after its first shifted the order: force the steps still left.
                schedule.append({"delay": None, "forced": True, "wait": False, "expired": False})
    finally:
        sampler.stop()
        roll_back_and_clean(env, core, iam)
    figure("CNI race: %d trials of a migration and a rollback started together (4-7 s apart, or forced at a step of "
           "the first, or waiting for the Lease); invariant sampled %d times (%d reads raced a restart), "
           "violations %d" % (
               number, sampler.samples, sampler.read_errors, len(sampler.violations)))
    for line in outcomes:
        print("  " + line)
    assert sampler.samples > 100
    assert sampler.violations == [], sampler.violations[:5]


def test_rollback_by_hand_between_verify_and_detach_is_refused_when_detaching(env, core):
    """Forced interleaving without the Lease, sampled like the race: step 7 must refuse on its own check."""
    import boto3

    iam = boto3.client("iam")
    node_roles = sorted(arn.rsplit("/", 1)[1] for arn in env["EKS_NODE_ROLE_ARNS"].split(","))
    role_arn = "arn:aws:iam::%s:role/%s" % (env["AWS_ACCOUNT_ID"], ROLE_NAME)
    current = end_state_of(state(iam, core, node_roles, role_arn), node_roles)
    assert current is not None, "the sandbox must be migrated or rolled back, not in between"
    delete_lease(core)
    sampler = Sampler(lambda: state(iam, core, node_roles, role_arn), lambda snapshot: safe(snapshot, node_roles))
    sampler.start()
    try:
        outcome = rollback_by_hand_between_verify_and_detach(env, core, iam, node_roles, role_arn, current)
    finally:
        sampler.stop()
        roll_back_and_clean(env, core, iam)
    figure("CNI rollback by hand between verification and detach: %s; invariant sampled %d times, violations %d"
           % (outcome, sampler.samples, len(sampler.violations)))
    assert sampler.samples > 10
    assert sampler.violations == [], sampler.violations[:5]


def rollback_by_hand_between_verify_and_detach(env, core, iam, node_roles, role_arn, current):
    """Forced interleaving without the Lease: the pods lose their credentials after step 6 passed.

    A playbook runs the role up to step 6 (verified), then waits for a file;
    meanwhile the test removes the service account's annotation and deletes
    the aws-node pods, as someone rolling back by hand would; then the
    playbook goes on with step 7.  The detaching step must check the pods again
    and refuse.
    """
    from kubernetes import client

    if current == "migrate":
        rc, out = Run(env, "rollback").finish()
        assert rc == 0, out[-15000:]
    go = os.path.join(env["EKS_SANDBOX_DIR"], "cni-race-go")
    if os.path.exists(go):
        os.unlink(go)
    playbook_file = os.path.join(env["EKS_SANDBOX_DIR"], "cni-race-by-hand.yml")
    with open(playbook_file, "w") as f:
        f.write(BY_HAND_PLAYBOOK)
    process = subprocess.Popen([env["ANSIBLE_PLAYBOOK"], "-i", SANDBOX_INVENTORY, playbook_file],
                               env=playbook_env(env, CNI_RACE_GO=go), cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    run = Run.__new__(Run)
    run.operation, run.process, run.lines = "migrate", process, []
    run.reader = threading.Thread(target=run._read, daemon=True)  # pylint: disable=protected-access
    run.reader.start()
    assert run.reached("Wait for the test"), "".join(run.lines)[-15000:]
    verified = state(iam, core, node_roles, role_arn)
    assert verified["pods_on_role"] == verified["pods"] > 0 and verified["cni_on"] == node_roles, verified
    # The rollback by hand: no annotation, pods recreated without the role.
    core.patch_namespaced_service_account("aws-node", "kube-system",
                                          {"metadata": {"annotations": {"eks.amazonaws.com/role-arn": None}}})
    for pod in live_pods(core):
        core.delete_namespaced_pod(pod["metadata"]["name"], "kube-system", body=client.V1DeleteOptions())
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        now = state(iam, core, node_roles, role_arn)
        if now["pods"] == verified["pods"] and now["pods_on_role"] == 0:
            break
        time.sleep(0.5)
    open(go, "w").close()
    rc, out = run.finish()
    after = state(iam, core, node_roles, role_arn)
    assert rc != 0, out[-15000:]
    assert "aws-node does not run on IRSA yet" in out and "pods without the role's credentials" in out, out[-15000:]
    assert after["cni_on"] == node_roles, after
    return "by hand: step 6 verified %d/%d pods, then the pods lost the role; step 7 refused, policy on %d/%d roles" % (
        verified["pods_on_role"], verified["pods"], len(after["cni_on"]), len(node_roles))


# Runs the role up to step 6, waits for the test, then runs step 7 as the role would (the role's own
# task file), without a Lease: what is left to protect the pods is the check at the moment of detaching.
BY_HAND_PLAYBOOK = """\
- hosts: eks_clusters
  gather_facts: false
  tasks:
    - name: Migrate up to verification
      ansible.builtin.include_role:
        name: eks.access.vpc_cni_irsa
      vars:
        vpc_cni_irsa_cluster_name: "{{ eks_cluster_name }}"
        vpc_cni_irsa_stop_after: verify
        vpc_cni_irsa_restart_timeout: 180

    - name: Wait for the test
      ansible.builtin.wait_for:
        path: "{{ lookup('env', 'CNI_RACE_GO') }}"
        timeout: 300

    - name: Step 7 without a Lease
      ansible.builtin.set_fact:
        vpc_cni_irsa_lease_holder_effective: ""

    # include_role takes no module_defaults: a block carries them.
    - name: Step 7 as the role runs it
      module_defaults:
        eks.access.node_role_policy:
          cluster_name: "{{ eks_cluster_name }}"
      block:
        - name: Step 7 of the role
          ansible.builtin.include_role:
            name: eks.access.vpc_cni_irsa
            tasks_from: detach.yml
          vars:
            vpc_cni_irsa_cluster_name: "{{ eks_cluster_name }}"
"""
