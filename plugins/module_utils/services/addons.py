# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""EKS managed add-ons: the one place that reads, creates, updates and deletes an add-on, and waits for it.

Used by eks_addon, the vpc-cni path of vpc_cni_addon / vpc_cni_irsa and the
Pod Identity migration, so there is one UpdateAddon-and-wait. The client
comes from RunContext.aws("eks") (it retries throttling and 5xx).

Waiting: an update is followed with DescribeUpdate until ``Successful``
(``Failed``/``Cancelled`` raise :class:`AddonUpdateFailed`); a create until
DescribeAddon says ``ACTIVE`` (``CREATE_FAILED``/``DEGRADED`` raise); a
delete until DescribeAddon answers ResourceNotFoundException. Past
``timeout`` seconds :class:`AddonWaitTimeout` says a re-run resumes.
"""

from __future__ import annotations

import time
from typing import Callable
from typing import List
from typing import Optional

from ansible_collections.eks.access.plugins.module_utils.clients import aws
from ansible_collections.eks.access.plugins.module_utils.errors import EksAccessError
from ansible_collections.eks.access.plugins.module_utils.errors import NotFound
from ansible_collections.eks.access.plugins.module_utils.services import eks_cluster

DEFAULT_POLL_INTERVAL = 3


class AddonUpdateFailed(EksAccessError):
    """EKS reports the add-on's create or update as failed."""


class AddonWaitTimeout(EksAccessError):
    """The add-on's create, update or delete had not finished within the wait timeout."""


class AddonService:
    """The add-ons of one cluster."""

    def __init__(self, eks, cluster_name: str, poll_interval: float = DEFAULT_POLL_INTERVAL,
                 sleep: Callable[[float], None] = time.sleep):
        self.eks = eks
        self.cluster_name = cluster_name
        self.poll_interval = poll_interval
        self.sleep = sleep

    # ------------------------------------------------------------------ reads

    def names(self) -> List[str]:
        return self.eks.paginate("list_addons", clusterName=self.cluster_name).get("addons", [])

    def describe(self, name: str) -> Optional[dict]:
        """DescribeAddon's ``addon``, or None when the add-on is not installed."""
        try:
            return self.eks.describe_addon(clusterName=self.cluster_name, addonName=name)["addon"]
        except aws.with_code("ResourceNotFoundException"):
            return None

    def versions(self, name: str, kubernetes_version: str) -> List[dict]:
        """DescribeAddonVersions' ``addons`` for one add-on and Kubernetes version (all pages)."""
        return self.eks.paginate("describe_addon_versions", addonName=name,
                                 kubernetesVersion=kubernetes_version).get("addons", [])

    def pod_identity_service_accounts(self, name: str, version: str) -> List[str]:
        """The service accounts DescribeAddonConfiguration's ``podIdentityConfiguration`` names for that version."""
        try:
            answer = self.eks.describe_addon_configuration(addonName=name, addonVersion=version)
        except aws.with_code(("ResourceNotFoundException", "InvalidParameterException")):
            return []  # a version EKS does not describe: no Pod Identity support to rely on
        return [c["serviceAccount"] for c in answer.get("podIdentityConfiguration") or [] if c.get("serviceAccount")]

    # ------------------------------------------------------------------ writes

    def create(self, name: str, request: dict, wait: bool = True, timeout: int = 600) -> dict:
        addon = self.eks.create_addon(clusterName=self.cluster_name, addonName=name, **request)["addon"]
        if wait:
            addon = self.wait_active(name, timeout)
        return addon

    def update(self, name: str, request: dict, wait: bool = True, timeout: int = 600) -> dict:
        """UpdateAddon with ``request``; with ``wait`` the finished update (DescribeUpdate ``Successful``)."""
        update = self.eks.update_addon(clusterName=self.cluster_name, addonName=name, **request)["update"]
        if wait:
            update = self.wait_update(name, update["id"], timeout)
        return update

    def delete(self, name: str, preserve: bool = False, wait: bool = True, timeout: int = 600) -> dict:
        addon = self.eks.delete_addon(clusterName=self.cluster_name, addonName=name, preserve=preserve)["addon"]
        if wait:
            self._poll(lambda: self.describe(name) is None, name, "deletion", timeout)
        return addon

    # ------------------------------------------------------------------ waits

    def _poll(self, done: Callable[[], bool], name: str, what: str, timeout: float):
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() >= deadline:
                raise AddonWaitTimeout("the %s of add-on %s on cluster %s had not finished after %d s; run again to "
                                       "resume" % (what, name, self.cluster_name, timeout))
            self.sleep(self.poll_interval)

    def wait_update(self, name: str, update_id: str, timeout: float) -> dict:
        """The add-on's update once Successful (services/eks_cluster.py's wait, polled every ``poll_interval``)."""

        def failed(update):
            reasons = "; ".join(e.get("errorMessage") or e.get("errorCode") or "?" for e in update.get("errors") or [])
            return AddonUpdateFailed("update %s of add-on %s on cluster %s ended %s: %s; fix the cause and run again"
                                     % (update_id, name, self.cluster_name, update["status"],
                                        reasons or "no error given"))

        return eks_cluster.wait_for_update(
            lambda: self.eks.describe_update(name=self.cluster_name, updateId=update_id, addonName=name)["update"],
            timeout, failed,
            lambda update: AddonWaitTimeout("the update %s of add-on %s on cluster %s had not finished after %d s; run "
                                            "again to resume" % (update_id, name, self.cluster_name, timeout)),
            poll=self.poll_interval, first_delay=self.poll_interval, sleep=self.sleep)

    def wait_active(self, name: str, timeout: float) -> dict:
        found = {}

        def done():
            addon = self.describe(name)
            if addon is None:
                raise NotFound("add-on %s vanished from cluster %s while it was being created; run again"
                               % (name, self.cluster_name))
            found["addon"] = addon
            if addon.get("status") in ("CREATE_FAILED", "DEGRADED", "UPDATE_FAILED"):
                issues = "; ".join(i.get("message") or i.get("code") or "?"
                                   for i in (addon.get("health") or {}).get("issues") or [])
                raise AddonUpdateFailed("add-on %s on cluster %s is %s: %s; fix the cause and run again"
                                        % (name, self.cluster_name, addon["status"], issues or "no issue given"))
            return addon.get("status") == "ACTIVE"

        self._poll(done, name, "creation", timeout)
        return found["addon"]
