# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of the playbook eks.access.migrate_to_access_entries over a fleet (`BENCH=fleet make bench`).

Every CONFIG_MAP cluster of the sandbox that has its own API server
(``sandbox.py up --clusters 20``: sandbox, sandbox-2 .. sandbox-20) gets an
aws-auth like a real cluster's: its node roles, a system:masters role with
one more group, a role mapped under a stripped path with a ``{{SessionName}}``
username EKS refuses, a read-only role and an IAM user.  The inventory is the
eks_clusters plugin (one host per cluster, reached by name and EKS token:
no kubeconfig).  For each --forks value: every cluster is put back to
CONFIG_MAP with no access entries, the playbook runs (plan, apply, verify),
the result is checked on every cluster through EKS, then the same playbook
runs again and must change nothing.  Wall time includes ansible-playbook's
start.  At the end each cluster is CONFIG_MAP again without aws-auth.
Prints a table; --json writes the figures.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import apicount
from figures import machine, write_json
from playbook_runs import REPO, eks_clusters_inventory, eks_token_env, recaps
from sandbox_aws import aws_client

TRUST = {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
# (role name, IAM path, aws-auth username, groups); the dev role is mapped in aws-auth without its path.
ROLES = [
    ("fleet-mig-admin", "/", "admin", ["system:masters", "platform"]),
    ("fleet-mig-dev", "/teams/dev/", "{{SessionName}}", ["developers"]),
    ("fleet-mig-viewer", "/", "viewer:{{SessionName}}", ["viewers"]),
]
USER = ("fleet-mig-alice", "alice", ["auditors"])
MIGRATED_TAG = "eks.access/migrated-from"


def log(msg):
    print("[fleet-bench] %s" % msg, flush=True)


def fleet_clusters(env):
    """[{name, region, node_roles, kubeconfig}] of the CONFIG_MAP clusters with an API server, in start order."""
    with open(os.path.join(env["EKS_SANDBOX_DIR"], "facts.json")) as f:
        facts = json.load(f)
    return [{"name": c["name"], "region": c["region"], "node_roles": c["node_roles"],
             "kubeconfig": os.path.join(env["EKS_SANDBOX_DIR"], "kubeconfig-" + c["name"])}
            for c in facts["clusters"]]


def ensure_principals(env):
    """The IAM roles and user aws-auth maps (created once, kept); returns {name: real ARN}."""
    iam = aws_client(env, "iam")
    arns = {}
    for name, role_path, _username, _groups in ROLES:
        try:
            arns[name] = iam.get_role(RoleName=name)["Role"]["Arn"]
        except iam.exceptions.NoSuchEntityException:
            arns[name] = iam.create_role(RoleName=name, Path=role_path,
                                         AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    try:
        arns[USER[0]] = iam.get_user(UserName=USER[0])["User"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        arns[USER[0]] = iam.create_user(UserName=USER[0])["User"]["Arn"]
    return arns


def aws_auth_data(cluster, account):
    """aws-auth of one cluster: its node roles, the three roles (paths stripped, as aws-auth matches), the user."""
    lines = []
    for arn in cluster["node_roles"]:
        lines.append("- rolearn: %s\n  username: system:node:{{EC2PrivateDNSName}}\n"
                     "  groups: [system:bootstrappers, system:nodes]\n" % arn)
    for name, _path, username, groups in ROLES:
        lines.append("- rolearn: arn:aws:iam::%s:role/%s\n  username: \"%s\"\n  groups: [%s]\n"
                     % (account, name, username, ", ".join(groups)))
    name, username, groups = USER
    users = "- userarn: arn:aws:iam::%s:user/%s\n  username: %s\n  groups: [%s]\n" % (
        account, name, username, ", ".join(groups))
    return {"mapRoles": "".join(lines), "mapUsers": users}


def core_api(cluster):
    from kubernetes import client, config

    return client.CoreV1Api(config.new_client_from_config(config_file=cluster["kubeconfig"]))


def reset_cluster(env, cluster, data):
    """CONFIG_MAP, no access entries (the sandbox's reset), and aws-auth = ``data`` (None: no aws-auth)."""
    from kubernetes import client

    url = "%s/_sandbox/eks/access/%s/%s/reset" % (env["AWS_ENDPOINT_URL"], cluster["region"], cluster["name"])
    request = urllib.request.Request(url, data=json.dumps({"authenticationMode": "CONFIG_MAP"}).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30):
        pass
    core = core_api(cluster)
    try:
        core.delete_namespaced_config_map("aws-auth", "kube-system")
    except client.exceptions.ApiException as e:
        if e.status != 404:
            raise
    if data is not None:
        core.create_namespaced_config_map("kube-system", client.V1ConfigMap(
            metadata=client.V1ObjectMeta(name="aws-auth", namespace="kube-system"), data=data))


def check_migrated(env, cluster, arns):
    """Raise unless the cluster is API_AND_CONFIG_MAP with an entry for every mapped principal, ours tagged."""
    eks = aws_client(env, "eks", region=cluster["region"])
    mode = eks.describe_cluster(name=cluster["name"])["cluster"]["accessConfig"]["authenticationMode"]
    entries = set(eks.list_access_entries(clusterName=cluster["name"])["accessEntries"])
    wanted = set(cluster["node_roles"]) | set(arns.values()) | {env["EKS_CLUSTER_CREATOR_ARN"]}
    problems = []
    if mode != "API_AND_CONFIG_MAP":
        problems.append("mode %s" % mode)
    if entries != wanted:
        problems.append("entries %s, wanted %s" % (sorted(entries), sorted(wanted)))
    for arn in arns.values():
        if arn in entries:
            entry = eks.describe_access_entry(clusterName=cluster["name"], principalArn=arn)["accessEntry"]
            if entry.get("tags", {}).get(MIGRATED_TAG) != "aws-auth":
                problems.append("%s not tagged as migrated" % arn)
    if problems:
        raise RuntimeError("cluster %s after the migration: %s" % (cluster["name"], "; ".join(problems)))


def service_cpu_s(env):
    """CPU seconds used so far by the sandbox's moto, authenticator and API servers (from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    run = os.path.join(env["EKS_SANDBOX_DIR"], "run")
    cpu = {"moto": 0.0, "authenticator": 0.0, "apiservers": 0.0}
    for name in os.listdir(run):
        key = "apiservers" if name.startswith("apiserver") else name[:-4]
        if not name.endswith(".pid") or key not in cpu:
            continue
        try:
            with open(os.path.join(run, name)) as f, open("/proc/%s/stat" % f.read().strip()) as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (OSError, ValueError):
            continue
        cpu[key] += (int(fields[11]) + int(fields[12])) / ticks
    return cpu


def run_playbook(env, work, forks):
    """One run of the playbook at ``forks``; returns (wall seconds, {host: (ok, changed, failed)}, CPU seconds)."""
    inv = os.path.join(work, "fleet.eks_clusters.yml")
    argv = [env["ANSIBLE_PLAYBOOK"], "eks.access.migrate_to_access_entries", "-i", inv, "-f", str(forks),
            "-e", "access_entry_migration_k8s_auth=eks_token"]
    # The clusters are reached by name only: DescribeCluster in the host's region and an EKS token.
    penv = eks_token_env(env)
    services_before = service_cpu_s(env)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    proc = subprocess.run(argv, env=penv, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          check=False)
    elapsed = time.monotonic() - t0
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = {key: value - services_before[key] for key, value in service_cpu_s(env).items()}
    # ansible-playbook and its forks (module runs), all reaped before it exits
    cpu["ansible"] = (children.ru_utime - children_before.ru_utime) + (children.ru_stime - children_before.ru_stime)
    with open(os.path.join(work, "forks-%d-%d.log" % (forks, int(t0))), "w") as f:
        f.write(proc.stdout)
    if proc.returncode != 0:
        raise RuntimeError("the playbook failed at forks=%d (rc=%d):\n%s" % (forks, proc.returncode, proc.stdout[-6000:]))
    recap = {host: (c["ok"], c["changed"], c["failed"]) for host, c in recaps(proc.stdout).items()}
    return elapsed, recap, {key: round(value, 1) for key, value in cpu.items()}


def measure(env, clusters, arns, account, forks, runs, work):
    """Median wall time of the migration and of its re-run at ``forks``, each run from a fresh CONFIG_MAP fleet."""
    applies, reruns, cpu = [], [], {}
    names = sorted(c["name"] for c in clusters)
    for _run in range(runs):
        for cluster in clusters:
            reset_cluster(env, cluster, aws_auth_data(cluster, account))
        elapsed, recap, cpu["apply"] = run_playbook(env, work, forks)
        if sorted(recap) != names or any(changed == 0 or failed for _ok, changed, failed in recap.values()):
            raise RuntimeError("forks=%d: not every cluster migrated: %s" % (forks, recap))
        for cluster in clusters:
            check_migrated(env, cluster, arns)
        applies.append(elapsed)
        log("forks=%d: migration of %d clusters %.1fs; CPU s %s" % (forks, len(clusters), elapsed, cpu["apply"]))
        elapsed, recap, cpu["rerun"] = run_playbook(env, work, forks)
        if sorted(recap) != names or any(changed or failed for _ok, changed, failed in recap.values()):
            raise RuntimeError("forks=%d: the re-run changed something: %s" % (forks, recap))
        reruns.append(elapsed)
        log("forks=%d: re-run %.1fs, changed=0 on every cluster; CPU s %s" % (forks, elapsed, cpu["rerun"]))
    return {"forks": forks, "apply_s": statistics.median(applies), "apply_runs": applies,
            "rerun_s": statistics.median(reruns), "rerun_runs": reruns, "cpu_s_last_run": cpu}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forks", default=os.environ.get("BENCH_FLEET_FORKS", "10,1"),
                        help="comma-separated forks values, each measured in turn")
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_FLEET_RUNS", "1")),
                        help="runs per forks value (the median is reported)")
    parser.add_argument("--json", default=os.path.join(REPO, "tests", "output", "fleet_bench.json"))
    args = parser.parse_args(argv)

    env = apicount.load_sandbox_env(REPO)
    clusters = fleet_clusters(env)
    account = env["AWS_ACCOUNT_ID"]
    log("%d clusters: %s" % (len(clusters), ", ".join("%s (%s)" % (c["name"], c["region"]) for c in clusters)))
    arns = ensure_principals(env)
    load_at_start = os.getloadavg()
    log("machine: %s; load average %.2f %.2f %.2f" % ((machine(),) + load_at_start))
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-fleet-") as work:
            with open(os.path.join(work, "fleet.eks_clusters.yml"), "w") as f:
                f.write(eks_clusters_inventory([(c["name"], c["region"]) for c in clusters]))
            for forks in [int(n) for n in args.forks.split(",") if n]:
                results.append(measure(env, clusters, arns, account, forks, args.runs, work))
    finally:
        for cluster in clusters:
            reset_cluster(env, cluster, None)
    out = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"), "machine": machine(),
           "clusters": len(clusters), "entries_per_cluster": "%d node role(s) + %d roles + 1 user" % (
               len(clusters[0]["node_roles"]), len(ROLES)),
           "load_average_at_start": load_at_start, "load_average_at_end": os.getloadavg(), "results": results}
    print()
    print("migrate_to_access_entries over %d clusters (plan, apply, verify), median of %d run(s)"
          % (len(clusters), args.runs))
    print("| forks | migration s | re-run s (changed=0) | CPU s of the migration: Ansible, moto, authenticator, API servers |")
    print("|---|---|---|---|")
    for r in results:
        c = r["cpu_s_last_run"]["apply"]
        print("| %d | %.1f | %.1f | %.1f, %.1f, %.1f, %.1f |" % (
            r["forks"], r["apply_s"], r["rerun_s"], c["ansible"], c["moto"], c["authenticator"], c["apiservers"]))
    print("load average at start %s, at end %s" % (
        " ".join("%.2f" % v for v in load_at_start), " ".join("%.2f" % v for v in out["load_average_at_end"])))
    log("figures written to %s" % write_json(args.json, out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
