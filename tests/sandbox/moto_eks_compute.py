# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""EKS Auto Mode's cluster settings for moto, which drops them.

``install()`` wraps moto's ``CreateCluster`` and ``DescribeCluster`` so that
``computeConfig``, ``storageConfig`` and ``kubernetesNetworkConfig.elasticLoadBalancing``
are kept and answered as EKS does. What it models of EKS:

* Auto Mode is the three capabilities together: ``computeConfig.enabled``,
  ``storageConfig.blockStorage.enabled`` and
  ``kubernetesNetworkConfig.elasticLoadBalancing.enabled`` must all be true or
  all be false/absent, else ``InvalidParameterException``;
* ``nodePools`` takes ``general-purpose`` and ``system``; node pools need a
  ``nodeRoleArn`` (an IAM role ARN), else ``InvalidParameterException``;
* a cluster created without ``computeConfig`` describes ``computeConfig``
  as ``{"enabled": false}`` (EKS answers so for clusters not in Auto Mode).

On an Auto Mode cluster the Pod Identity agent is part of the platform: the
sandbox's pod identity webhook (pod_identity_webhook.py) gives pods Pod
Identity credentials there without the ``eks-pod-identity-agent`` add-on, as
EKS does.
"""

from __future__ import annotations

import moto_eks_common as common

NODE_POOLS = ("general-purpose", "system")


def check_auto_mode(compute, storage, network, cluster=None):
    """The (computeConfig, storageConfig, elasticLoadBalancing) to keep; InvalidParameterException otherwise."""
    compute = dict(compute or {})
    flags = (bool(compute.get("enabled")), bool(((storage or {}).get("blockStorage") or {}).get("enabled")),
             bool(((network or {}).get("elasticLoadBalancing") or {}).get("enabled")))
    if len(set(flags)) != 1:
        raise common.eks_error(
            "InvalidParameterException",
            "For EKS Auto Mode, computeConfig.enabled, storageConfig.blockStorage.enabled and "
            "kubernetesNetworkConfig.elasticLoadBalancing.enabled must all be set to the same value.",
            clusterName=cluster)
    pools = compute.get("nodePools") or []
    for pool in pools:
        if pool not in NODE_POOLS:
            raise common.eks_error("InvalidParameterException", "nodePools must be among %s, got %s."
                                   % (", ".join(NODE_POOLS), pool), clusterName=cluster)
    role = compute.get("nodeRoleArn")
    if pools and not role:
        raise common.eks_error("InvalidParameterException", "nodeRoleArn is required when nodePools are given.",
                               clusterName=cluster)
    if role and not common.ROLE_ARN_RE.match(role):
        raise common.eks_error("InvalidParameterException", "nodeRoleArn %r is not a valid IAM role ARN." % role,
                               clusterName=cluster)
    if not flags[0]:
        return {"enabled": False}, None, None
    result = {"enabled": True, "nodePools": list(pools)}
    if role:
        result["nodeRoleArn"] = role
    return result, {"blockStorage": {"enabled": True}}, {"enabled": True}


def create_cluster(self, previous):
    name = self._get_param("name")
    network = self._get_param("kubernetesNetworkConfig")
    compute, storage, balancing = check_auto_mode(self._get_param("computeConfig"), self._get_param("storageConfig"),
                                                  network, name)
    result = previous()
    cluster = self.eks_backend.clusters[name]
    cluster.compute_config = compute
    if storage:
        cluster.storage_config = storage
    if balancing:
        config = dict(cluster.kubernetes_network_config or {})
        config["elasticLoadBalancing"] = balancing
        cluster.kubernetes_network_config = config
    return result


def describe_cluster(self, previous):
    cluster = common.cluster_of(self, self._get_param("name"))
    if getattr(cluster, "compute_config", None) is None:
        cluster.compute_config = {"enabled": False}
    return previous()


def install():
    """Wrap CreateCluster / DescribeCluster; call before the server starts."""
    common.chain("create_cluster", create_cluster)
    common.chain("describe_cluster", describe_cluster)
