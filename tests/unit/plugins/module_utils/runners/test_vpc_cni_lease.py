# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vpc_cni_lease over the scripted KubeApi: take, refuse another holder, release."""

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils.runners import vpc_cni_lease
from ansible_collections.eks.access.plugins.module_utils.services import lease

from ansible_collections.eks.access.tests.unit.plugins.fakes import FakeContext


def test_lease_runner_takes_and_gives_up(kube):
    ctx = FakeContext(kube)
    taken = vpc_cni_lease.run(ctx, vpc_cni_lease.Options(holder="A"))
    assert taken["action"] == "create" and taken["lease"] == "kube-system/eks-access-vpc-cni"
    with pytest.raises(lease.LeaseHeld):
        vpc_cni_lease.run(ctx, vpc_cni_lease.Options(holder="B"))
    assert vpc_cni_lease.run(ctx, vpc_cni_lease.Options(holder="A", state="absent"))["action"] == "release"
    assert [w[0] for w in kube.writes] == ["POST", "PUT"]
