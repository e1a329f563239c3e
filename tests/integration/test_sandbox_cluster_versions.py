# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The running sandbox answers DescribeClusterVersions (tests/sandbox/moto_eks_versions.py).

Through boto3 against the sandbox's moto: every sandbox cluster's Kubernetes
version is listed as a version clusters can be created on, exactly one
version is the default, and the paginator walks the whole catalog.  The
sandbox-only endpoint path the bench uses to put a relay in front of a
cluster's API server changes what DescribeCluster reports, refuses what is
not an https URL or not a cluster, and is put back.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import boto3
import pytest


@pytest.fixture(scope="module")
def eks(sandbox_env):
    return boto3.session.Session(region_name=sandbox_env["AWS_REGION"]).client(
        "eks", endpoint_url=sandbox_env["AWS_ENDPOINT_URL"])


def test_every_sandbox_cluster_version_is_listed(eks):
    listed = {v["clusterVersion"]: v for v in eks.describe_cluster_versions()["clusterVersions"]}
    clusters = eks.list_clusters()["clusters"]
    assert clusters
    for name in clusters:
        version = eks.describe_cluster(name=name)["cluster"]["version"]
        assert version in listed, "cluster %s runs %s, which DescribeClusterVersions does not list" % (name, version)
        assert listed[version]["versionStatus"] in ("STANDARD_SUPPORT", "EXTENDED_SUPPORT")
    assert [v for v, item in listed.items() if item["defaultVersion"]] == ["1.34"]


def test_paginator_walks_the_catalog(eks):
    everything = eks.describe_cluster_versions(includeAll=True)["clusterVersions"]
    paged = [v for page in eks.get_paginator("describe_cluster_versions").paginate(
        includeAll=True, PaginationConfig={"PageSize": 1}) for v in page["clusterVersions"]]
    assert paged == everything and len(everything) > 1


def _post(sandbox_env, path, body):
    request = urllib.request.Request(sandbox_env["AWS_ENDPOINT_URL"] + path, data=json.dumps(body).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def test_sandbox_endpoint_path_sets_and_restores_describe_cluster(eks, sandbox_env):
    name, region = sandbox_env["EKS_CLUSTER_NAME"], sandbox_env["AWS_REGION"]
    path = "/_sandbox/eks/endpoint/%s/%s" % (region, name)
    original = eks.describe_cluster(name=name)["cluster"]["endpoint"]
    status, answer = _post(sandbox_env, path, {"endpoint": "https://127.0.0.1:1"})
    try:
        assert status == 200 and answer["previous"] == original
        assert eks.describe_cluster(name=name)["cluster"]["endpoint"] == "https://127.0.0.1:1"
    finally:
        status, answer = _post(sandbox_env, path, {"endpoint": original})
    assert status == 200 and eks.describe_cluster(name=name)["cluster"]["endpoint"] == original
    assert _post(sandbox_env, path, {"endpoint": "http://127.0.0.1:1"})[0] == 400
    assert _post(sandbox_env, "/_sandbox/eks/endpoint/%s/no-such-cluster" % region,
                 {"endpoint": "https://127.0.0.1:1"})[0] == 404
    assert eks.describe_cluster(name=name)["cluster"]["endpoint"] == original
