# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""EKS Pod Identity for moto, which has none (its calls answer 404).

``install()`` adds, to moto's EKS service in this process (after
``moto_eks_addons.install``; plumbing in moto_eks_common.py):

* ``CreatePodIdentityAssociation``   POST   /clusters/{name}/pod-identity-associations
* ``ListPodIdentityAssociations``    GET    /clusters/{name}/pod-identity-associations
  (``namespace`` / ``serviceAccount`` filters, ``maxResults`` 1-100, ``nextToken``)
* ``DescribePodIdentityAssociation`` GET    /clusters/{name}/pod-identity-associations/{associationId}
* ``UpdatePodIdentityAssociation``   POST   /clusters/{name}/pod-identity-associations/{associationId}
* ``DeletePodIdentityAssociation``   DELETE /clusters/{name}/pod-identity-associations/{associationId}
* ``DescribeAddonConfiguration``     GET    /addons/configuration-schemas
  (``podIdentityConfiguration`` for the add-ons that support Pod Identity)
* ``podIdentityAssociations`` on ``CreateAddon`` / ``UpdateAddon``, kept by
  ``DescribeAddon`` as the associations' ARNs;
* ``TagResource`` / ``UntagResource`` / ``ListTagsForResource`` on association
  ARNs (moto's own tag calls know clusters only).

Shapes are botocore's EKS model (moto parses and serialises with it). What
EKS checks, with its error codes:

* unknown cluster or association: ``ResourceNotFoundException``;
* a namespace that is not an RFC 1123 label, a service account that is not an
  RFC 1123 subdomain, a role or target role that is not an IAM role ARN of
  the cluster's partition, more than 50 tags, a ``policy`` that is not JSON or
  comes without ``disableSessionTags``: ``InvalidParameterException``;
* a second association for the same namespace and service account:
  ``ResourceInUseException``; the 1,001st of a cluster:
  ``ResourceLimitExceededException`` (EKS's quota is 1,000 per cluster);
* UpdatePodIdentityAssociation changes only the role, the target role
  (``""`` removes it), ``disableSessionTags`` and ``policy``, and at least one
  of them (``InvalidParameterException`` otherwise);
* an association an add-on created (``ownerArn`` = the add-on's ARN) is
  changed only through its add-on: Update/Delete answer
  ``InvalidRequestException``;
* ``podIdentityAssociations`` on an add-on names service accounts of the
  add-on's ``podIdentityConfiguration`` for its version (vpc-cni: ``aws-node``
  from v1.15.5-eksbuild.1), else ``InvalidParameterException``; passing it
  replaces all the add-on's associations (an empty list removes them),
  leaving it out keeps them; a service account that already has an
  association of its own is ``ResourceInUseException``; deleting the add-on
  deletes its associations.

EKS does not check that the role exists or trusts ``pods.eks.amazonaws.com``
when an association is created (the agent fails later, at credential time),
and neither does this emulator: that check is the client's.

``pod_identity_for(account, region, cluster, namespace, service_account)`` is
what the pod identity webhook stand-in asks (through the EKS API: it lists
the associations and add-ons like any client).
"""

from __future__ import annotations

import json
import random
import re
import string
import threading
import uuid

from moto.core.responses import ActionResult
from moto.core.utils import utcnow

import moto_eks_addons
import moto_eks_common as common

AGENT_ADDON = "eks-pod-identity-agent"
MAX_ASSOCIATIONS_PER_CLUSTER = 1000
MAX_TAGS = common.MAX_TAGS
LIST_MAX_RESULTS = 100
# Add-ons whose service accounts can get their role through Pod Identity:
# the service account and managed policies EKS recommends, and the first
# add-on version that supports it (AWS's add-on table).
# (The agent, coredns and kube-proxy need no AWS permissions: none.)
POD_IDENTITY_ADDONS = {
    "vpc-cni": {"serviceAccounts": ["aws-node"], "since": (1, 15, 5, 1),
                "recommendedManagedPolicies": ["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"]},
    "aws-ebs-csi-driver": {"serviceAccounts": ["ebs-csi-controller-sa"], "since": (1, 26, 0, 1),
                           "recommendedManagedPolicies": [
                               "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"]},
    "aws-efs-csi-driver": {"serviceAccounts": ["efs-csi-controller-sa", "efs-csi-node-sa"], "since": (2, 0, 0, 1),
                           "recommendedManagedPolicies": [
                               "arn:aws:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy"]},
}
# An inline session policy is passed to sts:AssumeRole, whose packed limit is 2,048 characters of plain text.
MAX_POLICY_LENGTH = 2048
CONFIGURATION_SCHEMA = json.dumps({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                                   "additionalProperties": True, "properties": {}})

_LOCK = threading.RLock()
_ASSOCIATIONS = {}  # (account, region, cluster) -> {association id: association dict}

_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_VERSION_RE = re.compile(r"^v(\d+)\.(\d+)\.(\d+)-eksbuild\.(\d+)$")
_SUMMARY_FIELDS = ("clusterName", "namespace", "serviceAccount", "associationArn", "associationId", "ownerArn")


# --------------------------------------------------------------------------- helpers

def _cluster(response, name):
    return common.cluster_of(response, name)


def _key(response, cluster):
    return common.state_key(response, cluster)


def _new_id():
    # EKS association ids: "a-" and 17 lower-case letters and digits.
    alphabet = string.ascii_lowercase + string.digits
    return "a-" + "".join(random.SystemRandom().choices(alphabet, k=17))


def _check_role_arn(value, what, cluster, region):
    match = common.ROLE_ARN_RE.match(value or "")
    if not match:
        raise common.eks_error("InvalidParameterException", "%s %r is not a valid IAM role ARN." % (what, value),
                               clusterName=cluster)
    if match.group("partition") != common.partition(region):
        raise common.eks_error("InvalidParameterException",
                               "%s %s is not in partition %s." % (what, value, common.partition(region)),
                               clusterName=cluster)


def _check_names(namespace, service_account, cluster):
    if not isinstance(namespace, str) or len(namespace) > 63 or not _LABEL_RE.match(namespace):
        raise common.eks_error("InvalidParameterException",
                               "namespace %r is not a valid Kubernetes namespace name (RFC 1123 label)." % (namespace,),
                               clusterName=cluster)
    if not isinstance(service_account, str) or len(service_account) > 253 \
            or not _SUBDOMAIN_RE.match(service_account):
        raise common.eks_error("InvalidParameterException",
                               "serviceAccount %r is not a valid service account name (RFC 1123 subdomain)."
                               % (service_account,), clusterName=cluster)


def _check_policy(policy, disable_session_tags, cluster):
    if policy is None:
        return
    if not 1 <= len(policy) <= MAX_POLICY_LENGTH:
        raise common.eks_error("InvalidParameterException", "policy must be between 1 and %d characters long."
                               % MAX_POLICY_LENGTH, clusterName=cluster)
    try:
        document = json.loads(policy)
    except (TypeError, ValueError):
        document = None
    statements = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not statements or not isinstance(statements, list) or any(
            not isinstance(s, dict) or s.get("Effect") not in ("Allow", "Deny")
            or not (s.get("Action") or s.get("NotAction")) for s in statements):
        raise common.eks_error("InvalidParameterException",
                               "policy is not a valid JSON policy document.", clusterName=cluster)
    if not disable_session_tags:
        raise common.eks_error("InvalidParameterException", "disableSessionTags must be true when a policy is given.",
                               clusterName=cluster)


def _find(response, cluster, association_id, unowned=False):
    """The association (the caller holds _LOCK); ``unowned``: refused when an add-on owns it (change it there)."""
    _cluster(response, cluster)
    association = _ASSOCIATIONS.get(_key(response, cluster), {}).get(association_id)
    if association is None:
        raise common.eks_error("ResourceNotFoundException",
                               "No Pod Identity Association found for id: %s." % association_id, clusterName=cluster)
    if unowned and association.get("ownerArn"):
        raise common.eks_error("InvalidRequestException",
                               "Pod Identity association %s is owned by %s; change it through that add-on."
                               % (association_id, association["ownerArn"]), clusterName=cluster)
    return association


def _by_service_account(associations, namespace, service_account):
    for association in associations.values():
        if association["namespace"] == namespace and association["serviceAccount"] == service_account:
            return association
    return None


def _new_association(response, cluster, namespace, service_account, role_arn, owner=None, tags=None,
                     disable_session_tags=False, target_role_arn=None, policy=None):
    """Store and return a new association; the caller holds _LOCK and has validated the input."""
    associations = _ASSOCIATIONS.setdefault(_key(response, cluster), {})
    existing = _by_service_account(associations, namespace, service_account)
    if existing is not None:
        raise common.eks_error("ResourceInUseException", "Association already exists: %s" % existing["associationArn"],
                               clusterName=cluster)
    if len(associations) >= MAX_ASSOCIATIONS_PER_CLUSTER:
        raise common.eks_error("ResourceLimitExceededException",
                               "Cluster %s already has %d Pod Identity associations, the maximum."
                               % (cluster, MAX_ASSOCIATIONS_PER_CLUSTER), clusterName=cluster)
    association_id = _new_id()
    while association_id in associations:
        association_id = _new_id()
    now = utcnow()
    association = {
        "clusterName": cluster, "namespace": namespace, "serviceAccount": service_account, "roleArn": role_arn,
        "associationArn": "arn:%s:eks:%s:%s:podidentityassociation/%s/%s" % (
            common.partition(response.region), response.region, response.current_account, cluster, association_id),
        "associationId": association_id, "tags": dict(tags or {}), "createdAt": now, "modifiedAt": now,
        "disableSessionTags": bool(disable_session_tags),
    }
    if owner:
        association["ownerArn"] = owner
    if target_role_arn:
        association["targetRoleArn"] = target_role_arn
        association["externalId"] = str(uuid.uuid4())
    if policy is not None:
        association["policy"] = policy
    associations[association_id] = association
    return association


# --------------------------------------------------------------------------- associations

def create_pod_identity_association(self):
    cluster = self._get_param("name")
    namespace = self._get_param("namespace")
    service_account = self._get_param("serviceAccount")
    role_arn = self._get_param("roleArn")
    target = self._get_param("targetRoleArn")
    tags = self._get_param("tags") or {}
    disable = self._get_param("disableSessionTags")
    policy = self._get_param("policy")
    _cluster(self, cluster)
    _check_names(namespace, service_account, cluster)
    _check_role_arn(role_arn, "roleArn", cluster, self.region)
    if target:
        _check_role_arn(target, "targetRoleArn", cluster, self.region)
    if len(tags) > MAX_TAGS:
        raise common.eks_error("InvalidParameterException", "A resource can have at most %d tags." % MAX_TAGS,
                               clusterName=cluster)
    _check_policy(policy, disable, cluster)
    with _LOCK:
        association = _new_association(self, cluster, namespace, service_account, role_arn, tags=tags,
                                       disable_session_tags=disable, target_role_arn=target, policy=policy)
        return ActionResult({"association": dict(association)})


def describe_pod_identity_association(self):
    with _LOCK:
        association = _find(self, self._get_param("name"), self._get_param("associationId"))
        return ActionResult({"association": dict(association)})


def update_pod_identity_association(self):
    cluster = self._get_param("name")
    association_id = self._get_param("associationId")
    role_arn = self._get_param("roleArn")
    target = self._get_param("targetRoleArn")
    disable = self._get_param("disableSessionTags")
    policy = self._get_param("policy")
    with _LOCK:
        association = _find(self, cluster, association_id, unowned=True)
        if role_arn is None and target is None and disable is None and policy is None:
            raise common.eks_error(
                "InvalidParameterException",
                "At least one of roleArn, targetRoleArn, disableSessionTags or policy must be given.",
                clusterName=cluster)
        if role_arn is not None:
            _check_role_arn(role_arn, "roleArn", cluster, self.region)
        if target:
            _check_role_arn(target, "targetRoleArn", cluster, self.region)
        _check_policy(policy, association["disableSessionTags"] if disable is None else disable, cluster)
        if role_arn is not None:
            association["roleArn"] = role_arn
        if target == "":
            association.pop("targetRoleArn", None)
            association.pop("externalId", None)
        elif target:
            if association.get("targetRoleArn") != target:
                association["externalId"] = str(uuid.uuid4())
            association["targetRoleArn"] = target
        if disable is not None:
            association["disableSessionTags"] = bool(disable)
        if policy is not None:
            association["policy"] = policy
        association["modifiedAt"] = utcnow()
        return ActionResult({"association": dict(association)})


def delete_pod_identity_association(self):
    cluster = self._get_param("name")
    association_id = self._get_param("associationId")
    with _LOCK:
        association = _find(self, cluster, association_id, unowned=True)
        del _ASSOCIATIONS[_key(self, cluster)][association_id]
        return ActionResult({"association": dict(association)})


def list_pod_identity_associations(self):
    cluster = self._get_param("name")
    namespace = self._get_param("namespace")
    service_account = self._get_param("serviceAccount")
    _cluster(self, cluster)
    with _LOCK:
        items = [a for a in _ASSOCIATIONS.get(_key(self, cluster), {}).values()
                 if (not namespace or a["namespace"] == namespace)
                 and (not service_account or a["serviceAccount"] == service_account)]
        items = [{k: a[k] for k in _SUMMARY_FIELDS if k in a} for a in items]
    return common.paged("associations", items, self, default=LIST_MAX_RESULTS, maximum=LIST_MAX_RESULTS)


def pod_identity_for(account, region, cluster, namespace, service_account):
    """The association of that service account on that cluster (a dict), or None."""
    with _LOCK:
        found = _by_service_account(_ASSOCIATIONS.get((account, region, cluster), {}), namespace, service_account)
        return dict(found) if found else None


# --------------------------------------------------------------------------- add-ons

def _version_tuple(version):
    match = _VERSION_RE.match(version or "")
    return tuple(int(g) for g in match.groups()) if match else None


def pod_identity_configuration(addon_name, version):
    """[{serviceAccount, recommendedManagedPolicies}] of an add-on version (empty: no Pod Identity)."""
    support = POD_IDENTITY_ADDONS.get(addon_name)
    parsed = _version_tuple(version)
    if support is None or parsed is None or parsed < support["since"]:
        return []
    return [{"serviceAccount": account, "recommendedManagedPolicies": list(support["recommendedManagedPolicies"])}
            for account in support["serviceAccounts"]]


def describe_addon_configuration(self):
    name = self._get_param("addonName")
    version = self._get_param("addonVersion")
    if name not in moto_eks_addons.CATALOG:
        raise common.eks_error("ResourceNotFoundException",
                               "Addon %s specified is not supported." % name, addonName=name)
    if version not in moto_eks_addons.catalog_versions(name):
        raise common.eks_error("InvalidParameterException",
                               "Addon version %s is not a valid version of %s." % (version, name),
                               addonName=name)
    return ActionResult({"addonName": name, "addonVersion": version, "configurationSchema": CONFIGURATION_SCHEMA,
                         "podIdentityConfiguration": pod_identity_configuration(name, version)})


def _wanted_addon_associations(response, cluster, name, version, wanted):
    """Validate an add-on's podIdentityAssociations; returns [(namespace, service account, role)]."""
    allowed = {c["serviceAccount"] for c in pod_identity_configuration(name, version)}
    namespace = moto_eks_addons.ADDON_SERVICE_ACCOUNTS.get(name, ("kube-system", None))[0]
    result = []
    seen = set()
    for item in wanted:
        service_account = item.get("serviceAccount")
        if service_account not in allowed:
            raise common.eks_error("InvalidParameterException",
                                   "Service account %s is not supported for Pod Identity by addon %s version %s%s."
                                   % (service_account, name, version,
                                      " (supported: %s)" % ", ".join(sorted(allowed)) if allowed else ""),
                                   clusterName=cluster, addonName=name)
        if service_account in seen:
            raise common.eks_error("InvalidParameterException",
                                   "Service account %s is listed twice in podIdentityAssociations." % service_account,
                                   clusterName=cluster, addonName=name)
        seen.add(service_account)
        _check_role_arn(item.get("roleArn"), "roleArn", cluster, response.region)
        result.append((namespace, service_account, item["roleArn"]))
    associations = _ASSOCIATIONS.get(_key(response, cluster), {})
    addon = moto_eks_addons._ADDONS.get(_key(response, cluster), {}).get(name)
    owner = addon["addonArn"] if addon else None
    for ns, service_account, _role in result:
        existing = _by_service_account(associations, ns, service_account)
        if existing is not None and (owner is None or existing.get("ownerArn") != owner):
            raise common.eks_error("ResourceInUseException",
                                   "Association already exists: %s" % existing["associationArn"],
                                   clusterName=cluster, addonName=name)
    return result


def _apply_addon_associations(response, cluster, addon, wanted):
    """Make the add-on's associations exactly ``wanted``; the caller holds _LOCK."""
    associations = _ASSOCIATIONS.setdefault(_key(response, cluster), {})
    owner = addon["addonArn"]
    keep = {(ns, sa) for ns, sa, _role in wanted}
    for association_id, association in list(associations.items()):
        if association.get("ownerArn") == owner and (association["namespace"], association["serviceAccount"]) \
                not in keep:
            del associations[association_id]
    arns = []
    for namespace, service_account, role in wanted:
        existing = _by_service_account(associations, namespace, service_account)
        if existing is None:
            existing = _new_association(response, cluster, namespace, service_account, role, owner=owner)
        elif existing["roleArn"] != role:
            existing["roleArn"] = role
            existing["modifiedAt"] = utcnow()
        arns.append(existing["associationArn"])
    if arns:
        addon["podIdentityAssociations"] = arns
    else:
        addon.pop("podIdentityAssociations", None)


def _create_addon(self, previous):
    wanted = self._get_param("podIdentityAssociations")
    cluster = self._get_param("name")
    name = self._get_param("addonName")
    if wanted is None:
        return previous()
    k8s_version = _cluster(self, cluster).version
    version = moto_eks_addons.create_version(cluster, name, self._get_param("addonVersion"), k8s_version)
    with _LOCK:
        if name in moto_eks_addons._ADDONS.get(_key(self, cluster), {}):
            return previous()  # ResourceInUseException, as without associations
        plan = _wanted_addon_associations(self, cluster, name, version, wanted)
        previous()
        with moto_eks_addons._LOCK:
            addon = moto_eks_addons._ADDONS[_key(self, cluster)][name]
            _apply_addon_associations(self, cluster, addon, plan)
            return ActionResult({"addon": dict(addon)})


def _update_addon(self, previous):
    wanted = self._get_param("podIdentityAssociations")
    cluster = self._get_param("name")
    name = self._get_param("addonName")
    if wanted is None:
        return previous()
    with _LOCK:
        with moto_eks_addons._LOCK:
            addon = moto_eks_addons._addon(self, cluster, name)
            version = self._get_param("addonVersion") or addon["addonVersion"]
        plan = _wanted_addon_associations(self, cluster, name, version, wanted)
        result = previous()
        with moto_eks_addons._LOCK:
            addon = moto_eks_addons._ADDONS[_key(self, cluster)][name]
            _apply_addon_associations(self, cluster, addon, plan)
            update = moto_eks_addons._UPDATES.get(_key(self, cluster) + (result.result["update"]["id"],))
            if update is not None:
                update["params"].append({"type": "PodIdentityAssociations",
                                         "value": json.dumps(addon.get("podIdentityAssociations", []))})
        return result


def _delete_addon(self, previous):
    cluster = self._get_param("name")
    with _LOCK:
        result = previous()
        owner = result.result["addon"].get("addonArn")
        associations = _ASSOCIATIONS.get(_key(self, cluster), {})
        for association_id, association in list(associations.items()):
            if association.get("ownerArn") == owner:
                del associations[association_id]
        return result


_PATHS = (
    "{0}/clusters/(?P<name>[^/]+)/pod-identity-associations$",
    "{0}/clusters/(?P<name>[^/]+)/pod-identity-associations/(?P<associationId>[^/]+)$",
    "{0}/addons/configuration-schemas$",
)


def install():
    """Register the Pod Identity calls with moto's EKS service; after moto_eks_addons.install, before serving."""
    common.register({
        "create_pod_identity_association": create_pod_identity_association,
        "describe_pod_identity_association": describe_pod_identity_association,
        "update_pod_identity_association": update_pod_identity_association,
        "delete_pod_identity_association": delete_pod_identity_association,
        "list_pod_identity_associations": list_pod_identity_associations,
        "describe_addon_configuration": describe_addon_configuration,
    }, _PATHS)
    tagging = common.tag_handlers(_ASSOCIATIONS, "associationArn", ":podidentityassociation/", _LOCK)
    for name, handler in zip(("create_addon", "update_addon", "delete_addon", "tag_resource", "untag_resource",
                              "list_tags_for_resource"), (_create_addon, _update_addon, _delete_addon) + tagging):
        common.chain(name, handler)
