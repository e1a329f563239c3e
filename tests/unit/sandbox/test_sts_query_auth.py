# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sandbox's STS signature check agrees with botocore's presigner, and refuses what STS refuses."""

from __future__ import annotations

import io
import os
import sys
from urllib.parse import urlsplit

import boto3
import pytest

from ansible_collections.eks.access.plugins.module_utils.clients import eks_token

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "sandbox"))
import sts_query_auth  # noqa: E402  pylint: disable=import-error,wrong-import-position

KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
ENDPOINT = "http://127.0.0.1:15000"


def sts(region="us-west-2", token=None, endpoint=ENDPOINT):
    session = boto3.session.Session(aws_access_key_id=KEY, aws_secret_access_key=SECRET,
                                    aws_session_token=token, region_name=region)
    return session.client("sts", endpoint_url=endpoint)


def secrets(key):
    return {KEY: SECRET}.get(key)


def received(url, cluster):
    """(method, path, params, headers) of the presigned URL as the replaying server receives it."""
    parts = urlsplit(url)
    params = sts_query_auth.parse_query(parts.query)
    return "GET", parts.path, params, {"host": parts.netloc, "x-k8s-aws-id": cluster}


@pytest.mark.parametrize("region,endpoint,token", [
    ("us-west-2", ENDPOINT, None),
    ("eu-west-1", ENDPOINT, "session-token-value/with+chars="),
    ("ap-northeast-1", "https://sts.ap-northeast-1.amazonaws.com", None),
])
def test_a_botocore_presigned_token_url_verifies(region, endpoint, token):
    url = eks_token.presign_get_caller_identity(sts(region, token, endpoint), "sandbox-2")
    assert sts_query_auth.verify(secrets, *received(url, "sandbox-2")) == KEY


def test_another_cluster_name_in_the_replayed_header_does_not_match():
    url = eks_token.presign_get_caller_identity(sts(), "sandbox")
    with pytest.raises(sts_query_auth.QueryAuthError) as e:
        sts_query_auth.verify(secrets, *received(url, "sandbox-2"))
    assert e.value.code == "SignatureDoesNotMatch" and e.value.status == 403


def test_a_wrong_secret_does_not_match():
    url = eks_token.presign_get_caller_identity(sts(), "sandbox")
    with pytest.raises(sts_query_auth.QueryAuthError) as e:
        sts_query_auth.verify(lambda key: "another-secret", *received(url, "sandbox"))
    assert e.value.code == "SignatureDoesNotMatch"


def test_an_unknown_access_key_is_an_invalid_client_token():
    url = eks_token.presign_get_caller_identity(sts(), "sandbox")
    with pytest.raises(sts_query_auth.QueryAuthError) as e:
        sts_query_auth.verify(lambda key: None, *received(url, "sandbox"))
    assert e.value.code == "InvalidClientTokenId"


@pytest.mark.parametrize("param,value", [
    ("X-Amz-Date", "20200101T000000Z"),
    ("X-Amz-Expires", "900"),
    ("Action", "GetSessionToken"),
])
def test_any_changed_signed_parameter_does_not_match(param, value):
    method, path, params, headers = received(eks_token.presign_get_caller_identity(sts(), "sandbox"), "sandbox")
    params[param] = value
    with pytest.raises(sts_query_auth.QueryAuthError) as e:
        sts_query_auth.verify(secrets, method, path, params, headers)
    assert e.value.code == "SignatureDoesNotMatch"


def test_a_signed_header_that_was_not_sent_does_not_match():
    method, path, params, headers = received(eks_token.presign_get_caller_identity(sts(), "sandbox"), "sandbox")
    del headers["x-k8s-aws-id"]
    with pytest.raises(sts_query_auth.QueryAuthError) as e:
        sts_query_auth.verify(secrets, method, path, params, headers)
    assert e.value.code == "SignatureDoesNotMatch"


def test_malformed_credentials_and_duplicates_are_bad_requests():
    with pytest.raises(sts_query_auth.QueryAuthError) as e:
        sts_query_auth.credential_scope({"X-Amz-Credential": "AKID/20200101/us-west-2/sts"})
    assert e.value.status == 400
    with pytest.raises(sts_query_auth.QueryAuthError) as e:
        sts_query_auth.parse_query("Action=GetCallerIdentity&Action=GetCallerIdentity")
    assert e.value.status == 400


def wsgi_call(middleware, url, cluster):
    parts = urlsplit(url)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": parts.path, "QUERY_STRING": parts.query,
               "HTTP_HOST": parts.netloc, "HTTP_X_K8S_AWS_ID": cluster, "wsgi.input": io.BytesIO(b"")}
    status = []
    body = b"".join(middleware(environ, lambda s, headers: status.append(s)))
    return status[0], body, environ


def test_the_middleware_hands_verified_requests_to_moto_as_signed_and_refuses_others():
    seen = []

    def app(environ, start_response):
        seen.append(environ.get("HTTP_AUTHORIZATION"))
        start_response("200 OK", [])
        return [b"moto"]

    middleware = sts_query_auth.QueryAuthMiddleware(app, secrets)
    url = eks_token.presign_get_caller_identity(sts(), "sandbox")

    status, body, _environ = wsgi_call(middleware, url, "sandbox")
    assert status.startswith("200") and body == b"moto"
    assert seen[-1].startswith("AWS4-HMAC-SHA256 Credential=%s/" % KEY) and "/us-west-2/sts/aws4_request" in seen[-1]

    status, body, _environ = wsgi_call(middleware, url, "sandbox-2")
    assert status.startswith("403") and b"<Code>SignatureDoesNotMatch</Code>" in body
    assert len(seen) == 1  # moto never saw it

    status, body, environ = wsgi_call(middleware, ENDPOINT + "/?Action=ListUsers", "sandbox")
    assert status.startswith("200") and "HTTP_AUTHORIZATION" not in environ  # not presigned: untouched
