# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Playbooks over a fleet of clusters listed by the eks_clusters inventory plugin.

Needs a sandbox with at least three clusters (``make sandbox CLUSTERS=3``;
``make test`` starts one): ``sandbox`` (us-west-2), ``sandbox-2`` (eu-west-1)
and ``sandbox-3`` (ap-northeast-1), each its own kube-apiserver registered in
moto in its own region.  The inventory plugin lists them, one host per
cluster; the playbooks run without any kubeconfig or ``K8S_AUTH_*`` setting,
so the modules can only get there through DescribeCluster in the host's
region and an EKS token that the cluster's authenticator accepts.  Each
cluster must end up with its own mapping and none of the others', and a
batched rollout must stop at a broken cluster.
"""

from __future__ import annotations

import os
import subprocess
import textwrap

import pytest

from aws_auth_state import authenticator_view, delete_aws_auth
from playbook_runs import eks_clusters_inventory, eks_token_env, recaps
from sandbox_aws import cluster_api_clients

CLUSTERS_NEEDED = 3


def role_arn(account, cluster):
    return "arn:aws:iam::%s:role/fleet-%s" % (account, cluster)


@pytest.fixture
def fleet(sandbox_env):
    """{cluster name: (region, CoreV1Api as the cluster admin)}; no aws-auth before or after."""
    from kubernetes import client

    apis = {name: (region, client.CoreV1Api(api_client))
            for name, region, api_client in cluster_api_clients(sandbox_env, CLUSTERS_NEEDED)}
    for _region, api in apis.values():
        delete_aws_auth(api)
    yield apis
    for _region, api in apis.values():
        delete_aws_auth(api)


PLAYBOOK = textwrap.dedent("""\
    - name: Map one role per cluster, reaching each cluster by name only
      hosts: all
      gather_facts: false
      tasks:
        - name: Nothing tells kubernetes.core how to connect
          ansible.builtin.assert:
            that:
              - lookup('env', 'KUBECONFIG') == ''
              - lookup('env', 'K8S_AUTH_KUBECONFIG') == ''
              - lookup('env', 'K8S_AUTH_HOST') == ''
              - lookup('env', 'K8S_AUTH_API_KEY') == ''

        - name: Map this cluster's fleet role
          eks.access.aws_auth_mapping:
            cluster_name: "{{ eks_cluster_name }}"
            region: "{{ eks_region }}"
            k8s_auth: "{{ eks_k8s_auth }}"
            roles:
              - rolearn: "arn:aws:iam::{{ lookup('env', 'AWS_ACCOUNT_ID') }}:role/fleet-{{ eks_cluster_name }}"
                username: "fleet-{{ eks_cluster_name }}"
                groups: [fleet-readers]
          register: mapped

        - name: Changed on the first run only; the caller is the EKS token's identity (the cluster creator)
          ansible.builtin.assert:
            that:
              - mapped.changed == (first_run | bool)
              - mapped.configmap_created == (first_run | bool)
              - mapped.protected_arns == [lookup('env', 'EKS_CLUSTER_CREATOR_ARN')]
              - mapped.mappings.mapRoles | map(attribute='rolearn') | list
                == ['arn:aws:iam::' ~ lookup('env', 'AWS_ACCOUNT_ID') ~ ':role/fleet-' ~ eks_cluster_name]
    """)


def run_fleet_playbook(sandbox_env, tmp_path, clusters, first_run):
    (tmp_path / "fleet.yml").write_text(PLAYBOOK)
    return run_playbook(sandbox_env, tmp_path, clusters, str(tmp_path / "fleet.yml"), "-e", "first_run=%s" % first_run)


def run_playbook(sandbox_env, tmp_path, clusters, playbook, *args):
    (tmp_path / "fleet.eks_clusters.yml").write_text(eks_clusters_inventory(clusters))
    env = eks_token_env(sandbox_env)
    argv = [sandbox_env.get("ANSIBLE_PLAYBOOK", "ansible-playbook"), "-i", str(tmp_path / "fleet.eks_clusters.yml")]
    argv += list(args) + [playbook]
    return subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)


def authenticator_grants(sandbox_env):
    """'<cluster>: access granted: arn=<arn>' lines of the sandbox authenticator's log."""
    log = os.path.join(sandbox_env["EKS_SANDBOX_DIR"], "logs", "authenticator.log")
    with open(log) as f:
        return [line.split(" ", 1)[1].strip() for line in f if ": access granted: " in line]


