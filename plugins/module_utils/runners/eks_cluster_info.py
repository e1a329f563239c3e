# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What eks_cluster_info runs: the EKS facts, the caller, and a look through the Kubernetes API."""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.eks.access.plugins.module_utils.services import eks_cluster
from ansible_collections.eks.access.plugins.module_utils.clients import kube
from ansible_collections.eks.access.plugins.module_utils.services import workloads


@dataclass
class Options:
    cluster_name: str
    kubernetes: bool = True
    node_roles: bool = True


def run(context, options: Options) -> dict:
    eks_client = context.aws("eks")
    cluster = eks_cluster.describe_cluster(eks_client, options.cluster_name)
    if options.node_roles:
        cluster["node_roles"] = eks_cluster.managed_node_roles(eks_client, options.cluster_name)
    identity = context.caller_identity()
    cluster.pop("certificate_authority_data", None)
    result = dict(
        changed=False,
        cluster=cluster,
        caller={"account": identity["Account"], "arn": identity["Arn"], "user_id": identity["UserId"]},
    )
    # A failure of the Kubernetes side still reports what AWS said (who the caller is, the endpoint).
    context.result_on_failure.update(result)
    if options.kubernetes:
        api = context.kube()
        result["kubernetes"] = dict(
            auth=context.kube_auth,
            server_version=kube.server_version(api),
            nodes=kube.nodes(api),
            aws_node=workloads.daemonset_status(api, "kube-system", "aws-node"),
        )
    return result
