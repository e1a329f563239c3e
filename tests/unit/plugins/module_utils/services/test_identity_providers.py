# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""services/identity_providers.py over a stubbed EKS client: the reads, the update it waits for, its errors."""

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.services.identity_providers import IdentityProviders

CONFIG_ARN = "arn:aws:eks:us-east-1:111122223333:identityproviderconfig/prod/oidc/okta/1"


def oidc(name, issuer="https://issuer.example.com"):
    return {"identityProviderConfig": {"oidc": {
        "identityProviderConfigName": name, "identityProviderConfigArn": CONFIG_ARN, "clusterName": "prod",
        "issuerUrl": issuer, "clientId": "kubernetes", "status": "ACTIVE", "tags": {"team": "a"}}}}


def queue_configs(stub, configs, gone=()):
    """ListIdentityProviderConfigs, then a describe of each OIDC one (NotFound for those in ``gone``)."""
    stub.add_response("list_identity_provider_configs", {"identityProviderConfigs": [
        {"type": kind, "name": name} for kind, name in configs]}, {"clusterName": "prod"})
    for kind, name in configs:
        if kind != "oidc":
            continue
        if name in gone:
            stub.add_client_error("describe_identity_provider_config", "ResourceNotFoundException", "gone", 404)
        else:
            stub.add_response("describe_identity_provider_config", oidc(name), {
                "clusterName": "prod", "identityProviderConfig": {"type": "oidc", "name": name}})


def test_read_keeps_oidc_configs_in_name_order_and_skips_one_gone_meanwhile(context):
    queue_configs(context.stub("eks"), [("oidc", "zeta"), ("other", "x"), ("oidc", "gone"), ("oidc", "alpha")],
                  gone=("gone",))
    configs = IdentityProviders(context.aws("eks"), "prod").read()
    assert [c.name for c in configs] == ["alpha", "zeta"]
    assert configs[0].issuer_url == "https://issuer.example.com" and configs[0].tags == {"team": "a"}
    assert configs[0].arn == CONFIG_ARN and configs[0].status == "ACTIVE"


def test_a_missing_cluster_is_not_found_in_one_sentence(context):
    context.stub("eks").add_client_error("list_identity_provider_configs", "ResourceNotFoundException",
                                         "No cluster found for name: prod.", 404)
    with pytest.raises(errors.NotFound, match="^ListIdentityProviderConfigs on cluster prod: No cluster found"):
        IdentityProviders(context.aws("eks"), "prod").read()


def test_wait_returns_the_successful_update_and_names_the_reasons_of_a_failed_one(context):
    stub = context.stub("eks")
    stub.add_response("describe_update", {"update": {"id": "u-1", "status": "InProgress"}},
                      {"name": "prod", "updateId": "u-1"})
    stub.add_response("describe_update", {"update": {"id": "u-1", "status": "Successful"}},
                      {"name": "prod", "updateId": "u-1"})
    service = IdentityProviders(context.aws("eks"), "prod")
    assert service.wait("u-1", "associate okta", timeout=60, poll=0)["status"] == "Successful"
    stub.add_response("describe_update", {"update": {"id": "u-2", "status": "Failed", "errors": [
        {"errorCode": "InvalidParameterException", "errorMessage": "issuer unreachable"}]}})
    with pytest.raises(errors.EksAccessError) as raised:
        service.wait("u-2", "associate okta", timeout=60, poll=0)
    assert str(raised.value) == ("EKS update u-2 (associate okta) ended Failed "
                                 "(InvalidParameterException: issuer unreachable)")
    assert raised.value.details == {"update_id": "u-2"}


def test_tag_and_untag_only_what_is_asked(context):
    stub = context.stub("eks")
    stub.add_response("tag_resource", {}, {"resourceArn": CONFIG_ARN, "tags": {"team": "b"}})
    stub.add_response("untag_resource", {}, {"resourceArn": CONFIG_ARN, "tagKeys": ["old"]})
    service = IdentityProviders(context.aws("eks"), "prod")
    service.tag(CONFIG_ARN, {"team": "b"}, ["old"])
    service.tag(CONFIG_ARN, {}, [])  # nothing queued: a call would fail the test