def test_one_playbook_maps_each_cluster_and_only_that_one(sandbox_env, fleet, tmp_path):
    clusters = [(name, region) for name, (region, _api) in fleet.items()]
    account = sandbox_env["AWS_ACCOUNT_ID"]
    creator = sandbox_env["EKS_CLUSTER_CREATOR_ARN"]
    grants_before = len(authenticator_grants(sandbox_env))

    result = run_fleet_playbook(sandbox_env, tmp_path, clusters, first_run=True)
    assert result.returncode == 0, result.stdout[-20000:]

    # Each cluster's API server authenticated the creator's EKS token itself.
    grants = authenticator_grants(sandbox_env)[grants_before:]
    for name, _region in clusters:
        assert any(g.startswith("%s: access granted: arn=%s " % (name, creator)) for g in grants), (name, grants)

    for name, (_region, api) in fleet.items():
        data = api.read_namespaced_config_map("aws-auth", "kube-system").data
        parsed = authenticator_view(sandbox_env, data)
        # This cluster's role and nothing else (none of the other clusters' roles),
        # as aws-iam-authenticator's own parser reads it.
        assert [(m["rolearn"], m["username"], m["groups"]) for m in parsed["mapRoles"]] == [
            (role_arn(account, name), "fleet-" + name, ["fleet-readers"])], (name, parsed)
        assert parsed["mapUsers"] == [] and parsed["mapAccounts"] == [], (name, parsed)

    # A second run changes nothing anywhere (the playbook asserts it per host too).
    again = run_fleet_playbook(sandbox_env, tmp_path, clusters, first_run=False)
    assert again.returncode == 0, again.stdout[-20000:]
    counts = recaps(again.stdout)
    for name, _region in clusters:
        assert name in counts and (counts[name]["ok"], counts[name]["changed"]) == (3, 0), counts


def mapped_roles(api):
    try:
        data = api.read_namespaced_config_map("aws-auth", "kube-system").data
    except Exception as e:  # kubernetes ApiException
        if getattr(e, "status", None) == 404:
            return None
        raise
    return [line.split("rolearn:", 1)[1].strip() for line in data.get("mapRoles", "").splitlines() if "rolearn:" in line]


def test_batched_rollout_stops_at_a_broken_cluster_and_resumes(sandbox_env, fleet, tmp_path):
    """eks.access.access over the fleet one cluster at a time, failing on the second cluster."""
    clusters = [(name, region) for name, (region, _api) in fleet.items()]
    names = [name for name, _region in clusters]
    account = sandbox_env["AWS_ACCOUNT_ID"]
    shared = "arn:aws:iam::%s:role/fleet-shared" % account
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "group_vars" / "all.yml").write_text(textwrap.dedent("""\
        aws_auth_access_roles__shared:
          - {rolearn: "%s", username: fleet-shared, groups: [system:authenticated]}
        """ % shared))
    broken = tmp_path / "broken.yml"
    broken.write_text(textwrap.dedent("""\
        all:
          hosts:
            %s:
              aws_auth_access_roles__broken:
                - {rolearn: "arn:aws:iam::%s:instance-profile/not-a-role", groups: [system:authenticated]}
        """ % (names[1], account)))
    rollout = ("-e", "eks_access_serial=1", "-e", "eks_access_max_fail_percentage=0")

    result = run_playbook(sandbox_env, tmp_path, clusters, "eks.access.access", "-i", str(broken), *rollout)
    assert result.returncode != 0, result.stdout[-20000:]
    assert "instance-profile/not-a-role" in result.stdout
    apis = dict((name, api) for name, (_region, api) in fleet.items())
    assert mapped_roles(apis[names[0]]) == [shared], "the first batch is done"
    assert mapped_roles(apis[names[1]]) is None, "the broken cluster got nothing"
    assert mapped_roles(apis[names[2]]) is None, "the rollout stopped before the third cluster"

    # Fixed (the broken entry removed), the same rollout resumes: done clusters report no change.
    again = run_playbook(sandbox_env, tmp_path, clusters, "eks.access.access", *rollout)
    assert again.returncode == 0, again.stdout[-20000:]
    for name in names:
        assert mapped_roles(apis[name]) == [shared], name
    counts = recaps(again.stdout)
    assert names[0] in counts and counts[names[0]]["changed"] == 0, counts
