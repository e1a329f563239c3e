# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes workloads: service accounts, DaemonSet pods, container env, and what "carries IRSA credentials" means.

The one definition (for IRSA here; for EKS Pod Identity, and by credential
method, at the end of this file), used by every module that asks (irsa_service_account,
aws_node_irsa_info, daemonset_restart, node_role_policy): a pod carries
IRSA credentials when every container the EKS pod identity webhook mutates
(init and regular containers, minus those named in the pod's
``eks.amazonaws.com/skip-containers`` annotation) has

* ``AWS_ROLE_ARN`` (equal to the expected role, when one is expected),
* ``AWS_WEB_IDENTITY_TOKEN_FILE``, and
* a volume mount that puts that file on a projected service-account token
  volume whose token has the audience ``sts.amazonaws.com`` (or the one the
  service account asks for).

Variables set by hand in a pod template, without the projected token, give
the CNI a path to a file that does not exist: such a pod has no credentials.

The functions over pods are pure; the ones taking ``api`` (a
:class:`kube.KubeApi`) read the cluster.
"""

from __future__ import annotations

import posixpath

from ansible_collections.eks.access.plugins.module_utils.clients import kube
from ansible_collections.eks.access.plugins.module_utils.clients.kube import ENV_ROLE_ARN
from ansible_collections.eks.access.plugins.module_utils.clients.kube import ENV_TOKEN_FILE

SKIP_CONTAINERS_ANNOTATION = "eks.amazonaws.com/skip-containers"
# The audience the webhook puts on the token unless the service account's
# eks.amazonaws.com/audience annotation says otherwise.
DEFAULT_AUDIENCE = "sts.amazonaws.com"
AUDIENCE_ANNOTATION = "eks.amazonaws.com/audience"


# ---------------------------------------------------------------------------
# Pure: pods and containers (API JSON, camelCase)
# ---------------------------------------------------------------------------


def metadata(obj) -> dict:
    return (obj or {}).get("metadata") or {}


def annotations(obj) -> dict:
    return metadata(obj).get("annotations") or {}


def container_env(container) -> dict:
    """A container's literal env as ``{name: value}`` (``valueFrom`` entries have the value None)."""
    result = {}
    for item in (container or {}).get("env") or []:
        if isinstance(item, dict) and item.get("name"):
            result[item["name"]] = item.get("value")
    return result


def skipped_containers(pod) -> set:
    """The container names in the pod's ``eks.amazonaws.com/skip-containers`` annotation."""
    text = annotations(pod).get(SKIP_CONTAINERS_ANNOTATION) or ""
    return set(name.strip() for name in text.split(",") if name.strip())


def mutated_containers(pod) -> list:
    """``[(kind, container)]`` the webhook mutates: init and regular containers, minus skip-containers."""
    spec = (pod or {}).get("spec") or {}
    skip = skipped_containers(pod)
    return [(kind, container) for kind in ("initContainers", "containers")
            for container in spec.get(kind) or [] if container.get("name") not in skip]


def is_live(pod) -> bool:
    """Neither being deleted nor finished (Succeeded / Failed)."""
    if metadata(pod).get("deletionTimestamp"):
        return False
    return ((pod or {}).get("status") or {}).get("phase") not in ("Succeeded", "Failed")


def _token_source(pod, volume_name):
    """The ``serviceAccountToken`` sources of the pod's projected volume ``volume_name``."""
    for volume in ((pod or {}).get("spec") or {}).get("volumes") or []:
        if volume.get("name") == volume_name:
            sources = (volume.get("projected") or {}).get("sources") or []
            return [s["serviceAccountToken"] for s in sources if isinstance(s, dict) and s.get("serviceAccountToken")]
    return []


def token_file_problem(pod, container, token_file, audience=DEFAULT_AUDIENCE, variable=ENV_TOKEN_FILE):
    """Why ``token_file`` is not a projected service-account token with ``audience`` in this container; None if it is."""
    token_file = posixpath.normpath(token_file)
    for mount in container.get("volumeMounts") or []:
        mount_path = posixpath.normpath(mount.get("mountPath") or "/")
        if mount.get("subPath") or not (token_file + "/").startswith(mount_path.rstrip("/") + "/"):
            continue
        relative = posixpath.relpath(token_file, mount_path)
        tokens = [t for t in _token_source(pod, mount.get("name")) if posixpath.normpath(t.get("path") or "") == relative]
        if not tokens:
            return "%s=%s is on volume %s, which projects no service-account token at %s" % (
                variable, token_file, mount.get("name"), relative)
        if not any((t.get("audience") or "") == audience for t in tokens):
            return "the token at %s has audience %s, not %s" % (
                token_file, ", ".join(sorted(set(t.get("audience") or "(the API server's)" for t in tokens))), audience)
        return None
    return "%s=%s, but no projected service-account token volume is mounted there (variables set by hand?)" % (
        variable, token_file)


def irsa_problems(pod, container, role_arn=None, audience=DEFAULT_AUDIENCE) -> list:
    """What keeps one container from carrying IRSA credentials (of ``role_arn`` when given); empty: nothing."""
    env = container_env(container)
    problems = []
    if not env.get(ENV_ROLE_ARN):
        problems.append("%s is not set" % ENV_ROLE_ARN)
    elif role_arn is not None and env[ENV_ROLE_ARN] != role_arn:
        problems.append("%s is %s, not %s" % (ENV_ROLE_ARN, env[ENV_ROLE_ARN], role_arn))
    if not env.get(ENV_TOKEN_FILE):
        problems.append("%s is not set" % ENV_TOKEN_FILE)
    else:
        problem = token_file_problem(pod, container, env[ENV_TOKEN_FILE], audience)
        if problem:
            problems.append(problem)
    return problems


