# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""errors.py: one root, one sentence, details kept apart; Kubernetes errors without their HTTP dump."""

from __future__ import annotations

import json

import pytest

from ansible_collections.eks.access.plugins.module_utils import errors


@pytest.mark.parametrize("kind", [errors.InvalidInput, errors.Refused, errors.Conflict, errors.NotAuthorized,
                                  errors.Forbidden, errors.NotFound, errors.PartiallyApplied])
def test_every_kind_is_an_eks_access_error_with_its_sentence_and_details(kind):
    error = kind("2 of 3 entries were applied; re-run to converge", applied=["a", "b"])
    assert isinstance(error, errors.EksAccessError)
    assert str(error) == error.message == "2 of 3 entries were applied; re-run to converge"
    assert error.details == {"applied": ["a", "b"]}


def test_a_kube_api_error_names_status_reason_and_request():
    error = errors.KubeApiError(409, "Conflict", "the object has been modified", "PUT", "/api/v1/x")
    assert str(error) == "Kubernetes API 409 (Conflict): the object has been modified [PUT /api/v1/x]"
    assert (error.status, error.reason, error.api_message) == (409, "Conflict", "the object has been modified")
    assert str(errors.KubeApiError(None, "", "")) == "Kubernetes API error: no message"


class _ApiException(Exception):
    def __init__(self, status, reason, body, headers=None):
        super().__init__("(%s)\nReason: %s\nHTTP response headers: %s" % (status, reason, headers))
        self.status, self.reason, self.body, self.headers = status, reason, body, headers


def test_kube_api_error_reads_the_status_body_and_drops_the_headers():
    exc = _ApiException(403, "Forbidden", json.dumps({"reason": "Forbidden", "message": "configmaps is forbidden"}),
                        headers={"Audit-Id": "secret-ish"})
    error = errors.kube_api_error(exc, "GET", "/api/v1/namespaces/kube-system/configmaps/aws-auth")
    assert error.status == 403 and error.reason == "Forbidden" and error.api_message == "configmaps is forbidden"
    assert "Audit-Id" not in str(error) and "HTTP response headers" not in str(error)


def test_kube_api_error_of_a_body_that_is_not_json_keeps_the_reason_only():
    error = errors.kube_api_error(_ApiException(500, "Internal Server Error", "<html>"))
    assert (error.status, error.reason, error.api_message) == (500, "Internal Server Error", "")


def test_a_transport_error_is_its_first_line():
    error = errors.kube_api_error(ConnectionRefusedError("connection refused\nmore detail"), "GET", "/version")
    assert error.status is None and error.api_message == "connection refused"
    assert str(error) == "Kubernetes API error: connection refused [GET /version]"
