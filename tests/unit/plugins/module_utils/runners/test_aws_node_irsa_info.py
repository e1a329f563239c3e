# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""aws_node_irsa_info with fake clients: the pods of aws-node checked for IRSA or EKS Pod Identity credentials."""

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.runners import aws_node_irsa_info

from ansible_collections.eks.access.tests.unit.plugins.fakes import FakeContext, ScriptedKube
from .test_node_role_policy import CNI_ROLE, DS_PATH, SA_PATH, cluster
from .test_vpc_cni_addon_pod_identity import OTHER_ROLE, pod, summary


def test_verify_reports_each_pod_and_defaults_to_the_annotated_role():
    kube = cluster(pods_irsa=(True, False))
    result = aws_node_irsa_info.run(FakeContext(kube), aws_node_irsa_info.Options())
    assert result["ok"] is False and result["role_arn"] == CNI_ROLE and result["checked"] == 2
    assert result["failure_lines"][0] == "aws-node-1/aws-node: AWS_ROLE_ARN is not set"


def test_verify_a_missing_daemonset_is_not_found():
    with pytest.raises(errors.NotFound):
        aws_node_irsa_info.run(FakeContext(ScriptedKube()), aws_node_irsa_info.Options())


def pod_identity_cluster(pods):
    ds = {"metadata": {"name": "aws-node", "namespace": "kube-system"},
          "spec": {"selector": {"matchLabels": {"k8s-app": "aws-node"}},
                   "template": {"spec": {"serviceAccountName": "aws-node"}}},
          "status": {"desiredNumberScheduled": len(pods)}}
    sa = {"metadata": {"name": "aws-node", "namespace": "kube-system"}}
    return ScriptedKube({DS_PATH: ds, SA_PATH: sa}, {"kube-system": pods})


def queue_association(eks, role=CNI_ROLE):
    items = [summary("aws-node", "a-2")] if role else []
    eks.add_response("list_pod_identity_associations", {"associations": items})
    if role:
        eks.add_response("describe_pod_identity_association", {"association": dict(items[0], roleArn=role)})


def test_verify_pod_identity_reads_the_association_and_the_pods():
    ctx = FakeContext(pod_identity_cluster([pod("a"), pod("b")]))
    queue_association(ctx.stub("eks"))
    result = aws_node_irsa_info.run(ctx, aws_node_irsa_info.Options(credential_method="pod_identity", cluster_name="prod",
                                                                    role_arn=CNI_ROLE))
    assert result["ok"] and result["checked"] == 2
    assert result["pod_identity_association"]["association_id"] == "a-2"


def test_verify_pod_identity_fails_on_another_role_or_no_association():
    ctx = FakeContext(pod_identity_cluster([pod("a")]))
    queue_association(ctx.stub("eks"), OTHER_ROLE)
    result = aws_node_irsa_info.run(ctx, aws_node_irsa_info.Options(credential_method="pod_identity", cluster_name="prod",
                                                                    role_arn=CNI_ROLE))
    assert not result["ok"] and "uses %s, not %s" % (OTHER_ROLE, CNI_ROLE) in result["failure_lines"][0]
    ctx = FakeContext(pod_identity_cluster([pod("a")]))
    queue_association(ctx.stub("eks"), None)
    result = aws_node_irsa_info.run(ctx, aws_node_irsa_info.Options(credential_method="pod_identity", cluster_name="prod"))
    assert not result["ok"] and "has no Pod Identity association" in result["failure_lines"][0]


def test_verify_pod_identity_needs_the_cluster_name():
    with pytest.raises(errors.InvalidInput):
        aws_node_irsa_info.run(FakeContext(pod_identity_cluster([pod()])), aws_node_irsa_info.Options(credential_method="pod_identity"))
