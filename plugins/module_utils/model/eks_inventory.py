# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure decisions of the eks_clusters inventory plugin: which clusters, host names, host variables."""

from __future__ import annotations

import fnmatch

from ansible_collections.eks.access.plugins.module_utils.services.eks_cluster import cluster_facts
from ansible_collections.eks.access.plugins.module_utils.errors import InvalidInput

HOSTNAME_STYLES = ("name", "name_region", "arn")
K8S_AUTH_CHOICES = ("auto", "kubernetes", "eks_token")


class InventoryConfigError(InvalidInput, ValueError):
    """The inventory source asks for something that cannot be done."""


def account_of(arn):
    """The account ID of an ARN (``arn:partition:service:region:account:resource``)."""
    parts = (arn or "").split(":")
    return parts[4] if len(parts) > 5 else None


def name_selected(name, include, exclude):
    """Whether a cluster name passes the include (any match) and exclude (no match) glob lists."""
    if include and not any(fnmatch.fnmatchcase(name, pattern) for pattern in include):
        return False
    return not any(fnmatch.fnmatchcase(name, pattern) for pattern in exclude or [])


def tags_match(cluster_tags, wanted):
    """Every wanted tag is on the cluster; a wanted value of ``*`` matches any value, a list any of its values."""
    cluster_tags = cluster_tags or {}
    for key, value in (wanted or {}).items():
        if key not in cluster_tags:
            return False
        allowed = value if isinstance(value, list) else [value]
        if "*" not in allowed and cluster_tags[key] not in [str(v) for v in allowed]:
            return False
    return True


def status_selected(status, statuses):
    return "all" in statuses or (status or "").upper() in [s.upper() for s in statuses]


def host_vars(cluster, region, k8s_auth="eks_token", prefix="eks_"):
    """Host variables for one DescribeCluster result."""
    if k8s_auth not in K8S_AUTH_CHOICES:
        raise InventoryConfigError("k8s_auth must be one of %s, got %r" % (", ".join(K8S_AUTH_CHOICES), k8s_auth))
    facts = cluster_facts(cluster)
    values = {
        "cluster_name": facts["name"],
        "region": region,
        "account_id": account_of(facts["arn"]),
        "cluster_arn": facts["arn"],
        "endpoint": facts["endpoint"],
        "ca_data": facts["certificate_authority_data"],
        "version": facts["version"],
        "platform_version": cluster.get("platformVersion"),
        "oidc_issuer": facts["oidc_issuer"],
        "ip_family": facts["ip_family"],
        "authentication_mode": facts["authentication_mode"],
        "status": facts["status"],
        "tags": dict(cluster.get("tags") or {}),
        "k8s_auth": k8s_auth,
    }
    return dict((prefix + key, value) for key, value in values.items())


def hostname(cluster, region, style="name"):
    if style == "name":
        return cluster["name"]
    if style == "name_region":
        return "%s.%s" % (cluster["name"], region)
    if style == "arn":
        return cluster["arn"]
    raise InventoryConfigError("hostname must be one of %s, got %r" % (", ".join(HOSTNAME_STYLES), style))


def duplicate_hostnames(entries):
    """``{hostname: [arn, ...]}`` for host names that more than one cluster would get."""
    seen = {}
    for name, arn in entries:
        seen.setdefault(name, []).append(arn)
    return dict((name, arns) for name, arns in seen.items() if len(set(arns)) > 1)


def select(clusters, include=None, exclude=None, tags=None, statuses=("ACTIVE",)):
    """The DescribeCluster results that pass every filter, in input order."""
    return [c for c in clusters
            if name_selected(c.get("name", ""), include, exclude)
            and tags_match(c.get("tags"), tags)
            and status_selected(c.get("status"), statuses)]
