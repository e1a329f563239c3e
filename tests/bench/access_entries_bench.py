# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of eks.access.eks_access_entry: 200 entries, one policy each, one task (`make bench`).

The AWS endpoint (the sandbox's moto with its EKS access entry emulation)
is reached through a relay that delays every chunk by --latency-ms each way,
as a regional endpoint would, and counts the HTTP requests that pass
(method and path, parsed from the stream).  Cases: the default concurrency
(10) and concurrency 1, each followed by the same task again (which must
make no write).  Before each case the bench's entries are deleted directly,
not through the relay.  Prints a table; --json writes the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import apicount
import latency_proxy
from figures import write_json
from playbook_runs import REPO, localhost_play, playbook_env
from sandbox_aws import aws_client

COUNT = 200
PREFIX = "bench-ae"
POLICY = "AmazonEKSViewPolicy"
WRITE_METHODS = ("POST", "PUT", "DELETE", "PATCH")
_REQUEST_LINE = re.compile(rb"^([A-Z]+) (\S+) HTTP/1\.[01]\r\n")


def log(msg):
    print("[bench-ae] %s" % msg, flush=True)


class RequestTally:
    """Parses the client's side of HTTP/1.1 connections and counts the requests (method, path)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = collections.Counter()
        self.first = self.last = None

    def reset(self):
        with self.lock:
            self.requests.clear()
            self.first = self.last = None

    def span(self):
        """Seconds from the first request that passed to the last one (the run's AWS phase)."""
        with self.lock:
            return (self.last - self.first) if self.first is not None else 0.0

    def snapshot(self):
        with self.lock:
            return collections.Counter(self.requests)

    def tap(self, reader):
        tally = self

        class Tap:
            """A stream reader that hands every chunk to the parser on its way through."""

            def __init__(self):
                self.buffer = b""

            async def read(self, size):
                data = await reader.read(size)
                self.buffer += data
                self._parse()
                return data

            def _parse(self):
                while True:
                    head_end = self.buffer.find(b"\r\n\r\n")
                    if head_end < 0:
                        return
                    head = self.buffer[:head_end + 2]
                    match = _REQUEST_LINE.match(head)
                    length = re.search(rb"(?im)^content-length:\s*(\d+)\r$", head)
                    body = int(length.group(1)) if length else 0
                    if len(self.buffer) < head_end + 4 + body:
                        return
                    if match:
                        method, path = match.group(1).decode(), match.group(2).decode().split("?")[0]
                        with tally.lock:
                            tally.requests[(method, _operation(method, path))] += 1
                            tally.last = time.monotonic()
                            if tally.first is None:
                                tally.first = tally.last
                    self.buffer = self.buffer[head_end + 4 + body:]

        return Tap()


def _operation(method, path):
    """A label for an EKS REST path: the cluster and principal parts replaced by placeholders."""
    path = re.sub(r"^/clusters/[^/]+", "/clusters/{name}", path)
    path = re.sub(r"/access-entries/[^/]+", "/access-entries/{principal}", path)
    path = re.sub(r"/access-policies/[^/]+", "/access-policies/{policy}", path)
    return path if path != "/" else "/ (IAM/STS query API)"


class CountingRelay:
    """latency_proxy's delaying relay in front of moto, on a thread, counting requests."""

    def __init__(self, target, delay_ms):
        self.target = target
        self.delay = delay_ms / 1000.0
        self.tally = RequestTally()
        self.port = None
        self.loop = None

    def __enter__(self):
        started = threading.Event()

        def run():
            self.loop = asyncio.new_event_loop()

            async def handle(client_reader, client_writer):
                try:
                    server_reader, server_writer = await asyncio.open_connection(*self.target)
                except OSError:
                    client_writer.close()
                    return
                await asyncio.gather(latency_proxy._pipe(self.tally.tap(client_reader), server_writer, self.delay),
                                     latency_proxy._pipe(server_reader, client_writer, self.delay))

            server = self.loop.run_until_complete(asyncio.start_server(handle, "127.0.0.1", 0))
            self.port = server.sockets[0].getsockname()[1]
            started.set()
            self.loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        started.wait(10)
        return self

    def __exit__(self, *exc):
        self.loop.call_soon_threadsafe(self.loop.stop)


# --------------------------------------------------------------------------- the workload

def entries(account):
    return [{"principal_arn": "arn:aws:iam::%s:role/%s-%03d" % (account, PREFIX, n),
             "access_policies": [{"policy": POLICY,
                                  "access_scope": {"type": "namespace", "namespaces": ["team-%d" % (n % 10)]}}]}
            for n in range(COUNT)]


def aws_clients(env):
    return {name: aws_client(env, name) for name in ("eks", "iam")}


def ensure_roles(iam):
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})
    existing = {r["RoleName"] for page in iam.get_paginator("list_roles").paginate() for r in page["Roles"]}
    for n in range(COUNT):
        name = "%s-%03d" % (PREFIX, n)
        if name not in existing:
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)


