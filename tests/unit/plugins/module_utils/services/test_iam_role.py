# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""services/iam_role.py over a stubbed IAM client: a role's snapshot, its deletion, the OIDC providers."""

from __future__ import annotations

import datetime
import json

import pytest

from ansible_collections.eks.access.plugins.module_utils.services import iam_role

ACCOUNT = "111122223333"
ROLE = "arn:aws:iam::%s:role/team/app" % ACCOUNT
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}
ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/ABC"


@pytest.mark.parametrize("path, normal", [(None, "/"), ("", "/"), ("/", "/"), ("team", "/team/"),
                                          ("/team", "/team/"), ("a/b/", "/a/b/")])
def test_normalize_path(path, normal):
    assert iam_role.normalize_path(path) == normal


def test_a_missing_role_is_a_snapshot_with_the_planned_arn(context):
    context.stub("iam").add_client_error("get_role", "NoSuchEntity", "not found", 404, expected_params={
        "RoleName": "app"})
    snapshot = iam_role.IamRoles(context.aws("iam")).get("app", "aws", ACCOUNT, path="team")
    assert not snapshot.exists and snapshot.arn == ROLE and snapshot.view() == {}


def test_an_existing_role_is_read_whole_and_deleted_policies_first(context):
    iam = context.stub("iam")
    iam.add_response("get_role", {"Role": {
        "Path": "/team/", "RoleName": "app", "RoleId": "AROAEXAMPLE0000000001", "Arn": ROLE,
        "CreateDate": datetime.datetime(2026, 1, 1), "AssumeRolePolicyDocument": json.dumps(TRUST)}}, {"RoleName": "app"})
    iam.add_response("list_attached_role_policies", {"AttachedPolicies": [
        {"PolicyName": "ro", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]}, {"RoleName": "app"})
    iam.add_response("list_role_policies", {"PolicyNames": ["s3"]}, {"RoleName": "app"})
    iam.add_response("get_role_policy", {"RoleName": "app", "PolicyName": "s3", "PolicyDocument": json.dumps(TRUST)},
                     {"RoleName": "app", "PolicyName": "s3"})
    iam.add_response("list_role_tags", {"Tags": [{"Key": "team", "Value": "a"}]}, {"RoleName": "app"})
    roles = iam_role.IamRoles(context.aws("iam"))
    snapshot = roles.get("app", "aws", ACCOUNT)
    assert snapshot.exists and snapshot.trust == TRUST and snapshot.tags == {"team": "a"}
    assert snapshot.view() == {"arn": ROLE, "trust_policy": TRUST,
                               "attached_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
                               "inline_policies": {"s3": TRUST}}
    iam.add_response("detach_role_policy", {}, {"RoleName": "app", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
    iam.add_response("delete_role_policy", {}, {"RoleName": "app", "PolicyName": "s3"})
    iam.add_response("delete_role", {}, {"RoleName": "app"})
    roles.delete(snapshot)


def test_oidc_providers_match_the_arn_and_create_with_the_audience(context):
    iam = context.stub("iam")
    provider = "arn:aws:iam::%s:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC" % ACCOUNT
    iam.add_response("list_open_id_connect_providers", {"OpenIDConnectProviderList": [{"Arn": provider}]})
    iam.add_response("list_open_id_connect_providers", {"OpenIDConnectProviderList": []})
    iam.add_response("create_open_id_connect_provider", {}, {
        "Url": "https://oidc.eks.us-east-1.amazonaws.com/id/ABC", "ClientIDList": ["sts.amazonaws.com"],
        "ThumbprintList": [iam_role.OidcProviders.PLACEHOLDER_THUMBPRINT]})
    providers = iam_role.OidcProviders(context.aws("iam"))
    assert providers.exists(provider)
    assert not providers.exists(provider)
    providers.create(ISSUER)
