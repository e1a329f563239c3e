# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""services/pod_identity.py: each_outcome, the bounded batch the Pod Identity writes run in."""

from __future__ import annotations

import threading
import pytest

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.services import pod_identity as services


def test_each_outcome_runs_at_most_workers_at_once_and_keeps_each_outcome():
    lock = threading.Lock()
    active = {"now": 0, "max": 0}
    barrier = threading.Barrier(3, timeout=30)

    def work(n):
        with lock:
            active["now"] += 1
            active["max"] = max(active["max"], active["now"])
        try:
            barrier.wait()  # three at once, or this breaks: the bound is reached
            if n == 4:
                raise errors.NotFound("item 4 fails")
            return n * 10
        finally:
            with lock:
                active["now"] -= 1

    outcomes = services.each_outcome(work, list(range(9)), workers=3)
    assert active["max"] == 3
    assert [(item, result) for item, result, error in outcomes if error is None] == [
        (n, n * 10) for n in range(9) if n != 4]
    assert [str(error) for _item, _result, error in outcomes if error is not None] == ["item 4 fails"]


def test_each_outcome_lets_a_bug_escape_instead_of_reporting_it_as_an_item_failure():
    def work(n):
        return {}["missing"] if n == 1 else n

    with pytest.raises(KeyError):
        services.each_outcome(work, [0, 1, 2], workers=2)
