# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The few EKS calls the collection makes, and the facts it needs from them."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.eks.access.plugins.module_utils.clients import aws
from ansible_collections.eks.access.plugins.module_utils.errors import NotFound


class ClusterNotFound(NotFound):
    """DescribeCluster found no such cluster in the account and region."""


def cluster_facts(cluster: dict) -> dict:
    """Flatten a DescribeCluster ``cluster`` into what access automation needs."""
    issuer = ((cluster.get("identity") or {}).get("oidc") or {}).get("issuer")
    network = cluster.get("kubernetesNetworkConfig") or {}
    return {
        "name": cluster.get("name"),
        "arn": cluster.get("arn"),
        "status": cluster.get("status"),
        "version": cluster.get("version"),
        "endpoint": cluster.get("endpoint"),
        "certificate_authority_data": (cluster.get("certificateAuthority") or {}).get("data"),
        "oidc_issuer": issuer,
        "ip_family": (network.get("ipFamily") or "ipv4").lower(),
        "role_arn": cluster.get("roleArn"),
        "authentication_mode": (cluster.get("accessConfig") or {}).get("authenticationMode"),
    }


def describe_cluster(client, name: str) -> dict:
    """DescribeCluster, retried (once: a client that already retries is not wrapped again); ``ClusterNotFound``
    when it does not exist."""
    try:
        return cluster_facts(aws.retrying(client).describe_cluster(name=name)["cluster"])
    except is_boto3_error_code("ResourceNotFoundException"):
        raise ClusterNotFound("EKS cluster %r was not found in this account and region" % name)


def managed_node_roles(client, name: str) -> list:
    """The ``nodeRole`` of every managed node group of the cluster, in listing order, unique."""
    client = aws.retrying(client)
    roles = []
    for nodegroup in client.paginate("list_nodegroups", clusterName=name)["nodegroups"]:
        role = client.describe_nodegroup(clusterName=name, nodegroupName=nodegroup)["nodegroup"].get("nodeRole")
        if role and role not in roles:
            roles.append(role)
    return roles
