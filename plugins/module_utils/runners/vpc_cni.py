# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runners of the VPC CNI modules around the pure planners in cni.py.

vpc_cni_policy, vpc_cni_addon, node_role_policy, aws_node_irsa_info and
vpc_cni_lease each build one options dataclass and hand it with one
``run_*`` function to :func:`module.run_module`: read the current state, ask
cni.py what to do, write it (nothing in check mode) and shape the result.
Runners see a :class:`module.RunContext`, never ``module.params``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import List, Optional


from ansible_collections.eks.access.plugins.module_utils.clients import aws
from ansible_collections.eks.access.plugins.module_utils.module import Runner
from ansible_collections.eks.access.plugins.module_utils.model import arn as arn_rules
from ansible_collections.eks.access.plugins.module_utils.model import cni
from ansible_collections.eks.access.plugins.module_utils.model import irsa
from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model import trust_policy
from ansible_collections.eks.access.plugins.module_utils.model import pod_identity as pod_identity_model
from ansible_collections.eks.access.plugins.module_utils.services import addons
from ansible_collections.eks.access.plugins.module_utils.services import lease as lease_service
from ansible_collections.eks.access.plugins.module_utils.services import workloads
from ansible_collections.eks.access.plugins.module_utils.model import workloads as workloads_model

# Per-item EKS reads (node groups of every cluster of the region) in parallel, boundedly.
MAX_PARALLEL_READS = 8
# A refusal names every pod but only the first problems; the result's failure_lines has them all.
MAX_PROBLEMS_SHOWN = 3


class CniRefused(errors.Refused):
    """The change cannot be made as asked (the message says why)."""


def _caller(ctx):
    identity = ctx.caller_identity()
    return identity["Account"], arn_rules.partition_of(identity["Arn"])


def describe_cluster(ctx, name):
    """DescribeCluster's facts; eks_cluster.ClusterNotFound (a NotFound) for a missing cluster."""
    from ansible_collections.eks.access.plugins.module_utils.services import eks_cluster

    return eks_cluster.describe_cluster(ctx.aws("eks"), name)


# ---------------------------------------------------------------------------
# vpc_cni_policy
# ---------------------------------------------------------------------------


@dataclass
class PolicyOptions:
    cluster_name: Optional[str] = None
    ip_family: Optional[str] = None
    ipv6_policy_name: str = cni.IPV6_POLICY_NAME
    ipv6_policy_path: str = "/"
    create: bool = True


