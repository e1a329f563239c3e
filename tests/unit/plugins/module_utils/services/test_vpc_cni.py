# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""services/vpc_cni.py: aws-node's credentials as they are now, with the association reader handed in."""

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model import workloads
from ansible_collections.eks.access.plugins.module_utils.services import vpc_cni

ROLE = "arn:aws:iam::111122223333:role/AmazonEKSVPCCNIRole"
PI_DIR = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount"
DS = {"metadata": {"name": "aws-node", "namespace": "kube-system"},
      "spec": {"selector": {"matchLabels": {"k8s-app": "aws-node"}},
               "template": {"spec": {"serviceAccountName": "aws-node"}}},
      "status": {"desiredNumberScheduled": 1}}
SA = {"metadata": {"name": "aws-node", "namespace": "kube-system"}}
POD = {"metadata": {"name": "aws-node-0", "namespace": "kube-system", "labels": {"k8s-app": "aws-node"}},
       "spec": {"serviceAccountName": "aws-node", "containers": [{"name": "aws-node", "env": [
           {"name": "AWS_CONTAINER_CREDENTIALS_FULL_URI", "value": "http://169.254.170.23/v1/credentials"},
           {"name": "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "value": PI_DIR + "/eks-pod-identity-token"}],
           "volumeMounts": [{"name": "eks-pod-identity-token", "mountPath": PI_DIR}]}],
           "volumes": [{"name": "eks-pod-identity-token", "projected": {"sources": [{"serviceAccountToken": {
               "audience": workloads.POD_IDENTITY_AUDIENCE, "path": "eks-pod-identity-token"}}]}}]},
       "status": {"phase": "Running"}}


class Api:
    """The three reads verify_daemonset makes: the DaemonSet, its service account, its pods."""

    def __init__(self, without_daemonset=False):
        self.objects = {"/apis/apps/v1/namespaces/kube-system/daemonsets/aws-node": None if without_daemonset else DS,
                        "/api/v1/namespaces/kube-system/serviceaccounts/aws-node": SA}

    def get_optional(self, path, **params):
        return self.objects.get(path)

    def items(self, path, label_selector=None, **params):
        return [POD]


def test_pod_identity_takes_the_role_of_the_association_it_is_handed():
    asked = []

    def association_of(namespace, service_account):
        asked.append((namespace, service_account))
        return {"association_id": "a-1", "role_arn": ROLE, "owner_arn": None}

    report = vpc_cni.verify_daemonset(Api(), credential_method="pod_identity", association_of=association_of)
    assert asked == [("kube-system", "aws-node")]
    assert report["ok"] and report["role_arn"] == ROLE and report["pod_identity_association"]["association_id"] == "a-1"


def test_pod_identity_without_an_association_fails_first_with_that_problem():
    report = vpc_cni.verify_daemonset(Api(), credential_method="pod_identity", association_of=lambda ns, sa: None)
    assert not report["ok"]
    assert report["failures"][0]["problem"] == "the service account kube-system/aws-node has no Pod Identity association"


def test_a_missing_daemonset_is_not_found():
    with pytest.raises(errors.NotFound, match="DaemonSet kube-system/aws-node does not exist"):
        vpc_cni.verify_daemonset(Api(without_daemonset=True))