def delete_bench_entries(eks, cluster):
    arns = [a for page in eks.get_paginator("list_access_entries").paginate(clusterName=cluster)
            for a in page["accessEntries"] if (":role/%s-" % PREFIX) in a]
    for arn in arns:
        eks.delete_access_entry(clusterName=cluster, principalArn=arn)
    return len(arns)


def bench_entries_in_eks(eks, cluster):
    """(entries, entries with the bench's policy and scope) actually in EKS."""
    arns = [a for page in eks.get_paginator("list_access_entries").paginate(clusterName=cluster)
            for a in page["accessEntries"] if (":role/%s-" % PREFIX) in a]
    with_policy = 0
    for arn in arns:
        n = int(arn.rsplit("-", 1)[1])
        policies = eks.list_associated_access_policies(clusterName=cluster, principalArn=arn)
        if [(p["policyArn"].rsplit("/", 1)[1], p["accessScope"].get("namespaces")) for p in
                policies["associatedAccessPolicies"]] == [(POLICY, ["team-%d" % (n % 10)])]:
            with_policy += 1
    return len(arns), with_policy


def playbook(cluster, concurrency, entries_file):
    return localhost_play("""\
        - name: {count} access entries, one policy each, one task
          eks.access.eks_access_entry:
            cluster_name: {cluster}
            entries: "{{{{ lookup('file', '{entries}') | from_json }}}}"
            concurrency: {concurrency}
          register: result
        - name: Figures
          ansible.builtin.debug:
            msg: "BENCH {{{{ {{'writes': result.writes, 'changed': result.changed}} | to_json }}}}"
        """.format(count=COUNT, cluster=cluster, entries=entries_file, concurrency=concurrency))


def process_cpu(pid):
    """CPU seconds (user + system) a running process has used so far; 0 when it cannot be read."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, ValueError, TypeError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_of_run(moto_pid):
    """CPU seconds used so far by the emulator, by this process (the relay) and by finished children (Ansible)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"emulator": process_cpu(moto_pid), "relay": time.process_time(),
            "ansible": children.ru_utime + children.ru_stime}


