# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What node_role_policy runs: attach or detach a managed policy (the CNI policy) on the cluster's node roles.

Detaching is refused while node groups of other, not migrated, clusters share
a role, or while aws-node's pods do not carry the CNI role's credentials
(read at that moment, services/vpc_cni.py); ``force`` turns both into warnings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model import arn as arn_rules
from ansible_collections.eks.access.plugins.module_utils.model import cni
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import errors as aws_auth_errors
from ansible_collections.eks.access.plugins.module_utils.services import configmap
from ansible_collections.eks.access.plugins.module_utils.services import eks_cluster
from ansible_collections.eks.access.plugins.module_utils.services import iam_role
from ansible_collections.eks.access.plugins.module_utils.services import lease as lease_service
from ansible_collections.eks.access.plugins.module_utils.services import pod_identity
from ansible_collections.eks.access.plugins.module_utils.services import vpc_cni

# Per-item EKS reads (node groups of every cluster of the region) in parallel, boundedly.
MAX_PARALLEL_READS = 8
# A refusal names every pod but only the first problems; the result's failure_lines has them all.
MAX_PROBLEMS_SHOWN = 3


@dataclass
class Options:
    policy_arn: str
    cluster_name: Optional[str] = None
    state: str = "absent"
    discover: List[str] = field(default_factory=lambda: ["nodegroups", "aws_auth"])
    node_roles: List[str] = field(default_factory=list)
    exceptions: List[str] = field(default_factory=list)
    force: bool = False
    irsa_role_arn: Optional[str] = None
    credential_method: str = "irsa"
    other_clusters_migrated: List[str] = field(default_factory=list)
    lease_holder: Optional[str] = None
    lease_duration: int = lease_service.DEFAULT_DURATION


def aws_auth_node_roles(api):
    """Node role ARNs mapped in the cluster's aws-auth ConfigMap (empty when there is none)."""
    try:
        return cni.aws_auth_node_role_arns(configmap.read_aws_auth(api))
    except aws_auth_errors.AwsAuthError as e:
        raise errors.InvalidInput("the aws-auth ConfigMap cannot be read for node roles (%s); fix it, or leave "
                                  "aws_auth out of discover and list the node roles in node_roles" % e)


def _pods_named(verification):
    names = []
    for failure in verification["failures"]:
        if failure["pod"] and failure["pod"] not in names:
            names.append(failure["pod"])
    return names


def _refusal_or_warning(ctx, options, message, **details):
    """Refuse, or in check mode say it would be refused; ``force`` turns it into a warning."""
    if options.force:
        ctx.warn("force=true: %s" % message)
        return None
    if ctx.check_mode:
        ctx.warn("a real run would refuse: %s" % message)
        return message
    raise cni.CniRefused(message, **details)


def _shared_role_check(ctx, options, detaching):
    """Refuse to detach from a role that node groups of other, not migrated, clusters use."""
    groups, clusters, region = eks_cluster.region_nodegroups(ctx.aws("eks"), MAX_PARALLEL_READS)
    others = cni.other_users_of_roles(groups, [e["role_arn"] for e in detaching], options.cluster_name,
                                      options.other_clusters_migrated)
    ctx.warn("node groups of the %d clusters in region %s were checked for shared node roles; other regions were "
             "not checked" % (len(clusters), region or "(default)"))
    if not others:
        return None
    users = "; ".join("%s is also the node role of %s" % (arn, ", ".join(
        "node group %s of cluster %s" % (g["nodegroup"], g["cluster"]) for g in groups_))
        for arn, groups_ in others.items())
    message = ("%s, whose aws-node may still need %s: migrate those clusters first and list them in "
               "other_clusters_migrated, or set force=true" % (users, options.policy_arn))
    return _refusal_or_warning(ctx, options, message,
                               shared_with=dict((arn, ["%s/%s" % (g["cluster"], g["nodegroup"]) for g in gs])
                                                for arn, gs in others.items()))


