# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IAM Identity Center (sso-admin): the permission sets of one instance, over a retrying client."""

from __future__ import annotations

from ansible_collections.eks.access.plugins.module_utils.clients import aws
from ansible_collections.eks.access.plugins.module_utils.model.sso import SsoRoleError


class PermissionSets:
    """The permission sets of IAM Identity Center instance ``instance_arn``."""

    def __init__(self, sso_admin: aws.AlwaysRetryingClient, instance_arn: str):
        self.client = sso_admin
        self.instance_arn = instance_arn

    def describe(self, permission_set_arn: str) -> dict:
        """DescribePermissionSet's answer; SsoRoleError when the instance has no such permission set."""
        try:
            return self.client.describe_permission_set(InstanceArn=self.instance_arn,
                                                       PermissionSetArn=permission_set_arn)
        except aws.with_code("ResourceNotFoundException"):
            raise SsoRoleError("permission set %s does not exist in IAM Identity Center instance %s"
                               % (permission_set_arn, self.instance_arn))

    def describe_all(self) -> list:
        """DescribePermissionSet's answer for every permission set of the instance."""
        arns = self.client.paginate("list_permission_sets", InstanceArn=self.instance_arn).get("PermissionSets", [])
        return [self.describe(arn) for arn in arns]

    def provisioned_accounts(self, permission_set_arn: str) -> list:
        """The account IDs the permission set is provisioned to."""
        return self.client.paginate("list_accounts_for_provisioned_permission_set", InstanceArn=self.instance_arn,
                                    PermissionSetArn=permission_set_arn).get("AccountIds", [])
