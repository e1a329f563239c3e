# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What aws_node_irsa_info runs: whether every aws-node pod carries the CNI role's credentials now
(services/vpc_cni.py's ``verify_daemonset``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model import cni
from ansible_collections.eks.access.plugins.module_utils.services import pod_identity
from ansible_collections.eks.access.plugins.module_utils.services import vpc_cni


@dataclass
class Options:
    namespace: str = cni.CNI_NAMESPACE
    daemonset: str = cni.CNI_SERVICE_ACCOUNT
    role_arn: Optional[str] = None
    expect_irsa: bool = True
    credential_method: str = "irsa"
    cluster_name: Optional[str] = None


def run(ctx, options: Options) -> dict:
    if options.credential_method == "pod_identity" and not options.cluster_name:
        raise errors.InvalidInput("credential_method=pod_identity needs cluster_name, to read the service account's "
                                  "Pod Identity association from EKS")
    association_of = None
    if options.credential_method == "pod_identity":
        association_of = pod_identity.PodIdentityService(ctx.aws("eks"), ctx.aws("iam"),
                                                         options.cluster_name).association_of
    return vpc_cni.verify_daemonset(ctx.kube(), options.namespace, options.daemonset, options.role_arn,
                                    options.expect_irsa, options.credential_method, association_of)
