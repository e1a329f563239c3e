# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os
import re
import subprocess

import pytest


@pytest.fixture(scope="session")
def sandbox_env():
    """The environment .sandbox/env exports; integration tests need the sandbox up."""
    if not os.environ.get("KUBECONFIG") or not os.environ.get("AWS_ENDPOINT_URL"):
        pytest.fail("the sandbox environment is not loaded: run `make sandbox` and source .sandbox/env")
    return dict(os.environ)


def playbook_env(env):
    """Environment for an ansible-playbook run in tests: plain output, no retry files."""
    return dict(env, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
                ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")


def run_sandbox_playbook(env, argv, timeout=900):
    """Run ``argv`` (an ansible-playbook command) with playbook_env; it must succeed. Returns its output."""
    result = subprocess.run(argv, env=playbook_env(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            check=False, timeout=timeout)
    assert result.returncode == 0, result.stdout[-15000:]
    return result.stdout


def recap(output, host="sandbox"):
    """The PLAY RECAP counts of ``host``: ok, changed, unreachable, failed."""
    match = re.search(r"^%s\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)" % re.escape(host),
                      output, re.M)
    assert match, output[-3000:]
    return dict(zip(("ok", "changed", "unreachable", "failed"), map(int, match.groups())))


def ensure_role(env, account, name):
    """IAM role ``name`` in ``account`` (created when missing, trusting the sandbox account); returns its ARN.

    The sandbox's STS, like STS, refuses to assume a role that does not
    exist.  A role in another account than the sandbox's is created there
    through moto's ``x-moto-account-id`` request header (the emulator's way to
    act in a second account; tests only).
    """
    import json as _json

    import boto3
    from botocore.exceptions import ClientError

    # From ``env``, not the process environment: a test may have cut that down (an AWX execution node's).
    iam = boto3.client("iam", region_name=env["AWS_REGION"], endpoint_url=env["AWS_ENDPOINT_URL"],
                       aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    if account != env["AWS_ACCOUNT_ID"]:
        iam.meta.events.register("before-sign.iam.*", lambda request, **_kw: request.headers.__setitem__(
            "x-moto-account-id", account))
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % env["AWS_ACCOUNT_ID"]},
        "Action": "sts:AssumeRole"}]}
    try:
        return iam.create_role(RoleName=name, AssumeRolePolicyDocument=_json.dumps(trust))["Role"]["Arn"]
    except ClientError as e:
        if e.response["Error"]["Code"] != "EntityAlreadyExists":
            raise
    return iam.get_role(RoleName=name)["Role"]["Arn"]
