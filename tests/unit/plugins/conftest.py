# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fakes of tests/unit/plugins/fakes.py as fixtures, one of each.

- ``kube``: an empty ScriptedKube (put objects in ``kube.objects``, pods in ``kube.pods``);
- ``context``: a FakeContext over that ``kube`` (set ``check_mode``/``diff_mode`` on it);
  at the end of the test every response queued on its Stubbers must have been used;
- ``harness``: the real RunContext and run_module over a FakeModule and a ScriptedKube.
"""

from __future__ import annotations

import pytest

from ansible_collections.eks.access.tests.unit.plugins import fakes


@pytest.fixture
def kube():
    return fakes.ScriptedKube()


@pytest.fixture
def context(kube):
    ctx = fakes.FakeContext(kube)
    yield ctx
    ctx.assert_no_pending()


@pytest.fixture
def harness():
    return fakes.Harness()
