# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The EKS bearer token's exact shape.  Presigning is local: no network, no mock."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from ansible_collections.eks.access.plugins.module_utils.clients import eks_token


@pytest.fixture
def sts():
    session = boto3.session.Session(
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        region_name="eu-west-1",
    )
    return session.client("sts", endpoint_url="https://sts.eu-west-1.amazonaws.com")


def test_token_prefix_and_unpadded_base64url(sts):
    token = eks_token.mint_token(sts, "prod-eu")
    assert token.startswith("k8s-aws-v1.")
    body = token[len("k8s-aws-v1."):]
    assert "=" not in body and "+" not in body and "/" not in body


def test_token_decodes_to_presigned_get_caller_identity(sts):
    url = eks_token.presigned_url_from_token(eks_token.mint_token(sts, "prod-eu"))
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert parts.scheme == "https"
    assert parts.netloc == "sts.eu-west-1.amazonaws.com"
    assert query["Action"] == ["GetCallerIdentity"]
    assert query["Version"] == ["2011-06-15"]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["60"]
    assert query["X-Amz-Credential"][0].startswith("AKIDEXAMPLE/")
    assert query["X-Amz-Credential"][0].endswith("/eu-west-1/sts/aws4_request")
    # The cluster id header must be signed, or the authenticator rejects the token.
    assert query["X-Amz-SignedHeaders"] == ["host;x-k8s-aws-id"]
    assert len(query["X-Amz-Signature"][0]) == 64


def test_cluster_name_changes_the_signature(sts):
    one = parse_qs(urlsplit(eks_token.presign_get_caller_identity(sts, "a")).query)
    two = parse_qs(urlsplit(eks_token.presign_get_caller_identity(sts, "b")).query)
    assert one["X-Amz-Signature"] != two["X-Amz-Signature"]


def test_header_hook_is_removed_after_minting(sts):
    eks_token.mint_token(sts, "first")
    url = sts.generate_presigned_url("get_caller_identity", Params={}, ExpiresIn=60, HttpMethod="GET")
    assert parse_qs(urlsplit(url).query)["X-Amz-SignedHeaders"] == ["host"]


def test_expiry_is_configurable(sts):
    url = eks_token.presigned_url_from_token(eks_token.mint_token(sts, "c", expires=30))
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["30"]


@pytest.mark.parametrize("url", ["https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
                                 "https://x/?a=b~c", "https://x/?" + "p" * 61])
def test_round_trip_for_every_padding_length(url):
    token = eks_token.token_from_presigned_url(url)
    assert eks_token.presigned_url_from_token(token) == url
    assert token == "k8s-aws-v1." + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def test_refuses_foreign_token_and_empty_cluster(sts):
    with pytest.raises(ValueError):
        eks_token.presigned_url_from_token("Bearer abc")
    with pytest.raises(ValueError):
        eks_token.mint_token(sts, "")
