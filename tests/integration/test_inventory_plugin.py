# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The eks_clusters inventory plugin against the sandbox's AWS emulator.

Clusters are added in a second region and in a second account (reached by
assuming a role there), then listed through ``ansible-inventory`` with filters,
keyed groups, compose, caching and a region that cannot be listed.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap

import pytest

from sandbox_aws import ensure_role
from playbook_runs import playbook_env

OTHER_ACCOUNT = "210987654321"
VPC = {"subnetIds": ["subnet-1"], "securityGroupIds": ["sg-1"]}


@pytest.fixture(scope="module")
def extra_clusters(sandbox_env):
    import boto3

    env = sandbox_env
    session = boto3.Session(region_name=env["AWS_REGION"])
    role_arn = "arn:aws:iam::%s:role/eks-access-inventory-cluster" % env["AWS_ACCOUNT_ID"]
    eu = session.client("eks", region_name="eu-west-1")
    created = []
    eu.create_cluster(name="inv-eu-prod", version="1.33", roleArn=role_arn, resourcesVpcConfig=VPC,
                      tags={"env": "prod", "team": "a"})
    created.append((eu, "inv-eu-prod"))
    eu.create_cluster(name="inv-eu-dev", version="1.34", roleArn=role_arn, resourcesVpcConfig=VPC, tags={"env": "dev"})
    created.append((eu, "inv-eu-dev"))
    # A cluster in another account, seen through a role assumed there (moto keys
    # assumed-role credentials to the role's account).
    reader = ensure_role(env, OTHER_ACCOUNT, "eks-inventory-reader")
    creds = session.client("sts").assume_role(RoleArn=reader, RoleSessionName="setup")["Credentials"]
    other = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                          aws_session_token=creds["SessionToken"], region_name="eu-west-1").client("eks")
    other.create_cluster(name="inv-eu-prod", version="1.34", roleArn=role_arn.replace(env["AWS_ACCOUNT_ID"], OTHER_ACCOUNT),
                         resourcesVpcConfig=VPC, tags={"env": "prod"})
    created.append((other, "inv-eu-prod"))
    yield reader
    for client, name in created:
        client.delete_cluster(name=name)


def inventory(env, tmp_path, config, *extra):
    source = tmp_path / "test.eks_clusters.yml"
    source.write_text(textwrap.dedent(config))
    argv = [os.path.join(os.path.dirname(env["ANSIBLE_PLAYBOOK"]), "ansible-inventory"), "-i", str(source), "--list"]
    env = dict(playbook_env(env), ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED="1")
    result = subprocess.run(argv + list(extra), env=env, capture_output=True, text=True, check=False)
    return result


