# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""runners/eks_cluster_info.py: what AWS said is kept when Kubernetes refuses."""

from __future__ import annotations

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.runners import eks_cluster_info
from ansible_collections.eks.access.tests.unit.plugins.fakes import CALLER, Harness


def test_cluster_info_keeps_what_aws_said_when_kubernetes_refuses():
    h = Harness(fail={("GET", "/version"): (401, "Unauthorized")})
    h.stub("eks").add_response("describe_cluster", {"cluster": {"name": "sandbox", "endpoint": "https://k"}})
    h.caller()
    result = h.run(eks_cluster_info.run, eks_cluster_info.Options(cluster_name="sandbox", node_roles=False))
    assert result["caller"]["arn"] == CALLER and result["cluster"]["endpoint"] == "https://k"
    assert result["msg"].startswith("Cluster 'sandbox' does not know IAM identity %s (401 Unauthorized)" % CALLER)
    assert isinstance(errors.NotAuthorized("x"), errors.EksAccessError)
