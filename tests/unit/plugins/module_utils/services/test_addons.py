# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""services/addons.py over a stubbed EKS client: reads that tolerate absence, and the waits."""

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils.services import addons

NAME = "aws-ebs-csi-driver"
WHERE = {"clusterName": "prod", "addonName": NAME}


def service(context):
    return addons.AddonService(context.aws("eks"), "prod", poll_interval=0, sleep=lambda seconds: None)


def test_describe_of_an_add_on_not_installed_is_none(context):
    context.stub("eks").add_client_error("describe_addon", "ResourceNotFoundException", "no", 404,
                                         expected_params=WHERE)
    assert service(context).describe(NAME) is None


def test_a_version_eks_does_not_describe_has_no_pod_identity_service_accounts(context):
    stub = context.stub("eks")
    stub.add_response("describe_addon_configuration", {
        "addonName": NAME, "addonVersion": "v1", "configurationSchema": "{}",
        "podIdentityConfiguration": [{"serviceAccount": "ebs-csi-controller-sa"}, {"recommendedManagedPolicies": []}]})
    stub.add_client_error("describe_addon_configuration", "InvalidParameterException", "unknown version", 400)
    assert service(context).pod_identity_service_accounts(NAME, "v1") == ["ebs-csi-controller-sa"]
    assert service(context).pod_identity_service_accounts(NAME, "v0") == []


def test_create_waits_until_active_and_a_degraded_add_on_names_its_issues(context):
    stub = context.stub("eks")
    stub.add_response("create_addon", {"addon": {"addonName": NAME, "status": "CREATING"}})
    stub.add_response("describe_addon", {"addon": {"addonName": NAME, "status": "CREATING"}}, WHERE)
    stub.add_response("describe_addon", {"addon": {"addonName": NAME, "status": "ACTIVE"}}, WHERE)
    assert service(context).create(NAME, {})["status"] == "ACTIVE"
    stub.add_response("create_addon", {"addon": {"addonName": NAME, "status": "CREATING"}})
    stub.add_response("describe_addon", {"addon": {"addonName": NAME, "status": "DEGRADED", "health": {
        "issues": [{"code": "InsufficientNumberOfReplicas", "message": "0 of 2 replicas ready"}]}}}, WHERE)
    with pytest.raises(addons.AddonUpdateFailed, match="is DEGRADED: 0 of 2 replicas ready; fix the cause"):
        service(context).create(NAME, {})


def test_an_update_that_fails_says_why_and_one_that_outlasts_the_wait_says_to_run_again(context):
    stub = context.stub("eks")
    stub.add_response("update_addon", {"update": {"id": "u-1", "status": "InProgress"}})
    stub.add_response("describe_update", {"update": {"id": "u-1", "status": "Failed", "errors": [
        {"errorCode": "ConfigurationConflict", "errorMessage": "field managed elsewhere"}]}},
        {"name": "prod", "updateId": "u-1", "addonName": NAME})
    with pytest.raises(addons.AddonUpdateFailed, match="update u-1 of add-on .* ended Failed: field managed"):
        service(context).update(NAME, {"addonVersion": "v2"})
    stub.add_response("delete_addon", {"addon": {"addonName": NAME, "status": "DELETING"}},
                      dict(WHERE, preserve=False))
    stub.add_response("describe_addon", {"addon": {"addonName": NAME, "status": "DELETING"}}, WHERE)
    with pytest.raises(addons.AddonWaitTimeout, match="the deletion of add-on .* had not finished after 0 s"):
        service(context).delete(NAME, timeout=0)