def get_policy_document(iam, policy_arn):
    """The default version's document of a managed policy, or None when it does not exist."""
    try:
        policy = iam.get_policy(PolicyArn=policy_arn)["Policy"]
    except aws.with_code("NoSuchEntity"):
        return None
    version = iam.get_policy_version(PolicyArn=policy_arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    return trust_policy.load_policy(version["Document"])


def run_policy(ctx, options: PolicyOptions) -> dict:
    path = options.ipv6_policy_path
    if not path.startswith("/") or not path.endswith("/"):
        raise errors.InvalidInput("ipv6_policy_path must start and end with '/', got %r" % path)
    account, partition = _caller(ctx)
    family = options.ip_family
    if not family:
        if not options.cluster_name:
            raise errors.InvalidInput("give cluster_name (to read the IP family from EKS) or ip_family")
        family = describe_cluster(ctx, options.cluster_name).ip_family
    wanted = cni.cni_policy_for_ip_family(family, partition, account)
    result = dict(changed=False, ip_family=wanted["ip_family"], aws_managed=wanted["aws_managed"],
                  policy_name=wanted["policy_name"], policy_arn=wanted["policy_arn"], created=[],
                  matches_guide=None)
    if wanted["aws_managed"]:
        return result

    name = options.ipv6_policy_name
    policy_arn = "arn:%s:iam::%s:policy%s%s" % (partition, account, options.ipv6_policy_path, name)
    result.update(policy_name=name, policy_arn=policy_arn, policy_document=wanted["policy_document"])
    iam = ctx.aws("iam")
    existing = get_policy_document(iam, policy_arn)
    plan = cni.plan_ipv6_policy(existing, wanted["policy_document"])
    result["matches_guide"] = plan["matches_guide"]
    if plan["action"] == "create":
        if not options.create:
            raise CniRefused("the IPv6 CNI policy %s does not exist; set create=true to create it from the EKS "
                             "user guide's document" % policy_arn)
        result.update(changed=True, created=[policy_arn])
        if not ctx.check_mode:
            iam.create_policy(PolicyName=name, Path=options.ipv6_policy_path,
                              PolicyDocument=json.dumps(wanted["policy_document"]),
                              Description="IPv6 permissions of the Amazon VPC CNI plugin (EKS user guide)")
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


# ---------------------------------------------------------------------------
# vpc_cni_addon
# ---------------------------------------------------------------------------


@dataclass
class AddonOptions:
    cluster_name: str
    state: str = "present"
    service_account_role_arn: Optional[str] = None
    credential_method: str = "irsa"
    pod_identity_role_arn: Optional[str] = None
    resolve_conflicts: Optional[str] = None
    wait: bool = True
    wait_timeout: int = 300


def describe_addon(client, cluster, name=cni.ADDON_NAME):
    """DescribeAddon's ``addon``, or None when the add-on is not installed (services/addons.py)."""
    return addons.AddonService(client, cluster).describe(name)


class AddonPodIdentity:
    """The Pod Identity side of the vpc-cni add-on: the agent, the version's support, the associations."""

    def __init__(self, ctx, cluster, addon, cluster_facts=None):
        from ansible_collections.eks.access.plugins.module_utils.services import pod_identity

        self.client = ctx.aws("eks")
        self.cluster = cluster
        self.addon = addon
        self.service = pod_identity.PodIdentityService(self.client, ctx.aws("iam"), cluster)
        self.agent_installed = pod_identity_model.has_pod_identity_agent(cluster_facts, self.service.addon_names())
        self.service_accounts = []
        if addon is not None:
            configuration = self.client.describe_addon_configuration(
                addonName=cni.ADDON_NAME, addonVersion=addon["addonVersion"])
            self.service_accounts = cni.pod_identity_service_accounts(configuration)
        mine = [a for a in self.service.associations() if a.key == (cni.CNI_NAMESPACE, cni.CNI_SERVICE_ACCOUNT)
                or (addon is not None and a.owner_arn == addon.get("addonArn"))]
        self.described = self.service.describe(mine)

    @property
    def supported(self):
        return cni.CNI_SERVICE_ACCOUNT in self.service_accounts

    def addon_associations(self):
        """The add-on's own associations as ``[{"service_account", "role_arn"}]``."""
        owner = (self.addon or {}).get("addonArn")
        return [{"service_account": a.service_account, "role_arn": a.role_arn}
                for a in self.described if owner and a.owner_arn == owner]

    def aws_node(self):
        """aws-node's association (the add-on's or a plain one), as the module reports it; None when there is none."""
        for a in self.described:
            if a.key == (cni.CNI_NAMESPACE, cni.CNI_SERVICE_ACCOUNT):
                return {"association_id": a.association_id, "role_arn": a.role_arn, "owner_arn": a.owner_arn}
        return None

    def facts(self):
        return {"agent_installed": self.agent_installed, "supported": self.supported,
                "service_accounts": list(self.service_accounts), "association": self.aws_node()}

    def refusal(self, addon_required=True):
        """Why the add-on cannot give aws-node a Pod Identity association (one sentence), or None."""
        if not self.agent_installed:
            return pod_identity_model.agent_refusal(self.cluster, "aws-node") + "; nothing was changed"
        if self.addon is None:
            return None if not addon_required else "%s is not an EKS managed add-on of cluster %s" % (
                cni.ADDON_NAME, self.cluster)
        if not self.supported:
            return ("the %s add-on version %s has no Pod Identity support (DescribeAddonConfiguration lists no %s "
                    "service account); update the add-on to v1.15.5-eksbuild.1 or later first, nothing was changed"
                    % (cni.ADDON_NAME, self.addon.get("addonVersion"), cni.CNI_SERVICE_ACCOUNT))
        plain = self.aws_node()
        if plain is not None and plain["owner_arn"] != self.addon.get("addonArn"):
            return ("%s/%s already has a Pod Identity association of its own (%s, role %s), which the add-on "
                    "cannot take over; delete it (eks.access.pod_identity_association state=absent) or leave the "
                    "add-on out, nothing was changed" % (cni.CNI_NAMESPACE, cni.CNI_SERVICE_ACCOUNT,
                                                         plain["association_id"], plain["role_arn"]))
        return None


def _run_addon_pod_identity(ctx, options, client, cluster, addon, cluster_facts=None):
    """credential_method=pod_identity: the add-on's podIdentityAssociations, the others kept."""
    pod_identity = AddonPodIdentity(ctx, cluster, addon, cluster_facts)
    current = pod_identity.addon_associations()
    result = dict(changed=False, addon=cni.addon_summary(addon, current if addon else None), update=None,
                  pod_identity=pod_identity.facts())
    wanted = options.pod_identity_role_arn if options.state == "present" else None
    if options.state == "present" and not wanted:
        return result  # only report
    if wanted:
        refusal = pod_identity.refusal()
        if refusal:
            raise CniRefused(refusal)
    plan = cni.plan_addon_pod_identity(addon, current, cni.CNI_SERVICE_ACCOUNT, wanted)
    result["message"] = plan["reason"]
    if plan["action"] != "update":
        return result
    result["changed"] = True
    if ctx.diff_mode:
        result["diff"] = dict(before=dict(pod_identity_associations=plan["before"]),
                              after=dict(pod_identity_associations=plan["after"]))
    result["addon"] = cni.addon_summary(addon, plan["after"])
    if ctx.check_mode:
        return result
    update = _update_addon(client, cluster, plan["update"], options)
    if options.wait:
        after = AddonPodIdentity(ctx, cluster, describe_addon(client, cluster), cluster_facts)
        result["addon"] = cni.addon_summary(after.addon, after.addon_associations())
        result["pod_identity"] = after.facts()
    result["update"] = {"id": update["id"], "status": update["status"]}
    return result


def _update_addon(client, cluster, update_kwargs, options) -> dict:
    """UpdateAddon with the plan's arguments (and resolveConflicts when given); with ``wait``, the finished update."""
    kwargs = dict(update_kwargs)
    if options.resolve_conflicts:
        kwargs["resolveConflicts"] = options.resolve_conflicts
    return addons.AddonService(client, cluster).update(cni.ADDON_NAME, kwargs, options.wait, options.wait_timeout)


def run_addon(ctx, options: AddonOptions) -> dict:
    if options.state == "absent" and (options.service_account_role_arn or options.pod_identity_role_arn):
        raise errors.InvalidInput("state=absent removes the add-on's role; do not give service_account_role_arn "
                                  "or pod_identity_role_arn with it")
    if options.pod_identity_role_arn and options.credential_method != "pod_identity":
        raise errors.InvalidInput("pod_identity_role_arn needs credential_method=pod_identity")
    if options.credential_method == "pod_identity" and options.service_account_role_arn:
        raise errors.InvalidInput("with credential_method=pod_identity give the role as pod_identity_role_arn; "
                                  "serviceAccountRoleArn is ignored once the Pod Identity agent is installed")
    client = ctx.aws("eks")
    if options.credential_method == "pod_identity":
        facts = describe_cluster(ctx, options.cluster_name)  # a clear error for a missing cluster
        return _run_addon_pod_identity(ctx, options, client, options.cluster_name,
                                       describe_addon(client, options.cluster_name), facts)
    cluster = options.cluster_name
    describe_cluster(ctx, cluster)  # a clear error for a missing cluster
    addon = describe_addon(client, cluster)
    result = dict(changed=False, addon=cni.addon_summary(addon), update=None)
    if options.state == "present" and not options.service_account_role_arn:
        return result  # only report
    wanted = options.service_account_role_arn if options.state == "present" else None
    plan = cni.plan_addon_role(addon, wanted)
    result["message"] = plan["reason"]
    if plan["action"] != "update":
        return result
    result["changed"] = True
    before = cni.addon_summary(addon)
    after = dict(before, service_account_role_arn=wanted)
    if ctx.diff_mode:
        result["diff"] = dict(before=dict(service_account_role_arn=before["service_account_role_arn"]),
                              after=dict(service_account_role_arn=wanted))
    result["addon"] = after
    if ctx.check_mode:
        return result
    update = _update_addon(client, cluster, plan["update"], options)
    if options.wait:
        result["addon"] = cni.addon_summary(describe_addon(client, cluster))
    result["update"] = {"id": update["id"], "status": update["status"]}
    return result


# ---------------------------------------------------------------------------
# aws_node_irsa_info (and the check node_role_policy makes at the moment it detaches)
# ---------------------------------------------------------------------------


@dataclass
class VerifyOptions:
    namespace: str = cni.CNI_NAMESPACE
    daemonset: str = cni.CNI_SERVICE_ACCOUNT
    role_arn: Optional[str] = None
    expect_irsa: bool = True
    credential_method: str = "irsa"
    cluster_name: Optional[str] = None


def pod_identity_association(ctx, cluster_name, namespace, service_account):
    """The Pod Identity association of a service account (``{"association_id", "role_arn", "owner_arn"}``) or None."""
    from ansible_collections.eks.access.plugins.module_utils.services import pod_identity

    service = pod_identity.PodIdentityService(ctx.aws("eks"), ctx.aws("iam"), cluster_name)
    found = service.describe([a for a in service.associations() if a.key == (namespace, service_account)])
    if not found:
        return None
    return {"association_id": found[0].association_id, "role_arn": found[0].role_arn, "owner_arn": found[0].owner_arn}


def _association_problem(options, association, sa_label, role_arn):
    """Pod Identity: what is wrong with the service account's association (None: nothing)."""
    if options.expect_irsa:
        if association is None:
            return "the service account %s has no Pod Identity association" % sa_label
        if role_arn and association["role_arn"] != role_arn:
            return "the Pod Identity association of %s uses %s, not %s" % (sa_label, association["role_arn"], role_arn)
        return None
    if association is not None:
        return "the service account %s still has a Pod Identity association (%s, role %s)" % (
            sa_label, association["association_id"], association["role_arn"])
    return None


def verify_daemonset(api, options: VerifyOptions, ctx=None) -> dict:
    """Read the DaemonSet, its service account and its pods now, and check each pod (cni.verify_pods).

    With credential_method=pod_identity and a cluster name, the service
    account's association is read from EKS too (through ``ctx``): the role is
    the association's, the pods only carry the agent's address and token.
    """
    namespace, name = options.namespace, options.daemonset
    method = options.credential_method
    ds = workloads.daemonset(api, namespace, name)
    if ds is None:
        raise errors.NotFound("DaemonSet %s/%s does not exist; check namespace and daemonset" % (namespace, name))
    sa_name = workloads_model.daemonset_service_account(ds)
    sa = workloads.service_account(api, namespace, sa_name)
    annotations = workloads_model.annotations(sa)
    role_arn = options.role_arn
    association = None
    association_problem = None
    if method == "pod_identity":
        if ctx is not None and options.cluster_name:
            association = pod_identity_association(ctx, options.cluster_name, namespace, sa_name)
            association_problem = _association_problem(options, association, "%s/%s" % (namespace, sa_name),
                                                       role_arn)
            if options.expect_irsa and not role_arn and association:
                role_arn = association["role_arn"]
    elif options.expect_irsa and not role_arn:
        role_arn = annotations.get(irsa.ROLE_ARN_ANNOTATION)
    pods = workloads.daemonset_pods(api, ds)
    desired = workloads_model.desired_pods(ds)
    report = cni.verify_pods(pods, role_arn, desired, options.expect_irsa, workloads_model.audience_of(sa), method)
    if method == "irsa" and options.expect_irsa and not role_arn:
        problem = "no role ARN to expect: the service account %s/%s has no %s annotation" % (
            namespace, sa_name, irsa.ROLE_ARN_ANNOTATION)
        report["failures"].insert(0, {"pod": None, "container": None, "problem": problem})
        report["ok"] = False
    if association_problem:
        report["failures"].insert(0, {"pod": None, "container": None, "problem": association_problem})
        report["ok"] = False
    return dict(
        changed=False,
        ok=report["ok"],
        role_arn=role_arn,
        expect_irsa=options.expect_irsa,
        credential_method=method,
        pod_identity_association=association,
        service_account=dict(namespace=namespace, name=sa_name, exists=sa is not None, annotations=annotations),
        desired=desired,
        checked=report["checked"],
        pods=report["pods"],
        terminating=report["terminating"],
        failures=report["failures"],
        failure_lines=cni.failure_lines(report),
    )


def run_verify(ctx, options: VerifyOptions) -> dict:
    if options.credential_method == "pod_identity" and not options.cluster_name:
        raise errors.InvalidInput("credential_method=pod_identity needs cluster_name, to read the service account's "
                                  "Pod Identity association from EKS")
    return verify_daemonset(ctx.kube(), options, ctx)


# ---------------------------------------------------------------------------
# node_role_policy
# ---------------------------------------------------------------------------


@dataclass
class NodeRolePolicyOptions:
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


def attached_policies_or_none(iam, role_name):
    """ARNs of the managed policies attached to a role; None when the role does not exist."""
    try:
        pages = iam.paginate("list_attached_role_policies", RoleName=role_name)
    except aws.with_code("NoSuchEntity"):
        return None
    return [p["PolicyArn"] for p in pages.get("AttachedPolicies", [])]


def aws_auth_node_roles(api):
    """Node role ARNs mapped in the cluster's aws-auth ConfigMap (empty when there is none)."""
    from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import errors as aws_auth_errors
    from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import parse as aws_auth_parse
    from ansible_collections.eks.access.plugins.module_utils.services import configmap

    current = configmap.read_configmap(api)
    if current is None:
        return []
    try:
        return cni.aws_auth_node_role_arns(aws_auth_parse.parse_aws_auth(current.get("data") or {}))
    except aws_auth_errors.AwsAuthError as e:
        raise errors.InvalidInput("the aws-auth ConfigMap cannot be read for node roles (%s); fix it, or leave "
                                  "aws_auth out of discover and list the node roles in node_roles" % e)


def cluster_node_roles(eks_client, cluster):
    """The ``nodeRole`` of every managed node group of one cluster, unique, in listing order."""
    return list(dict.fromkeys(g["role_arn"] for g in nodegroups_of(eks_client, cluster, None) if g["role_arn"]))


def nodegroups_of(eks_client, cluster, region):
    names = eks_client.paginate("list_nodegroups", clusterName=cluster).get("nodegroups") or []
    groups = []
    for name in names:
        nodegroup = eks_client.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]
        groups.append({"cluster": cluster, "nodegroup": name, "role_arn": nodegroup.get("nodeRole"),
                       "region": region})
    return groups


