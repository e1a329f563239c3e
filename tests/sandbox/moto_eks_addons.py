# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""EKS managed add-on calls for moto, which has none (they answer 404).

``install(on_role_change)`` adds, to moto's EKS service in this process:

* ``ListAddons``      GET    /clusters/{name}/addons
* ``DescribeAddon``   GET    /clusters/{name}/addons/{addonName}
* ``CreateAddon``     POST   /clusters/{name}/addons
* ``UpdateAddon``     POST   /clusters/{name}/addons/{addonName}/update
* ``DeleteAddon``     DELETE /clusters/{name}/addons/{addonName}
* ``DescribeUpdate``  GET    /clusters/{name}/updates/{updateId}?addonName=...
  (add-on updates only; moto's own node group updates are not stored by moto)
* ``DescribeAddonVersions`` GET /addons/supported-versions
  (``addonName``, ``kubernetesVersion``, ``types``, ``publishers``, ``owners``
  filters; ``maxResults`` 1-100, ``nextToken``)

Requests are parsed and answers serialised by moto with botocore's EKS
model, so boto3 sees the real API's shapes and error codes
(``ResourceNotFoundException`` for an unknown cluster or add-on,
``ResourceInUseException`` for a second CreateAddon).

What the extension models of EKS's behaviour, and nothing more:

* the add-ons and versions EKS offers are ``CATALOG`` (a few real versions
  each, with the Kubernetes versions they run on and the default one per
  Kubernetes version, as DescribeAddonVersions' ``compatibilities`` tell);
  CreateAddon refuses an add-on or version not in it, or a version not
  compatible with the cluster's Kubernetes version
  (``InvalidParameterException``), and without ``addonVersion`` installs the
  default version for the cluster's Kubernetes version. UpdateAddon refuses a
  version not in the catalog but, unlike EKS, does not check Kubernetes
  compatibility (tests move vpc-cni back to versions older than 1.34 knows);
* ``configurationValues`` must be a JSON or YAML object
  (``InvalidParameterException``); UpdateAddon without it keeps the current
  values;
* CreateAddon answers ``CREATING`` and the add-on is ``ACTIVE`` from the
  next DescribeAddon on; DeleteAddon answers ``DELETING`` and the add-on is
  gone at once (DescribeAddon: ``ResourceNotFoundException``);
* an add-on is ``ACTIVE`` as soon as it is updated; UpdateAddon
  returns an ``AddonUpdate`` ``InProgress`` that DescribeUpdate then reports
  ``Successful``, so clients exercise their wait loop;
* ``serviceAccountRoleArn`` is replaced by every UpdateAddon: an update that
  leaves it out puts the add-on back on the node role (EKS does the same,
  which is why clients must repeat it on every update; the API refuses an
  empty string);
* EKS's add-on manager owns the add-on's service account: when the role
  changes, ``on_role_change(account, region, cluster, addon, old, new)`` is
  called, and the sandbox uses it to set or remove the
  ``eks.amazonaws.com/role-arn`` annotation of ``kube-system/aws-node`` on
  the real API server, as the add-on manager would.
"""

from __future__ import annotations

import json
import threading
import uuid

import yaml

import moto_eks_common as common

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.eks import urls as eks_urls
from moto.eks.responses import EKSResponse

# The service account each supported add-on runs as (what on_role_change is told).
ADDON_SERVICE_ACCOUNTS = {
    "vpc-cni": ("kube-system", "aws-node"),
}
K8S_VERSIONS = ("1.28", "1.29", "1.30", "1.31", "1.32", "1.33", "1.34", "1.35")


def _k8s(first, last):
    return tuple(v for v in K8S_VERSIONS if _minor(first) <= _minor(v) <= _minor(last))


def _minor(version):
    return tuple(int(p) for p in version.split("."))


# name: type, publisher/owner, and versions newest first as
# (version, Kubernetes versions it runs on, Kubernetes versions it is the default for).
CATALOG = {
    "vpc-cni": ("networking", "eks", [
        ("v1.21.1-eksbuild.1", _k8s("1.29", "1.35"), ()),
        ("v1.20.4-eksbuild.1", _k8s("1.28", "1.35"), _k8s("1.31", "1.35")),
        ("v1.19.6-eksbuild.1", _k8s("1.28", "1.33"), _k8s("1.28", "1.30")),
        ("v1.15.5-eksbuild.1", _k8s("1.28", "1.28"), ()),
        ("v1.15.4-eksbuild.3", _k8s("1.28", "1.28"), ()),
        ("v1.15.4-eksbuild.1", _k8s("1.28", "1.28"), ()),
        ("v1.12.0-eksbuild.1", (), ()),
    ]),
    "eks-pod-identity-agent": ("security", "eks", [
        ("v1.3.9-eksbuild.1", _k8s("1.30", "1.35"), ()),
        ("v1.3.8-eksbuild.2", _k8s("1.28", "1.35"), _k8s("1.28", "1.35")),
        ("v1.3.4-eksbuild.1", _k8s("1.28", "1.33"), ()),
    ]),
    "aws-ebs-csi-driver": ("storage", "eks", [
        ("v1.53.0-eksbuild.1", _k8s("1.30", "1.35"), ()),
        ("v1.52.1-eksbuild.1", _k8s("1.28", "1.35"), _k8s("1.28", "1.35")),
        ("v1.45.0-eksbuild.2", _k8s("1.28", "1.33"), ()),
    ]),
    "aws-efs-csi-driver": ("storage", "eks", [
        ("v2.1.15-eksbuild.1", _k8s("1.29", "1.35"), _k8s("1.29", "1.35")),
        ("v2.1.8-eksbuild.1", _k8s("1.28", "1.33"), _k8s("1.28", "1.28")),
    ]),
    "coredns": ("networking", "eks", [
        ("v1.12.4-eksbuild.1", _k8s("1.33", "1.35"), _k8s("1.33", "1.35")),
        ("v1.11.4-eksbuild.24", _k8s("1.28", "1.32"), _k8s("1.28", "1.32")),
    ]),
    "kube-proxy": ("networking", "eks", [
        ("v1.34.1-eksbuild.2", _k8s("1.34", "1.34"), _k8s("1.34", "1.34")),
        ("v1.33.5-eksbuild.2", _k8s("1.33", "1.33"), _k8s("1.33", "1.33")),
    ]),
}


def catalog_versions(name):
    return [v for v, _k, _d in CATALOG[name][2]] if name in CATALOG else []


def default_version(name, k8s_version):
    """The default version of add-on ``name`` for a Kubernetes version, or None."""
    for version, _compatible, default_for in CATALOG.get(name, ("", "", []))[2]:
        if k8s_version in default_for:
            return version
    return None


def _addon_info(name, k8s_version):
    kind, publisher, versions = CATALOG[name]
    infos = []
    for version, compatible, default_for in versions:
        if k8s_version and k8s_version not in compatible:
            continue
        infos.append({
            "addonVersion": version, "architecture": ["amd64", "arm64"], "computeTypes": ["ec2"],
            "compatibilities": [{"clusterVersion": k, "platformVersions": ["*"], "defaultVersion": k in default_for}
                                for k in compatible if not k8s_version or k == k8s_version],
            "requiresConfiguration": False, "requiresIamPermissions": name in REQUIRES_IAM,
        })
    return {"addonName": name, "type": kind, "addonVersions": infos, "publisher": publisher, "owner": "aws",
            "defaultNamespace": "kube-system"}


REQUIRES_IAM = ("vpc-cni", "aws-ebs-csi-driver", "aws-efs-csi-driver")

_LOCK = threading.Lock()
_ADDONS = {}    # (account, region, cluster) -> {addon name: addon dict}
_UPDATES = {}   # (account, region, cluster, update id) -> update dict
_HOOK = {"on_role_change": None}


def _cluster(response, name):
    return common.cluster_of(response, name)


def _key(response, cluster):
    return (response.current_account, response.region, cluster)


def _addon(response, cluster, name):
    _cluster(response, cluster)
    addon = _ADDONS.get(_key(response, cluster), {}).get(name)
    if addon is None:
        raise common.eks_error("ResourceNotFoundException", "No addon: %s found in cluster: %s" % (name, cluster),
                               clusterName=cluster, addonName=name)
    return addon


def _role_changed(response, cluster, name, old, new):
    hook = _HOOK["on_role_change"]
    if hook is not None and old != new:
        hook(response.current_account, response.region, cluster, name, old, new)


def create_version(cluster, name, wanted, k8s_version):
    """The version CreateAddon installs: ``wanted`` when EKS offers it for the cluster, else the default."""
    if name not in CATALOG:
        raise common.eks_error("InvalidParameterException", "Addon %s specified is not supported" % name,
                               clusterName=cluster, addonName=name)
    if not wanted:
        version = default_version(name, k8s_version)
        if version is None:
            raise common.eks_error("InvalidParameterException",
                                   "Addon %s has no version for Kubernetes %s" % (name, k8s_version),
                                   clusterName=cluster, addonName=name)
        return version
    for version, compatible, _default in CATALOG[name][2]:
        if version == wanted:
            if k8s_version not in compatible:
                raise common.eks_error("InvalidParameterException", "Addon version %s of %s is not supported on "
                                       "Kubernetes %s" % (wanted, name, k8s_version),
                                       clusterName=cluster, addonName=name)
            return version
    raise common.eks_error("InvalidParameterException",
                           "Addon version %s specified is not supported for %s." % (wanted, name),
                           clusterName=cluster, addonName=name)


def _configuration(text, cluster, name):
    """configurationValues as stored: the text given, once it parses as a JSON or YAML object ("" for none)."""
    if text in (None, ""):
        return ""
    try:
        data = json.loads(text)
    except ValueError:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            data = None
    if not isinstance(data, dict):
        raise common.eks_error("InvalidParameterException", "ConfigurationValue provided in request is not supported: "
                               "it must be a JSON or YAML object", clusterName=cluster, addonName=name)
    return text


def describe_addon_versions(self):
    name = self._get_param("addonName")
    k8s_version = self._get_param("kubernetesVersion")
    query = getattr(self, "querystring", None) or {}

    def wanted(field, value):
        chosen = [v for v in (query.get(field) or []) if v]
        return not chosen or value in chosen

    infos = []
    for addon in sorted(CATALOG):
        if name and addon != name:
            continue
        info = _addon_info(addon, k8s_version)
        if not info["addonVersions"] or not wanted("types", info["type"]) \
                or not wanted("publishers", info["publisher"]) or not wanted("owners", info["owner"]):
            continue
        infos.append(info)
    return common.paged("addons", infos, self)


def list_addons(self):
    cluster = self._get_param("name")
    _cluster(self, cluster)
    with _LOCK:
        names = sorted(_ADDONS.get(_key(self, cluster), {}))
    return ActionResult({"addons": names})


def describe_addon(self):
    cluster = self._get_param("name")
    name = self._get_param("addonName")
    with _LOCK:
        addon = dict(_addon(self, cluster, name))
    return ActionResult({"addon": addon})  # CREATING only in CreateAddon's answer: ACTIVE from here on


def create_addon(self):
    cluster = self._get_param("name")
    name = self._get_param("addonName")
    k8s_version = _cluster(self, cluster).version
    role = self._get_param("serviceAccountRoleArn")
    version = create_version(cluster, name, self._get_param("addonVersion"), k8s_version)
    configuration = _configuration(self._get_param("configurationValues"), cluster, name)
    now = utcnow()
    with _LOCK:
        addons = _ADDONS.setdefault(_key(self, cluster), {})
        if name in addons:
            raise common.eks_error("ResourceInUseException",
                                   "Addon already exists.", clusterName=cluster, addonName=name)
        addon = {
            "addonName": name,
            "clusterName": cluster,
            "status": "ACTIVE",
            "addonVersion": version,
            "health": {"issues": []},
            "addonArn": "arn:aws:eks:%s:%s:addon/%s/%s/%s" % (
                self.region, self.current_account, cluster, name, uuid.uuid4()),
            "createdAt": now,
            "modifiedAt": now,
            "tags": self._get_param("tags") or {},
        }
        if role:
            addon["serviceAccountRoleArn"] = role
        if configuration:
            addon["configurationValues"] = configuration
        addons[name] = addon
        result = dict(addon, status="CREATING")
    _role_changed(self, cluster, name, None, role)
    return ActionResult({"addon": result})


def update_addon(self):
    cluster = self._get_param("name")
    name = self._get_param("addonName")
    role = self._get_param("serviceAccountRoleArn")
    version = self._get_param("addonVersion")
    resolve = self._get_param("resolveConflicts")
    if resolve is not None and resolve not in ("OVERWRITE", "NONE", "PRESERVE"):
        raise common.eks_error("InvalidParameterException", "resolveConflicts must be OVERWRITE, NONE or PRESERVE",
                               clusterName=cluster, addonName=name)
    if version and name in CATALOG and version not in catalog_versions(name):
        raise common.eks_error("InvalidParameterException",
                               "Addon version %s specified is not supported for %s." % (version, name),
                               clusterName=cluster, addonName=name)
    configuration = self._get_param("configurationValues")
    if configuration is not None:
        configuration = _configuration(configuration, cluster, name)
    now = utcnow()
    with _LOCK:
        addon = _addon(self, cluster, name)
        old = addon.get("serviceAccountRoleArn")
        params = []
        if configuration is not None:
            if configuration:
                addon["configurationValues"] = configuration
            else:
                addon.pop("configurationValues", None)
            params.append({"type": "ConfigurationValues", "value": configuration})
        if version:
            addon["addonVersion"] = version
            params.append({"type": "AddonVersion", "value": version})
        if role:
            addon["serviceAccountRoleArn"] = role
            params.append({"type": "ServiceAccountRoleArn", "value": role})
        else:
            addon.pop("serviceAccountRoleArn", None)
        if resolve:
            params.append({"type": "ResolveConflicts", "value": resolve})
        addon["modifiedAt"] = now
        update = {"id": str(uuid.uuid4()), "status": "InProgress", "type": "AddonUpdate", "params": params,
                  "createdAt": now, "errors": []}
        _UPDATES[_key(self, cluster) + (update["id"],)] = dict(update, addonName=name)
    _role_changed(self, cluster, name, old, role)
    return ActionResult({"update": update})


def delete_addon(self):
    cluster = self._get_param("name")
    name = self._get_param("addonName")
    with _LOCK:
        addon = _addon(self, cluster, name)
        del _ADDONS[_key(self, cluster)][name]
    result = dict(addon, status="DELETING")
    return ActionResult({"addon": result})


_original_describe_update = getattr(EKSResponse, "describe_update", None)


def describe_update(self):
    cluster = self._get_param("name")
    update_id = self._get_param("updateId")
    addon_name = self._get_param("addonName")
    with _LOCK:
        update = _UPDATES.get(_key(self, cluster) + (update_id,))
        if update is not None and update["addonName"] == addon_name:
            update["status"] = "Successful"  # the simulated add-on manager applies updates at once
            result = dict((k, v) for k, v in update.items() if k != "addonName")
            return ActionResult({"update": result})
    if _original_describe_update is not None and not addon_name:
        return _original_describe_update(self)
    _cluster(self, cluster)
    raise common.eks_error("ResourceNotFoundException", "No update found for ID: %s" % update_id,
                           clusterName=cluster, addonName=addon_name)


_PATHS = {
    "{0}/clusters/(?P<name>[^/]+)/addons$": EKSResponse.dispatch,
    "{0}/clusters/(?P<name>[^/]+)/addons/(?P<addonName>[^/]+)$": EKSResponse.dispatch,
    "{0}/clusters/(?P<name>[^/]+)/addons/(?P<addonName>[^/]+)/update$": EKSResponse.dispatch,
    "{0}/clusters/(?P<name>[^/]+)/updates/(?P<updateId>[^/]+)$": EKSResponse.dispatch,
    "{0}/addons/supported-versions$": EKSResponse.dispatch,
}


def install(on_role_change=None):
    """Register the add-on calls with moto's EKS service; call before the server starts."""
    for name, func in (("list_addons", list_addons), ("describe_addon", describe_addon),
                       ("create_addon", create_addon), ("update_addon", update_addon),
                       ("delete_addon", delete_addon), ("describe_update", describe_update),
                       ("describe_addon_versions", describe_addon_versions)):
        setattr(EKSResponse, name, func)
    for path, handler in _PATHS.items():
        eks_urls.url_paths.setdefault(path, handler)
    _HOOK["on_role_change"] = on_role_change
