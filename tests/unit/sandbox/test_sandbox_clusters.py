# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The clusters ``sandbox.py up --clusters N`` starts: 1 to 10 as before, up to 20 for the fleet benchmark."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "sandbox"))
import sandbox  # noqa: E402  pylint: disable=import-error,wrong-import-position


def shape(specs):
    return [(s["name"], s["region"], s["port"] - sandbox.PORT_OFFSET, s["service"], s["etcd_prefix"], s["mode"])
            for s in specs]


def test_three_clusters_are_the_ones_make_test_has_always_started():
    assert shape(sandbox.cluster_specs(3)) == [
        ("sandbox", "us-west-2", 16443, "apiserver", "/registry", "CONFIG_MAP"),
        ("sandbox-2", "eu-west-1", 16462, "apiserver-sandbox-2", "/registry-sandbox-2", "CONFIG_MAP"),
        ("sandbox-3", "ap-northeast-1", 16463, "apiserver-sandbox-3", "/registry-sandbox-3", "CONFIG_MAP"),
        ("sandbox-api-and-config-map", "us-west-2", 16471, "apiserver-sandbox-api-and-config-map",
         "/registry-sandbox-api-and-config-map", "API_AND_CONFIG_MAP"),
        ("sandbox-api", "us-west-2", 16472, "apiserver-sandbox-api", "/registry-sandbox-api", "API"),
    ]


def test_ten_clusters_each_in_a_region_of_its_own():
    specs = sandbox.cluster_specs(10)[:10]
    assert len({s["region"] for s in specs}) == 10
    assert [s["port"] - sandbox.PORT_OFFSET for s in specs[1:]] == list(range(16462, 16471))


def test_twenty_clusters_share_regions_under_distinct_names_ports_and_prefixes():
    specs = sandbox.cluster_specs(20)
    assert shape(specs[:10]) == shape(sandbox.cluster_specs(10)[:10])
    for key in ("name", "port", "service", "etcd_prefix", "cert"):
        assert len({s[key] for s in specs}) == len(specs), key
    assert [s["port"] - sandbox.PORT_OFFSET for s in specs[10:20]] == list(range(16491, 16501))
    assert [s["region"] for s in specs[10:20]] == sandbox.EXTRA_REGIONS + ["eu-west-1"]
    # No port of another service is taken by a cluster.
    others = {port for name, port in sandbox.PORTS.items() if not name.startswith("apiserver")}
    assert not others & {s["port"] for s in specs}


@pytest.mark.parametrize("count", [0, 21])
def test_out_of_range_is_refused(count):
    with pytest.raises(sandbox.StepFailed, match="between 1 and 20"):
        sandbox.cluster_specs(count)


def test_the_token_lifetime_is_read_at_start_and_bounds_the_api_servers_review_cache(monkeypatch):
    monkeypatch.delenv("EKS_SANDBOX_TOKEN_LIFETIME", raising=False)
    assert sandbox.token_lifetime() == 900 and sandbox.token_review_cache_ttl() == "10s"
    monkeypatch.setenv("EKS_SANDBOX_TOKEN_LIFETIME", "5")
    assert sandbox.token_lifetime() == 5 and sandbox.token_review_cache_ttl() == "5s"
    argv = sandbox.apiserver_argv(sandbox.cluster_specs(1)[0], "https://issuer")
    assert argv[argv.index("--authentication-token-webhook-cache-ttl") + 1] == "5s"
    for bad in ("0", "901", "soon"):
        monkeypatch.setenv("EKS_SANDBOX_TOKEN_LIFETIME", bad)
        with pytest.raises(sandbox.StepFailed, match="EKS_SANDBOX_TOKEN_LIFETIME"):
            sandbox.token_lifetime()
