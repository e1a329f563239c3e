# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes RBAC, read: the four lists, and SubjectAccessReviews asked side by side.

One list request per kind (ClusterRoles, Roles, ClusterRoleBindings,
RoleBindings, every namespace), never one request per object; the reviews
run on at most ``concurrency`` threads.
"""

from __future__ import annotations

from ansible_collections.eks.access.plugins.module_utils.clients import kube
from ansible_collections.eks.access.plugins.module_utils.clients.aws import map_bounded

RBAC = "rbac.authorization.k8s.io/v1"
AUTHORIZATION = "authorization.k8s.io/v1"
KINDS = ("clusterroles", "roles", "clusterrolebindings", "rolebindings")


class RbacReader:
    def __init__(self, api, concurrency: int = 10):
        self.api = api
        self.concurrency = max(1, int(concurrency or 1))

    def read(self) -> dict:
        """``{clusterroles, roles, clusterrolebindings, rolebindings}``: each the items of one list request."""
        lists = map_bounded(lambda plural: self.api.items(kube.api_path(RBAC, plural)), KINDS, self.concurrency)
        return dict(zip(KINDS, lists))

    def review(self, user: dict, attributes: dict) -> bool:
        """Whether the API server allows ``attributes`` (resourceAttributes) to ``user`` (user, groups, uid, extra)."""
        body = {"apiVersion": AUTHORIZATION, "kind": "SubjectAccessReview",
                "spec": dict(user, resourceAttributes={k: v for k, v in attributes.items() if v != ""})}
        answer = self.api.create(kube.api_path(AUTHORIZATION, "subjectaccessreviews"), body)
        return bool((answer.get("status") or {}).get("allowed"))

    def reviews(self, requests) -> list:
        """``[review(user, attributes)]`` for ``[(user, attributes)]``, side by side."""
        return map_bounded(lambda pair: self.review(*pair), list(requests), self.concurrency)
