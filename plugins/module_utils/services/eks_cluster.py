# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The EKS cluster: the one DescribeCluster, its node roles, and the one wait on an EKS update."""

from __future__ import annotations

import time

from ansible_collections.eks.access.plugins.module_utils.clients import aws
from ansible_collections.eks.access.plugins.module_utils.errors import EksAccessError
from ansible_collections.eks.access.plugins.module_utils.errors import NotFound
from ansible_collections.eks.access.plugins.module_utils.model.eks_cluster import ClusterFacts
from ansible_collections.eks.access.plugins.module_utils.model.eks_cluster import cluster_facts


# The statuses in which DescribeUpdate's update has ended.
UPDATE_DONE = ("Successful", "Failed", "Cancelled")


class ClusterNotFound(NotFound):
    """DescribeCluster found no such cluster in the account and region."""


def describe_cluster(client, name: str) -> ClusterFacts:
    """The cluster's :class:`ClusterFacts`: the one DescribeCluster of the collection (see cluster_description)."""
    return cluster_facts(cluster_description(client, name))


def cluster_description(client, name: str) -> dict:
    """DescribeCluster's ``cluster`` as EKS answers it (the inventory keeps its tags and platform version), retried
    (once: a client that already retries is not wrapped again); ``ClusterNotFound`` when it does not exist, any other
    AWS error as the collection's error (clients/aws.py)."""
    try:
        return aws.retrying(client).describe_cluster(name=name)["cluster"]
    except aws.AWS_ERRORS as e:  # pylint: disable=catching-non-exception
        if aws.error_code(e) == "ResourceNotFoundException":
            raise ClusterNotFound("EKS cluster %r was not found in this account and region" % name) from None
        raise aws.aws_failure(e, "DescribeCluster %s" % name) from None


def managed_node_roles(client, name: str) -> list:
    """The ``nodeRole`` of every managed node group of the cluster, in listing order, unique."""
    return list(dict.fromkeys(group["role_arn"] for group in nodegroups(client, name) if group["role_arn"]))


def nodegroups(client, name: str, region: str = None) -> list:
    """``[{"cluster", "nodegroup", "role_arn", "region"}]`` of every managed node group of the cluster."""
    client = aws.retrying(client)
    groups = []
    for nodegroup in client.paginate("list_nodegroups", clusterName=name).get("nodegroups") or []:
        described = client.describe_nodegroup(clusterName=name, nodegroupName=nodegroup)["nodegroup"]
        groups.append({"cluster": name, "nodegroup": nodegroup, "role_arn": described.get("nodeRole"),
                       "region": region})
    return groups


def fargate_selectors(client, name: str) -> list:
    """``[{"profile", "namespace", "labels"}]``: the selectors of every Fargate profile of the cluster."""
    client = aws.retrying(client)
    selectors = []
    for profile in client.paginate("list_fargate_profiles", clusterName=name).get("fargateProfileNames", []):
        described = client.describe_fargate_profile(clusterName=name, fargateProfileName=profile)
        for selector in (described.get("fargateProfile") or {}).get("selectors") or []:
            selectors.append({"profile": profile, "namespace": selector.get("namespace"),
                              "labels": selector.get("labels") or {}})
    return selectors


def region_nodegroups(client, concurrency: int = aws.DEFAULT_CONCURRENCY):
    """``(node groups, cluster names, region)``: every managed node group of every cluster in the client's region,
    the clusters read ``concurrency`` at a time."""
    client = aws.retrying(client)
    region = getattr(client.client.meta, "region_name", None)
    clusters = client.paginate("list_clusters").get("clusters") or []
    per_cluster = aws.map_bounded(lambda name: nodegroups(client, name, region), clusters, concurrency)
    return [group for groups in per_cluster for group in groups], clusters, region


def authentication_mode(context):
    """The authentication mode of the run's ``cluster_name``; None without one, or when AWS cannot say.

    For the aws-auth modules, which may reach a cluster through a kubeconfig
    alone: there the mode is only known when AWS can be asked.
    """
    name = context.cluster_name
    if not name:
        return None
    try:
        return describe_cluster(context.aws("eks"), name).authentication_mode
    except EksAccessError as e:
        context.warn("Could not read the authentication mode of cluster %s (%s); aws-auth is handled as if EKS reads it"
                     % (name, e))
        return None


def update_errors(update: dict) -> str:
    """``code: message; ...`` of a failed EKS update, or "no reason given"."""
    return "; ".join("%s: %s" % (e.get("errorCode"), e.get("errorMessage"))
                     for e in update.get("errors") or []) or "no reason given"


def wait_for_update(describe_update, timeout: float, failed, timed_out, poll: float = 5.0, first_delay: float = None,
                    heartbeat=None, sleep=time.sleep) -> dict:
    """The one wait on an EKS update (cluster config, identity provider, add-on): DescribeUpdate until Successful.

    ``describe_update()`` returns DescribeUpdate's ``update``; an update that
    ended Failed or Cancelled raises ``failed(update)``, one still going after
    ``timeout`` seconds raises ``timed_out(update)``.  Polls after
    ``first_delay`` seconds (default: one second, or ``poll`` when shorter),
    doubling up to ``poll``; ``heartbeat()``, when given, is called at every
    poll of an unfinished update.
    """
    deadline = time.monotonic() + timeout
    delay = min(1.0, poll) if first_delay is None else first_delay
    while True:
        update = describe_update()
        status = update.get("status")
        if status == "Successful":
            return update
        if status in UPDATE_DONE:
            raise failed(update)
        if heartbeat is not None:
            heartbeat()
        if time.monotonic() >= deadline:
            raise timed_out(update)
        sleep(delay)
        delay = min(delay * 2, poll)
