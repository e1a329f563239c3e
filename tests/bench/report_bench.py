# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of the playbook eks.access.access_report over a fleet (`BENCH=report make bench`).

Every CONFIG_MAP cluster of the sandbox that has its own API server
(``sandbox.py up --clusters 20``: sandbox, sandbox-2 .. sandbox-20) gets an
aws-auth of ``--principals`` IAM roles (200 by default; the roles exist in
IAM, created once and kept), each in one of 10 groups, and RoleBindings of
those groups in 10 namespaces, so that every principal has RBAC to resolve.
The inventory is the eks_clusters plugin (one host per cluster, reached by
name and EKS token).  The playbook runs once normally and once with
``--check``; both must write the same report (but for the scan time), with
every principal of every cluster in it.  Wall time includes
ansible-playbook's start; the Kubernetes requests of the first cluster are
counted in its API server's audit log.  At the end each cluster is left
without aws-auth and without the bench's RoleBindings.  Prints a table;
--json writes the figures.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

import apicount
import fleet_bench
from figures import machine, write_json
from playbook_runs import REPO, eks_clusters_inventory, eks_token_env
from sandbox_aws import aws_client

GROUPS = 10
PREFIX = "bench-report-"


def log(msg):
    print("[report-bench] %s" % msg, flush=True)


def ensure_roles(env, count):
    """``count`` IAM roles bench-report-NNN (listed once, the missing ones created); returns their ARNs."""
    iam = aws_client(env, "iam")
    existing = {r["RoleName"]: r["Arn"] for page in iam.get_paginator("list_roles").paginate()
                for r in page["Roles"] if r["RoleName"].startswith(PREFIX)}
    arns = []
    for index in range(count):
        name = "%s%03d" % (PREFIX, index)
        if name not in existing:
            existing[name] = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(
                fleet_bench.TRUST))["Role"]["Arn"]
        arns.append(existing[name])
    return arns


def prepare(env, cluster, arns):
    """aws-auth with every role (group bench-g<i % 10>), and the groups bound in namespaces bench-ns-<i>."""
    from kubernetes import client

    core = fleet_bench.core_api(cluster)
    rbac = client.RbacAuthorizationV1Api(core.api_client)
    data = {"mapRoles": "".join("- rolearn: %s\n  username: %s:{{SessionName}}\n  groups: [bench-g%d]\n"
                                % (arn, arn.rsplit("/", 1)[-1], index % GROUPS) for index, arn in enumerate(arns))}
    fleet_bench.reset_cluster(env, cluster, data)
    for index in range(GROUPS):
        namespace = "bench-ns-%d" % index
        try:
            core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace)))
        except client.exceptions.ApiException as e:
            if e.status != 409:
                raise
        body = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                "metadata": {"name": "bench-g%d" % index, "namespace": namespace},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                            "name": ("view", "edit", "admin")[index % 3]},
                "subjects": [{"kind": "Group", "name": "bench-g%d" % index, "apiGroup": "rbac.authorization.k8s.io"}]}
        try:
            rbac.create_namespaced_role_binding(namespace, body)
        except client.exceptions.ApiException as e:
            if e.status != 409:
                raise


def cleanup(env, cluster):
    from kubernetes import client

    fleet_bench.reset_cluster(env, cluster, None)
    rbac = client.RbacAuthorizationV1Api(fleet_bench.core_api(cluster).api_client)
    # The namespaces stay: the extra clusters run no namespace controller, which a deletion would wait for.
    for index in range(GROUPS):
        try:
            rbac.delete_namespaced_role_binding("bench-g%d" % index, "bench-ns-%d" % index)
        except client.exceptions.ApiException as e:
            if e.status != 404:
                raise


def run_playbook(env, work, forks, check, out_dir):
    inv = os.path.join(work, "fleet.eks_clusters.yml")
    argv = [env["ANSIBLE_PLAYBOOK"], "eks.access.access_report", "-i", inv, "-f", str(forks),
            "-e", "access_report_k8s_auth=eks_token", "-e", "access_report_dir=%s" % out_dir,
            "-e", "access_report_verify_sample=5"] + (["--check"] if check else [])
    penv = eks_token_env(env)
    t0 = time.monotonic()
    proc = subprocess.run(argv, env=penv, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          check=False)
    elapsed = time.monotonic() - t0
    with open(os.path.join(work, "report-%s.log" % ("check" if check else "run")), "w") as f:
        f.write(proc.stdout)
    if proc.returncode != 0:
        raise RuntimeError("the playbook failed (rc=%d):\n%s" % (proc.returncode, proc.stdout[-6000:]))
    with open(os.path.join(out_dir, "access-report.json")) as f:
        return elapsed, json.load(f)


