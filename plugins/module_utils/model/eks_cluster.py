# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An EKS cluster as DescribeCluster describes it: the one typed :class:`ClusterFacts`."""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.eks.access.plugins.module_utils.model import arn as arn_rules


@dataclass(frozen=True)
class ClusterFacts:
    """What the collection needs to know about a cluster (from DescribeCluster; ListAccessPolicies adds the policies)."""

    name: str
    account_id: str = ""
    partition: str = "aws"
    # EKS's effective mode: a cluster that says nothing uses the aws-auth ConfigMap.
    authentication_mode: str = "CONFIG_MAP"
    # Every access policy ARN EKS lists; None when the task names no policy (not asked).
    access_policy_arns: frozenset = None
    arn: str = None
    status: str = None
    version: str = None
    endpoint: str = None
    certificate_authority_data: str = None
    oidc_issuer: str = None
    ip_family: str = "ipv4"
    role_arn: str = None
    # EKS Auto Mode: its nodes run the Pod Identity agent without the add-on
    auto_mode: bool = False
    # The mode as DescribeCluster reported it (None when it reported none), for results.
    reported_authentication_mode: str = None

    def to_result(self) -> dict:
        """The facts as eks_cluster_info and the inventory report them."""
        return {
            "name": self.name,
            "arn": self.arn,
            "status": self.status,
            "version": self.version,
            "endpoint": self.endpoint,
            "certificate_authority_data": self.certificate_authority_data,
            "oidc_issuer": self.oidc_issuer,
            "ip_family": self.ip_family,
            "role_arn": self.role_arn,
            "authentication_mode": self.reported_authentication_mode,
            "auto_mode": self.auto_mode,
        }


def cluster_facts(cluster: dict) -> ClusterFacts:
    """ClusterFacts from DescribeCluster's ``cluster`` (account and partition from its ARN)."""
    partition, account = arn_rules.partition_and_account(cluster.get("arn"))
    network = cluster.get("kubernetesNetworkConfig") or {}
    mode = (cluster.get("accessConfig") or {}).get("authenticationMode")
    return ClusterFacts(
        name=cluster.get("name"),
        account_id=account or "",
        partition=partition or "aws",
        authentication_mode=mode or "CONFIG_MAP",
        arn=cluster.get("arn"),
        status=cluster.get("status"),
        version=cluster.get("version"),
        endpoint=cluster.get("endpoint"),
        certificate_authority_data=(cluster.get("certificateAuthority") or {}).get("data"),
        oidc_issuer=((cluster.get("identity") or {}).get("oidc") or {}).get("issuer"),
        ip_family=(network.get("ipFamily") or "ipv4").lower(),
        role_arn=cluster.get("roleArn"),
        auto_mode=bool((cluster.get("computeConfig") or {}).get("enabled")),
        reported_authentication_mode=mode,
    )