def region_nodegroups(eks_client, region):
    """Every managed node group of every cluster in the client's region, read with bounded parallelism."""
    clusters = eks_client.paginate("list_clusters").get("clusters") or []
    per_cluster = aws.map_bounded(lambda name: nodegroups_of(eks_client, name, region), clusters, MAX_PARALLEL_READS)
    return [group for groups in per_cluster for group in groups], clusters


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
    raise CniRefused(message, **details)


def _shared_role_check(ctx, options, detaching, region):
    """Refuse to detach from a role that node groups of other, not migrated, clusters use."""
    groups, clusters = region_nodegroups(ctx.aws("eks"), region)
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
    verification = verify_daemonset(api, VerifyOptions(role_arn=options.irsa_role_arn,
                                                       credential_method=options.credential_method,
                                                       cluster_name=options.cluster_name), ctx)
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


def run_node_role_policy(ctx, options: NodeRolePolicyOptions) -> dict:
    discover = options.discover or []
    if options.credential_method == "pod_identity" and options.state == "absent" and not options.cluster_name:
        raise errors.InvalidInput("credential_method=pod_identity needs cluster_name, to read aws-node's Pod Identity "
                                  "association before detaching")
    if "nodegroups" in discover and not options.cluster_name:
        raise errors.InvalidInput("discovering node group roles needs cluster_name; set it, or leave nodegroups "
                                  "out of discover")
    account, partition = _caller(ctx)
    nodegroup_roles = cluster_node_roles(ctx.aws("eks"), options.cluster_name) if "nodegroups" in discover else []
    aws_auth_roles = aws_auth_node_roles(ctx.kube()) if "aws_auth" in discover else []
    roles = cni.collect_node_roles(nodegroup_roles, aws_auth_roles, options.node_roles or [], account, partition)
    iam = ctx.aws("iam")
    attached = dict((role["role_name"], attached_policies_or_none(iam, role["role_name"]))
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
        region = getattr(ctx.aws("eks").client.meta, "region_name", None)
        refusals.append(_shared_role_check(ctx, options, detaching, region))
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
            iam.detach_role_policy(RoleName=entry["role_name"], PolicyArn=options.policy_arn)
        else:
            iam.attach_role_policy(RoleName=entry["role_name"], PolicyArn=options.policy_arn)
    return result


# ---------------------------------------------------------------------------
# vpc_cni_lease
# ---------------------------------------------------------------------------


@dataclass
class LeaseOptions:
    holder: str
    state: str = "present"
    duration: int = lease_service.DEFAULT_DURATION
    wait_timeout: int = 0


def run_lease(ctx, options: LeaseOptions) -> dict:
    lease = lease_service.CniLease(ctx.kube(), options.holder, options.duration)
    if options.state == "absent":
        outcome = lease.release(ctx.check_mode)
    else:
        outcome = lease.wait_and_acquire(options.wait_timeout, ctx.check_mode)
    # The Lease is the runs' bookkeeping, not the cluster's configuration: never reported as a change,
    # so that a re-run of a converged migration still says changed=0.
    outcome["changed"] = False
    if outcome["action"] == "takeover":
        ctx.warn("took over the expired Lease %s/%s from %s"
                 % (lease.namespace, lease.name, outcome["previous_holder"]))
    return dict(outcome, holder=options.holder, lease="%s/%s" % (lease.namespace, lease.name))


# The five modules' runners, for module.main().
VPC_CNI_POLICY = Runner(run_policy, PolicyOptions)
VPC_CNI_ADDON = Runner(run_addon, AddonOptions)
AWS_NODE_IRSA_INFO = Runner(run_verify, VerifyOptions)
NODE_ROLE_POLICY = Runner(run_node_role_policy, NodeRolePolicyOptions)
VPC_CNI_LEASE = Runner(run_lease, LeaseOptions)
