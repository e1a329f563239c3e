# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""eks_access_entry_info over a stubbed boto3 eks client: entries, policies, missing principals."""

from __future__ import annotations

import datetime

from ansible_collections.eks.access.plugins.module_utils.runners import eks_access_entry_info
from .test_eks_access_entry import CLUSTER, ALICE, ADMIN_ROLE, CLUSTER_ADMIN, NOW, make_context, cluster, listing, entry


def test_info_lists_entries_with_policies_and_finds_missing_principals():
    context = make_context()
    cluster(context.eks)
    listing(context.eks, [ADMIN_ROLE, ALICE])
    entry(context.eks, ADMIN_ROLE, associations=[(CLUSTER_ADMIN, {"type": "cluster"})])
    entry(context.eks, ALICE)
    iam = context.stubs["iam"]
    iam.add_response("get_role", {"Role": {"Path": "/", "RoleName": "admin", "RoleId": "AROAEXAMPLEEXAMPLE01",
                                           "Arn": ADMIN_ROLE, "CreateDate": NOW + datetime.timedelta(days=1),
                                           "AssumeRolePolicyDocument": "{}"}}, {"RoleName": "admin"})
    iam.add_client_error("get_user", "NoSuchEntity", "gone", 404, expected_params={"UserName": "alice"})
    with context.eks, iam:
        result = eks_access_entry_info.run(context, eks_access_entry_info.Options(
            cluster_name=CLUSTER, check_iam=True, concurrency=1))
    assert result["cluster_admins"] == [ADMIN_ROLE]
    assert result["entries"][0]["access_policies"][0]["policy"] == "AmazonEKSClusterAdminPolicy"
    assert {(f["code"], f["principal_arn"]) for f in result["findings"]} == {
        ("missing_principal", ALICE), ("recreated_principal", ADMIN_ROLE)}
