# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""EKS managed add-ons as plain data: versions, configuration values, identity, and the plan of one add-on.

Nothing here talks to AWS. What EKS does that the plan follows:

* ``UpdateAddon`` REPLACES ``serviceAccountRoleArn``: an update that leaves it
  out puts the add-on's service account back on the node role, so every
  update repeats the current role unless the task changes it;
* ``podIdentityAssociations`` on ``UpdateAddon`` replaces the add-on's whole
  list (left out: kept; ``[]``: all deleted), so an update that changes them
  sends every association the add-on keeps;
* ``configurationValues`` is JSON or YAML text; two texts that parse to the
  same data are the same configuration;
* ``DescribeAddonVersions`` lists, per version, the Kubernetes versions it
  runs on and whether it is the default there.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from dataclasses import field
from typing import Dict
from typing import List
from typing import Optional

from ansible_collections.eks.access.plugins.module_utils.model import arn as arn_rules
from ansible_collections.eks.access.plugins.module_utils.errors import InvalidInput
from ansible_collections.eks.access.plugins.module_utils.errors import Refused

try:
    import yaml
except ImportError:  # ansible-core requires PyYAML; kept optional for the pure unit tests' sake
    yaml = None

LATEST = "latest"
DEFAULT = "default"
RESOLVE_CONFLICTS = ("OVERWRITE", "NONE", "PRESERVE")
_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-eksbuild\.(\d+))?$")


# --------------------------------------------------------------------------- versions

def version_key(version: str):
    """Sort key of an add-on version (``v1.20.4-eksbuild.1``); unknown shapes sort first."""
    match = _VERSION_RE.match(version or "")
    if not match:
        return (-1,)
    return tuple(int(g or 0) for g in match.groups())


def compatible_versions(addon_infos: List[dict], name: str, k8s_version: str) -> List[dict]:
    """``[{"version", "default"}]`` of add-on ``name`` on Kubernetes ``k8s_version``, newest first."""
    found = []
    for info in addon_infos or []:
        if info.get("addonName") != name:
            continue
        for version in info.get("addonVersions") or []:
            for compatibility in version.get("compatibilities") or []:
                if compatibility.get("clusterVersion") == k8s_version:
                    found.append({"version": version["addonVersion"],
                                  "default": bool(compatibility.get("defaultVersion"))})
                    break
    return sorted(found, key=lambda v: version_key(v["version"]), reverse=True)


def resolve_version(wanted: Optional[str], name: str, k8s_version: str, addon_infos: List[dict]) -> Optional[str]:
    """The version to install: ``latest``, ``default`` or an explicit one, checked against DescribeAddonVersions.

    None stays None (leave the version as it is; on create, the default).
    """
    if not wanted:
        return None
    versions = compatible_versions(addon_infos, name, k8s_version)
    if not versions:
        raise InvalidInput("EKS offers no version of add-on %s for Kubernetes %s (DescribeAddonVersions); check the "
                           "add-on name" % (name, k8s_version))
    if wanted == LATEST:
        return versions[0]["version"]
    if wanted == DEFAULT:
        defaults = [v["version"] for v in versions if v["default"]]
        return defaults[0] if defaults else versions[0]["version"]
    if wanted not in [v["version"] for v in versions]:
        raise InvalidInput("add-on %s has no version %s for Kubernetes %s; give one of %s, or latest or default"
                           % (name, wanted, k8s_version, ", ".join(v["version"] for v in versions[:5])))
    return wanted


# --------------------------------------------------------------------------- configuration values

def parse_configuration(value, what="configuration_values"):
    """Configuration values as data (a dict): from a dict, or JSON or YAML text; None stays None, "" is {}."""
    if value is None:
        return None
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        raise InvalidInput("%s must be a dict or JSON/YAML text, got %s" % (what, type(value).__name__))
    if not value.strip():
        return {}
    try:
        data = json.loads(value)
    except ValueError:
        if yaml is None:
            raise InvalidInput("%s is not JSON; give it as a dict" % what)
        try:
            data = yaml.safe_load(value)
        except yaml.YAMLError as e:
            raise InvalidInput("%s is neither JSON nor YAML (%s); give a dict or fix the text"
                               % (what, str(e).splitlines()[0]))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidInput("%s must be an object (a dict of settings), got a %s" % (what, type(data).__name__))
    return data


