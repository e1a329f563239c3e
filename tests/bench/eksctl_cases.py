# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The eksctl cases of `make bench`: what the EKS user guide tells users to run instead of this collection.

* ``eksctl create iamidentitymapping``, one run per mapping (as a shell loop
  over the 200 mappings would), with default flags and with
  ``--no-duplicate-arns``; then the same 200 runs again;
* ``eksctl get iamidentitymapping -o json`` against ``eks.access.aws_auth_info``;
* the like-for-like Ansible case: ``aws_auth_mapping`` given ``cluster_name``,
  so that, like eksctl, it finds the API server through EKS ``DescribeCluster``
  and signs an EKS token, instead of reading a kubeconfig.

eksctl reaches EKS through ``AWS_ENDPOINT_URL_EKS``: a relay in front of the
sandbox's moto that counts the requests (and, for the latency table, delays
them like the API server's relay).  STS stays on moto itself: eksctl's token
is a presigned STS URL, and the sandbox authenticator accepts only the STS
host it knows.  For the latency table the cluster's endpoint in moto is
pointed at the API server's relay (``/_sandbox/eks/endpoint``, a sandbox-only
path), since eksctl takes the API server's address from DescribeCluster.

Kubernetes requests and aws-auth writes come from the API server's audit log
as for the other cases (eksctl authenticates as the cluster creator, whom the
sandbox maps to ``kubernetes-admin`` as EKS does), and what aws-auth holds is
read with aws-iam-authenticator's own parser.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import tempfile
import textwrap
import time
import urllib.request

from figures import run_figures

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD_SCRIPT = os.path.join(HERE, "build-eksctl.sh")

CREATE_DEFAULT = "eksctl create iamidentitymapping, one run per mapping"
CREATE_NO_DUP = "eksctl create iamidentitymapping --no-duplicate-arns, one run per mapping"
BY_CLUSTER_NAME = "aws_auth_mapping, one task, cluster_name (EKS lookup + token, like eksctl)"
EKSCTL_CASES = {CREATE_DEFAULT: [], CREATE_NO_DUP: ["--no-duplicate-arns"]}

TRANSIENT = re.compile(r"use of closed network connection|connection reset by peer|EOF\b|broken pipe")

BY_CLUSTER_NAME_PLAYBOOK = """\
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: All mappings in one task, the cluster found through EKS
      eks.access.aws_auth_mapping:
        cluster_name: "{{ lookup('env', 'EKS_CLUSTER_NAME') }}"
        roles: "{{ mappings }}"
"""

INFO_PLAYBOOK = """\
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Read aws-auth, the cluster found through EKS
      eks.access.aws_auth_info:
        cluster_name: "{{ lookup('env', 'EKS_CLUSTER_NAME') }}"
      register: aws_auth
    - name: How many role mappings it read
      ansible.builtin.debug:
        msg: "{{ aws_auth.mappings.mapRoles | length }}"
"""


def log(msg):
    print("[bench] %s" % msg, flush=True)