def run_playbook(env, path, moto_pid=None):
    started = time.monotonic()
    cpu_before = cpu_of_run(moto_pid)
    proc = subprocess.run([env.get("ANSIBLE_PLAYBOOK", "ansible-playbook"), "-i", "localhost,", path], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    wall = time.monotonic() - started
    cpu_after = cpu_of_run(moto_pid)
    if proc.returncode != 0:
        raise SystemExit("playbook failed:\n%s" % proc.stdout[-5000:])
    figures = json.loads(re.search(r'BENCH (\{.*?\})"', proc.stdout).group(1).replace('\\"', '"'))
    figures["cpu_s"] = {k: round(cpu_after[k] - cpu_before[k], 2) for k in cpu_after}
    return wall, figures


def one_case(env, relay, clients, cluster, concurrency, work, runs, moto_pid=None):
    entries_file = os.path.join(work, "entries.json")
    path = os.path.join(work, "bench-%d.yml" % concurrency)
    with open(path, "w") as f:
        f.write(playbook(cluster, concurrency, entries_file))
    first, again = [], []
    for unused in range(runs):
        delete_bench_entries(clients["eks"], cluster)
        relay.tally.reset()
        wall, figures = run_playbook(env, path, moto_pid)
        calls, aws_phase = relay.tally.snapshot(), relay.tally.span()
        present, with_policy = bench_entries_in_eks(clients["eks"], cluster)
        first.append({"wall_s": wall, "aws_phase_s": aws_phase, "writes": figures["writes"], "calls": calls,
                      "present": present, "with_policy": with_policy, "cpu_s": figures["cpu_s"]})
        relay.tally.reset()
        wall, figures = run_playbook(env, path, moto_pid)
        calls, aws_phase = relay.tally.snapshot(), relay.tally.span()
        again.append({"wall_s": wall, "aws_phase_s": aws_phase, "cpu_s": figures["cpu_s"], "writes": figures["writes"],
                      "changed": figures["changed"], "calls": calls})
    return {"concurrency": concurrency, "first": first, "again": again}


def summarize(case):
    def med(rows, key):
        return statistics.median(r[key] for r in rows)

    def http(rows, writes_only=False):
        counts = rows[-1]["calls"]
        # IAM and STS use the query API (every call a POST to "/"): reads here (GetRole, ListRoles).
        return sum(n for (method, operation), n in counts.items()
                   if not writes_only or (method in WRITE_METHODS and not operation.startswith("/ ")))

    return {
        "concurrency": case["concurrency"],
        "wall_s": med(case["first"], "wall_s"), "runs_s": [r["wall_s"] for r in case["first"]],
        "aws_phase_s": med(case["first"], "aws_phase_s"), "rerun_aws_phase_s": med(case["again"], "aws_phase_s"),
        "aws_requests": http(case["first"]), "aws_writes": http(case["first"], True),
        "present": case["first"][-1]["present"], "with_policy": case["first"][-1]["with_policy"],
        "rerun_wall_s": med(case["again"], "wall_s"), "rerun_aws_requests": http(case["again"]),
        "rerun_aws_writes": http(case["again"], True), "rerun_changed": case["again"][-1]["changed"],
        "cpu_s": case["first"][-1]["cpu_s"], "rerun_cpu_s": case["again"][-1]["cpu_s"],
        "requests_by_operation": {"%s %s" % key: n for key, n in sorted(case["first"][-1]["calls"].items())},
        "rerun_requests_by_operation": {"%s %s" % key: n for key, n in sorted(case["again"][-1]["calls"].items())},
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "3")))
    parser.add_argument("--latency-ms", type=float, default=float(os.environ.get("BENCH_AWS_LATENCY_MS", "30")))
    parser.add_argument("--moto-pid", type=int, help="the emulator's process, for its CPU time (default: the "
                        "sandbox's, from .sandbox/run/moto.pid)")
    parser.add_argument("--json", default=os.path.join(REPO, "tests", "output", "bench-access-entries.json"))
    args = parser.parse_args(argv)

    env = apicount.load_sandbox_env(REPO)
    cluster = env.get("EKS_API_AND_CONFIG_MAP_CLUSTER_NAME")
    if not cluster:
        raise SystemExit("this sandbox has no access entry clusters: restart it (make sandbox-down && make sandbox)")
    clients = aws_clients(env)
    moto_pid = args.moto_pid
    if moto_pid is None:
        try:
            with open(os.path.join(env["EKS_SANDBOX_DIR"], "run", "moto.pid")) as f:
                moto_pid = int(f.read().strip())
        except (KeyError, OSError, ValueError):
            moto_pid = None
    log("%d IAM roles %s-000..%03d" % (COUNT, PREFIX, COUNT - 1))
    ensure_roles(clients["iam"])
    target = env["AWS_ENDPOINT_URL"].split("//", 1)[1].rstrip("/").rsplit(":", 1)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-ae-") as work, \
            CountingRelay((target[0], int(target[1])), args.latency_ms) as relay:
        with open(os.path.join(work, "entries.json"), "w") as f:
            json.dump(entries(env["AWS_ACCOUNT_ID"]), f)
        slow_env = playbook_env(env, AWS_ENDPOINT_URL="http://127.0.0.1:%d" % relay.port)
        for concurrency in (10, 1):
            log("concurrency %d, through a relay adding %g ms each way (%d runs)"
                % (concurrency, args.latency_ms, args.runs))
            case = one_case(slow_env, relay, clients, cluster, concurrency, work, args.runs, moto_pid)
            rows.append(summarize(case))
        delete_bench_entries(clients["eks"], cluster)

    print()
    print("%d access entries with one policy each, one eks_access_entry task, AWS endpoint %g ms away each way"
          % (COUNT, args.latency_ms))
    print("| concurrency | wall time (median) | AWS phase | AWS requests | EKS writes | entries / with policy | "
          "re-run | re-run AWS phase | re-run requests | re-run writes |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print("| %d | %.1f s (%s) | %.1f s | %d | %d | %d / %d | %.1f s | %.1f s | %d | %d |" % (
            r["concurrency"], r["wall_s"], ", ".join("%.1f" % t for t in r["runs_s"]), r["aws_phase_s"],
            r["aws_requests"], r["aws_writes"], r["present"], r["with_policy"], r["rerun_wall_s"],
            r["rerun_aws_phase_s"], r["rerun_aws_requests"], r["rerun_aws_writes"]))
    print()
    print("CPU seconds of the last first run and re-run: the emulator, ansible-playbook with the module, the relay")
    for r in rows:
        print("  concurrency %d: first run %s; re-run %s" % (r["concurrency"], json.dumps(r["cpu_s"]),
                                                             json.dumps(r["rerun_cpu_s"])))
    speedup = rows[1]["wall_s"] / rows[0]["wall_s"]
    phase_speedup = rows[1]["aws_phase_s"] / max(rows[0]["aws_phase_s"], 1e-9)
    print()
    print("concurrency 10 is %.1fx faster than concurrency 1 in wall time (target >= 5x: %s), %.1fx in the AWS "
          "phase (first to last request at the relay); re-runs write %s" % (
              speedup, speedup >= 5, phase_speedup, [r["rerun_aws_writes"] for r in rows]))
    print("requests by operation (concurrency 10, first run): %s" % json.dumps(rows[0]["requests_by_operation"]))
    print("requests by operation (re-run): %s" % json.dumps(rows[0]["rerun_requests_by_operation"]))
    log("figures written to %s" % write_json(args.json, {"count": COUNT, "latency_ms": args.latency_ms, "cases": rows,
                                                         "speedup": speedup, "aws_phase_speedup": phase_speedup}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
