# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""services/rbac.py over a scripted Kubernetes API: the four RBAC lists and SubjectAccessReviews."""

from __future__ import annotations

from ansible_collections.eks.access.plugins.module_utils.services import rbac

VIEW = {"metadata": {"name": "view"}, "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}
USER = {"user": "alice", "groups": ["readers"]}


def test_read_lists_each_kind_once(kube):
    kube.lists["/apis/rbac.authorization.k8s.io/v1/clusterroles"] = [VIEW]
    listed = rbac.RbacReader(kube, concurrency=2).read()
    assert listed == {"clusterroles": [VIEW], "roles": [], "clusterrolebindings": [], "rolebindings": []}
    assert sorted(c[2] for c in kube.calls) == sorted("/apis/rbac.authorization.k8s.io/v1/" + kind
                                                      for kind in rbac.KINDS)
    assert kube.writes == []


def test_a_review_asks_the_api_server_and_sends_no_empty_attribute(kube):
    kube.decide = lambda spec: spec["resourceAttributes"]["verb"] == "get"
    reader = rbac.RbacReader(kube)
    assert reader.review(USER, {"verb": "get", "resource": "pods", "namespace": ""}) is True
    assert kube.reviews == [{"user": "alice", "groups": ["readers"],
                             "resourceAttributes": {"verb": "get", "resource": "pods"}}]
    assert reader.reviews([(USER, {"verb": "get"}), (USER, {"verb": "delete"})]) == [True, False]
    body = kube.bodies("POST", "subjectaccessreviews")[0]
    assert body["apiVersion"] == "authorization.k8s.io/v1" and body["kind"] == "SubjectAccessReview"
    assert kube.writes == []  # a review is a question, not a write
