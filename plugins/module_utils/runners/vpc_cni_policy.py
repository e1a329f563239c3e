# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What vpc_cni_policy runs: the VPC CNI's IAM policy for the cluster's IP family (IPv6: created from the EKS user
guide's document when missing)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model import arn as arn_rules
from ansible_collections.eks.access.plugins.module_utils.model import cni
from ansible_collections.eks.access.plugins.module_utils.services import eks_cluster
from ansible_collections.eks.access.plugins.module_utils.services import iam_role


@dataclass
class Options:
    cluster_name: Optional[str] = None
    ip_family: Optional[str] = None
    ipv6_policy_name: str = cni.IPV6_POLICY_NAME
    ipv6_policy_path: str = "/"
    create: bool = True


def run(ctx, options: Options) -> dict:
    path = options.ipv6_policy_path
    if not path.startswith("/") or not path.endswith("/"):
        raise errors.InvalidInput("ipv6_policy_path must start and end with '/', got %r" % path)
    identity = ctx.caller_identity()
    account, partition = identity["Account"], arn_rules.partition_of(identity["Arn"])
    family = options.ip_family
    if not family:
        if not options.cluster_name:
            raise errors.InvalidInput("give cluster_name (to read the IP family from EKS) or ip_family")
        family = eks_cluster.describe_cluster(ctx.aws("eks"), options.cluster_name).ip_family
    wanted = cni.cni_policy_for_ip_family(family, partition, account)
    result = dict(changed=False, ip_family=wanted["ip_family"], aws_managed=wanted["aws_managed"],
                  policy_name=wanted["policy_name"], policy_arn=wanted["policy_arn"], created=[],
                  matches_guide=None)
    if wanted["aws_managed"]:
        return result

    name = options.ipv6_policy_name
    policy_arn = "arn:%s:iam::%s:policy%s%s" % (partition, account, options.ipv6_policy_path, name)
    result.update(policy_name=name, policy_arn=policy_arn, policy_document=wanted["policy_document"])
    policies = iam_role.ManagedPolicies(ctx.aws("iam"))
    existing = policies.document(policy_arn)
    plan = cni.plan_ipv6_policy(existing, wanted["policy_document"])
    result["matches_guide"] = plan["matches_guide"]
    if plan["action"] == "create":
        if not options.create:
            raise cni.CniRefused("the IPv6 CNI policy %s does not exist; set create=true to create it from the EKS "
                                 "user guide's document" % policy_arn)
        result.update(changed=True, created=[policy_arn])
        if not ctx.check_mode:
            policies.create(name, options.ipv6_policy_path, wanted["policy_document"],
                            "IPv6 permissions of the Amazon VPC CNI plugin (EKS user guide)")
    elif not plan["matches_guide"]:
        ctx.warn("the IPv6 CNI policy %s exists with a document that differs from the EKS user guide's; it is "
                 "used as it is" % policy_arn)
    if ctx.diff_mode:
        result["diff"] = dict(
            before=dict(policy_arn=policy_arn if existing is not None else None, policy_document=existing),
            after=dict(policy_arn=policy_arn, policy_document=existing if existing is not None
                       else wanted["policy_document"]),
        )
    return result
