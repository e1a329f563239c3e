# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sandbox's DescribeClusterVersions (moto_eks_versions.py) answers boto3 as EKS does.

moto runs in-process on a free port with the extension; every check goes
through boto3.  Statuses depend on the date, so the expected ones are
computed from the catalog's dates here, independently of the extension's
own status function.
"""

from __future__ import annotations

import datetime
import os
import sys

import boto3
import botocore.exceptions
import pytest

from ansible_collections.eks.access.tests.unit.sandbox import moto_server

SANDBOX = os.path.join(os.path.dirname(__file__), "..", "..", "sandbox")
sys.path.insert(0, SANDBOX)
import moto_eks_versions  # noqa: E402  pylint: disable=import-error,wrong-import-position

ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def eks():
    moto_eks_versions.install()
    with moto_server.serving() as url:
        yield boto3.client("eks", endpoint_url=url, region_name="us-west-2",
                           aws_access_key_id="testing", aws_secret_access_key="testing")


def expected_status(version):
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    _released, end_standard, end_extended = moto_eks_versions.CATALOG[version][:3]
    if today < end_standard:
        return "STANDARD_SUPPORT"
    return "EXTENDED_SUPPORT" if today < end_extended else "UNSUPPORTED"


def versions(answer):
    return [v["clusterVersion"] for v in answer["clusterVersions"]]


def minor(version):
    return tuple(int(p) for p in version.split("."))


def test_default_lists_creatable_versions_newest_first(eks):
    answer = eks.describe_cluster_versions()
    listed = versions(answer)
    creatable = [v for v in moto_eks_versions.CATALOG if expected_status(v) != "UNSUPPORTED"]
    assert listed == sorted(creatable, key=minor, reverse=True)
    assert "nextToken" not in answer
    for item in answer["clusterVersions"]:
        assert item["clusterType"] == "eks"
        assert item["versionStatus"] == item["status"] == expected_status(item["clusterVersion"])
        assert item["defaultPlatformVersion"].startswith("eks.")
        assert item["kubernetesPatchVersion"].startswith(item["clusterVersion"] + ".")
        assert item["releaseDate"] < item["endOfStandardSupportDate"] < item["endOfExtendedSupportDate"]
    assert [v["clusterVersion"] for v in answer["clusterVersions"] if v["defaultVersion"]] == ["1.34"]


def test_the_sandbox_clusters_version_is_listed_with_its_api_server_patch(eks):
    with open(os.path.join(SANDBOX, "versions.sh")) as f:
        k8s = [line.split("=", 1)[1].strip() for line in f if line.startswith("K8S_VERSION=")][0]
    item = eks.describe_cluster_versions(clusterVersions=["1.34"])["clusterVersions"]
    assert len(item) == 1 and item[0]["kubernetesPatchVersion"] == k8s.lstrip("v")
    # the sandbox creates its clusters at this version (sandbox.py seed_aws)
    with open(os.path.join(SANDBOX, "sandbox.py")) as f:
        assert 'version="1.34"' in f.read()


def test_include_all_adds_unsupported_versions(eks):
    everything = versions(eks.describe_cluster_versions(includeAll=True))
    assert everything == sorted(moto_eks_versions.CATALOG, key=minor, reverse=True)
    unsupported = [v for v in everything if expected_status(v) == "UNSUPPORTED"]
    assert unsupported, "the catalog holds versions past extended support"
    assert not set(unsupported) & set(versions(eks.describe_cluster_versions()))


@pytest.mark.parametrize("kw, status", [
    ({"versionStatus": "STANDARD_SUPPORT"}, "STANDARD_SUPPORT"),
    ({"versionStatus": "EXTENDED_SUPPORT"}, "EXTENDED_SUPPORT"),
    ({"versionStatus": "UNSUPPORTED"}, "UNSUPPORTED"),
    ({"status": "unsupported"}, "UNSUPPORTED"),
    ({"status": "standard-support", "versionStatus": "STANDARD_SUPPORT"}, "STANDARD_SUPPORT"),
])
def test_status_filters(eks, kw, status):
    listed = versions(eks.describe_cluster_versions(**kw))
    assert listed == sorted([v for v in moto_eks_versions.CATALOG if expected_status(v) == status],
                            key=minor, reverse=True)


def test_named_versions_type_and_default_only(eks):
    assert versions(eks.describe_cluster_versions(clusterVersions=["1.28", "1.34"])) == ["1.34", "1.28"]
    assert versions(eks.describe_cluster_versions(clusterVersions=["9.99"])) == []
    assert versions(eks.describe_cluster_versions(defaultOnly=True)) == ["1.34"]
    assert versions(eks.describe_cluster_versions(clusterType="eks", defaultOnly=True)) == ["1.34"]
    assert versions(eks.describe_cluster_versions(clusterType="eks-local-outposts")) == []


def test_paging(eks):
    pages, token = [], None
    while True:
        kw = {"includeAll": True, "maxResults": 3}
        if token:
            kw["nextToken"] = token
        answer = eks.describe_cluster_versions(**kw)
        assert len(answer["clusterVersions"]) <= 3
        pages.append(versions(answer))
        token = answer.get("nextToken")
        if not token:
            break
    assert sum(pages, []) == versions(eks.describe_cluster_versions(includeAll=True))
    assert len(pages) == -(-len(moto_eks_versions.CATALOG) // 3)
    paginated = [v for page in eks.get_paginator("describe_cluster_versions").paginate(
        includeAll=True, PaginationConfig={"PageSize": 2}) for v in versions(page)]
    assert paginated == sum(pages, [])


@pytest.mark.parametrize("kw, fragment", [
    ({"versionStatus": "SUPPORTED"}, "versionStatus must be one of"),
    ({"status": "STANDARD_SUPPORT"}, "status must be one of"),
    ({"status": "unsupported", "versionStatus": "STANDARD_SUPPORT"}, "name different statuses"),
    ({"maxResults": 101}, "maxResults must be between 1 and 100"),
    ({"nextToken": "not-a-token"}, "nextToken"),
])
def test_bad_input_is_refused(eks, kw, fragment):
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        eks.describe_cluster_versions(**kw)
    assert excinfo.value.response["Error"]["Code"] == "InvalidParameterException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert fragment in excinfo.value.response["Error"]["Message"]
