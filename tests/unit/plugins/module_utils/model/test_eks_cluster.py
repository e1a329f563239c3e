# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""model/eks_cluster.py: DescribeCluster's answer as one typed ClusterFacts."""

from __future__ import annotations

from ansible_collections.eks.access.plugins.module_utils.model.eks_cluster import cluster_facts


def test_cluster_facts_flattens_describe_cluster():
    facts = cluster_facts({
        "name": "prod", "arn": "arn:aws:eks:eu-west-1:111122223333:cluster/prod", "status": "ACTIVE",
        "version": "1.34", "endpoint": "https://ABC.gr7.eu-west-1.eks.amazonaws.com",
        "certificateAuthority": {"data": "LS0t"},
        "identity": {"oidc": {"issuer": "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC"}},
        "kubernetesNetworkConfig": {"ipFamily": "IPV6"},
        "accessConfig": {"authenticationMode": "API_AND_CONFIG_MAP"},
    })
    assert facts.oidc_issuer == "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC"
    assert facts.ip_family == "ipv6"
    assert facts.certificate_authority_data == "LS0t"
    assert facts.authentication_mode == "API_AND_CONFIG_MAP"
    assert facts.account_id == "111122223333" and facts.partition == "aws"


def test_cluster_facts_defaults_ipv4_and_tolerates_missing_identity():
    facts = cluster_facts({"name": "new", "status": "CREATING"})
    assert facts.ip_family == "ipv4"
    assert facts.oidc_issuer is None
    assert facts.endpoint is None
    assert facts.authentication_mode == "CONFIG_MAP" and facts.reported_authentication_mode is None
    assert facts.to_result()["authentication_mode"] is None
