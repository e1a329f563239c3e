# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""KubeApi: the JSON layer over kubernetes' DynamicClient (the requests it sends, how it reads answers).

The integration tests run it against a real API server; here a recording
stand-in for DynamicClient.request pins down the exact method, path and query
options, which the API server would accept in more than one spelling.
"""

from __future__ import annotations

import json

import pytest
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import NewConnectionError

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils import module
from ansible_collections.eks.access.plugins.module_utils.clients import kube


class _Response:
    def __init__(self, data):
        self.data = data


class _StatusError(ApiException):
    """The client's ApiException with a status and an API Status body."""

    def __init__(self, status, message="it went wrong"):
        super().__init__(status=status, reason="Reason %d" % status)
        self.body = json.dumps({"kind": "Status", "message": message, "reason": "Reason%d" % status})
        self.headers = {"Audit-Id": "0f0f", "Content-Type": "application/json"}


class RecordingDynamicClient:
    """Answers queued per request, and a log of what was asked."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def request(self, method, path, body=None, **params):
        self.calls.append((method, path, body, params))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return _Response(json.dumps(answer).encode() if answer is not None else b"")


@pytest.mark.parametrize("args, path", [
    (("v1", "configmaps", "kube-system", "aws-auth"), "/api/v1/namespaces/kube-system/configmaps/aws-auth"),
    (("v1", "configmaps", "kube-system"), "/api/v1/namespaces/kube-system/configmaps"),
    (("v1", "nodes"), "/api/v1/nodes"),
    (("apps/v1", "daemonsets", "kube-system", "aws-node"), "/apis/apps/v1/namespaces/kube-system/daemonsets/aws-node"),
    (("rbac.authorization.k8s.io/v1", "clusterrolebindings"), "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings"),
    # A name is one path segment whatever it holds.
    (("v1", "pods", "ns", "a/b c"), "/api/v1/namespaces/ns/pods/a%2Fb%20c"),
])
def test_api_path(args, path):
    assert kube.api_path(*args) == path


def test_label_selector_is_sorted_and_tolerates_none():
    assert kube.label_selector({"k8s-app": "aws-node", "app": "x"}) == "app=x,k8s-app=aws-node"
    assert kube.label_selector(None) == ""


def test_get_returns_the_json_object():
    dyn = RecordingDynamicClient({"kind": "ConfigMap", "data": {"a": "b"}})
    assert kube.KubeApi(dyn).get("/api/v1/namespaces/x/configmaps/y") == {"kind": "ConfigMap", "data": {"a": "b"}}
    method, path, body, params = dyn.calls[0]
    assert (method, path, body) == ("GET", "/api/v1/namespaces/x/configmaps/y", None)
    assert params == {"serialize": False}  # raw bytes back, no ResourceInstance


def test_get_optional_is_none_on_404_and_raises_anything_else():
    api = kube.KubeApi(RecordingDynamicClient(_StatusError(404), _StatusError(403), NewConnectionError(None, "refused"),
                                              ValueError("a bug")))
    assert api.get_optional("/api/v1/namespaces/x/configmaps/y") is None
    with pytest.raises(errors.KubeApiError) as exc:
        api.get_optional("/api/v1/namespaces/x/configmaps/y")
    assert exc.value.status == 403
    # A transport error is a KubeApiError without a status; a bug in our code stays itself.
    with pytest.raises(errors.KubeApiError) as exc:
        api.get_optional("/api/v1/namespaces/x/configmaps/y")
    assert exc.value.status is None and "refused" in str(exc.value)
    with pytest.raises(ValueError):
        api.get_optional("/api/v1/namespaces/x/configmaps/y")


def test_writes_send_dry_run_all_only_when_asked():
    dyn = RecordingDynamicClient({}, {}, {}, {})
    api = kube.KubeApi(dyn)
    api.create("/p", {"a": 1}, dry_run=True)
    api.replace("/p/n", {"a": 2})
    api.merge_patch("/p/n", {"metadata": {"annotations": {"k": None}}}, dry_run=True)
    api.delete("/p/n")
    assert [(c[0], c[3].get("dry_run")) for c in dyn.calls] == [
        ("POST", "All"), ("PUT", None), ("PATCH", "All"), ("DELETE", None)]
    assert dyn.calls[2][3]["content_type"] == "application/merge-patch+json"
    assert dyn.calls[2][2] == {"metadata": {"annotations": {"k": None}}}


def test_items_and_an_empty_answer():
    api = kube.KubeApi(RecordingDynamicClient({"items": [{"a": 1}]}, {"items": None}, None))
    assert api.items("/api/v1/nodes") == [{"a": 1}]
    assert api.items("/api/v1/nodes") == []
    assert api.request("DELETE", "/api/v1/nodes/x") == {}


def test_a_failed_request_is_one_typed_error_without_headers():
    api = kube.KubeApi(RecordingDynamicClient(_StatusError(422, "the ConfigMap is invalid")))
    with pytest.raises(errors.KubeApiError) as exc:
        api.replace("/api/v1/namespaces/kube-system/configmaps/aws-auth", {"data": {}})
    error = exc.value
    assert (error.status, error.reason, error.method) == (422, "Reason422", "PUT")
    assert "the ConfigMap is invalid" in str(error)
    assert "Audit-Id" not in str(error) and "HTTP response headers" not in str(error)
    assert isinstance(error, errors.EksAccessError)


def test_401_and_403_read_as_one_sentence_that_says_what_to_do():
    unauthorized = errors.kube_api_error(_StatusError(401, "Unauthorized"), "GET", "/api/v1/nodes")
    failure = module.describe_kube_failure(unauthorized, "arn:aws:iam::111122223333:user/ci", "prod")
    assert isinstance(failure, errors.NotAuthorized)
    assert "arn:aws:iam::111122223333:user/ci" in str(failure) and "access entry" in str(failure)
    forbidden = errors.kube_api_error(_StatusError(403, "configmaps is forbidden"), "PUT", "/api/v1/x")
    failure = module.describe_kube_failure(forbidden)
    assert isinstance(failure, errors.Forbidden)
    assert "replace" in str(failure) and "/api/v1/x" in str(failure)
    other = errors.kube_api_error(_StatusError(500))
    assert module.describe_kube_failure(other) is other
