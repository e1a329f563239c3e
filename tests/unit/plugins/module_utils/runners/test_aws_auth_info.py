# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""runners/aws_auth_info.py over a scripted Kubernetes API: the lint and the way on without RBAC list rights."""

from __future__ import annotations

from ansible_collections.eks.access.plugins.module_utils.runners import aws_auth_info
from ansible_collections.eks.access.tests.unit.plugins.fakes import ACCOUNT, CALLER, Harness

from .test_aws_auth_mapping import NODE_ENTRY, aws_auth

# SHARED: NODE_ENTRY


def test_info_lints_foreign_partitions():
    other = "arn:aws-us-gov:iam::%s:role/gov" % ACCOUNT
    h = Harness(objects=aws_auth(NODE_ENTRY + "- rolearn: %s\n  groups:\n  - dev\n" % other))
    result = h.run(aws_auth_info.run, aws_auth_info.Options(check_bindings=False))
    found = [f for f in result["findings"] if f["code"] == "foreign_partition"]
    assert found == [{"code": "foreign_partition", "kind": "mapRoles", "arn": other,
                      "message": "%s is in partition aws-us-gov but the cluster is in aws, so no caller can ever "
                                 "match it; map the identity's aws ARN or remove the entry" % other}]


def test_info_without_rbac_list_says_how_to_go_on():
    h = Harness(objects=aws_auth(), fail={("GET", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings"):
                                          (403, "clusterrolebindings is forbidden")})
    h.caller()
    result = h.run(aws_auth_info.run, aws_auth_info.Options())
    assert result["msg"] == ("IAM identity %s may read aws-auth but not list RoleBindings and ClusterRoleBindings "
                             "(403 Forbidden: clusterrolebindings is forbidden); grant it list on them, or set "
                             "check_bindings=false" % CALLER)