def comparable(document):
    """The report without what differs between two scans (the time, the confirmed answers' order)."""
    clean = json.loads(json.dumps(document))
    clean.pop("scanned_at", None)
    for report in clean["reports"].values():
        report.pop("scanned_at", None)
        report.pop("invocation", None)
    return clean


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--principals", type=int, default=int(os.environ.get("BENCH_REPORT_PRINCIPALS", "200")))
    parser.add_argument("--forks", type=int, default=int(os.environ.get("BENCH_REPORT_FORKS", "10")))
    parser.add_argument("--clusters", type=int, default=int(os.environ.get("BENCH_REPORT_CLUSTERS", "0")),
                        help="only the first N clusters of the sandbox (0: all)")
    parser.add_argument("--json", default=os.path.join(REPO, "tests", "output", "report_bench.json"))
    args = parser.parse_args(argv)

    env = apicount.load_sandbox_env(REPO)
    clusters = fleet_bench.fleet_clusters(env)
    if args.clusters:
        clusters = clusters[:args.clusters]
    log("%d clusters x %d principals: %s" % (len(clusters), args.principals, ", ".join(c["name"] for c in clusters)))
    arns = ensure_roles(env, args.principals)
    load_at_start = os.getloadavg()
    log("machine: %s; load average %.2f %.2f %.2f" % ((machine(),) + load_at_start))
    t0 = time.monotonic()
    for cluster in clusters:
        prepare(env, cluster, arns)
    log("prepared in %.1fs" % (time.monotonic() - t0))
    try:
        with tempfile.TemporaryDirectory(prefix="bench-report-") as work:
            with open(os.path.join(work, "fleet.eks_clusters.yml"), "w") as f:
                f.write(eks_clusters_inventory([(c["name"], c["region"]) for c in clusters]))
            audit = apicount.Window(os.path.join(env["EKS_SANDBOX_DIR"], "logs", "audit.log")).start()
            run_s, document = run_playbook(env, work, args.forks, False, os.path.join(work, "run"))
            counts = audit.stop()
            check_s, checked = run_playbook(env, work, args.forks, True, os.path.join(work, "check"))
            for cluster in clusters:
                listed = {p["principal_arn"] for p in document["reports"][cluster["name"]]["principals"]}
                if not set(arns) <= listed:
                    raise RuntimeError("%s: %d of %d principals in the report" % (
                        cluster["name"], len(set(arns) & listed), len(arns)))
            if comparable(document) != comparable(checked):
                raise RuntimeError("--check wrote another report than the normal run")
            html_bytes = os.path.getsize(os.path.join(work, "run", "access-report.html"))
    finally:
        for cluster in clusters:
            cleanup(env, cluster)
    first = document["reports"][clusters[0]["name"]]
    out = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
           "machine": machine(), "clusters": len(clusters), "principals_per_cluster": args.principals,
           "forks": args.forks, "run_s": round(run_s, 1), "check_s": round(check_s, 1),
           "principals_reported": sum(len(r["principals"]) for r in document["reports"].values()),
           "findings": len(document["findings"]), "html_bytes": html_bytes,
           "first_cluster_kubernetes_requests": counts["requests"], "first_cluster_requests_by_kind": counts["by"],
           "first_cluster_confirmed": first["summary"]["confirmed"],
           "load_average_at_start": load_at_start, "load_average_at_end": os.getloadavg()}
    print()
    print("access_report over %d clusters x %d principals (forks %d)" % (len(clusters), args.principals, args.forks))
    print("| run s | --check s | principals reported | Kubernetes requests of one cluster | HTML bytes |")
    print("|---|---|---|---|---|")
    figures = (run_s, check_s, out["principals_reported"], counts["requests"], html_bytes)
    print("| %.1f | %.1f | %d | %d | %d |" % figures)
    print("requests of %s: %s" % (clusters[0]["name"], json.dumps(counts["by"], sort_keys=True)))
    log("figures written to %s" % write_json(args.json, out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
