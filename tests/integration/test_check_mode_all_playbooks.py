# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The check-mode rule: every playbook of the collection, run with ``--check --diff``, exits 0 and writes nothing,
on a cluster in each EKS authentication mode.

The playbooks are listed from ``playbooks/`` (a new one is covered without
touching this test) and run over one inventory holding the sandbox's three
clusters (``sandbox`` in CONFIG_MAP, ``sandbox-api-and-config-map``,
``sandbox-api``), each reached with its own EKS token, with the demo's group
variables (playbooks/inventory/group_vars). Before the run, the
API_AND_CONFIG_MAP cluster gets an aws-auth that is not migrated yet (a
node role and an admin role), the situation of a cluster created with the
console's default mode.

"Writes nothing" is read from the servers, not from the playbooks' output:

* the kube-apiserver audit log of each cluster (sandbox.py audits every write
  of any identity that is not a sandbox component) has no create, update,
  patch or delete during the run, except reviews (SelfSubjectReview,
  SelfSubjectAccessReview: questions, not writes) and server-side dry runs;
* the AWS emulator's request log (aws_request_log.py) has no mutating call
  (Create*, Update*, Delete*, Put*, Attach*, Detach*, Associate*,
  Disassociate*, Tag*, Untag*) and no request it could not name.
"""

from __future__ import annotations

import json
import os
import sys
import time

import pytest
import yaml

import aws_request_log
from playbook_runs import REPO, recap, run_sandbox_playbook

PLAYBOOKS = os.path.join(REPO, "playbooks")

WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection"}
TRUST = {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
ADMIN_ROLE = "check-mode-admin"


def playbooks():
    """Every playbook of the collection: the YAML files directly in playbooks/."""
    return sorted(name for name in os.listdir(PLAYBOOKS)
                  if name.endswith((".yml", ".yaml")) and os.path.isfile(os.path.join(PLAYBOOKS, name)))


def clusters(env):
    """(inventory host, cluster name, audit log) of a cluster in each authentication mode."""
    logs = env.get("SANDBOX_AUDIT_LOG_DIR") or os.path.dirname(env["SANDBOX_AUDIT_LOG"])
    found = [("sandbox", env["EKS_CONFIG_MAP_CLUSTER_NAME"], env["SANDBOX_AUDIT_LOG"])]
    for variable in ("EKS_API_AND_CONFIG_MAP_CLUSTER_NAME", "EKS_API_CLUSTER_NAME"):
        name = env[variable]
        found.append((name, name, os.path.join(logs, "audit-%s.log" % name)))
    return found


def write_inventory(env, directory):
    """The three clusters as the eks_clusters group, next to the demo's group_vars (a link)."""
    hosts = {}
    for host, name, _log in clusters(env):
        hosts[host] = {
            "ansible_connection": "local",
            "ansible_python_interpreter": env.get("ANSIBLE_PYTHON_INTERPRETER") or sys.executable,
            "eks_cluster_name": name,
            # Several clusters: each is reached at the endpoint EKS reports, with its own EKS token.
            "eks_k8s_auth": "eks_token",
            "access_entry_migration_k8s_auth": "eks_token",
            "vpc_cni_irsa_k8s_auth": "eks_token",
        }
    inventory = os.path.join(directory, "hosts.yml")
    with open(inventory, "w") as f:
        yaml.safe_dump({"all": {"children": {"eks_clusters": {"hosts": hosts}}}}, f)
    os.symlink(os.path.join(PLAYBOOKS, "inventory", "group_vars"), os.path.join(directory, "group_vars"))
    return inventory


