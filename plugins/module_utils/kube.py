# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small Kubernetes reads shared by modules; each returns plain data."""

from __future__ import annotations

# The variables the pod identity webhook injects; a pod without them has no IRSA credentials.
ENV_ROLE_ARN = "AWS_ROLE_ARN"
ENV_TOKEN_FILE = "AWS_WEB_IDENTITY_TOKEN_FILE"
IRSA_ENV = (ENV_ROLE_ARN, ENV_TOKEN_FILE)


def _ready(conditions) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions or [])


def node_summary(node: dict) -> dict:
    """Name, readiness and node group of a Node (as a dict)."""
    metadata = node.get("metadata") or {}
    labels = metadata.get("labels") or {}
    return {
        "name": metadata.get("name"),
        "ready": _ready((node.get("status") or {}).get("conditions")),
        "nodegroup": labels.get("eks.amazonaws.com/nodegroup"),
        "provider_id": (node.get("spec") or {}).get("providerID"),
    }


def pod_summary(pod: dict) -> dict:
    """Name, node, phase and whether every container carries the IRSA variables."""
    spec = pod.get("spec") or {}
    containers = spec.get("containers") or []
    env_names = [{e.get("name") for e in (c.get("env") or [])} for c in containers]
    return {
        "name": (pod.get("metadata") or {}).get("name"),
        "node": spec.get("nodeName"),
        "phase": (pod.get("status") or {}).get("phase"),
        "service_account": spec.get("serviceAccountName"),
        "irsa_env": bool(containers) and all(set(IRSA_ENV) <= names for names in env_names),
    }


def to_dict(api_client, obj) -> dict:
    """A typed kubernetes client object as the API's own JSON-shaped dict (camelCase keys)."""
    return api_client.sanitize_for_serialization(obj)


def read_optional(api_client, read, *args):
    """``read(*args)`` as a JSON-shaped dict, or None when the object does not exist (404)."""
    from kubernetes.client.rest import ApiException

    try:
        return to_dict(api_client, read(*args))
    except ApiException as e:
        if e.status == 404:
            return None
        raise


def server_version(api_client) -> str:
    from kubernetes import client

    return client.VersionApi(api_client).get_code().git_version


def nodes(api_client) -> list:
    from kubernetes import client

    items = client.CoreV1Api(api_client).list_node().items
    return [node_summary(to_dict(api_client, n)) for n in items]


def daemonset_pods(api_client, namespace: str, name: str) -> dict:
    """Status of a DaemonSet and its pods; ``{"exists": False}`` when it is missing."""
    from kubernetes import client

    ds = read_optional(api_client, client.AppsV1Api(api_client).read_namespaced_daemon_set, name, namespace)
    if ds is None:
        return {"exists": False}
    selector = ",".join("%s=%s" % kv for kv in sorted(ds["spec"]["selector"].get("matchLabels", {}).items()))
    pods = client.CoreV1Api(api_client).list_namespaced_pod(namespace, label_selector=selector).items
    status = ds.get("status") or {}
    return {
        "exists": True,
        "desired": status.get("desiredNumberScheduled", 0),
        "ready": status.get("numberReady", 0),
        "service_account": ds["spec"]["template"]["spec"].get("serviceAccountName"),
        "pods": [pod_summary(to_dict(api_client, p)) for p in pods],
    }
