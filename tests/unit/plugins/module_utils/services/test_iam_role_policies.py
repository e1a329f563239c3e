# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""services/iam_role.py: the managed policy reads and writes, attached policies, roles under a path."""

from __future__ import annotations

import json

from ansible_collections.eks.access.plugins.module_utils.services import iam_role

POLICY = "arn:aws:iam::111122223333:policy/AmazonEKS_CNI_IPv6_Policy"
DOCUMENT = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:AssignIpv6Addresses",
                                                    "Resource": "*"}]}


def test_managed_policy_document_is_none_when_missing_else_the_default_version(context):
    client, stubber = context.aws("iam"), context.stub("iam")
    stubber.add_client_error("get_policy", "NoSuchEntity", expected_params={"PolicyArn": POLICY})
    stubber.add_response("get_policy", {"Policy": {"Arn": POLICY, "DefaultVersionId": "v3"}}, {"PolicyArn": POLICY})
    stubber.add_response("get_policy_version", {"PolicyVersion": {"Document": json.dumps(DOCUMENT), "VersionId": "v3"}},
                         {"PolicyArn": POLICY, "VersionId": "v3"})
    policies = iam_role.ManagedPolicies(client)
    assert policies.document(POLICY) is None
    assert policies.document(POLICY) == DOCUMENT


def test_managed_policy_create_sends_the_document_as_json(context):
    client, stubber = context.aws("iam"), context.stub("iam")
    stubber.add_response("create_policy", {"Policy": {"Arn": POLICY}}, {
        "PolicyName": "AmazonEKS_CNI_IPv6_Policy", "Path": "/", "PolicyDocument": json.dumps(DOCUMENT),
        "Description": "IPv6"})
    iam_role.ManagedPolicies(client).create("AmazonEKS_CNI_IPv6_Policy", "/", DOCUMENT, "IPv6")


def test_attached_policy_arns_is_none_for_a_missing_role(context):
    client, stubber = context.aws("iam"), context.stub("iam")
    stubber.add_client_error("list_attached_role_policies", "NoSuchEntity", expected_params={"RoleName": "gone"})
    stubber.add_response("list_attached_role_policies", {"AttachedPolicies": [
        {"PolicyName": "CNI", "PolicyArn": "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"}], "IsTruncated": False},
        {"RoleName": "node"})
    roles = iam_role.IamRoles(client)
    assert roles.attached_policy_arns("gone") is None
    assert roles.attached_policy_arns("node") == ["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"]


def test_roles_under_a_path_read_every_page(context):
    client, stubber = context.aws("iam"), context.stub("iam")
    role = {"Path": "/aws-reserved/sso.amazonaws.com/", "RoleName": "r1", "RoleId": "AROAEXAMPLE1234567890",
            "Arn": "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/r1",
            "CreateDate": "2024-01-01T00:00:00Z"}
    stubber.add_response("list_roles", {"Roles": [role], "IsTruncated": True, "Marker": "m"},
                         {"PathPrefix": "/aws-reserved/sso.amazonaws.com/"})
    stubber.add_response("list_roles", {"Roles": [dict(role, RoleName="r2")], "IsTruncated": False},
                         {"PathPrefix": "/aws-reserved/sso.amazonaws.com/", "Marker": "m"})
    names = [r["RoleName"] for r in iam_role.IamRoles(client).under_path("/aws-reserved/sso.amazonaws.com/")]
    assert names == ["r1", "r2"]


def test_try_assume_role_answers_credentials_or_why_not_once(context):
    stubber, sts = context.stub("sts"), context.aws("sts")
    role = "arn:aws:iam::111122223333:role/ops"
    params = {"RoleArn": role, "RoleSessionName": "eks-access-verify", "DurationSeconds": 900}
    stubber.add_response("assume_role", {"Credentials": {
        "AccessKeyId": "ASIAEXAMPLEEXAMPLE12", "SecretAccessKey": "s" * 20, "SessionToken": "t" * 20,
        "Expiration": "2030-01-01T00:00:00Z"}}, params)
    stubber.add_client_error("assume_role", "AccessDenied", expected_params=params)
    credentials, why = iam_role.try_assume_role(sts, role, "eks-access-verify")
    assert credentials["AccessKeyId"] == "ASIAEXAMPLEEXAMPLE12" and why is None
    assert iam_role.try_assume_role(sts, role, "eks-access-verify") == (None, "AccessDenied")  # not retried