def render_configuration(data: dict) -> str:
    """The text sent to EKS for configuration values (JSON, keys sorted)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":")) if data else ""


# --------------------------------------------------------------------------- identity

@dataclass(frozen=True)
class AddonAssociation:
    service_account: str
    role_arn: str


def check_role_arn(value: str, what: str, partition: Optional[str] = None):
    """InvalidInput (one sentence) unless ``value`` is an IAM role ARN of ``partition``."""
    try:
        parsed = arn_rules.require_role_arn(value)
    except arn_rules.ArnError as e:
        raise InvalidInput("%s %s" % (what, e))
    if partition and parsed.partition != partition:
        raise InvalidInput("%s %s is not in the cluster's partition %s" % (what, value, partition))
    return parsed


def parse_associations(items, partition: Optional[str] = None, account: Optional[str] = None
                       ) -> Optional[List[AddonAssociation]]:
    """The task's ``pod_identity_associations``; None when not given (the add-on's are left as they are)."""
    if items is None:
        return None
    result, seen = [], set()
    for index, item in enumerate(items):
        where = "pod_identity_associations[%d]" % index
        if not isinstance(item, dict) or not item.get("service_account") or not item.get("role_arn"):
            raise InvalidInput("%s needs service_account and role_arn" % where)
        parsed = check_role_arn(item["role_arn"], "%s: role_arn" % where, partition)
        if account and parsed.account_id != account:
            raise InvalidInput("%s: role %s is in account %s, the cluster in %s; EKS Pod Identity needs a role of the "
                               "cluster's account" % (where, item["role_arn"], parsed.account_id, account))
        if item["service_account"] in seen:
            raise InvalidInput("%s: service account %s is listed twice" % (where, item["service_account"]))
        seen.add(item["service_account"])
        result.append(AddonAssociation(item["service_account"], item["role_arn"]))
    return result


def unsupported_service_accounts(wanted: List[AddonAssociation], supported: List[str]) -> List[str]:
    """The listed service accounts the add-on version's podIdentityConfiguration does not name."""
    return [a.service_account for a in wanted or [] if a.service_account not in supported]


def unsupported_refusal(name: str, version: str, unsupported: List[str], supported: List[str]) -> Refused:
    return Refused(
        "add-on %s %s lists no podIdentityConfiguration for service account(s) %s (DescribeAddonConfiguration%s); "
        "give it a role with service_account_role_arn (IRSA) instead, or choose a version that supports Pod Identity"
        % (name, version, ", ".join(unsupported),
           ": it supports %s" % ", ".join(supported) if supported else ": it supports none"))


# --------------------------------------------------------------------------- the plan

@dataclass
class Wanted:
    name: str
    state: str = "present"
    version: Optional[str] = None               # resolved; None: as it is (the default on create)
    configuration: Optional[dict] = None        # None: as it is
    service_account_role_arn: Optional[str] = None  # None: as it is; "": removed
    associations: Optional[List[AddonAssociation]] = None  # None: as they are
    purge_associations: bool = False
    resolve_conflicts: Optional[str] = None
    preserve: bool = False
    tags: Optional[Dict[str, str]] = None


@dataclass
class Plan:
    action: str                      # create | update | delete | none
    request: Dict[str, object] = field(default_factory=dict)
    before: Optional[dict] = None
    after: Optional[dict] = None
    changes: List[str] = field(default_factory=list)


def view(addon: Optional[dict], associations: Dict[str, str]) -> Optional[dict]:
    """The module's shape of an add-on (DescribeAddon) with its associations ({service account: role})."""
    if addon is None:
        return None
    return {
        "name": addon.get("addonName"),
        "version": addon.get("addonVersion"),
        "status": addon.get("status"),
        "arn": addon.get("addonArn"),
        "configuration_values": parse_configuration(addon.get("configurationValues") or "") or {},
        "service_account_role_arn": addon.get("serviceAccountRoleArn"),
        "pod_identity_associations": [{"service_account": sa, "role_arn": role}
                                      for sa, role in sorted(associations.items())],
        "tags": dict(addon.get("tags") or {}),
    }


