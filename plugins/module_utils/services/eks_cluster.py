# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The few EKS calls the collection makes, and the facts it needs from them."""

from __future__ import annotations

from ansible_collections.eks.access.plugins.module_utils.clients import aws
from ansible_collections.eks.access.plugins.module_utils.errors import NotFound
from ansible_collections.eks.access.plugins.module_utils.model.eks_cluster import ClusterFacts
from ansible_collections.eks.access.plugins.module_utils.model.eks_cluster import cluster_facts


class ClusterNotFound(NotFound):
    """DescribeCluster found no such cluster in the account and region."""


def describe_cluster(client, name: str) -> ClusterFacts:
    """DescribeCluster, retried (once: a client that already retries is not wrapped again); ``ClusterNotFound``
    when it does not exist, any other AWS error as the collection's error (clients/aws.py). The one DescribeCluster
    of the collection."""
    try:
        return cluster_facts(aws.retrying(client).describe_cluster(name=name)["cluster"])
    except aws.AWS_ERRORS as e:  # pylint: disable=catching-non-exception
        if aws.error_code(e) == "ResourceNotFoundException":
            raise ClusterNotFound("EKS cluster %r was not found in this account and region" % name) from None
        raise aws.aws_failure(e, "DescribeCluster %s" % name) from None


def managed_node_roles(client, name: str) -> list:
    """The ``nodeRole`` of every managed node group of the cluster, in listing order, unique."""
    client = aws.retrying(client)
    roles = []
    for nodegroup in client.paginate("list_nodegroups", clusterName=name)["nodegroups"]:
        role = client.describe_nodegroup(clusterName=name, nodegroupName=nodegroup)["nodegroup"].get("nodeRole")
        if role and role not in roles:
            roles.append(role)
    return roles
