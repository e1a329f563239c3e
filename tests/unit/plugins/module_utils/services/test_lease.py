# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CNI Lease: resourceVersion-guarded acquire, renew, release, takeover of an expired lease."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.services import lease

from ansible_collections.eks.access.tests.unit.plugins.fakes import ScriptedKube

PATH = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/eks-access-vpc-cni"
T0 = datetime.datetime(2026, 11, 30, 12, 0, 0, tzinfo=datetime.timezone.utc)


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += datetime.timedelta(seconds=seconds)


def _lease(api, holder, clock, duration=30):
    return lease.CniLease(api, holder, duration, clock=clock)


def test_first_acquire_creates_the_lease(kube):
    clock = Clock()
    result = _lease(kube, "migration A", clock).acquire()
    assert result["action"] == "create"
    spec = kube.objects[PATH]["spec"]
    assert spec["holderIdentity"] == "migration A" and spec["leaseDurationSeconds"] == 30
    assert spec["renewTime"] == "2026-11-30T12:00:00.000000Z"
    assert kube.writes == [("POST", PATH, False)]


def test_a_live_lease_of_another_run_is_refused_naming_the_holder():
    api, clock = ScriptedKube(), Clock()
    _lease(api, "migration A by alice@host1, run 1", clock).acquire()
    clock.advance(10)
    with pytest.raises(lease.LeaseHeld) as refused:
        _lease(api, "rollback B", clock).acquire()
    assert "another run holds Lease kube-system/eks-access-vpc-cni: migration A by alice@host1, run 1" in str(refused.value)
    assert "expires 2026-11-30T12:00:30.000000Z" in str(refused.value)
    assert isinstance(refused.value, errors.Refused)
    assert len(api.writes) == 1


def test_the_same_holder_renews_and_keeps_its_acquire_time(kube):
    clock = Clock()
    _lease(kube, "A", clock).acquire()
    clock.advance(20)
    assert _lease(kube, "A", clock).acquire()["action"] == "renew"
    clock.advance(20)  # 40 s after the first take, 20 s after the renewal: still A's
    _lease(kube, "A", clock).renew()
    spec = kube.objects[PATH]["spec"]
    assert spec["acquireTime"] == "2026-11-30T12:00:00.000000Z" and spec["renewTime"] == "2026-11-30T12:00:40.000000Z"
    with pytest.raises(lease.LeaseHeld):
        _lease(kube, "B", clock).acquire()


def test_an_expired_lease_is_taken_over_and_the_old_holder_cannot_renew(kube):
    clock = Clock()
    _lease(kube, "killed run", clock).acquire()
    clock.advance(31)
    result = _lease(kube, "B", clock).acquire()
    assert result["action"] == "takeover" and result["previous_holder"] == "killed run"
    assert kube.objects[PATH]["spec"]["leaseTransitions"] == 1
    with pytest.raises(lease.LeaseLost) as lost:
        _lease(kube, "killed run", clock).renew()
    assert "held by B" in str(lost.value)


def test_two_runs_racing_for_an_expired_lease_one_wins(kube):
    """The takeover write is guarded by resourceVersion: the loser re-reads and is refused."""
    clock = Clock()
    _lease(kube, "old", clock).acquire()
    clock.advance(60)
    racing = {"done": False}

    def other_run_takes_it_first(method, path):
        if method == "PUT" and not racing["done"]:
            racing["done"] = True
            kube.before_write = None
            _lease(kube, "other run", clock).acquire()

    kube.before_write = other_run_takes_it_first
    with pytest.raises(lease.LeaseHeld) as refused:
        _lease(kube, "this run", clock).acquire()
    assert "other run" in str(refused.value)
    assert kube.objects[PATH]["spec"]["holderIdentity"] == "other run"


def test_renew_fails_when_the_lease_changed_between_read_and_write(kube):
    clock = Clock()
    _lease(kube, "A", clock).acquire()

    def someone_writes(method, path):
        kube.before_write = None
        kube.objects[PATH]["metadata"]["resourceVersion"] = "999"

    kube.before_write = someone_writes
    with pytest.raises(lease.LeaseLost):
        _lease(kube, "A", clock).renew()


def test_release_clears_the_holder_only_for_its_holder(kube):
    clock = Clock()
    _lease(kube, "A", clock).acquire()
    assert _lease(kube, "B", clock).release()["changed"] is False
    assert _lease(kube, "A", clock).release()["action"] == "release"
    assert "holderIdentity" not in kube.objects[PATH]["spec"]
    result = _lease(kube, "B", clock).acquire()
    assert result["action"] == "acquire" and result["previous_holder"] is None


def test_check_mode_writes_nothing_but_still_refuses(kube):
    clock = Clock()
    assert _lease(kube, "A", clock).acquire(check_mode=True)["action"] == "create"
    assert kube.writes == [] and PATH not in kube.objects
    _lease(kube, "A", clock).acquire()
    with pytest.raises(lease.LeaseHeld):
        _lease(kube, "B", clock).acquire(check_mode=True)
    assert _lease(kube, "A", clock).release(check_mode=True)["changed"] is True
    assert kube.objects[PATH]["spec"]["holderIdentity"] == "A"


def test_wait_and_acquire_waits_for_expiry(kube):
    clock = Clock()
    _lease(kube, "A", clock).acquire()
    ticks = {"n": 0}

    def sleep(seconds):
        clock.advance(seconds)

    def monotonic():
        ticks["n"] += 1
        return (clock.now - T0).total_seconds()

    result = _lease(kube, "B", clock).wait_and_acquire(60, sleep=sleep, monotonic=monotonic)
    assert result["action"] == "takeover" and clock.now >= T0 + datetime.timedelta(seconds=30)
    with pytest.raises(lease.LeaseHeld):
        _lease(kube, "C", clock).wait_and_acquire(4, sleep=sleep, monotonic=monotonic)


@pytest.mark.parametrize("holder, duration", [("", 30), (None, 30), ("A", 2), ("A", True)])
def test_bad_input(holder, duration):
    with pytest.raises(errors.InvalidInput):
        lease.CniLease(ScriptedKube(), holder, duration)


def test_times():
    assert lease.parse_time("2026-11-30T12:00:00Z") == T0
    assert lease.parse_time("garbage") is None
    assert lease.expires_at({"spec": {"holderIdentity": "A"}}) is None
    assert lease.holder_of({"spec": {}}, T0) is None
