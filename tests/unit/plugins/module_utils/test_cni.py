# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json

import pytest

from ansible_collections.eks.access.plugins.module_utils import cni
from ansible_collections.eks.access.plugins.module_utils.cni import CniError
from ansible_collections.eks.access.plugins.module_utils.trust_policy import policies_equal

# vpc-cni-ipv6-policy.json as printed in the VPC CNI guide (seed 003).
GUIDE_IPV6_POLICY = json.loads(
    '{ "Version": "2012-10-17", "Statement": [ { "Effect": "Allow", "Action": [ "ec2:AssignIpv6Addresses", '
    '"ec2:DescribeInstances", "ec2:DescribeTags", "ec2:DescribeNetworkInterfaces", "ec2:DescribeInstanceTypes" ], '
    '"Resource": "*" }, { "Effect": "Allow", "Action": [ "ec2:CreateTags" ], "Resource": '
    '[ "arn:aws:ec2:*:*:network-interface/*" ] } ] }'
)

ROLE = "arn:aws:iam::111122223333:role/AmazonEKSVPCCNIRole"
IPV4_ARN = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"


@pytest.mark.parametrize("family", ["ipv4", "IPv4", " ipv4 "])
def test_ipv4(family):
    assert cni.cni_policy_for_ip_family(family) == {
        "ip_family": "ipv4",
        "aws_managed": True,
        "policy_name": "AmazonEKS_CNI_Policy",
        "policy_arn": IPV4_ARN,
        "policy_document": None,
    }


@pytest.mark.parametrize("partition", ["aws-cn", "aws-us-gov"])
def test_ipv4_partition(partition):
    assert cni.cni_policy_for_ip_family("ipv4", partition)["policy_arn"] == "arn:%s:iam::aws:policy/AmazonEKS_CNI_Policy" % partition


def test_ipv6_is_exactly_the_guide_document():
    result = cni.cni_policy_for_ip_family("ipv6")
    assert result["policy_document"] == GUIDE_IPV6_POLICY
    assert result["policy_name"] == "AmazonEKS_CNI_IPv6_Policy"
    assert result["aws_managed"] is False
    assert result["policy_arn"] is None
    assert result["ip_family"] == "ipv6"


def test_ipv6_with_account_and_partition():
    result = cni.cni_policy_for_ip_family("IPv6", "aws-cn", account_id="111122223333")
    assert result["policy_arn"] == "arn:aws-cn:iam::111122223333:policy/AmazonEKS_CNI_IPv6_Policy"
    assert result["policy_document"]["Statement"][1]["Resource"] == ["arn:aws-cn:ec2:*:*:network-interface/*"]
    assert not policies_equal(result["policy_document"], GUIDE_IPV6_POLICY)
    # only the partition differs
    assert json.dumps(result["policy_document"]).replace("arn:aws-cn:", "arn:aws:") == json.dumps(GUIDE_IPV6_POLICY)


def test_ipv6_document_is_a_fresh_copy():
    first = cni.cni_policy_for_ip_family("ipv6")["policy_document"]
    first["Statement"].clear()
    assert cni.cni_policy_for_ip_family("ipv6")["policy_document"] == GUIDE_IPV6_POLICY


@pytest.mark.parametrize(
    "family, partition, account",
    [("dualstack", "aws", None), ("", "aws", None), (None, "aws", None), (4, "aws", None), ("ipv4", "amazon", None), ("ipv6", "aws", "123")],
)
def test_cni_policy_rejects(family, partition, account):
    with pytest.raises(CniError):
        cni.cni_policy_for_ip_family(family, partition, account_id=account)


ENV = [
    {"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"},
    {"name": "AWS_ROLE_ARN", "value": ROLE},
    {"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"},
]


def pod(*containers, name="aws-node-cpjw7"):
    return {"metadata": {"name": name}, "spec": {"containers": list(containers)}}


@pytest.mark.parametrize(
    "p, role_arn, ok",
    [
        (pod({"name": "aws-node", "env": ENV}, {"name": "aws-eks-nodeagent", "env": ENV}), None, True),
        (pod({"name": "aws-node", "env": ENV}, {"name": "aws-eks-nodeagent"}), None, True),  # only aws-node is checked
        (pod({"name": "aws-node", "env": ENV}), ROLE, True),
        (pod({"name": "aws-node", "env": ENV}), "arn:aws:iam::111122223333:role/Other", False),
        (pod({"name": "aws-node", "env": ENV[:2]}), None, False),
        (pod({"name": "aws-node", "env": [ENV[2]]}), None, False),
        (pod({"name": "aws-node", "env": [{"name": "AWS_ROLE_ARN", "value": ""}, ENV[2]]}), None, False),
        (pod({"name": "aws-node", "env": None}), None, False),
        (pod({"name": "aws-node"}), None, False),
        (pod({"name": "aws-node", "env": ENV}, {"name": "aws-node", "env": []}), None, False),
        (pod({"name": "something-else", "env": ENV}), None, False),  # nothing verified
        (pod(), None, False),
        ({}, None, False),
        (None, None, False),
    ],
)
def test_aws_node_env_ok(p, role_arn, ok):
    assert cni.aws_node_env_ok(p, role_arn) is ok


def test_aws_node_pods_not_ok():
    pods = [pod({"name": "aws-node", "env": ENV}, name="a"), pod({"name": "aws-node"}, name="b")]
    assert cni.aws_node_pods_not_ok(pods) == ["b"]
    assert cni.aws_node_pods_not_ok(pods[:1], ROLE) == []


NODE_ROLES = {
    "AmazonEKSNodeRole": ["arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy", IPV4_ARN],
    "eksctl-NodeInstanceRole": [IPV4_ARN, "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"],
    "NoCni": ["arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"],
    "Empty": None,
}


@pytest.mark.parametrize(
    "verified, policy_arn, expected",
    [
        (False, IPV4_ARN, []),
        (
            True,
            IPV4_ARN,
            [
                {"role_name": "AmazonEKSNodeRole", "policy_arn": IPV4_ARN},
                {"role_name": "eksctl-NodeInstanceRole", "policy_arn": IPV4_ARN},
            ],
        ),
        (True, "arn:aws:iam::111122223333:policy/AmazonEKS_CNI_IPv6_Policy", []),
    ],
)
def test_plan_node_role_detach(verified, policy_arn, expected):
    assert cni.plan_node_role_detach(NODE_ROLES, policy_arn, verified) == expected


def test_plan_node_role_detach_edge_inputs():
    assert cni.plan_node_role_detach({}, IPV4_ARN, True) == []
    assert cni.plan_node_role_detach(None, IPV4_ARN, True) == []
    with pytest.raises(CniError):
        cni.plan_node_role_detach(NODE_ROLES, "AmazonEKS_CNI_Policy", True)
