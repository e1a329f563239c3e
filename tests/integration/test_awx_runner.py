# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet playbook run the way AWX runs it: through ansible-runner, sliced in two.

AWX (and Automation Controller) never calls ansible-playbook itself. For an
inventory source it runs ``ansible-inventory --list --export`` through
ansible-runner in a private data dir and stores the hosts; for a job it writes
a new private data dir (``env/envvars``, ``env/extravars``, ``env/cmdline``,
``inventory/hosts``, ``project/``) and hands it to ansible-runner. A job
template with *Job Slicing* 2 becomes two jobs, each with an inventory of its
own: the hosts ordered by name, every second one (AWX's
``Inventory.get_sliced_hosts``). The *Amazon Web Services* credential reaches
the job only as ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` (and
``AWS_SECURITY_TOKEN`` when it holds an STS token; the inventory source's
injector sets ``AWS_SESSION_TOKEN`` too) in ``env/envvars``.

This test lays the dirs out that way for the sandbox's three clusters (the
settings docs/awx.md shows): the collection installed from its tarball into
``requirements_collections`` as a project update does, the inventory source
using ``eks.access.eks_clusters`` with STS credentials, and the job template
``playbooks/access.yml`` (``eks.access.access``) with a key pair credential,
sliced in two. The jobs run with no variable of the test's own environment:
no kubeconfig, no AWS settings but those the credential injects (and the
sandbox's endpoint, which an AWX admin would set in *Extra Environment
Variables*). Each cluster must be in exactly one slice, end up with its own
mapping once, and report no change when both slices run again.
"""

from __future__ import annotations

import glob
import json
import os
import stat
import subprocess
import sys
import textwrap

import pytest

from aws_auth_state import delete_aws_auth
from playbook_runs import REPO, playbook_env
from sandbox_aws import cluster_api_clients, ensure_role

try:
    import ansible_runner
except ImportError:  # reported by the test itself, so that the other tests still run
    ansible_runner = None

SLICES = 2
CLUSTERS_NEEDED = 3
# What a job's process may inherit from the node that runs it; everything else
# comes from env/envvars.
NODE_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
# The mapped group and the ClusterRoleBinding that gives it the built-in ClusterRole view.
GROUP = "awx-fleet-viewers"
BINDING = "awx-fleet-view"


def role_arn(account, cluster):
    return "arn:aws:iam::%s:role/awx-%s" % (account, cluster)


@pytest.fixture
def fleet(sandbox_env):
    """{cluster name: (region, CoreV1Api as the cluster admin)}; no aws-auth nor the test's binding before or after."""
    from kubernetes import client

    clusters = cluster_api_clients(sandbox_env, CLUSTERS_NEEDED)[:CLUSTERS_NEEDED]
    apis = {name: client.CoreV1Api(api_client) for name, _region, api_client in clusters}
    rbac = [client.RbacAuthorizationV1Api(api_client) for _name, _region, api_client in clusters]

    def gone(delete, *args):
        try:
            delete(*args)
        except client.exceptions.ApiException as e:
            if e.status != 404:
                raise

    def clean():
        for core, rbac_api in zip(apis.values(), rbac):
            delete_aws_auth(core)
            gone(rbac_api.delete_cluster_role_binding, BINDING)

    clean()
    yield dict((name, (region, apis[name])) for name, region, _api_client in clusters)
    clean()


@pytest.fixture
def node_environment(monkeypatch):
    """The test process's environment cut down to what an execution node has.

    ansible-runner starts Ansible with its own process environment plus
    env/envvars; the sandbox variables of this pytest session (AWS keys,
    KUBECONFIG, ANSIBLE_COLLECTIONS_PATH, PYTHONPATH) must not leak in.
    """
    for name in list(os.environ):
        if name not in NODE_ENV:
            monkeypatch.delenv(name)
    bindir = os.path.dirname(sys.executable)
    monkeypatch.setenv("PATH", bindir + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"))


def write(path, text, mode=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    if mode is not None:
        os.chmod(path, mode)


def install_collection(tmp_path, sandbox_env):
    """A project update: the collection's tarball installed into requirements_collections.

    amazon.aws and kubernetes.core come from the execution environment (here:
    the venv's `ansible` package), as in an EE built with the collection.
    """
    bindir = os.path.dirname(sys.executable)
    env = playbook_env(sandbox_env)
    for name in ("ANSIBLE_COLLECTIONS_PATH", "PYTHONPATH"):
        env.pop(name, None)
    build = subprocess.run([os.path.join(bindir, "ansible-galaxy"), "collection", "build", "--force",
                            "--output-path", str(tmp_path / "dist"), REPO],
                           env=env, capture_output=True, text=True, check=False)
    assert build.returncode == 0, build.stdout + build.stderr
    tarball = glob.glob(str(tmp_path / "dist" / "eks-access-*.tar.gz"))[0]
    dest = tmp_path / "requirements_collections"
    install = subprocess.run([os.path.join(bindir, "ansible-galaxy"), "collection", "install", "--no-deps", "--force",
                              "-p", str(dest), tarball], env=env, capture_output=True, text=True, check=False)
    assert install.returncode == 0, install.stdout + install.stderr
    return str(dest)


def project(path, clusters):
    """The project (a Git repository in AWX): playbook wrapper, inventory source file, group_vars."""
    write(os.path.join(path, "playbooks", "access.yml"), textwrap.dedent("""\
        ---
        - name: Access
          ansible.builtin.import_playbook: eks.access.access
        """))
    # Only the three API-server clusters of the sandbox (it also has clusters for other tests).
    write(os.path.join(path, "inventories", "fleet.eks_clusters.yml"), textwrap.dedent("""\
        plugin: eks.access.eks_clusters
        regions: %s
        include_clusters: %s
        hostname: name
        keyed_groups:
          - key: eks_region
            prefix: region
        """) % (json.dumps(sorted(set(region for _name, region in clusters))),
                json.dumps([name for name, _region in clusters])))
    # Next to the inventory source: the sync exports them (--export) into the inventory's variables.
    # (Next to playbooks/access.yml they would not count: the plays are the collection's.)
    write(os.path.join(path, "inventories", "group_vars", "all.yml"), textwrap.dedent("""\
        ---
        aws_auth_access_roles__awx:
          - rolearn: "arn:aws:iam::{{ eks_account_id }}:role/awx-{{ eks_cluster_name }}"
            username: "awx-{{ eks_cluster_name }}"
            groups: [%s]
        aws_auth_access_rbac:
          - {name: view, kind: ClusterRole, binding_name: %s, groups: [%s]}
        # The execution environment's Python (here: the venv's), which has boto3 and kubernetes;
        # a compose entry could not say this: ansible_playbook_python is undefined in an inventory sync.
        ansible_python_interpreter: "{{ ansible_playbook_python }}"
        """ % (GROUP, BINDING, GROUP)))


def inventory_update(tmp_path, project_dir, credential_env, task_env, collections):
    """RunInventoryUpdate: ansible-inventory --list --export through ansible-runner; the hosts AWX stores."""
    pdd = tmp_path / "inventory_update"
    os.makedirs(pdd / "project")
    source = os.path.join(project_dir, "inventories", "fleet.eks_clusters.yml")
    output = str(pdd / "artifacts" / "output.json")
    envvars = dict(task_env, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED="1",
                   **credential_env)
    out, err, rc = ansible_runner.run_command(
        executable_cmd="ansible-inventory",
        cmdline_args=["--list", "--export", "-i", source, "--output", output, "--playbook-dir", os.path.dirname(source)],
        private_data_dir=str(pdd), envvars=envvars, quiet=True)
    assert rc == 0, out + err
    with open(output) as f:
        return json.load(f)


def sliced_inventory_script(listing, slice_number, slice_count):
    """inventory/hosts as AWX writes it for one slice job: a script printing the slice's hosts.

    AWX orders the inventory's hosts by name and gives slice N the hosts
    [N-1::count], with the groups cut down to them.
    """
    hostvars = listing.get("_meta", {}).get("hostvars", {})
    names = sorted(hostvars)[slice_number - 1::slice_count]
    data = {"_meta": {"hostvars": dict((name, hostvars[name]) for name in names)}, "all": {"children": []}}
    if listing.get("all", {}).get("vars"):
        data["all"]["vars"] = listing["all"]["vars"]
    for group, body in listing.items():
        if group in ("_meta", "all") or not isinstance(body, dict):
            continue
        data[group] = {"hosts": [h for h in body.get("hosts", []) if h in names]}
        if body.get("vars"):
            data[group]["vars"] = body["vars"]
        if body.get("children"):
            data[group]["children"] = body["children"]
        data["all"]["children"].append(group)
    script = "#! /usr/bin/env python3\n# -*- coding: utf-8 -*-\nprint(%r)\n" % json.dumps(data)
    return names, script


def slice_job(tmp_path, run, slice_number, listing, project_dir, credential_env, task_env, collections):
    """One slice job of the sliced job template: its private data dir, laid out as AWX lays it out."""
    pdd = tmp_path / ("job-%s-slice%d" % (run, slice_number))
    os.makedirs(pdd)
    os.symlink(project_dir, pdd / "project")
    names, script = sliced_inventory_script(listing, slice_number, SLICES)
    write(str(pdd / "inventory" / "hosts"), script, stat.S_IRWXU)
    # The job's environment: AWX's own settings, the project's collections, the credential.
    envvars = dict(task_env, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_FORCE_COLOR="0", **credential_env)
    write(str(pdd / "env" / "envvars"), json.dumps(envvars))
    # The job template's survey answers.
    write(str(pdd / "env" / "extravars"), json.dumps({"eks_access_serial": "100%", "eks_access_max_fail_percentage": 0}))
    # Show Changes; the job template has no limit of its own.
    write(str(pdd / "env" / "cmdline"), "--diff")
    return names, str(pdd)


def run_sliced_job(tmp_path, run, listing, project_dir, credential_env, task_env, collections):
    """All slices at once, as AWX's sliced workflow job starts them: [(hosts, play recap stats, stdout)]."""
    jobs = [slice_job(tmp_path, run, number, listing, project_dir, credential_env, task_env, collections)
            for number in range(1, SLICES + 1)]
    started = [ansible_runner.run_async(private_data_dir=pdd, playbook="playbooks/access.yml", ident="job", quiet=True)
               for _names, pdd in jobs]
    results = []
    for (names, _pdd), (thread, runner) in zip(jobs, started):
        thread.join()
        stdout = runner.stdout.read()
        assert runner.rc == 0 and runner.status == "successful", stdout[-20000:]
        results.append((names, runner.stats, stdout))
    return results


def recap_hosts(stats):
    """Every host named in a job's play recap."""
    return set().union(*(set(stats.get(k) or {}) for k in ("ok", "changed", "failures", "dark", "skipped")))


def mapped(api):
    data = api.read_namespaced_config_map("aws-auth", "kube-system").data
    return [line.split("rolearn:", 1)[1].strip() for line in data.get("mapRoles", "").splitlines() if "rolearn:" in line]


def test_sliced_job_through_ansible_runner_converges_each_cluster_once(sandbox_env, fleet, tmp_path, node_environment):
    if ansible_runner is None:
        pytest.fail("ansible-runner is missing from the venv: it is in tests/requirements.txt; run `make venv`")
    clusters = [(name, region) for name, (region, _api) in fleet.items()]
    account = sandbox_env["AWS_ACCOUNT_ID"]
    collections = install_collection(tmp_path, sandbox_env)
    project_dir = str(tmp_path / "project")
    project(project_dir, clusters)
    # Extra Environment Variables (Settings > Jobs), set by an AWX admin: the AWS endpoint of the sandbox.
    task_env = {"AWS_ENDPOINT_URL": sandbox_env["AWS_ENDPOINT_URL"]}
    key_pair = {"AWS_ACCESS_KEY_ID": sandbox_env["AWS_ACCESS_KEY_ID"],
                "AWS_SECRET_ACCESS_KEY": sandbox_env["AWS_SECRET_ACCESS_KEY"]}

    # The inventory source's credential holds an STS token (a role assumed for reading the fleet).
    import boto3

    sts = boto3.client("sts", region_name=sandbox_env["AWS_REGION"], endpoint_url=sandbox_env["AWS_ENDPOINT_URL"],
                       aws_access_key_id=key_pair["AWS_ACCESS_KEY_ID"],
                       aws_secret_access_key=key_pair["AWS_SECRET_ACCESS_KEY"])
    creds = sts.assume_role(RoleArn=ensure_role(sandbox_env, account, "eks-inventory-reader"),
                            RoleSessionName="awx-inventory")["Credentials"]
    sts_credential = {"AWS_ACCESS_KEY_ID": creds["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
                      "AWS_SECURITY_TOKEN": creds["SessionToken"], "AWS_SESSION_TOKEN": creds["SessionToken"]}
    listing = inventory_update(tmp_path, project_dir, sts_credential, task_env, collections)
    assert sorted(listing["_meta"]["hostvars"]) == sorted(name for name, _region in clusters), listing
    assert all(v["eks_k8s_auth"] == "eks_token" for v in listing["_meta"]["hostvars"].values())

    slices = run_sliced_job(tmp_path, "first", listing, project_dir, key_pair, task_env, collections)
    # Each cluster in exactly one slice's play recap, changed there.
    seen = [host for _names, stats, _stdout in slices for host in recap_hosts(stats)]
    assert sorted(seen) == sorted(name for name, _region in clusters), slices
    assert all(names for names, _stats, _stdout in slices), "both slices have clusters"
    for names, stats, _stdout in slices:
        assert recap_hosts(stats) == set(names), (names, stats)
        assert all((stats.get("changed") or {}).get(name, 0) > 0 for name in names), stats
        assert not stats.get("failures") and not stats.get("dark"), stats
    # Each cluster holds its own mapping, once, and none of the others'.
    for name, (_region, api) in fleet.items():
        assert mapped(api) == [role_arn(account, name)], name

    # Launched again: both slices, nothing changes anywhere.
    seen_again = []
    for _names, stats, stdout in run_sliced_job(tmp_path, "again", listing, project_dir, key_pair, task_env, collections):
        seen_again += sorted(recap_hosts(stats))
        assert not any((stats.get("changed") or {}).values()), stdout[-20000:]
    assert sorted(seen_again) == sorted(name for name, _region in clusters)
    for name, (_region, api) in fleet.items():
        assert mapped(api) == [role_arn(account, name)], name
