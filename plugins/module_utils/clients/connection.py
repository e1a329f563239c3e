# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that knows how to reach a cluster's Kubernetes API.

Two ways in:

* kubernetes.core's auth options (kubeconfig, context, host, api_key,
  validate_certs, ... and their ``K8S_AUTH_*`` environment variables), handed
  to kubernetes.core's own client factory unchanged;
* ``cluster_name`` and AWS credentials only: DescribeCluster gives the endpoint
  and CA, and an EKS bearer token is minted from a presigned STS
  GetCallerIdentity, so AWX needs neither a kubeconfig nor the aws CLI.
"""

from __future__ import annotations

import base64
import copy
import os
import tempfile
from typing import Optional

from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.clients import kube
from ansible_collections.eks.access.plugins.module_utils.clients.eks_token import TokenSource
from ansible_collections.eks.access.plugins.module_utils.clients.eks_token import mint_token

# Options that mean "the user told kubernetes.core how to connect".
_EXPLICIT_K8S_OPTIONS = ("kubeconfig", "context", "host", "api_key", "username", "client_cert")

K8S_CONNECTION_ARG_SPEC = copy.deepcopy(AUTH_ARG_SPEC)
# kubernetes.core documents validate_certs as defaulting to true; say so in the spec too.
K8S_CONNECTION_ARG_SPEC["validate_certs"]["default"] = True
K8S_CONNECTION_ARG_SPEC.update(
    cluster_name=dict(type="str"),
    k8s_auth=dict(type="str", default="auto", choices=["auto", "kubernetes", "eks_token"]),
)


class KubernetesConnectionError(errors.InvalidInput):
    """Raised when no Kubernetes client can be built; the message says why."""


def kubernetes_settings_given(params: dict, environ: dict) -> bool:
    """True when kubernetes.core would find explicit settings (options or environment)."""
    for name in _EXPLICIT_K8S_OPTIONS:
        if params.get(name) is not None:
            return True
        if environ.get("K8S_AUTH_%s" % name.upper()):
            return True
    return bool(environ.get("KUBECONFIG"))


def choose_auth(params: dict, environ: dict) -> str:
    """Decide how to connect: ``kubernetes`` (kubernetes.core settings) or ``eks_token``."""
    mode = params.get("k8s_auth") or "auto"
    if mode != "auto":
        if mode == "eks_token" and not params.get("cluster_name"):
            raise KubernetesConnectionError("k8s_auth=eks_token needs cluster_name")
        return mode
    if params.get("cluster_name") and not kubernetes_settings_given(params, environ):
        return "eks_token"
    return "kubernetes"


def decode_ca_data(cluster_name: str, ca_data_b64: str) -> bytes:
    """The cluster CA as PEM bytes, or a clear error when EKS returned something else."""
    try:
        pem = base64.b64decode(ca_data_b64, validate=True)
    except ValueError:
        pem = b""
    if b"-----BEGIN CERTIFICATE-----" not in pem:
        raise KubernetesConnectionError(
            "the certificate authority data of EKS cluster %r is not a base64-encoded PEM certificate" % cluster_name
        )
    return pem


def _write_ca_file(pem: bytes) -> str:
    # The kubernetes client wants a CA *file*; keep it only for this module run.
    handle, path = tempfile.mkstemp(prefix="eks-access-ca-", suffix=".crt")
    with os.fdopen(handle, "wb") as ca_file:
        ca_file.write(pem)
    return path


def eks_token_overrides(module, cluster_name: str, describe_cluster, sts_client=None):
    """kubernetes.core auth values for ``cluster_name`` (endpoint, CA file, a fresh token), and the
    :class:`TokenSource` that mints the next tokens with ``sts_client`` (the module's STS client by default).

    ``describe_cluster(name)`` gives the cluster's facts (``endpoint``,
    ``certificate_authority_data``, ``status``): services/eks_cluster.py's,
    handed down by the caller so that this client needs no service.
    """
    facts = describe_cluster(cluster_name)
    if not facts.endpoint or not facts.certificate_authority_data:
        raise KubernetesConnectionError(
            "EKS cluster %r has no endpoint or CA yet (status %s)" % (cluster_name, facts.status)
        )
    ca_path = _write_ca_file(decode_ca_data(cluster_name, facts.certificate_authority_data))
    module.add_cleanup_file(ca_path)
    sts = sts_client if sts_client is not None else module.client("sts")
    source = TokenSource(lambda: mint_token(sts, cluster_name))
    return {"host": facts.endpoint, "api_key": source.token(), "ca_cert": ca_path, "validate_certs": True}, source


def kube_api_as(module, cluster_name: str, credentials: dict, describe_cluster):
    """A :class:`kube.KubeApi` for ``cluster_name`` as another AWS identity (STS ``Credentials`` of AssumeRole).

    Its EKS tokens are minted with those credentials, so the API server sees
    that identity: how a migration proves what a principal gets.
    """
    sts = module.client("sts", aws_access_key_id=credentials["AccessKeyId"],
                        aws_secret_access_key=credentials["SecretAccessKey"],
                        aws_session_token=credentials.get("SessionToken"))
    overrides, source = eks_token_overrides(module, cluster_name, describe_cluster, sts)
    return _kube_api_with(module, overrides, source)


def kube_api(module, describe_cluster):
    """A :class:`kube.KubeApi` over the DynamicClient that kubernetes.core's factory builds.

    With an EKS token, the client mints a new one before the old one is 10 minutes old and after a 401
    (TokenSource), so a run longer than EKS's 15-minute token lifetime keeps its access.
    """
    overrides, source = {}, None
    if choose_auth(module.params, os.environ) == "eks_token":
        overrides, source = eks_token_overrides(module, module.params["cluster_name"], describe_cluster)
    return _kube_api_with(module, overrides, source)


def _kube_api_with(module, overrides: dict, token_source=None):
    """kubernetes.core's client for the module's options with ``overrides`` on top, as a :class:`kube.KubeApi`."""
    # Imported here so that modules can report a missing library through
    # fail_json rather than an ImportError at load time.
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException

    try:
        return kube.KubeApi(get_api_client(module=_KubernetesCoreView(module, overrides)).client, token_source)
    except CoreException as e:
        raise KubernetesConnectionError(str(e))
    except kube.transport_errors() as e:
        # Building the client reads the API discovery documents: the first request, the first 401.
        raise errors.kube_api_error(e, "GET", "/api") from None


def authenticated_arn(api) -> Optional[str]:
    """The IAM ARN the API server says we are, when it says (EKS puts it in user.extra).

    Uses SelfSubjectReview (GA in Kubernetes 1.28); None when the server has
    none or does not let us ask.  A transport failure is raised.
    """
    review = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    try:
        review = api.create(kube.api_path("authentication.k8s.io/v1", "selfsubjectreviews"), review)
    except errors.KubeApiError as e:
        if e.status is None:
            raise
        return None  # an older server, or not allowed
    extra = ((review.get("status") or {}).get("userInfo") or {}).get("extra") or {}
    for key in ("canonicalArn", "arn"):
        values = extra.get(key) or []
        if values:
            return values[0]
    return None


class _KubernetesCoreView:
    """What kubernetes.core's get_api_client reads from a module, with overrides applied.

    kubernetes.core gives module params precedence over keyword arguments, so
    the EKS endpoint/token are merged into a params view instead.
    """

    server_side_dry_run = False

    def __init__(self, module, overrides):
        self._module = module
        self.params = dict(module.params)
        self.params.update(overrides)

    def requires(self, dependency, minimum=None, reason=None):
        # kubernetes.core's own requires() raises a bare Exception; ask its version check instead
        # (imported here, on this failure path only, like the kubernetes client itself).
        from ansible.module_utils.basic import missing_required_lib
        from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import has_at_least

        if not has_at_least(dependency, minimum):
            library = dependency if minimum is None else "%s>=%s" % (dependency, minimum)
            self._module.fail_json(msg=missing_required_lib(library, reason=reason))