def size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def audit_writes(path, offset):
    """The write events of the audit log at ``path`` after byte ``offset`` that change something."""
    writes = []
    with open(path, "rb") as f:
        f.seek(offset)
        data = f.read()
    for line in data.decode("utf-8", "replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        ref = event.get("objectRef") or {}
        if event.get("verb") not in WRITE_VERBS:
            continue
        if (ref.get("resource") or "").endswith("reviews"):
            continue  # TokenReview, SelfSubjectReview, (Self)SubjectAccessReview: answered, never stored
        if "dryRun=All" in event.get("requestURI", ""):
            continue  # validated by the API server, stored nowhere
        writes.append("%s %s %s (%s, HTTP %s)" % (
            event.get("user", {}).get("username"), event["verb"], event.get("requestURI"),
            ref.get("resource"), (event.get("responseStatus") or {}).get("code")))
    return writes


@pytest.fixture
def unmigrated_aws_auth(sandbox_env):
    """An aws-auth that maps a node role and an admin role on the API_AND_CONFIG_MAP cluster, removed after."""
    import boto3
    from kubernetes import client, config

    iam = boto3.client("iam")
    try:
        admin = iam.get_role(RoleName=ADMIN_ROLE)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        admin = iam.create_role(RoleName=ADMIN_ROLE, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    node_role = sandbox_env["EKS_NODE_ROLE_ARNS"].split(",")[0]
    name = sandbox_env["EKS_API_AND_CONFIG_MAP_CLUSTER_NAME"]
    kubeconfig = os.path.join(sandbox_env["EKS_SANDBOX_DIR"], "kubeconfig-" + name)
    core = client.CoreV1Api(config.new_client_from_config(config_file=kubeconfig))
    map_roles = ("- rolearn: %s\n  username: system:node:{{EC2PrivateDNSName}}\n"
                 "  groups: [system:bootstrappers, system:nodes]\n"
                 "- rolearn: %s\n  username: admin\n  groups: [system:masters]\n" % (node_role, admin))

    def delete():
        try:
            core.delete_namespaced_config_map("aws-auth", "kube-system")
        except client.exceptions.ApiException as e:
            if e.status != 404:
                raise

    delete()
    core.create_namespaced_config_map("kube-system", client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="aws-auth", namespace="kube-system"), data={"mapRoles": map_roles}))
    yield admin
    delete()


def test_every_playbook_in_check_mode_writes_nothing(sandbox_env, unmigrated_aws_auth, tmp_path):
    env = dict(sandbox_env)
    # What a user of several clusters has: AWS credentials, no kubeconfig; each host's token reaches its cluster.
    for variable in ("KUBECONFIG", "K8S_AUTH_KUBECONFIG"):
        env.pop(variable, None)
    inventory = write_inventory(sandbox_env, str(tmp_path))
    names = playbooks()
    assert {"access.yml", "access_entries.yml", "bootstrap.yml", "migrate_to_access_entries.yml",
            "migrate_to_pod_identity.yml", "migrate_vpc_cni_irsa.yml", "site.yml", "sso.yml"} <= set(names)
    # One ansible-playbook run for all of them: a playbook that imports each, in the order listed.
    wrapper = os.path.join(str(tmp_path), "all_playbooks.yml")
    with open(wrapper, "w") as f:
        yaml.safe_dump([{"name": "Playbook %s" % name, "ansible.builtin.import_playbook": os.path.join(PLAYBOOKS, name)}
                        for name in names], f)
    logs = {host: log for host, _name, log in clusters(sandbox_env)}
    request_log = sandbox_env["SANDBOX_AWS_REQUEST_LOG"]
    offsets = {path: size(path) for path in list(logs.values()) + [request_log]}
    # The migrations go one cluster at a time by default (serial 1); in check mode the three can go together.
    out = run_sandbox_playbook(env, [env.get("ANSIBLE_PLAYBOOK", "ansible-playbook"), wrapper, "-i", inventory,
                                     "--check", "--diff", "-e", "eks_access_serial=3", "-e", "vpc_cni_irsa_serial=3"],
                               timeout=2400)
    with open(os.path.join(str(tmp_path), "output.txt"), "w") as f:
        f.write(out)
    time.sleep(0.5)  # an audit event is written as its response completes
    for host in logs:
        counts = recap(out, host)
        assert counts["failed"] == 0 and counts["unreachable"] == 0, (host, counts, out[-5000:])
    writes = {host: audit_writes(log, offsets[log]) for host, log in logs.items()}
    assert not any(writes.values()), json.dumps(writes, indent=1)
    requests = aws_request_log.read(request_log, offsets[request_log])
    assert requests, "the AWS request log recorded nothing: is the sandbox up to date (make sandbox)?"
    mutating = sorted({"%s:%s" % (r["service"], r["action"]) for r in requests if aws_request_log.is_mutating(
        r["action"])})
    unnamed = sorted({"%s %s %s" % (r["service"], r["method"], r["path"]) for r in requests if not r["action"]})
    assert not mutating and not unnamed, "mutating AWS calls: %s; requests not named: %s" % (mutating, unnamed)
    # The case of issue 27: the unmigrated API_AND_CONFIG_MAP cluster's plan shows the admin role it would create.
    assert unmigrated_aws_auth in out and "would be created" in out, out[-8000:]