def find_eksctl():
    """(path, None) of the eksctl binary, built when missing; (None, reason) when it cannot be had."""
    if os.environ.get("BENCH_EKSCTL"):
        path = os.environ["BENCH_EKSCTL"]
        return (path, None) if os.access(path, os.X_OK) else (None, "BENCH_EKSCTL=%s is not executable" % path)
    proc = subprocess.run(["bash", BUILD_SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          check=False)
    path = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    if proc.returncode != 0 or not os.access(path, os.X_OK):
        return None, "could not build eksctl (%s): %s" % (
            BUILD_SCRIPT, (proc.stderr.strip().splitlines() or ["exit %d" % proc.returncode])[-1])
    return path, None


def set_cluster_endpoint(env, endpoint):
    """Point the sandbox cluster's DescribeCluster endpoint at ``endpoint``; returns the previous one."""
    url = "%s/_sandbox/eks/endpoint/%s/%s" % (env["AWS_ENDPOINT_URL"], env["AWS_REGION"], env["EKS_CLUSTER_NAME"])
    request = urllib.request.Request(url, data=json.dumps({"endpoint": endpoint}).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["previous"]


class EksctlRunner:
    """Runs eksctl (and the cluster_name Ansible cases) against the sandbox, EKS through ``eks_url``."""

    def __init__(self, binary, env, eks_url, tally):
        self.binary, self.tally = binary, tally
        self.env = dict(env, AWS_ENDPOINT_URL_EKS=eks_url)
        # eksctl reads no kubeconfig for these commands; keep it from writing to ours
        self.env.pop("KUBECONFIG", None)
        self.ansible_env = dict(env, AWS_ENDPOINT_URL_EKS=eks_url)
        self.retried = 0

    def _run(self, argv, env):
        for _attempt in range(3):
            proc = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  check=False)
            # moto's HTTP server closes connections a Go client may be reusing; on a busy machine a
            # request now and then fails that way.  Such a run is repeated (and counted), not the case.
            if proc.returncode == 0 or not TRANSIENT.search(proc.stdout):
                break
            self.retried += 1
            log("transient emulator error, run repeated: %s" % TRANSIENT.search(proc.stdout).group(0))
        if proc.returncode != 0:
            raise RuntimeError("%s failed (rc=%d):\n%s" % (" ".join(argv[:4]), proc.returncode, proc.stdout[-3000:]))
        return proc.stdout

    def create_all(self, mappings, flags):
        """One ``eksctl create iamidentitymapping`` per mapping, in order, as a shell loop runs them."""
        for m in mappings:
            argv = [self.binary, "create", "iamidentitymapping", "--cluster", self.env["EKS_CLUSTER_NAME"],
                    "--region", self.env["AWS_REGION"], "--arn", m["rolearn"], "--username", m["username"]]
            for group in m["groups"]:
                argv += ["--group", group]
            self._run(argv + flags, self.env)

    def get(self):
        out = self._run([self.binary, "get", "iamidentitymapping", "--cluster", self.env["EKS_CLUSTER_NAME"],
                         "--region", self.env["AWS_REGION"], "-o", "json"], self.env)
        return json.loads(out[out.index("["):])

    def playbook(self, text, work, mappings=None):
        with open(os.path.join(work, "playbook.yml"), "w") as f:
            f.write(text)
        argv = [self.ansible_env["ANSIBLE_PLAYBOOK"], "-i", "localhost,", os.path.join(work, "playbook.yml")]
        if mappings is not None:
            with open(os.path.join(work, "vars.json"), "w") as f:
                json.dump({"mappings": mappings}, f)
            argv += ["-e", "@" + os.path.join(work, "vars.json")]
        return self._run(argv, self.ansible_env)


def _view(sandbox):
    """(entries, distinct role ARNs) of mapRoles as aws-iam-authenticator's parser reads aws-auth."""
    arns = sandbox.mapped_role_arns()
    return arns, set(arns)


def run_create_case(case, runner, sandbox, measure, runs):
    """A first pass of the 200 mappings and the same again, ``runs`` times; the figures of each."""
    wanted = sandbox.mappings()
    wanted_arns = {m["rolearn"] for m in wanted}
    results = []
    retried_before = runner.retried
    for run in range(runs):
        sandbox.reset()
        runner.tally.reset()
        with tempfile.TemporaryDirectory(prefix="bench-eksctl-") as work:
            if case == BY_CLUSTER_NAME:
                def once():
                    t0 = time.monotonic()
                    runner.playbook(BY_CLUSTER_NAME_PLAYBOOK, work, wanted)
                    return time.monotonic() - t0
            else:
                def once():
                    t0 = time.monotonic()
                    runner.create_all(wanted, EKSCTL_CASES[case])
                    return time.monotonic() - t0
            first, first_counts = measure(once)
            first_eks = sum(runner.tally.snapshot().values())
            after_first = sandbox.mapped_role_arns()
            runner.tally.reset()
            second, second_counts = measure(once)
            rerun_eks = sum(runner.tally.snapshot().values())
            eks_by = dict(("%s %s" % k, n) for k, n in sorted(runner.tally.snapshot().items()))
        after_rerun, distinct = _view(sandbox)
        results.append(dict(
            first=first, rerun=second, first_counts=first_counts, rerun_counts=second_counts,
            eks_requests=first_eks, rerun_eks_requests=rerun_eks, eks_by=eks_by,
            entries_after_first=len(after_first), entries_after_rerun=len(after_rerun),
            distinct_after_rerun=len(distinct), all_present=wanted_arns <= distinct,
            node_mappings_kept=all(arn in distinct for arn in sandbox.node_roles)))
        log("%s, run %d/%d: %.2fs (%d API requests, %d aws-auth writes, %d EKS requests), re-run %.2fs "
            "(%d writes); aws-auth after the re-run: %d mapRoles entries, %d distinct ARNs"
            % (case, run + 1, runs, first, first_counts.requests, first_counts.writes, first_eks, second,
               second_counts.writes, len(after_rerun), len(distinct)))
    sandbox.delete()
    med = statistics.median
    return dict(run_figures(case, results), **{
        "eks_requests": med([r["eks_requests"] for r in results]),
        "rerun_eks_requests": med([r["rerun_eks_requests"] for r in results]),
        "eks_requests_by_path_rerun": results[0]["eks_by"],
        "entries_after_first": results[0]["entries_after_first"],
        "entries_after_rerun": results[0]["entries_after_rerun"],
        "distinct_after_rerun": results[0]["distinct_after_rerun"],
        "runs_repeated_after_emulator_errors": runner.retried - retried_before,
    })


def run_get_case(runner, sandbox, measure, runs):
    """``eksctl get iamidentitymapping`` vs ``aws_auth_info`` on aws-auth with the 2 + 200 mappings."""
    from aws_auth_state import NODE_USERNAME

    mappings = sandbox.mappings()
    sandbox.reset({"mapRoles": "".join(
        "- groups:\n  - system:bootstrappers\n  - system:nodes\n  rolearn: %s\n  username: %s\n"
        % (arn, NODE_USERNAME) for arn in sandbox.node_roles) + "".join(
        "- groups:\n  - %s\n  rolearn: %s\n  username: %s\n" % (m["groups"][0], m["rolearn"], m["username"])
        for m in mappings)})
    expected = len(sandbox.node_roles) + len(mappings)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-get-") as work:
        for label, fn, check in (
                ("eksctl get iamidentitymapping -o json", runner.get, len),
                ("aws_auth_info, cluster_name", lambda: runner.playbook(INFO_PLAYBOOK, work),
                 lambda out: int(re.search(r'"msg": "?(\d+)', out).group(1)))):
            times, cpu, counts, eks, seen = [], [], None, 0, None
            for _run in range(runs):
                runner.tally.reset()
                box = {}

                def once():
                    t0 = time.monotonic()
                    box["out"] = fn()
                    return time.monotonic() - t0
                elapsed, counts = measure(once)
                times.append(elapsed)
                cpu.append(counts["cpu_s"])
                eks = sum(runner.tally.snapshot().values())
                seen = check(box["out"])
            if seen != expected:
                raise RuntimeError("%s read %s mappings, aws-auth holds %d" % (label, seen, expected))
            rows.append({"case": label, "runs": runs, "wall_s": statistics.median(times),
                         "wall_s_all": [round(t, 2) for t in times], "cpu_s": statistics.median(cpu),
                         "requests": counts.requests,
                         "writes": counts.writes, "eks_requests": eks, "mappings_read": seen,
                         "requests_by_verb": counts["by"]})
            log("%s: %.2fs median, %d API requests, %d EKS requests, %d mappings read"
                % (label, statistics.median(times), counts.requests, eks, seen))
    sandbox.delete()
    return rows


def table(rows):
    head = ("case", "wall s (median)", "rerun s", "CPU s", "API requests", "EKS requests", "aws-auth writes",
            "rerun writes", "mapRoles after re-run (distinct ARNs)", "200 present", "node mappings kept")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lines.append("| %s | %.2f | %.2f | %.2f | %d | %s | %d | %d | %s | %s | %s |" % (
            r["case"], r["wall_s"], r["rerun_wall_s"], r["cpu_s"], r["requests"], r.get("eks_requests", "-"), r["writes"],
            r["rerun_writes"],
            "%d (%d)" % (r["entries_after_rerun"], r["distinct_after_rerun"]) if "entries_after_rerun" in r else "-",
            "yes" if r["all_present"] else "NO", "yes" if r["node_mappings_kept"] else "NO"))
    return "\n".join(lines)


def get_table(rows):
    lines = ["| case | wall s (median) | CPU s | API requests | EKS requests | mappings read |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append("| %s | %.2f | %.2f | %d | %d | %d |" % (r["case"], r["wall_s"], r["cpu_s"], r["requests"],
                                                              r["eks_requests"], r["mappings_read"]))
    return "\n".join(lines)


def skipped_note(reason):
    return textwrap.fill("eksctl cases skipped: %s. Build it with tests/bench/build-eksctl.sh (needs the go "
                         "toolchain and the Go module proxy), or point BENCH_EKSCTL at an eksctl binary." % reason,
                         100, break_on_hyphens=False)
