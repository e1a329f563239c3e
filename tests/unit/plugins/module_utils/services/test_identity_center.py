# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""services/identity_center.py: an IAM Identity Center instance's permission sets over a stubbed sso-admin."""

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils.model.sso import SsoRoleError
from ansible_collections.eks.access.plugins.module_utils.services.identity_center import PermissionSets

INSTANCE = "arn:aws:sso:::instance/ssoins-1111111111111111"
PS = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-2222222222222222"


def test_describe_names_a_missing_permission_set_and_its_instance(context):
    client, stubber = context.aws("sso-admin"), context.stub("sso-admin")
    stubber.add_client_error("describe_permission_set", "ResourceNotFoundException",
                             expected_params={"InstanceArn": INSTANCE, "PermissionSetArn": PS})
    with pytest.raises(SsoRoleError, match="permission set %s does not exist in IAM Identity Center instance %s"
                       % (PS, INSTANCE)):
        PermissionSets(client, INSTANCE).describe(PS)


def test_describe_all_and_the_accounts_a_permission_set_is_provisioned_to(context):
    client, stubber = context.aws("sso-admin"), context.stub("sso-admin")
    stubber.add_response("list_permission_sets", {"PermissionSets": [PS]}, {"InstanceArn": INSTANCE})
    stubber.add_response("describe_permission_set", {"PermissionSet": {"Name": "EKSAdmin", "PermissionSetArn": PS}},
                         {"InstanceArn": INSTANCE, "PermissionSetArn": PS})
    stubber.add_response("list_accounts_for_provisioned_permission_set", {"AccountIds": ["111122223333"]},
                         {"InstanceArn": INSTANCE, "PermissionSetArn": PS})
    sets = PermissionSets(client, INSTANCE)
    assert [d["PermissionSet"]["Name"] for d in sets.describe_all()] == ["EKSAdmin"]
    assert sets.provisioned_accounts(PS) == ["111122223333"]
