# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What pod_identity_association_info runs: the cluster's agent facts and every association, fully described."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ansible_collections.eks.access.plugins.module_utils.errors import InvalidInput
from ansible_collections.eks.access.plugins.module_utils.model import pod_identity as model
from ansible_collections.eks.access.plugins.module_utils.services import pod_identity as services


@dataclass
class Options:
    cluster_name: str
    namespace: Optional[str] = None
    service_account: Optional[str] = None
    concurrency: int = services.DEFAULT_CONCURRENCY


def run(ctx, options: Options) -> dict:
    if options.concurrency < 1:
        raise InvalidInput("concurrency must be at least 1, got %d" % options.concurrency)
    if options.service_account and not options.namespace:
        raise InvalidInput("service_account needs namespace (a service account is named within its namespace)")
    service = services.PodIdentityService(ctx.aws("eks"), ctx.aws("iam"), options.cluster_name, options.concurrency)
    cluster = service.describe_cluster()
    addon_names = service.addon_names()
    summaries = [s for s in service.associations()
                 if (not options.namespace or s.namespace == options.namespace)
                 and (not options.service_account or s.service_account == options.service_account)]
    described = sorted(service.describe(summaries), key=lambda a: a.key)
    return {
        "changed": False,
        "cluster_name": options.cluster_name,
        "agent": {
            "addon_installed": model.AGENT_ADDON in addon_names,
            "auto_mode": model.is_auto_mode(cluster),
            "available": model.has_pod_identity_agent(cluster, addon_names),
        },
        "associations": [model.info_view(a, options.cluster_name) for a in described],
    }
