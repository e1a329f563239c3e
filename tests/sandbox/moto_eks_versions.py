# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""EKS ``DescribeClusterVersions`` for moto, which answers it with 404.

``install()`` adds ``GET /cluster-versions`` to moto's EKS service.  eksctl
calls it when it starts (to learn which Kubernetes versions it may offer), so
without it eksctl cannot run against the sandbox at all.

What it models of EKS:

* the catalog is EKS's published release calendar (``CATALOG``), one entry
  per minor version, type ``eks``; a version's support status follows from
  its dates and today's date: ``STANDARD_SUPPORT`` until the end of standard
  support, ``EXTENDED_SUPPORT`` until the end of extended support, then
  ``UNSUPPORTED``;
* the Kubernetes version of every cluster in moto's backend is in the
  catalog (the sandbox's clusters run 1.34, whose patch version is the one
  of the sandbox's API server); one version is the default
  (``DEFAULT_VERSION``);
* without filters the answer lists the versions clusters can be created on
  (standard and extended support); ``includeAll`` adds the unsupported ones;
  ``versionStatus`` (or the deprecated ``status``, which takes the
  lower-case spelling) keeps one status, whatever ``includeAll`` says;
  ``clusterVersions`` keeps the versions named, ``clusterType`` the type
  named, ``defaultOnly`` the default version;
* newest first, paged by ``maxResults`` (1-100) and ``nextToken``; bad
  values are refused with ``InvalidParameterException``;
* each entry's ``status`` repeats ``versionStatus`` in its upper-case
  spelling: EKS answers that way although the request's ``status`` enum is
  lower-case (the reason EKS deprecated that field), and eksctl compares
  ``status`` with ``"UNSUPPORTED"``.
"""

from __future__ import annotations

import datetime

from moto.eks.responses import EKSResponse

from moto_eks_common import eks_error, paged, register

CLUSTER_TYPE = "eks"
DEFAULT_VERSION = "1.34"

# version: (released, end of standard support, end of extended support, default platform version,
#           Kubernetes patch version).  Dates from EKS's release calendar; platform and patch versions
#           as published early in 2026 (1.34's patch version is the sandbox API server's, versions.sh).
CATALOG = {
    "1.28": ("2023-09-26", "2024-11-26", "2025-11-26", "eks.49", "1.28.15"),
    "1.29": ("2024-01-23", "2025-03-23", "2026-03-23", "eks.61", "1.29.15"),
    "1.30": ("2024-05-23", "2025-07-23", "2026-07-23", "eks.58", "1.30.14"),
    "1.31": ("2024-09-26", "2025-11-26", "2026-11-26", "eks.50", "1.31.14"),
    "1.32": ("2025-01-23", "2026-03-23", "2027-03-23", "eks.34", "1.32.11"),
    "1.33": ("2025-05-29", "2026-07-29", "2027-07-29", "eks.27", "1.33.7"),
    "1.34": ("2025-10-02", "2026-12-02", "2027-12-02", "eks.13", "1.34.4"),
    "1.35": ("2026-01-27", "2027-03-27", "2028-03-27", "eks.3", "1.35.0"),
}

VERSION_STATUSES = ("UNSUPPORTED", "STANDARD_SUPPORT", "EXTENDED_SUPPORT")
# the deprecated request field ``status`` spells them this way
LEGACY_STATUSES = {"unsupported": "UNSUPPORTED", "standard-support": "STANDARD_SUPPORT",
                   "extended-support": "EXTENDED_SUPPORT"}


def _date(text):
    return datetime.datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=datetime.timezone.utc)


def version_status(version, now):
    """EKS's support status of catalogued ``version`` at ``now`` (an aware datetime)."""
    _released, end_standard, end_extended = CATALOG[version][:3]
    if now < _date(end_standard):
        return "STANDARD_SUPPORT"
    if now < _date(end_extended):
        return "EXTENDED_SUPPORT"
    return "UNSUPPORTED"


def entry(version, now):
    released, end_standard, end_extended, platform, patch = CATALOG[version]
    status = version_status(version, now)
    return {
        "clusterVersion": version,
        "clusterType": CLUSTER_TYPE,
        "defaultPlatformVersion": platform,
        "defaultVersion": version == DEFAULT_VERSION,
        "releaseDate": _date(released),
        "endOfStandardSupportDate": _date(end_standard),
        "endOfExtendedSupportDate": _date(end_extended),
        "status": status,
        "versionStatus": status,
        "kubernetesPatchVersion": patch,
    }


def _minor_key(version):
    return tuple(int(part) for part in version.split("."))


def _flag(response, name):
    value = response._get_param(name)
    if value in (None, ""):
        return False
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text not in ("true", "false"):
        raise eks_error("InvalidParameterException", "%s must be true or false." % name)
    return text == "true"


def _wanted_status(response):
    wanted = response._get_param("versionStatus")
    legacy = response._get_param("status")
    if wanted and wanted not in VERSION_STATUSES:
        raise eks_error("InvalidParameterException", "versionStatus must be one of %s." % ", ".join(VERSION_STATUSES))
    if legacy:
        if legacy not in LEGACY_STATUSES:
            raise eks_error("InvalidParameterException", "status must be one of %s." % ", ".join(LEGACY_STATUSES))
        if wanted and LEGACY_STATUSES[legacy] != wanted:
            raise eks_error("InvalidParameterException", "status and versionStatus name different statuses.")
        wanted = LEGACY_STATUSES[legacy]
    return wanted


def _wanted_versions(response):
    """clusterVersions: repeated in the query string (clusterVersions=1.33&clusterVersions=1.34)."""
    names = (getattr(response, "querystring", None) or {}).get("clusterVersions")
    if names is None:
        names = response._get_param("clusterVersions")
    if isinstance(names, str):
        names = [names]
    return [n for n in (names or []) if n]


def cluster_versions(response, now=None):
    """The entries a DescribeClusterVersions request selects, newest first, before paging."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    include_all = _flag(response, "includeAll")
    default_only = _flag(response, "defaultOnly")
    status = _wanted_status(response)
    cluster_type = response._get_param("clusterType")
    names = _wanted_versions(response)
    selected = []
    for version in sorted(CATALOG, key=_minor_key, reverse=True):
        item = entry(version, now)
        if status:
            if item["versionStatus"] != status:
                continue
        elif not include_all and not names and item["versionStatus"] == "UNSUPPORTED":
            continue
        if cluster_type and item["clusterType"] != cluster_type:
            continue
        if names and version not in names:
            continue
        if default_only and not item["defaultVersion"]:
            continue
        selected.append(item)
    return selected


def describe_cluster_versions(self):
    return paged("clusterVersions", cluster_versions(self), self)


def install():
    """Register DescribeClusterVersions with moto's EKS service; call before the server starts."""
    register({"describe_cluster_versions": describe_cluster_versions},
             {"{0}/cluster-versions$": EKSResponse.dispatch})
