# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's one exception root and its few meaningful kinds.

Everything the collection raises on purpose is an :class:`EksAccessError`;
``str(error)`` is the one sentence a user reads, saying what is wrong and what
to do.  ``details`` are extra result keys (for example what a batch applied
before it stopped) that :func:`module.run_module` hands to ``fail_json``.
"""

from __future__ import annotations


class EksAccessError(Exception):
    """Root of every error this collection raises on purpose."""

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(EksAccessError):
    """The task's input is wrong; nothing was written."""


class Refused(EksAccessError):
    """A guard refused the change (lockout, an unverified precondition, a downgrade)."""


class Conflict(EksAccessError):
    """Another writer kept changing the object; the change was not made."""


class NotAuthorized(EksAccessError):
    """The cluster or AWS does not know the identity (HTTP 401)."""


class Forbidden(EksAccessError):
    """The identity is known but lacks a permission (HTTP 403)."""


class NotFound(EksAccessError):
    """Something the task depends on does not exist."""


class PartiallyApplied(EksAccessError):
    """A batch stopped half-way; ``details`` say what was and was not applied, and a re-run converges."""


class KubeApiError(EksAccessError):
    """A Kubernetes API request failed: HTTP ``status``, the API's ``reason`` and its message.

    Built from the kubernetes client's ApiException without its headers or
    raw body, so no HTTP dump reaches a user.
    """

    def __init__(self, status, reason: str, message: str, method: str = "", path: str = ""):
        self.status = status
        self.reason = reason
        self.api_message = message
        self.method = method
        self.path = path
        where = ("%s %s" % (method, path)).strip()
        text = "Kubernetes API %s%s: %s" % (
            status if status is not None else "error", " (%s)" % reason if reason else "", message or "no message")
        if where:
            text += " [%s]" % where
        super().__init__(text)


def kube_api_error(exc, method: str = "", path: str = "") -> KubeApiError:
    """A :class:`KubeApiError` from a kubernetes client ApiException (or a transport error)."""
    import json

    status = getattr(exc, "status", None)
    reason = getattr(exc, "reason", None) or ""
    message = ""
    body = getattr(exc, "body", None)
    if body:
        try:
            payload = json.loads(body)
            message = payload.get("message") or ""
            reason = payload.get("reason") or reason
        except (TypeError, ValueError, AttributeError):
            message = ""
    if not message and status is None:
        # A transport error (connection refused, TLS): its text is all there is.
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return KubeApiError(status, reason, message, method, path)


def describe_kube_failure(error: KubeApiError, identity: str = None, cluster: str = None,
                          iam_arn: str = None) -> EksAccessError:
    """The one sentence for a failed Kubernetes request: 401 and 403 say who and what to do.

    ``identity`` describes who the request was made as (for example ``IAM
    identity arn:...`` or ``the credentials of kubeconfig ...``); ``iam_arn``
    is that IAM ARN when the request carried an EKS token of it.
    """
    subject = identity or "the identity this task runs as"
    where = "cluster %r" % cluster if cluster else "the cluster"
    if error.status == 401:
        if iam_arn:
            return NotAuthorized(
                "%s does not know %s (401 Unauthorized): map %s in aws-auth (eks.access.aws_auth_mapping) or with an "
                "EKS access entry, or run the task with AWS credentials the cluster "
                "knows" % (where.capitalize(), subject, _where_to_map(iam_arn)), status=401, identity=iam_arn)
        return NotAuthorized(
            "%s does not accept %s (401 Unauthorized): the token is unknown to it or expired; run the task with "
            "credentials the cluster knows, such as an IAM identity mapped in aws-auth or by an EKS access entry"
            % (where.capitalize(), subject), status=401)
    if error.status == 403:
        return Forbidden(
            "%s is not allowed to %s %s (403 Forbidden: %s); grant it that permission through RBAC or an EKS "
            "access policy" % (subject[:1].upper() + subject[1:], _verb(error.method), error.path or "that resource",
                               error.api_message),
            status=403)
    return error


def _where_to_map(iam_arn: str) -> str:
    """What to map for a caller ARN: a role session maps through its role, anything else as itself."""
    from ansible_collections.eks.access.plugins.module_utils.model import arn

    try:
        parsed = arn.parse_iam_arn(iam_arn)
    except arn.ArnError:
        return iam_arn
    if parsed.resource_type == "assumed-role":
        return "its role %s (rolearn)" % arn.assumed_role_to_role_arn(iam_arn)
    if parsed.resource_type == "role":
        return "it (rolearn)"
    return "it (userarn)"


def _verb(method: str) -> str:
    return {"GET": "read", "POST": "create", "PUT": "replace", "PATCH": "patch", "DELETE": "delete"}.get(
        (method or "").upper(), "access")