def final_associations(current: Dict[str, str], wanted: Optional[List[AddonAssociation]], purge: bool
                       ) -> Dict[str, str]:
    """{service account: role} the add-on should own: the listed ones, plus the unlisted ones unless purged."""
    if wanted is None:
        return dict(current)
    result = {} if purge else dict(current)
    result.update({a.service_account: a.role_arn for a in wanted})
    return result


def plan(wanted: Wanted, addon: Optional[dict], current_associations: Dict[str, str],
         default_version: Optional[str] = None) -> Plan:
    """What to send so the add-on is as wanted: CreateAddon, UpdateAddon, DeleteAddon or nothing.

    ``current_associations``: {service account: role} of the associations the
    add-on owns. ``default_version``: what EKS installs when no version is given
    (for the diff of a create).
    """
    before = view(addon, current_associations)
    if wanted.state == "absent":
        if addon is None:
            return Plan("none", before=None, after=None)
        request = {"preserve": True} if wanted.preserve else {}
        return Plan("delete", request, before, None, ["deleted"])

    associations = final_associations(current_associations, wanted.associations, wanted.purge_associations)
    if addon is None:
        request = {}
        version = wanted.version or default_version
        if version:
            request["addonVersion"] = version
        if wanted.configuration:
            request["configurationValues"] = render_configuration(wanted.configuration)
        if wanted.service_account_role_arn:
            request["serviceAccountRoleArn"] = wanted.service_account_role_arn
        if associations:
            request["podIdentityAssociations"] = [{"serviceAccount": sa, "roleArn": role}
                                                  for sa, role in sorted(associations.items())]
        if wanted.resolve_conflicts:
            request["resolveConflicts"] = wanted.resolve_conflicts
        if wanted.tags:
            request["tags"] = dict(wanted.tags)
        after = {
            "name": wanted.name, "version": version, "status": "ACTIVE", "arn": None,
            "configuration_values": wanted.configuration or {},
            "service_account_role_arn": wanted.service_account_role_arn or None,
            "pod_identity_associations": [{"service_account": sa, "role_arn": role}
                                          for sa, role in sorted(associations.items())],
            "tags": dict(wanted.tags or {}),
        }
        return Plan("create", request, None, after, ["created"])

    request, changes = {}, []
    after = dict(before)
    if wanted.version and wanted.version != addon.get("addonVersion"):
        if version_key(wanted.version) < version_key(addon.get("addonVersion")):
            raise Refused("add-on %s is at %s, newer than %s; EKS does not downgrade add-ons, so remove and "
                          "re-create it to go back" % (wanted.name, addon.get("addonVersion"), wanted.version))
        request["addonVersion"] = wanted.version
        after["version"] = wanted.version
        changes.append("version")
    if wanted.configuration is not None and wanted.configuration != before["configuration_values"]:
        request["configurationValues"] = render_configuration(wanted.configuration) or "{}"
        after["configuration_values"] = wanted.configuration
        changes.append("configuration_values")
    role = addon.get("serviceAccountRoleArn")
    wanted_role = role if wanted.service_account_role_arn is None else (wanted.service_account_role_arn or None)
    if wanted_role != role:
        after["service_account_role_arn"] = wanted_role
        changes.append("service_account_role_arn")
    if associations != current_associations:
        request["podIdentityAssociations"] = [{"serviceAccount": sa, "roleArn": r}
                                              for sa, r in sorted(associations.items())]
        after["pod_identity_associations"] = [{"service_account": sa, "role_arn": r}
                                              for sa, r in sorted(associations.items())]
        changes.append("pod_identity_associations")
    if not changes:
        return Plan("none", before=before, after=before)
    if wanted_role:
        request["serviceAccountRoleArn"] = wanted_role  # UpdateAddon replaces it: always repeat the one kept
    if wanted.resolve_conflicts:
        request["resolveConflicts"] = wanted.resolve_conflicts
    return Plan("update", request, before, after, changes)


def owned_associations(associations, addon_arn: Optional[str]) -> Dict[str, str]:
    """{service account: role} of the associations (model.pod_identity.Current) the add-on owns."""
    if not addon_arn:
        return {}
    return {a.service_account: a.role_arn for a in associations if a.owner_arn == addon_arn}
