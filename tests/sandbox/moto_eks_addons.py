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

Requests are parsed and answers serialised by moto with botocore's EKS
model, so boto3 sees the real API's shapes and error codes
(``ResourceNotFoundException`` for an unknown cluster or add-on,
``ResourceInUseException`` for a second CreateAddon).

What the extension models of EKS's behaviour, and nothing more:

* an add-on is ``ACTIVE`` as soon as it is created or updated; UpdateAddon
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

import threading
import uuid

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.eks import urls as eks_urls
from moto.eks.exceptions import InvalidParameterException
from moto.eks.exceptions import ResourceInUseException
from moto.eks.exceptions import ResourceNotFoundException
from moto.eks.responses import EKSResponse

# The service account each supported add-on runs as (what on_role_change is told).
ADDON_SERVICE_ACCOUNTS = {
    "vpc-cni": ("kube-system", "aws-node"),
}
DEFAULT_VERSIONS = {"vpc-cni": "v1.20.4-eksbuild.1"}

_LOCK = threading.Lock()
_ADDONS = {}    # (account, region, cluster) -> {addon name: addon dict}
_UPDATES = {}   # (account, region, cluster, update id) -> update dict
_HOOK = {"on_role_change": None}


def _error(cls, message, **ids):
    fields = dict(clusterName=None, nodegroupName=None, fargateProfileName=None, addonName=None)
    fields.update(ids)
    return cls(message=message, **fields)


def _cluster(response, name):
    backend = response.eks_backend
    if name not in backend.clusters:
        raise _error(ResourceNotFoundException, "No cluster found for name: %s." % name, clusterName=name)
    return backend.clusters[name]


def _key(response, cluster):
    return (response.current_account, response.region, cluster)


def _addon(response, cluster, name):
    _cluster(response, cluster)
    addon = _ADDONS.get(_key(response, cluster), {}).get(name)
    if addon is None:
        raise _error(ResourceNotFoundException, "No addon: %s found in cluster: %s" % (name, cluster),
                     clusterName=cluster, addonName=name)
    return addon


def _role_changed(response, cluster, name, old, new):
    hook = _HOOK["on_role_change"]
    if hook is not None and old != new:
        hook(response.current_account, response.region, cluster, name, old, new)


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
    return ActionResult({"addon": addon})


def create_addon(self):
    cluster = self._get_param("name")
    name = self._get_param("addonName")
    _cluster(self, cluster)
    role = self._get_param("serviceAccountRoleArn")
    now = utcnow()
    with _LOCK:
        addons = _ADDONS.setdefault(_key(self, cluster), {})
        if name in addons:
            raise _error(ResourceInUseException, "Addon already exists.", clusterName=cluster, addonName=name)
        addon = {
            "addonName": name,
            "clusterName": cluster,
            "status": "ACTIVE",
            "addonVersion": self._get_param("addonVersion") or DEFAULT_VERSIONS.get(name, "v1.0.0-eksbuild.1"),
            "health": {"issues": []},
            "addonArn": "arn:aws:eks:%s:%s:addon/%s/%s/%s" % (
                self.region, self.current_account, cluster, name, uuid.uuid4()),
            "createdAt": now,
            "modifiedAt": now,
            "tags": self._get_param("tags") or {},
        }
        if role:
            addon["serviceAccountRoleArn"] = role
        if self._get_param("configurationValues"):
            addon["configurationValues"] = self._get_param("configurationValues")
        addons[name] = addon
        result = dict(addon)
    _role_changed(self, cluster, name, None, role)
    return ActionResult({"addon": result})


def update_addon(self):
    cluster = self._get_param("name")
    name = self._get_param("addonName")
    role = self._get_param("serviceAccountRoleArn")
    version = self._get_param("addonVersion")
    resolve = self._get_param("resolveConflicts")
    if resolve is not None and resolve not in ("OVERWRITE", "NONE", "PRESERVE"):
        raise _error(InvalidParameterException, "resolveConflicts must be OVERWRITE, NONE or PRESERVE",
                     clusterName=cluster, addonName=name)
    now = utcnow()
    with _LOCK:
        addon = _addon(self, cluster, name)
        old = addon.get("serviceAccountRoleArn")
        params = []
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
    raise _error(ResourceNotFoundException, "No update found for ID: %s" % update_id,
                 clusterName=cluster, addonName=addon_name)


_PATHS = {
    "{0}/clusters/(?P<name>[^/]+)/addons$": EKSResponse.dispatch,
    "{0}/clusters/(?P<name>[^/]+)/addons/(?P<addonName>[^/]+)$": EKSResponse.dispatch,
    "{0}/clusters/(?P<name>[^/]+)/addons/(?P<addonName>[^/]+)/update$": EKSResponse.dispatch,
    "{0}/clusters/(?P<name>[^/]+)/updates/(?P<updateId>[^/]+)$": EKSResponse.dispatch,
}


def install(on_role_change=None):
    """Register the add-on calls with moto's EKS service; call before the server starts."""
    for name, func in (("list_addons", list_addons), ("describe_addon", describe_addon),
                       ("create_addon", create_addon), ("update_addon", update_addon),
                       ("delete_addon", delete_addon), ("describe_update", describe_update)):
        setattr(EKSResponse, name, func)
    for path, handler in _PATHS.items():
        eks_urls.url_paths.setdefault(path, handler)
    _HOOK["on_role_change"] = on_role_change