def _credentials_check(ctx, options, api):
    """At the moment of detaching: every aws-node pod carries the CNI role's credentials (IRSA or Pod Identity)."""
    association_of = None
    if options.credential_method == "pod_identity" and options.cluster_name:
        association_of = pod_identity.PodIdentityService(ctx.aws("eks"), ctx.aws("iam"),
                                                         options.cluster_name).association_of
    verification = vpc_cni.verify_daemonset(api, role_arn=options.irsa_role_arn,
                                            credential_method=options.credential_method,
                                            association_of=association_of)
    if verification["ok"]:
        return verification, None
    pods = _pods_named(verification)
    lines = verification["failure_lines"]
    shown = "; ".join(lines[:MAX_PROBLEMS_SHOWN]) + (
        " (and %d more in failure_lines)" % (len(lines) - MAX_PROBLEMS_SHOWN) if len(lines) > MAX_PROBLEMS_SHOWN else "")
    method = "EKS Pod Identity" if options.credential_method == "pod_identity" else "IRSA"
    message = ("aws-node does not run on %s yet, so detaching %s would break pod networking on new nodes: %s%s; "
               "migrate aws-node first (eks.access.vpc_cni_irsa), or set force=true"
               % (method, options.policy_arn,
                  "pods without the role's credentials: %s; " % ", ".join(pods) if pods else "", shown))
    return verification, _refusal_or_warning(ctx, options, message, pods_without_credentials=pods,
                                             failure_lines=verification["failure_lines"])


def run(ctx, options: Options) -> dict:
    discover = options.discover or []
    if options.credential_method == "pod_identity" and options.state == "absent" and not options.cluster_name:
        raise errors.InvalidInput("credential_method=pod_identity needs cluster_name, to read aws-node's Pod Identity "
                                  "association before detaching")
    if "nodegroups" in discover and not options.cluster_name:
        raise errors.InvalidInput("discovering node group roles needs cluster_name; set it, or leave nodegroups "
                                  "out of discover")
    identity = ctx.caller_identity()
    account, partition = identity["Account"], arn_rules.partition_of(identity["Arn"])
    nodegroup_roles = (eks_cluster.managed_node_roles(ctx.aws("eks"), options.cluster_name)
                       if "nodegroups" in discover else [])
    aws_auth_roles = aws_auth_node_roles(ctx.kube()) if "aws_auth" in discover else []
    roles = cni.collect_node_roles(nodegroup_roles, aws_auth_roles, options.node_roles or [], account, partition)
    iam = iam_role.IamRoles(ctx.aws("iam"))
    attached = dict((role["role_name"], iam.attached_policy_arns(role["role_name"]))
                    for role in roles if role["account"] in (None, account))
    plan = cni.plan_node_role_policy(roles, attached, options.policy_arn, options.state, options.exceptions or [],
                                     account)
    for entry in plan:
        if entry["action"] == "skip":
            ctx.warn("node role %s skipped: %s" % (entry["role_arn"] or entry["role_name"], entry["reason"]))
    detaching = [e for e in plan if e["action"] == "detach"]
    writes = [e for e in plan if e["action"] in ("attach", "detach")]
    result = dict(changed=bool(writes), policy_arn=options.policy_arn, roles=plan,
                  detached=[e["role_name"] for e in detaching],
                  attached=[e["role_name"] for e in plan if e["action"] == "attach"],
                  skipped=[e["role_name"] for e in plan if e["action"] == "skip"],
                  verified=None, would_refuse=None)
    if ctx.diff_mode:
        result["diff"] = dict(before=dict((e["role_name"], e["before"]) for e in plan),
                              after=dict((e["role_name"], e["after"]) for e in plan))
    if not writes:
        return result
    refusals = []
    if detaching and not options.force:
        refusals.append(_shared_role_check(ctx, options, detaching))
    if options.lease_holder and not ctx.check_mode:
        # The last guarded write before acting: fails if another run took the lease over.
        lease_service.CniLease(ctx.kube(), options.lease_holder, options.lease_duration).renew()
    if detaching:
        # Read now, not trusted from an earlier step: a rollback may have moved the pods since.
        verification, refusal = _credentials_check(ctx, options, ctx.kube())
        result["verified"] = dict(ok=verification["ok"], checked=verification["checked"],
                                  role_arn=verification["role_arn"], failure_lines=verification["failure_lines"])
        refusals.append(refusal)
    refusals = [r for r in refusals if r]
    result["would_refuse"] = "; ".join(refusals) or None
    if ctx.check_mode:
        return result
    for entry in writes:
        if entry["action"] == "detach":
            iam.detach_policy(entry["role_name"], options.policy_arn)
        else:
            iam.attach_policy(entry["role_name"], options.policy_arn)
    return result
