# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The API server dies (or freezes) in the middle of a run.

The run must fail cleanly (a task failure naming the connection problem, no
hang), aws-auth must hold either what it held before a write or what that write
put there (never a half-written ConfigMap), and running the playbook again
once the API server is back must converge.  The API server killed is this
checkout's sandbox one (.sandbox/run/apiserver.pid); `sandbox.py restart
apiserver` starts it again on the same etcd.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from aws_auth_state import role_mappings
from figures import figure
from playbook_runs import REPO, localhost_play, start_playbook

LOOP = 40
BIG = 200

LOOP_TASKS = """\
- name: One mapping per task
  eks.access.aws_auth_mapping:
    kubeconfig: "{{ lookup('env', 'KUBECONFIG') }}"
    roles: ["{{ item }}"]
  loop: "{{ mappings }}"
"""

ONE_TASK = """\
- name: All mappings in one task
  eks.access.aws_auth_mapping:
    kubeconfig: "{{ lookup('env', 'KUBECONFIG') }}"
    roles: "{{ mappings }}"
"""


def apiserver_pid(env):
    with open(os.path.join(env["EKS_SANDBOX_DIR"], "run", "apiserver.pid")) as f:
        return int(f.read().strip())


def restart_apiserver(env):
    subprocess.run([sys.executable, os.path.join(REPO, "tests", "sandbox", "sandbox.py"), "restart", "apiserver"],
                   env=env, check=True, capture_output=True, text=True, timeout=180)


def kill_apiserver(env):
    pid = apiserver_pid(env)
    os.killpg(pid, signal.SIGKILL)
    for _attempt in range(100):
        try:
            os.kill(pid, 0)
        except OSError:
            return
        time.sleep(0.1)


def wait_until(check, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %s" % what)


def mapped(aws_auth, prefix):
    try:
        data = aws_auth.read()[0] or {}
    except Exception:  # the API server may be gone; the caller retries
        return None
    return [m for m in aws_auth.authenticator_view(data)["mapRoles"] if "/%s-" % prefix in m["rolearn"]]


def assert_whole(aws_auth, wanted, prefix):
    """aws-auth parses, keeps the node mappings, and holds the first k wanted entries exactly."""
    entries = mapped(aws_auth, prefix)
    view = aws_auth.authenticator_view()
    assert all(arn in [m["rolearn"] for m in view["mapRoles"]] for arn in aws_auth.node_roles)
    assert entries == wanted[:len(entries)], "entries are not a prefix of the requested ones"
    return len(entries)


def test_killed_between_tasks_fails_cleanly_and_rerun_converges(env, aws_auth, tmp_path):
    wanted = role_mappings(aws_auth.account, "kill", LOOP)
    work = tmp_path / "run1"
    work.mkdir()
    proc = start_playbook(env, localhost_play(LOOP_TASKS), work, {"mappings": wanted})
    try:
        wait_until(lambda: len(mapped(aws_auth, "kill") or []) >= LOOP // 4, 300, "a quarter of the writes")
        kill_apiserver(env)
        t0 = time.monotonic()
        rc = proc.wait(timeout=300)
        failed_after = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
        restart_apiserver(env)
    out = (work / "out.log").read_text()
    assert rc != 0
    assert "Traceback" not in out and ("Connection refused" in out or "aws-auth update failed" in out), out[-3000:]
    done = assert_whole(aws_auth, wanted, "kill")

    rerun = tmp_path / "run2"
    rerun.mkdir()
    t0 = time.monotonic()
    assert start_playbook(env, localhost_play(LOOP_TASKS), rerun, {"mappings": wanted}).wait(timeout=600) == 0
    converged_in = time.monotonic() - t0
    assert assert_whole(aws_auth, wanted, "kill") == LOOP
    figure("API server killed after %d/%d one-mapping tasks: the playbook failed cleanly %.1fs later "
           "(connection refused, no traceback); aws-auth held %d whole entries (authenticator accepts it); "
           "the re-run converged to %d/%d in %.1fs" % (done, LOOP, failed_after, done, LOOP, LOOP, converged_in))


def test_killed_during_one_big_write_leaves_old_or_new(env, aws_auth, tmp_path):
    wanted = role_mappings(aws_auth.account, "big", BIG)
    before = aws_auth.read()
    work = tmp_path / "run1"
    work.mkdir()
    audit = env["SANDBOX_AUDIT_LOG"]
    offset = os.path.getsize(audit)

    def module_read_aws_auth():
        with open(audit) as f:
            f.seek(offset)
            for line in f:
                event = json.loads(line)
                ref = event.get("objectRef") or {}
                if ref.get("name") == "aws-auth" and event.get("verb") == "get":
                    return True
        return False

    proc = start_playbook(env, localhost_play(ONE_TASK), work, {"mappings": wanted})
    try:
        # the module has read aws-auth and is planning or writing: kill now
        wait_until(module_read_aws_auth, 300, "the module's read of aws-auth")
        kill_apiserver(env)
        rc = proc.wait(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
        restart_apiserver(env)
    after = aws_auth.read()
    count = len(mapped(aws_auth, "big"))
    if rc == 0:
        outcome = "new"  # the write landed before the kill
        assert count == BIG
    else:
        out = (work / "out.log").read_text()
        assert "Traceback" not in out, out[-3000:]
        outcome = "old" if after == before else "new"
        assert count in (0, BIG)
        assert (after == before) == (count == 0)
    assert_whole(aws_auth, wanted, "big")
    rerun = tmp_path / "run2"
    rerun.mkdir()
    assert start_playbook(env, localhost_play(ONE_TASK), rerun, {"mappings": wanted}).wait(timeout=600) == 0
    assert len(mapped(aws_auth, "big")) == BIG
    figure("API server killed right after the module read aws-auth (one task, %d mappings): playbook rc=%d, "
           "aws-auth held the %s content (%d of %d entries; nothing in between), the re-run converged to %d/%d"
           % (BIG, rc, outcome, count, BIG, BIG, BIG))


def test_frozen_api_server_run_resumes(env, aws_auth, tmp_path):
    wanted = role_mappings(aws_auth.account, "freeze", LOOP)
    work = tmp_path / "run1"
    work.mkdir()
    proc = start_playbook(env, localhost_play(LOOP_TASKS), work, {"mappings": wanted})
    pid = apiserver_pid(env)
    try:
        wait_until(lambda: len(mapped(aws_auth, "freeze") or []) >= LOOP // 4, 300, "a quarter of the writes")
        os.killpg(pid, signal.SIGSTOP)
        time.sleep(10)
    finally:
        os.killpg(pid, signal.SIGCONT)
    rc = proc.wait(timeout=600)
    assert rc == 0, (work / "out.log").read_text()[-3000:]
    assert assert_whole(aws_auth, wanted, "freeze") == LOOP
    figure("API server frozen (SIGSTOP) for 10s in the middle of %d one-mapping tasks: the run waited and "
           "finished, %d/%d present, authenticator accepts aws-auth" % (LOOP, LOOP, LOOP))
