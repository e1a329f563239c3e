# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What vpc_cni_addon runs: the vpc-cni add-on's role, by IRSA (serviceAccountRoleArn) or by its own Pod Identity
association (podIdentityAssociations), through services/addons.py's one UpdateAddon-and-wait."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model import cni
from ansible_collections.eks.access.plugins.module_utils.model import pod_identity as pod_identity_model
from ansible_collections.eks.access.plugins.module_utils.services import addons
from ansible_collections.eks.access.plugins.module_utils.services import eks_cluster
from ansible_collections.eks.access.plugins.module_utils.services import pod_identity


@dataclass
class Options:
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
        self.cluster = cluster
        self.addon = addon
        self.service = pod_identity.PodIdentityService(ctx.aws("eks"), ctx.aws("iam"), cluster)
        self.agent_installed = pod_identity_model.has_pod_identity_agent(cluster_facts, self.service.addon_names())
        self.service_accounts = []
        if addon is not None:
            self.service_accounts = addons.AddonService(ctx.aws("eks"), cluster).pod_identity_service_accounts(
                cni.ADDON_NAME, addon["addonVersion"])
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
    side = AddonPodIdentity(ctx, cluster, addon, cluster_facts)
    current = side.addon_associations()
    result = dict(changed=False, addon=cni.addon_summary(addon, current if addon else None), update=None,
                  pod_identity=side.facts())
    wanted = options.pod_identity_role_arn if options.state == "present" else None
    if options.state == "present" and not wanted:
        return result  # only report
    if wanted:
        refusal = side.refusal()
        if refusal:
            raise cni.CniRefused(refusal)
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


def run(ctx, options: Options) -> dict:
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
        facts = eks_cluster.describe_cluster(client, options.cluster_name)  # a clear error for a missing cluster
        return _run_addon_pod_identity(ctx, options, client, options.cluster_name,
                                       describe_addon(client, options.cluster_name), facts)
    cluster = options.cluster_name
    eks_cluster.describe_cluster(client, cluster)  # a clear error for a missing cluster
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
