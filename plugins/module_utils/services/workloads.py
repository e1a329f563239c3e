# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes workloads read from the cluster: ServiceAccounts, a namespace's pods, a DaemonSet and its pods.

What a pod's credentials mean (IRSA, EKS Pod Identity) is pure and lives in
model/workloads.py; these functions take ``api`` (a :class:`kube.KubeApi`).
"""

from __future__ import annotations

from ansible_collections.eks.access.plugins.module_utils import errors
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


# ---------------------------------------------------------------------------
# Writes
# ---------------------------------------------------------------------------


def service_account_path(namespace, name=None):
    return kube.api_path("v1", "serviceaccounts", namespace, name)


def write_service_account(api, plan, namespace, name, dry_run):
    if plan["action"] == "create":
        body = {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": name, "namespace": namespace, "annotations": plan["after_annotations"]},
        }
        api.create(service_account_path(namespace), body, dry_run=dry_run)
    elif plan["action"] == "patch":
        api.merge_patch(service_account_path(namespace, name), plan["patch"], dry_run=dry_run)


def check_service_account_write(api, plan, options, cluster_name):
    """Send the ServiceAccount write as a server dry run; refuse, with nothing written, when it would fail."""
    try:
        write_service_account(api, plan, options.namespace, options.name, dry_run=True)
    except errors.KubeApiError as e:
        if e.status == 404 and plan["action"] == "create":
            raise errors.NotFound(
                "namespace %s does not exist in cluster %s, so service account %s cannot be created; create the "
                "namespace first (nothing was written, IAM included)" % (options.namespace, cluster_name,
                                                                         options.sa_label)) from None
        if e.status in (400, 409, 422):
            raise errors.Refused(
                "the API server refuses to %s service account %s: %s (nothing was written, IAM included)"
                % (plan["action"], options.sa_label, e.api_message)) from None
        raise
