# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""services/access_entries.py: the writes of a plan, bounded and in order per entry."""

from __future__ import annotations

import threading

from ansible_collections.eks.access.plugins.module_utils.model import access_entry as m
from ansible_collections.eks.access.plugins.module_utils.services import access_entries as service

from ..runners.test_access_entries import ACCOUNT, CLUSTER, VIEW

# SHARED: ACCOUNT, CLUSTER, VIEW


class _Recorder:
    """A thread-safe fake eks client: records writes, reports the peak number in flight."""

    def __init__(self, delay=0.02):
        self.lock = threading.Lock()
        self.in_flight = self.peak = 0
        self.calls = []
        self.delay = delay

    def __getattr__(self, name):
        def call(**kwargs):
            import time

            with self.lock:
                self.in_flight += 1
                self.peak = max(self.peak, self.in_flight)
                self.calls.append((name, kwargs.get("principalArn")))
            time.sleep(self.delay)
            with self.lock:
                self.in_flight -= 1
            return {}
        return call


def test_writes_run_with_bounded_concurrency_and_each_entry_in_order():
    wanted = [m.AccessEntry("arn:aws:iam::%s:user/u%03d" % (ACCOUNT, i), "STANDARD", (), None,
                            {VIEW: m.CLUSTER_SCOPE}, None) for i in range(40)]
    plan = m.plan({}, wanted)
    fake = _Recorder()
    applied = service.AccessEntries(fake, CLUSTER, concurrency=10).apply(plan)
    assert len(applied) == 40 and fake.peak == 10
    for principal in {call[1] for call in fake.calls}:
        assert [op for op, arn in fake.calls if arn == principal] == ["create_access_entry", "associate_access_policy"]
    serial = _Recorder(delay=0)
    service.AccessEntries(serial, CLUSTER, concurrency=1).apply(plan)
    assert serial.peak == 1
