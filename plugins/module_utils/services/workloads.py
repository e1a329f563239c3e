# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes workloads read from the cluster: ServiceAccounts, a namespace's pods, a DaemonSet and its pods.

What a pod's credentials mean (IRSA, EKS Pod Identity) is pure and lives in
model/workloads.py; these functions take ``api`` (a :class:`kube.KubeApi`).
"""

from __future__ import annotations

from ansible_collections.eks.access.plugins.module_utils.clients import kube
from ansible_collections.eks.access.plugins.module_utils.model.workloads import metadata
from ansible_collections.eks.access.plugins.module_utils.model.workloads import pod_summary


def service_account(api, namespace: str, name: str):
    """The ServiceAccount, or None when it does not exist."""
    return api.get_optional(kube.api_path("v1", "serviceaccounts", namespace, name))


def namespace_pods(api, namespace: str) -> list:
    return api.items(kube.api_path("v1", "pods", namespace))


def daemonset(api, namespace: str, name: str):
    """The DaemonSet, or None when it does not exist."""
    return api.get_optional(kube.api_path("apps/v1", "daemonsets", namespace, name))


def daemonset_pods(api, ds: dict) -> list:
    """The pods of a DaemonSet (its selector's ``matchLabels``), the one query for them."""
    namespace = metadata(ds).get("namespace") or "default"
    selector = kube.label_selector(((ds.get("spec") or {}).get("selector") or {}).get("matchLabels"))
    return api.items(kube.api_path("v1", "pods", namespace), label_selector=selector)


def daemonset_status(api, namespace: str, name: str) -> dict:
    """Status of a DaemonSet and its pods; ``{"exists": False}`` when it is missing."""
    ds = daemonset(api, namespace, name)
    if ds is None:
        return {"exists": False}
    status = ds.get("status") or {}
    return {
        "exists": True,
        "desired": status.get("desiredNumberScheduled", 0),
        "ready": status.get("numberReady", 0),
        "service_account": ((ds["spec"].get("template") or {}).get("spec") or {}).get("serviceAccountName"),
        "pods": [pod_summary(p) for p in daemonset_pods(api, ds)],
    }
