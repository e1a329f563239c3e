# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""services/vpc_cni.py: aws-node's credentials as they are now, with the association reader handed in."""

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.services import vpc_cni

from ..runners.test_aws_node_irsa_info import pod_identity_cluster
from ..runners.test_vpc_cni_addon_pod_identity import pod

ROLE = "arn:aws:iam::111122223333:role/AmazonEKSVPCCNIRole"


def test_pod_identity_takes_the_role_of_the_association_it_is_handed():
    asked = []

    def association_of(namespace, service_account):
        asked.append((namespace, service_account))
        return {"association_id": "a-1", "role_arn": ROLE, "owner_arn": None}

    report = vpc_cni.verify_daemonset(pod_identity_cluster([pod()]), credential_method="pod_identity", association_of=association_of)
    assert asked == [("kube-system", "aws-node")]
    assert report["ok"] and report["role_arn"] == ROLE and report["pod_identity_association"]["association_id"] == "a-1"


def test_pod_identity_without_an_association_fails_first_with_that_problem():
    report = vpc_cni.verify_daemonset(pod_identity_cluster([pod()]), credential_method="pod_identity", association_of=lambda ns, sa: None)
    assert not report["ok"]
    assert report["failures"][0]["problem"] == "the service account kube-system/aws-node has no Pod Identity association"


def test_a_missing_daemonset_is_not_found(kube):
    with pytest.raises(errors.NotFound, match="DaemonSet kube-system/aws-node does not exist"):
        vpc_cni.verify_daemonset(kube)
