# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Kubernetes API as plain JSON by path (KubeApi), and the small reads modules share."""

from __future__ import annotations

import json
from typing import Optional
from urllib.parse import quote

from ansible_collections.eks.access.plugins.module_utils import errors

# The variables the pod identity webhook injects; a pod without them has no IRSA credentials.
ENV_ROLE_ARN = "AWS_ROLE_ARN"
ENV_TOKEN_FILE = "AWS_WEB_IDENTITY_TOKEN_FILE"


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


def label_selector(match_labels: dict) -> str:
    """``matchLabels`` as a label selector string, in a stable order."""
    return ",".join("%s=%s" % kv for kv in sorted((match_labels or {}).items()))


def api_path(group_version: str, plural: str, namespace: Optional[str] = None, name: Optional[str] = None) -> str:
    """The REST path of a collection or an object: ``/api/v1/...`` for the core group, else ``/apis/...``."""
    root = "/api/v1" if group_version == "v1" else "/apis/" + group_version
    parts = [root]
    if namespace is not None:
        parts += ["namespaces", quote(namespace, safe="")]
    parts.append(plural)
    if name is not None:
        parts.append(quote(name, safe=""))
    return "/".join(parts)


class KubeApi:
    """JSON in, JSON out: requests by path through kubernetes' DynamicClient.

    kubernetes.core builds the DynamicClient (auth, proxies, certificates) and
    its ``request`` knows each kubernetes client version's transport.  Plain
    paths, rather than the typed ``CoreV1Api``-style classes, because those
    import every model they mention: about 0.8 s of each module run with
    kubernetes 37, more than the rest of the run.  Every failure is an
    :class:`errors.KubeApiError` with ``status``, without HTTP headers.
    """

    def __init__(self, dynamic_client):
        self.dynamic = dynamic_client

    def request(self, method: str, path: str, body=None, **params) -> dict:
        """One request; any failure is raised as :class:`errors.KubeApiError` (status, reason, message)."""
        try:
            response = self.dynamic.request(method, path, body=body, serialize=False, **params)
        except transport_errors() as e:
            raise errors.kube_api_error(e, method, path) from None
        data = response.data
        return json.loads(data) if data else {}

    def get(self, path: str, **params) -> dict:
        return self.request("GET", path, **params)

    def get_optional(self, path: str, **params) -> Optional[dict]:
        """The object at ``path``, or None when it does not exist (404)."""
        try:
            return self.get(path, **params)
        except errors.KubeApiError as e:
            if e.status == 404:
                return None
            raise

    def items(self, path: str, **params) -> list:
        return self.get(path, **params).get("items") or []

    def create(self, path: str, body: dict, dry_run: bool = False) -> dict:
        return self.request("POST", path, body=body, **_dry_run(dry_run))

    def replace(self, path: str, body: dict, dry_run: bool = False) -> dict:
        return self.request("PUT", path, body=body, **_dry_run(dry_run))

    def merge_patch(self, path: str, patch: dict, dry_run: bool = False) -> dict:
        """RFC 7386 merge patch: the keys given replace, a None value removes."""
        return self.request("PATCH", path, body=patch, content_type="application/merge-patch+json",
                            **_dry_run(dry_run))

    def delete(self, path: str) -> dict:
        return self.request("DELETE", path)


def transport_errors():
    """The client's ApiException and urllib3's errors: they share no base class."""
    # Imported on use, like the kubernetes client itself (connection.kube_api).
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    return (ApiException, HTTPError)


def _dry_run(dry_run):
    # dryRun=All: the API server validates the write, admission included, and stores nothing.
    return {"dry_run": "All"} if dry_run else {}


def server_version(api: KubeApi) -> str:
    return api.get("/version").get("gitVersion")


def nodes(api: KubeApi) -> list:
    return [node_summary(n) for n in api.items(api_path("v1", "nodes"))]
