# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sandbox's STS refuses, as STS does, to assume a role that does not exist or a role ARN without its path."""

from __future__ import annotations

import os
import sys
import uuid

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "sandbox"))
import moto_sts_roles  # noqa: E402  pylint: disable=import-error,wrong-import-position

ACCOUNT = "123456789012"


def roles(account, partition):
    return [("/", "Plain"), ("/aws-reserved/sso.amazonaws.com/", "AWSReservedSSO_Admin_0123")] \
        if (account, partition) == (ACCOUNT, "aws") else []


@pytest.mark.parametrize("arn,exists", [
    ("arn:aws:iam::%s:role/Plain" % ACCOUNT, True),
    ("arn:aws:iam::%s:role/plain" % ACCOUNT, True),  # IAM role names are unique whatever their case
    ("arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123" % ACCOUNT, True),
    ("arn:aws:iam::%s:role/AWSReservedSSO_Admin_0123" % ACCOUNT, False),  # without its path
    ("arn:aws:iam::%s:role/other/Plain" % ACCOUNT, False),  # another path
    ("arn:aws:iam::%s:role/Missing" % ACCOUNT, False),
    ("arn:aws:iam::210987654321:role/Plain", False),  # another account
    ("arn:aws:iam::%s:user/Plain" % ACCOUNT, False),
    ("not an arn", False),
])
def test_role_exists_exactly(arn, exists):
    assert moto_sts_roles.role_exists(arn, roles) is exists


def test_moto_refuses_missing_and_pathless_roles_with_access_denied(monkeypatch):
    import boto3
    from botocore.exceptions import ClientError
    from moto import mock_aws

    # In-process moto only: a sandbox's AWS_ENDPOINT_URL (tests/run.sh sources .sandbox/env) would send
    # these calls to the sandbox's emulator instead.
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    moto_sts_roles.install()
    moto_sts_roles.install()  # twice is once
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        sts = boto3.client("sts", region_name="us-east-1")
        # A name of its own: moto's backends may hold other tests' roles in this process.
        name = "sts-check-%s" % uuid.uuid4().hex[:8]
        iam.create_role(RoleName=name, Path="/team/", AssumeRolePolicyDocument="{}")
        good = "arn:aws:iam::%s:role/team/%s" % (ACCOUNT, name)
        assumed = sts.assume_role(RoleArn=good, RoleSessionName="alice")
        assert assumed["AssumedRoleUser"]["Arn"] == "arn:aws:sts::%s:assumed-role/%s/alice" % (ACCOUNT, name)
        for wrong in ("arn:aws:iam::%s:role/%s" % (ACCOUNT, name), "arn:aws:iam::%s:role/team/%s-gone" % (ACCOUNT, name)):
            with pytest.raises(ClientError) as info:
                sts.assume_role(RoleArn=wrong, RoleSessionName="alice")
            error = info.value.response
            assert error["Error"]["Code"] == "AccessDenied"
            assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
            assert "sts:AssumeRole on resource: %s" % wrong in error["Error"]["Message"]
        with pytest.raises(ClientError) as info:
            sts.assume_role_with_web_identity(RoleArn="arn:aws:iam::%s:role/%s-gone" % (ACCOUNT, name),
                                              RoleSessionName="pod", WebIdentityToken="x" * 20)
        assert info.value.response["Error"]["Code"] == "AccessDenied"
