# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils.model import eks_inventory as inv

CLUSTER = {
    "name": "prod-eu",
    "arn": "arn:aws:eks:eu-west-1:111122223333:cluster/prod-eu",
    "status": "ACTIVE",
    "version": "1.33",
    "platformVersion": "eks.9",
    "endpoint": "https://ABC.gr7.eu-west-1.eks.amazonaws.com",
    "certificateAuthority": {"data": "LS0t"},
    "identity": {"oidc": {"issuer": "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC"}},
    "kubernetesNetworkConfig": {"ipFamily": "ipv6"},
    "accessConfig": {"authenticationMode": "API_AND_CONFIG_MAP"},
    "tags": {"env": "prod"},
}


def test_host_vars():
    assert inv.host_vars(CLUSTER, "eu-west-1") == {
        "eks_cluster_name": "prod-eu",
        "eks_region": "eu-west-1",
        "eks_account_id": "111122223333",
        "eks_cluster_arn": CLUSTER["arn"],
        "eks_endpoint": CLUSTER["endpoint"],
        "eks_ca_data": "LS0t",
        "eks_version": "1.33",
        "eks_platform_version": "eks.9",
        "eks_oidc_issuer": "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC",
        "eks_ip_family": "ipv6",
        "eks_authentication_mode": "API_AND_CONFIG_MAP",
        "eks_status": "ACTIVE",
        "eks_tags": {"env": "prod"},
        "eks_k8s_auth": "eks_token",
    }


def test_host_vars_of_a_sparse_cluster_and_bad_auth():
    sparse = inv.host_vars({"name": "x", "arn": "arn:aws:eks:us-east-1:111122223333:cluster/x"}, "us-east-1", "auto")
    assert sparse["eks_ip_family"] == "ipv4" and sparse["eks_tags"] == {} and sparse["eks_oidc_issuer"] is None
    with pytest.raises(inv.InventoryConfigError):
        inv.host_vars(CLUSTER, "eu-west-1", k8s_auth="kubeconfig")


@pytest.mark.parametrize("arn, account", [
    ("arn:aws:eks:eu-west-1:111122223333:cluster/a", "111122223333"),
    ("arn:aws-cn:eks:cn-north-1:444455556666:cluster/a", "444455556666"),
    ("", None), (None, None), ("arn:aws:eks", None),
])
def test_account_of(arn, account):
    assert inv.account_of(arn) == account


@pytest.mark.parametrize("name, include, exclude, expected", [
    ("prod-eu", [], [], True),
    ("prod-eu", ["prod-*"], [], True),
    ("dev-eu", ["prod-*"], [], False),
    ("prod-eu", ["prod-*"], ["*-eu"], False),
    ("prod-eu", ["dev-*", "prod-??"], [], True),
    ("Prod-eu", ["prod-*"], [], False),  # case-sensitive, like cluster names
])
def test_name_selected(name, include, exclude, expected):
    assert inv.name_selected(name, include, exclude) is expected


@pytest.mark.parametrize("tags, wanted, expected", [
    ({"env": "prod"}, {}, True),
    ({"env": "prod"}, {"env": "prod"}, True),
    ({"env": "prod"}, {"env": "dev"}, False),
    ({"env": "prod"}, {"env": "*"}, True),
    ({}, {"env": "*"}, False),
    ({"env": "prod"}, {"env": ["dev", "prod"]}, True),
    ({"env": "prod", "team": "a"}, {"env": "prod", "team": "b"}, False),
    (None, {}, True),
    ({"n": "1"}, {"n": 1}, True),
])
def test_tags_match(tags, wanted, expected):
    assert inv.tags_match(tags, wanted) is expected


def test_status_selected():
    assert inv.status_selected("ACTIVE", ["ACTIVE"])
    assert inv.status_selected("active", ["ACTIVE"])
    assert not inv.status_selected("CREATING", ["ACTIVE"])
    assert inv.status_selected("CREATING", ["all"])


def test_hostname_styles():
    assert inv.hostname(CLUSTER, "eu-west-1") == "prod-eu"
    assert inv.hostname(CLUSTER, "eu-west-1", "name_region") == "prod-eu.eu-west-1"
    assert inv.hostname(CLUSTER, "eu-west-1", "arn") == CLUSTER["arn"]
    with pytest.raises(inv.InventoryConfigError):
        inv.hostname(CLUSTER, "eu-west-1", "id")


def test_duplicate_hostnames():
    entries = [("a", "arn:1"), ("b", "arn:2"), ("a", "arn:3"), ("c", "arn:4"), ("c", "arn:4")]
    assert inv.duplicate_hostnames(entries) == {"a": ["arn:1", "arn:3"]}


def test_select_keeps_order_and_applies_every_filter():
    clusters = [dict(CLUSTER, name="prod-eu"), dict(CLUSTER, name="prod-us", status="CREATING"),
                dict(CLUSTER, name="dev-eu", tags={"env": "dev"}), dict(CLUSTER, name="prod-ap")]
    assert [c["name"] for c in inv.select(clusters, include=["prod-*"], tags={"env": "prod"})] == ["prod-eu", "prod-ap"]
    assert [c["name"] for c in inv.select(clusters, exclude=["*-ap"], statuses=["all"])] == ["prod-eu", "prod-us", "dev-eu"]