def without_irsa_problems(container) -> list:
    """After a rollback: what still points the container at a role; empty: nothing."""
    env = container_env(container)
    return ["%s is still set (%s)" % (name, env[name]) for name in (ENV_ROLE_ARN, ENV_TOKEN_FILE) if env.get(name)]


def pod_irsa_problems(pod, role_arn=None, audience=DEFAULT_AUDIENCE) -> list:
    """``[(container name or None, problem)]`` keeping the pod from carrying IRSA credentials; empty: it carries them."""
    containers = mutated_containers(pod)
    if not containers:
        return [(None, "the pod has no containers")]
    return [(container.get("name"), problem) for _kind, container in containers
            for problem in irsa_problems(pod, container, role_arn, audience)]


def carries_irsa_credentials(pod, role_arn=None, audience=DEFAULT_AUDIENCE) -> bool:
    """The definition: every mutated container has the webhook's variables and projected token (of ``role_arn``)."""
    return not pod_irsa_problems(pod, role_arn, audience)


def audience_of(service_account) -> str:
    """The token audience the webhook uses for pods of this service account."""
    return annotations(service_account).get(AUDIENCE_ANNOTATION) or DEFAULT_AUDIENCE


# ---------------------------------------------------------------------------
# Reads
# ---------------------------------------------------------------------------


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


def daemonset_service_account(ds: dict) -> str:
    return ((((ds or {}).get("spec") or {}).get("template") or {}).get("spec") or {}).get("serviceAccountName") \
        or "default"


def desired_pods(ds: dict) -> int:
    return int(((ds or {}).get("status") or {}).get("desiredNumberScheduled") or 0)


def pod_summary(pod: dict) -> dict:
    """Name, node, phase and whether the pod carries IRSA credentials (the one definition above)."""
    spec = pod.get("spec") or {}
    return {
        "name": metadata(pod).get("name"),
        "node": spec.get("nodeName"),
        "phase": (pod.get("status") or {}).get("phase"),
        "service_account": spec.get("serviceAccountName"),
        "irsa_env": carries_irsa_credentials(pod),
    }


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
# EKS Pod Identity, and the definition by credential method
# ---------------------------------------------------------------------------
# A pod carries EKS Pod Identity credentials when every mutated container has
# AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
# on a projected service-account token of audience pods.eks.amazonaws.com, and
# no web identity variables: the AWS SDKs try web identity before container
# credentials, so a pod with both (set by hand, or mutated before) would still
# use IRSA.

CREDENTIAL_METHODS = ("irsa", "pod_identity")
POD_IDENTITY_AUDIENCE = "pods.eks.amazonaws.com"
ENV_CREDENTIALS_FULL_URI = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
ENV_AUTHORIZATION_TOKEN_FILE = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
# What the webhook injects, per method: variable -> any value ("*"). For restart_if_env.
CREDENTIAL_ENV = {
    "irsa": (ENV_ROLE_ARN, ENV_TOKEN_FILE),
    "pod_identity": (ENV_CREDENTIALS_FULL_URI, ENV_AUTHORIZATION_TOKEN_FILE),
}


def _check_method(method):
    if method not in CREDENTIAL_METHODS:
        raise ValueError("credential method must be one of %s, got %r" % (", ".join(CREDENTIAL_METHODS), method))
    return method


def pod_identity_problems(pod, container) -> list:
    """What keeps one container from carrying EKS Pod Identity credentials; empty: nothing."""
    env = container_env(container)
    problems = []
    if not env.get(ENV_CREDENTIALS_FULL_URI):
        problems.append("%s is not set" % ENV_CREDENTIALS_FULL_URI)
    if not env.get(ENV_AUTHORIZATION_TOKEN_FILE):
        problems.append("%s is not set" % ENV_AUTHORIZATION_TOKEN_FILE)
    else:
        problem = token_file_problem(pod, container, env[ENV_AUTHORIZATION_TOKEN_FILE], POD_IDENTITY_AUDIENCE,
                                     ENV_AUTHORIZATION_TOKEN_FILE)
        if problem:
            problems.append(problem)
    for name in (ENV_ROLE_ARN, ENV_TOKEN_FILE):
        if env.get(name):
            problems.append("%s is still set, and the AWS SDKs try web identity before Pod Identity's container "
                            "credentials" % name)
    return problems


def credential_problems(pod, container, method="irsa", role_arn=None, audience=DEFAULT_AUDIENCE) -> list:
    """The one definition, by method: what keeps one container from carrying its credentials."""
    if _check_method(method) == "pod_identity":
        return pod_identity_problems(pod, container)
    return irsa_problems(pod, container, role_arn, audience)


def without_credentials_problems(container, method="irsa") -> list:
    """After a rollback: which of the method's variables the container still has; empty: none."""
    env = container_env(container)
    return ["%s is still set (%s)" % (name, env[name]) for name in CREDENTIAL_ENV[_check_method(method)]
            if env.get(name)]


def pod_credential_problems(pod, method="irsa", role_arn=None, audience=DEFAULT_AUDIENCE) -> list:
    """``[(container name or None, problem)]`` keeping the pod from carrying the method's credentials."""
    containers = mutated_containers(pod)
    if not containers:
        return [(None, "the pod has no containers")]
    return [(container.get("name"), problem) for _kind, container in containers
            for problem in credential_problems(pod, container, method, role_arn, audience)]


def carries_credentials(pod, method="irsa", role_arn=None, audience=DEFAULT_AUDIENCE) -> bool:
    """Whether the pod carries the credentials of ``method`` (``irsa``: of ``role_arn`` when given)."""
    return not pod_credential_problems(pod, method, role_arn, audience)