def _plain(value):
    """ansible-inventory marks values from AWS as unsafe ({"__ansible_unsafe": ...}); unwrap them."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return dict((k, _plain(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def listed(result):
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    unsafe = json.dumps(data["_meta"]["hostvars"]).count("__ansible_unsafe")
    assert unsafe, "values read from AWS must reach Ansible marked unsafe (never templated)"
    data = _plain(data)
    return data, data["_meta"]["hostvars"]


def test_clusters_of_two_regions_with_host_vars_and_groups(sandbox_env, extra_clusters, tmp_path):
    data, hostvars = listed(inventory(sandbox_env, tmp_path, """\
        plugin: eks.access.eks_clusters
        regions: [us-west-2, eu-west-1]
        include_clusters: ["sandbox", "inv-*"]
        keyed_groups:
          - key: eks_region
            prefix: region
        groups:
          prod: eks_tags.env | default('') == 'prod'
        compose:
          eks_short_version: eks_version.split('.')[1] | int
        """))
    assert set(hostvars) == {"sandbox", "inv-eu-prod", "inv-eu-dev"}
    assert set(data["eks_clusters"]["hosts"]) == set(hostvars)
    assert set(data["region_us_west_2"]["hosts"]) == {"sandbox"}
    assert set(data["region_eu_west_1"]["hosts"]) == {"inv-eu-prod", "inv-eu-dev"}
    assert data["prod"]["hosts"] == ["inv-eu-prod"]
    sandbox = hostvars["sandbox"]
    assert sandbox["eks_cluster_name"] == "sandbox" and sandbox["eks_region"] == "us-west-2"
    assert sandbox["eks_account_id"] == sandbox_env["AWS_ACCOUNT_ID"]
    assert sandbox["eks_endpoint"] == sandbox_env["SANDBOX_APISERVER_URL"]
    assert sandbox["eks_oidc_issuer"] == sandbox_env["EKS_OIDC_ISSUER"]
    assert sandbox["eks_ip_family"] == "ipv4" and sandbox["eks_status"] == "ACTIVE"
    assert sandbox["eks_k8s_auth"] == "eks_token" and sandbox["ansible_connection"] == "local"
    assert sandbox["eks_ca_data"]
    assert hostvars["inv-eu-prod"]["eks_tags"] == {"env": "prod", "team": "a"}
    assert hostvars["inv-eu-dev"]["eks_short_version"] == 34


def test_tag_filter_and_exclude(sandbox_env, extra_clusters, tmp_path):
    _data, hostvars = listed(inventory(sandbox_env, tmp_path, """\
        plugin: eks.access.eks_clusters
        regions: [us-west-2, eu-west-1]
        cluster_tags: {env: [prod, dev]}
        exclude_clusters: ["*-dev"]
        """))
    assert set(hostvars) == {"inv-eu-prod"}


def test_other_account_through_an_assumed_role_needs_unique_host_names(sandbox_env, extra_clusters, tmp_path):
    config = """\
        plugin: eks.access.eks_clusters
        regions: [eu-west-1]
        include_clusters: ["inv-eu-prod"]
        accounts:
          - role_arn: %s
        hostname: %s
        """
    clash = inventory(sandbox_env, tmp_path, config % (extra_clusters, "name"))
    assert clash.returncode != 0
    assert "several clusters would get the same host name" in clash.stderr
    assert OTHER_ACCOUNT in clash.stderr

    _data, hostvars = listed(inventory(sandbox_env, tmp_path, config % (extra_clusters, "arn")))
    accounts = sorted(v["eks_account_id"] for v in hostvars.values())
    assert accounts == sorted([sandbox_env["AWS_ACCOUNT_ID"], OTHER_ACCOUNT])
    assert all(name.startswith("arn:aws:eks:eu-west-1:") for name in hostvars)


def test_a_region_that_fails_is_a_warning_and_the_others_are_listed(sandbox_env, extra_clusters, tmp_path):
    config = """\
        plugin: eks.access.eks_clusters
        regions: ["not a region", eu-west-1]
        include_clusters: ["inv-*"]
        strict_regions: %s
        """
    result = inventory(sandbox_env, tmp_path, config % "false")
    _data, hostvars = listed(result)
    assert set(hostvars) == {"inv-eu-prod", "inv-eu-dev"}
    assert "could not list EKS clusters in not a region" in result.stderr

    strict = inventory(sandbox_env, tmp_path, config % "true")
    assert strict.returncode != 0 and "not a region" in strict.stderr


def test_cache_serves_the_second_listing(sandbox_env, extra_clusters, tmp_path):
    import boto3

    cache_dir = tmp_path / "cache"
    config = """\
        plugin: eks.access.eks_clusters
        regions: [eu-west-1]
        include_clusters: ["inv-*", "inv-cached-*"]
        cache: true
        cache_plugin: ansible.builtin.jsonfile
        cache_connection: %s
        cache_timeout: 600
        """ % cache_dir
    _data, first = listed(inventory(sandbox_env, tmp_path, config))
    eks = boto3.client("eks", region_name="eu-west-1")
    eks.create_cluster(name="inv-cached-new", version="1.34", resourcesVpcConfig=VPC,
                       roleArn="arn:aws:iam::%s:role/x" % sandbox_env["AWS_ACCOUNT_ID"])
    try:
        _data, cached = listed(inventory(sandbox_env, tmp_path, config))
        _data, flushed = listed(inventory(sandbox_env, tmp_path, config, "--flush-cache"))
    finally:
        eks.delete_cluster(name="inv-cached-new")
    assert set(cached) == set(first) == {"inv-eu-prod", "inv-eu-dev"}
    assert set(flushed) == set(first) | {"inv-cached-new"}
