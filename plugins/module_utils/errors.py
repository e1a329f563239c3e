# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's one exception root and its few meaningful kinds.

Everything the collection raises on purpose is an :class:`EksAccessError`;
``str(error)`` is the one sentence a user reads, saying what is wrong and what
to do.  ``details`` are extra result keys (for example what a batch applied
before it stopped) that :func:`module.run_module` hands to ``fail_json``.
"""

from __future__ import annotations

import json


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
