# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sandbox's AWS side as the test suites reach it: boto3 clients, test roles, OIDC providers, clusters.

Shared by tests/integration, tests/reliability and tests/bench (docs/testing.md, "Shared test helpers").
"""

from __future__ import annotations

import json
import os


def aws_client(env, service, account=None, region=None):
    """A boto3 client of ``service`` on the sandbox's endpoint, with the keys and region of ``env``.

    From ``env``, not the process environment: a test may have cut that down
    (an AWX execution node's).  ``account``: act in another account than the
    sandbox's, through moto's ``x-moto-account-id`` request header (the
    emulator's way to act in a second account; tests only); ``region``: another region than the sandbox's.
    """
    import boto3

    client = boto3.client(service, region_name=region or env["AWS_REGION"], endpoint_url=env["AWS_ENDPOINT_URL"],
                          aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    if account and account != env["AWS_ACCOUNT_ID"]:
        client.meta.events.register("before-sign.%s.*" % service, lambda request, **_kw: request.headers.__setitem__(
            "x-moto-account-id", account))
    return client


def ensure_role(env, account, name):
    """IAM role ``name`` in ``account`` (created when missing, trusting the sandbox account); returns its ARN.

    The sandbox's STS, like STS, refuses to assume a role that does not exist.
    """
    from botocore.exceptions import ClientError

    iam = aws_client(env, "iam", account)
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % env["AWS_ACCOUNT_ID"]},
        "Action": "sts:AssumeRole"}]}
    try:
        return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    except ClientError as e:
        if e.response["Error"]["Code"] != "EntityAlreadyExists":
            raise
    return iam.get_role(RoleName=name)["Role"]["Arn"]


def delete_oidc_providers(iam, issuer):
    """Delete the IAM OIDC provider(s) of ``issuer`` (with or without https://); none is fine."""
    issuer = issuer.replace("https://", "")
    for provider in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
        if provider["Arn"].endswith("oidc-provider/" + issuer):
            iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=provider["Arn"])


def sandbox_clusters(env):
    """[(name, region)] from EKS_SANDBOX_CLUSTERS ("name:region,...")."""
    return [tuple(item.split(":", 1)) for item in env.get("EKS_SANDBOX_CLUSTERS", "").split(",") if item]


def cluster_api_clients(env, needed):
    """[(name, region, kubernetes ApiClient as the cluster admin)] of the sandbox's clusters, in their order.

    Skips the test when the sandbox has fewer than ``needed`` clusters.
    """
    import pytest
    from kubernetes import config

    clusters = sandbox_clusters(env)
    if len(clusters) < needed:
        pytest.skip("needs a sandbox with at least %d clusters (make sandbox CLUSTERS=%d; make test starts one); "
                    "this one has %d (EKS_SANDBOX_CLUSTERS=%r)"
                    % (needed, needed, len(clusters), env.get("EKS_SANDBOX_CLUSTERS", "")))
    return [(name, region, config.new_client_from_config(
        config_file=os.path.join(env["EKS_SANDBOX_DIR"], "kubeconfig-" + name))) for name, region in clusters]
