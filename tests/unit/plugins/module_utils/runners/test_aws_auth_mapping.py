# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The aws-auth runners (aws_auth_mapping, aws_auth_info, eks_sso_role) over a scripted Kubernetes API."""

from __future__ import annotations


from ansible_collections.eks.access.plugins.module_utils.runners import aws_auth_mapping

from ansible_collections.eks.access.tests.unit.plugins.fakes import ACCOUNT, CALLER, Harness

CM = "/api/v1/namespaces/kube-system/configmaps/aws-auth"
NODE = "arn:aws:iam::%s:role/node" % ACCOUNT
NODE_ENTRY = "- rolearn: %s\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n  - system:bootstrappers\n" \
             "  - system:nodes\n" % NODE


DEV = "arn:aws:iam::%s:role/dev" % ACCOUNT


def aws_auth(map_roles=NODE_ENTRY, **data):
    return {CM: {"apiVersion": "v1", "kind": "ConfigMap",
                 "metadata": {"name": "aws-auth", "namespace": "kube-system", "resourceVersion": "5"},
                 "data": dict({"mapRoles": map_roles}, **data)}}


def mapping(**overrides):
    values = dict(roles=[{"rolearn": DEV, "username": "dev", "groups": ["dev"]}])
    values.update(overrides)
    return aws_auth_mapping.Options(**values)


def test_mapping_reads_then_writes_once_with_the_resource_version():
    h = Harness(objects=aws_auth())
    h.caller()
    result = h.run(aws_auth_mapping.run, mapping())
    assert result["changed"] and result["protected_arns"] == [CALLER]
    assert h.kube_writes() == [("PUT", CM, False)]
    assert DEV in h.kube.objects[CM]["data"]["mapRoles"]


def test_mapping_in_check_mode_is_a_dry_run_and_the_second_plan_is_empty():
    h = Harness(check_mode=True, objects=aws_auth())
    h.caller()
    assert h.run(aws_auth_mapping.run, mapping())["changed"]
    assert h.kube_writes() == [("PUT", CM, True)]
    h = Harness(objects=aws_auth(NODE_ENTRY + "- rolearn: %s\n  username: dev\n  groups:\n  - dev\n" % DEV))
    h.caller()
    assert h.run(aws_auth_mapping.run, mapping())["changed"] is False
    assert h.kube_writes() == []


def test_mapping_a_foreign_partition_warns():
    """Issue 14 item 8: an aws-cn ARN in an aws cluster can never match a caller."""
    h = Harness(objects=aws_auth())
    h.caller()
    other = "arn:aws-cn:iam::%s:role/dev" % ACCOUNT
    h.run(aws_auth_mapping.run, mapping(roles=[{"rolearn": other}]))
    assert [w for w in h.module.warnings if "partition aws-cn, but the cluster is in aws" in w]


def test_removing_the_node_mapping_is_refused_in_one_sentence():
    h = Harness(objects=aws_auth())
    h.caller()
    result = h.run(aws_auth_mapping.run, mapping(roles=[{"rolearn": NODE}], state="absent"))
    assert result["msg"].startswith("Refusing to change aws-auth: ")
    assert "allow_node_mapping_changes" in result["msg"]
    assert h.kube_writes() == []


def test_a_lost_race_every_time_is_a_conflict():
    h = Harness(objects=aws_auth(), fail={("PUT", CM): (409, "the object has been modified")})
    h.caller()
    original = aws_auth_mapping.configmap.apply

    def no_sleep_apply(*args, **kwargs):
        return original(*args, sleep=lambda seconds: None, **kwargs)

    aws_auth_mapping.configmap.apply = no_sleep_apply
    try:
        result = h.run(aws_auth_mapping.run, mapping())
    finally:
        aws_auth_mapping.configmap.apply = original
    assert result["msg"] == "kube-system/aws-auth kept changing under us: 8 attempts ended in 409 Conflict"
    assert len(h.kube_writes()) == 8


def test_unknown_identity_reads_as_one_sentence():
    h = Harness(fail={("GET", CM): (401, "Unauthorized")})
    h.caller("arn:aws:sts::%s:assumed-role/Deploy/ci" % ACCOUNT)
    result = h.run(aws_auth_mapping.run, mapping())
    assert result["msg"].startswith("Cluster 'sandbox' does not know IAM identity arn:aws:sts::%s:assumed-role/Deploy/ci "
                                    "(401 Unauthorized): map its role arn:aws:iam::%s:role/Deploy (rolearn)"
                                    % (ACCOUNT, ACCOUNT))
    assert "HTTPHeaderDict" not in result["msg"] and "exception" not in result
