# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Kubernetes ``coordination.k8s.io/v1`` Lease that runs hold to exclude each other.

Runs that change one cluster's CNI credentials (a migration, a rollback)
hold the Lease ``kube-system/eks-access-vpc-cni`` for their whole run:
several module processes of one playbook share it through the holder
identity the playbook gives them.  Every write is guarded by the object's
``resourceVersion``, so of two runs racing for it exactly one wins; a lease
not renewed within its duration (a killed run) may be taken over.

Times are the writer's clock in UTC (``renewTime`` is a MicroTime), as
client-go's leader election does; machines whose clocks drift by more than a
lease duration can take a live lease over too early.
"""

from __future__ import annotations

import datetime
import time

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.clients import kube

CNI_LEASE_NAMESPACE = "kube-system"
CNI_LEASE_NAME = "eks-access-vpc-cni"
DEFAULT_DURATION = 120
_MICRO_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


class LeaseHeld(errors.Refused):
    """Another run holds the lease and it has not expired."""


class LeaseLost(errors.Conflict):
    """The run no longer holds the lease it was given (taken over after it expired, or released)."""


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def format_time(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).strftime(_MICRO_TIME)


def parse_time(text):
    """A MicroTime (or an RFC 3339 time without fraction) as an aware datetime; None when absent."""
    if not text:
        return None
    for layout in (_MICRO_TIME, "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.datetime.strptime(text, layout).replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            continue
    return None


def expires_at(lease):
    """When the lease ends unless renewed; None for a lease nobody holds."""
    spec = (lease or {}).get("spec") or {}
    if not spec.get("holderIdentity"):
        return None
    renewed = parse_time(spec.get("renewTime")) or parse_time(spec.get("acquireTime"))
    if renewed is None:
        return None
    return renewed + datetime.timedelta(seconds=int(spec.get("leaseDurationSeconds") or 0))


def holder_of(lease, now):
    """The identity holding ``lease`` at ``now``; None when it is free or expired."""
    spec = (lease or {}).get("spec") or {}
    holder = spec.get("holderIdentity")
    if not holder:
        return None
    end = expires_at(lease)
    if end is None or end <= now:
        return None
    return holder


class CniLease:
    """The lease one run holds on the cluster's CNI credentials, as ``holder``."""

    def __init__(self, api, holder: str, duration: int = DEFAULT_DURATION, name: str = CNI_LEASE_NAME,
                 namespace: str = CNI_LEASE_NAMESPACE, clock=utcnow):
        if not holder or not isinstance(holder, str):
            raise errors.InvalidInput("the lease holder must be a non-empty string naming the run")
        if isinstance(duration, bool) or not isinstance(duration, int) or duration < 5:
            raise errors.InvalidInput("the lease duration must be at least 5 seconds, got %r" % (duration,))
        self.api = api
        self.holder = holder
        self.duration = duration
        self.name = name
        self.namespace = namespace
        self.clock = clock
        self.path = kube.api_path("coordination.k8s.io/v1", "leases", namespace, name)

    def _where(self):
        return "Lease %s/%s" % (self.namespace, self.name)

    def read(self):
        return self.api.get_optional(self.path)

    def _body(self, current, now, transitions):
        body = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": self.name, "namespace": self.namespace},
            "spec": {
                "holderIdentity": self.holder,
                "leaseDurationSeconds": self.duration,
                "acquireTime": format_time(now),
                "renewTime": format_time(now),
                "leaseTransitions": transitions,
            },
        }
        if current is not None:
            body["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
            spec = current.get("spec") or {}
            if spec.get("holderIdentity") == self.holder and spec.get("acquireTime"):
                body["spec"]["acquireTime"] = spec["acquireTime"]
        return body

    def held_message(self, lease):
        spec = lease.get("spec") or {}
        end = expires_at(lease)
        return ("another run holds %s: %s (since %s, renewed %s, expires %s unless renewed); wait for it to finish, "
                "or, if that run is gone, delete the Lease or wait until it expires"
                % (self._where(), spec.get("holderIdentity"), spec.get("acquireTime") or "?",
                   spec.get("renewTime") or "?", format_time(end) if end else "?"))

    def acquire(self, check_mode: bool = False) -> dict:
        """Take the lease, renew it when this holder has it, or take over an expired one.

        Returns ``{"changed", "action", "previous_holder", "expires"}`` with
        action ``create``, ``renew``, ``takeover`` or ``acquire`` (a released
        lease). :class:`LeaseHeld` when another live run holds it. In check mode
        nothing is written; the answer is what would happen.
        """
        for _attempt in range(3):
            now = self.clock()
            current = self.read()
            previous = ((current or {}).get("spec") or {}).get("holderIdentity") or None
            if current is None:
                action, transitions = "create", 0
            else:
                holder = holder_of(current, now)
                transitions = int((current.get("spec") or {}).get("leaseTransitions") or 0)
                if holder == self.holder or previous == self.holder:
                    action = "renew"
                elif holder is not None:
                    raise LeaseHeld(self.held_message(current), lease_holder=holder)
                else:
                    action = "takeover" if previous else "acquire"
                    transitions += 1
            result = {"changed": True, "action": action, "previous_holder": previous if previous != self.holder
                      else None, "expires": format_time(now + datetime.timedelta(seconds=self.duration))}
            if check_mode:
                return result
            body = self._body(current, now, transitions)
            try:
                if current is None:
                    self.api.create(kube.api_path("coordination.k8s.io/v1", "leases", self.namespace), body)
                else:
                    self.api.replace(self.path, body)
            except errors.KubeApiError as e:
                if e.status == 409:  # another run wrote it first: look again
                    continue
                raise
            return result
        raise errors.Conflict("%s kept changing while this run tried to take it; run again" % self._where())

    def renew(self, check_mode: bool = False) -> dict:
        """Renew the lease this holder has; :class:`LeaseLost` when it has not (any more).

        The write is guarded by resourceVersion: if another run took the lease
        over between the read and the write, the write fails and so does this.
        """
        now = self.clock()
        current = self.read()
        spec = (current or {}).get("spec") or {}
        if current is None or spec.get("holderIdentity") != self.holder:
            raise LeaseLost(
                "this run (%s) no longer holds %s%s, so it stops before changing anything; run it again"
                % (self.holder, self._where(),
                   " (held by %s)" % spec.get("holderIdentity") if spec.get("holderIdentity") else ""))
        result = {"changed": True, "action": "renew", "previous_holder": None,
                  "expires": format_time(now + datetime.timedelta(seconds=self.duration))}
        if check_mode:
            return result
        try:
            self.api.replace(self.path, self._body(current, now, int(spec.get("leaseTransitions") or 0)))
        except errors.KubeApiError as e:
            if e.status == 409:
                raise LeaseLost("%s changed while this run (%s) renewed it: another run may hold it now; this run "
                                "stops before changing anything" % (self._where(), self.holder))
            raise
        return result

    def release(self, check_mode: bool = False) -> dict:
        """Give the lease up if this holder has it (holderIdentity cleared); otherwise change nothing."""
        current = self.read()
        spec = (current or {}).get("spec") or {}
        if current is None or spec.get("holderIdentity") != self.holder:
            return {"changed": False, "action": "none", "previous_holder": None, "expires": None}
        if not check_mode:
            body = self._body(current, self.clock(), int(spec.get("leaseTransitions") or 0))
            body["spec"].pop("holderIdentity")
            body["spec"].pop("acquireTime")
            try:
                self.api.replace(self.path, body)
            except errors.KubeApiError as e:
                if e.status != 409:
                    raise
                return {"changed": False, "action": "none", "previous_holder": None, "expires": None}
        return {"changed": True, "action": "release", "previous_holder": None, "expires": None}

    def wait_and_acquire(self, timeout: int, check_mode: bool = False, sleep=time.sleep, monotonic=time.monotonic):
        """acquire(), waiting up to ``timeout`` seconds while another live run holds the lease."""
        deadline = monotonic() + timeout
        while True:
            try:
                return self.acquire(check_mode)
            except LeaseHeld:
                if monotonic() >= deadline:
                    raise
            sleep(2)
