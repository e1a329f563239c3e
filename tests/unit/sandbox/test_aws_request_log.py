# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWS emulator's request log names each request's action as AWS routes it (aws_request_log.py)."""

from __future__ import annotations

import io
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "sandbox"))
import aws_request_log  # noqa: E402  pylint: disable=import-error,wrong-import-position

AUTH = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261205/us-west-2/%s/aws4_request, SignedHeaders=host, Signature=x"


def environ(service, method="GET", path="/", query="", body=b"", content_type="", target=None, raw=None):
    env = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "CONTENT_TYPE": content_type,
           "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)}
    if service:
        env["HTTP_AUTHORIZATION"] = AUTH % service
    if target:
        env["HTTP_X_AMZ_TARGET"] = target
    if raw:
        env["RAW_URI"] = raw
    return env


@pytest.mark.parametrize("env,action", [
    # REST (EKS): method and path against botocore's requestUri
    (environ("eks", "GET", "/clusters/sandbox"), "DescribeCluster"),
    (environ("eks", "GET", "/clusters/sandbox/access-entries"), "ListAccessEntries"),
    (environ("eks", "POST", "/clusters/sandbox/access-entries"), "CreateAccessEntry"),
    (environ("eks", "DELETE", "/clusters/sandbox/access-entries/arn:aws:iam::1:role/a/b",
             raw="/clusters/sandbox/access-entries/arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fa%2Fb"), "DeleteAccessEntry"),
    (environ("eks", "POST", "/clusters/sandbox/update-config"), "UpdateClusterConfig"),
    (environ("eks", "GET", "/clusters/sandbox/addons/vpc-cni"), "DescribeAddon"),
    # query protocol: the Action in the form body or the query string
    (environ("iam", "POST", body=b"Action=AttachRolePolicy&Version=2010-05-08",
             content_type="application/x-www-form-urlencoded; charset=utf-8"), "AttachRolePolicy"),
    (environ("sts", "GET", query="Action=GetCallerIdentity&Version=2011-06-15"), "GetCallerIdentity"),
    # JSON protocol: X-Amz-Target
    (environ("sso", "POST", body=b"{}", target="SWBExternalService.ListPermissionSets"), "ListPermissionSets"),
])
def test_actions_are_named_as_aws_routes_them(env, action):
    body = env["wsgi.input"].read()
    assert aws_request_log.action_of(env, body)[2] == action


def test_presigned_urls_name_their_service_and_key():
    env = environ(None, query="Action=GetCallerIdentity&X-Amz-Credential=AKIDTOKEN%2F20261205%2Fus-west-2%2Fsts%2F"
                              "aws4_request&X-Amz-Signature=abc")
    assert aws_request_log.action_of(env, b"") == ("sts", "AKIDTOKEN", "GetCallerIdentity")


@pytest.mark.parametrize("action,mutating", [
    ("CreateAccessEntry", True), ("UpdateClusterConfig", True), ("DeleteRole", True), ("PutRolePolicy", True),
    ("AttachRolePolicy", True), ("DetachRolePolicy", True), ("AssociateAccessPolicy", True),
    ("DisassociateAccessPolicy", True), ("TagResource", True), ("UntagResource", True),
    ("DescribeCluster", False), ("ListAccessEntries", False), ("GetRole", False), ("AssumeRole", False), (None, False),
])
def test_mutating_actions(action, mutating):
    assert aws_request_log.is_mutating(action) is mutating


def test_the_middleware_appends_one_line_per_request_and_leaves_the_body_to_the_app(tmp_path):
    seen = []

    def app(env, start_response):
        seen.append(env["wsgi.input"].read())
        start_response("201 Created", [])
        return [b"{}"]

    log = str(tmp_path / "requests.log")
    middleware = aws_request_log.RequestLog(app, log)
    middleware(environ("eks", "POST", "/clusters/sandbox/access-entries", body=b'{"principalArn": "x"}'),
               lambda status, headers: None)
    middleware(environ(None, "GET", "/_sandbox/eks/access/us-west-2/sandbox"), lambda status, headers: None)
    assert seen == [b'{"principalArn": "x"}', b""]
    records = aws_request_log.read(log)
    assert [(r["service"], r["action"], r["status"]) for r in records] == [("eks", "CreateAccessEntry", 201)]
    assert aws_request_log.read(log, os.path.getsize(log)) == []
