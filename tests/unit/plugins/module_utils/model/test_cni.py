# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json

import pytest

from ansible_collections.eks.access.plugins.module_utils.model import cni
from ansible_collections.eks.access.plugins.module_utils.model.cni import CniError
from ansible_collections.eks.access.plugins.module_utils.model.trust_policy import policies_equal

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


# --------------------------------------------------------------------------- IPv6 policy


def test_plan_ipv6_policy():
    assert cni.plan_ipv6_policy(None, GUIDE_IPV6_POLICY) == {"action": "create", "matches_guide": True}
    assert cni.plan_ipv6_policy(json.dumps(GUIDE_IPV6_POLICY), GUIDE_IPV6_POLICY) == {
        "action": "none", "matches_guide": True}
    tightened = {"Version": "2012-10-17", "Statement": [GUIDE_IPV6_POLICY["Statement"][0]]}
    # an existing, different policy is used as it is, never rewritten
    assert cni.plan_ipv6_policy(tightened, GUIDE_IPV6_POLICY) == {"action": "none", "matches_guide": False}


# --------------------------------------------------------------------------- verify_pods

TOKEN = "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"
IRSA_ENV = [{"name": "AWS_ROLE_ARN", "value": ROLE}, {"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": TOKEN}]


MOUNT = [{"name": "aws-iam-token", "mountPath": "/var/run/secrets/eks.amazonaws.com/serviceaccount", "readOnly": True}]
TOKEN_VOLUME = {"name": "aws-iam-token", "projected": {"sources": [
    {"serviceAccountToken": {"audience": "sts.amazonaws.com", "expirationSeconds": 86400, "path": "token"}}]}}


def full_pod(name, env=None, init_env=None, agent_env=None, annotations=None, deleting=False, webhook=True):
    """An aws-node pod as the pod identity webhook leaves it (``webhook=False``: variables set by hand, no token)."""
    env, init_env, agent_env = (IRSA_ENV if e is None else e for e in (env, init_env, agent_env))
    meta = {"name": name}
    if annotations:
        meta["annotations"] = annotations
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"

    def container(cname, cenv):
        return dict({"name": cname, "env": list(cenv)}, **({"volumeMounts": list(MOUNT)} if webhook else {}))

    return {
        "metadata": meta,
        "spec": {"nodeName": "node-" + name,
                 "initContainers": [container("aws-vpc-cni-init", init_env)],
                 "containers": [container("aws-node", env), container("aws-eks-nodeagent", agent_env)],
                 "volumes": [TOKEN_VOLUME] if webhook else []},
        "status": {"phase": "Running"},
    }


def test_verify_pods_all_good():
    report = cni.verify_pods([full_pod("a"), full_pod("b")], ROLE, desired=2)
    assert report["ok"] is True
    assert report["checked"] == 2
    assert report["failures"] == []
    assert [c["name"] for c in report["pods"][0]["containers"]] == ["aws-vpc-cni-init", "aws-node", "aws-eks-nodeagent"]
    assert report["pods"][0]["containers"][0]["kind"] == "initContainers"
    assert report["pods"][0]["node"] == "node-a"


def test_verify_pods_every_mutated_container_counts():
    report = cni.verify_pods([full_pod("a", agent_env=[]), full_pod("b", init_env=IRSA_ENV[1:])], ROLE)
    assert report["ok"] is False
    assert cni.failure_lines(report) == [
        "a/aws-eks-nodeagent: AWS_ROLE_ARN is not set",
        "a/aws-eks-nodeagent: AWS_WEB_IDENTITY_TOKEN_FILE is not set",
        "b/aws-vpc-cni-init: AWS_ROLE_ARN is not set",
    ]
    assert [p["ok"] for p in report["pods"]] == [False, False]


def test_verify_pods_wrong_role_and_skip_containers():
    other = [{"name": "AWS_ROLE_ARN", "value": "arn:aws:iam::111122223333:role/Other"}, IRSA_ENV[1]]
    report = cni.verify_pods([full_pod("a", agent_env=other)], ROLE)
    assert cni.failure_lines(report) == ["a/aws-eks-nodeagent: AWS_ROLE_ARN is arn:aws:iam::111122223333:role/Other, not %s" % ROLE]
    skipped = full_pod("a", agent_env=[], annotations={"eks.amazonaws.com/skip-containers": "aws-eks-nodeagent, x"})
    assert cni.verify_pods([skipped], ROLE)["ok"] is True


def test_verify_pods_refuses_variables_set_by_hand_without_the_projected_token():
    """Issue 14 item 5: the names alone are not credentials."""
    report = cni.verify_pods([full_pod("by-hand", webhook=False)], ROLE, desired=1)
    assert report["ok"] is False
    lines = cni.failure_lines(report)
    assert len(lines) == 3
    assert all("no projected service-account token volume is mounted there" in line for line in lines)


def test_verify_pods_wants_the_sts_audience():
    pod = full_pod("a")
    pod["spec"]["volumes"] = [{"name": "aws-iam-token", "projected": {"sources": [
        {"serviceAccountToken": {"audience": "pods.eks.amazonaws.com", "path": "token"}}]}}]
    report = cni.verify_pods([pod], ROLE)
    assert report["ok"] is False
    assert "audience pods.eks.amazonaws.com, not sts.amazonaws.com" in cni.failure_lines(report)[0]
    assert cni.verify_pods([pod], ROLE, audience="pods.eks.amazonaws.com")["ok"] is True


def test_verify_pods_missing_nodes_and_terminating_pods():
    report = cni.verify_pods([full_pod("a"), full_pod("old", env=[], deleting=True)], ROLE, desired=3)
    assert report["terminating"] == ["old"]
    assert report["checked"] == 1
    assert report["ok"] is False
    assert cni.failure_lines(report) == ["DaemonSet: 1 pods checked but the DaemonSet wants 3: the other nodes were not verified"]
    assert cni.verify_pods([], ROLE, desired=0)["ok"] is True


def test_verify_pods_without_containers_is_not_verified():
    report = cni.verify_pods([{"metadata": {"name": "x"}, "spec": {}}], ROLE)
    assert report["ok"] is False
    assert report["failures"] == [{"pod": "x", "container": None, "problem": "the pod has no containers"}]


def test_verify_pods_rollback_expects_no_irsa():
    plain = full_pod("a", env=[], init_env=[], agent_env=[])
    assert cni.verify_pods([plain], None, desired=1, expect_irsa=False)["ok"] is True
    report = cni.verify_pods([full_pod("b")], None, expect_irsa=False)
    assert report["ok"] is False
    assert "b/aws-node: AWS_ROLE_ARN is still set (%s)" % ROLE in cni.failure_lines(report)


def test_verify_pods_rejects_bad_role():
    with pytest.raises(CniError):
        cni.verify_pods([], 42)


# --------------------------------------------------------------------------- node roles

NG_ARN = "arn:aws:iam::111122223333:role/eksctl-ng-1-NodeInstanceRole-ABC"


@pytest.mark.parametrize("value, expected", [
    ("AmazonEKSNodeRole", {"role_name": "AmazonEKSNodeRole", "account": "111122223333",
                           "role_arn": "arn:aws:iam::111122223333:role/AmazonEKSNodeRole"}),
    (" AmazonEKSNodeRole ", {"role_name": "AmazonEKSNodeRole", "account": "111122223333",
                             "role_arn": "arn:aws:iam::111122223333:role/AmazonEKSNodeRole"}),
    (NG_ARN, {"role_name": "eksctl-ng-1-NodeInstanceRole-ABC", "account": "111122223333", "role_arn": NG_ARN}),
    ("arn:aws:iam::444455556666:role/some/path/Nodes", {"role_name": "Nodes", "account": "444455556666",
                                                        "role_arn": "arn:aws:iam::444455556666:role/some/path/Nodes"}),
])
def test_node_role_keeps_its_account(value, expected):
    assert cni.node_role(value, "111122223333") == expected


@pytest.mark.parametrize("value", ["", None, "arn:aws:iam::111122223333:user/bob", "a/b", "arn:aws:iam::1:role/x"])
def test_node_role_rejects(value):
    with pytest.raises(CniError):
        cni.node_role(value)


def test_aws_auth_node_role_arns():
    from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import parse as aws_auth_parse

    model = aws_auth_parse.parse_aws_auth({"mapRoles": "\n".join([
        "- rolearn: %s" % NG_ARN,
        "  username: system:node:{{EC2PrivateDNSName}}",
        "  groups: [system:bootstrappers, system:nodes]",
        "- rolearn: arn:aws:iam::111122223333:role/admins",
        "  username: admin",
        "  groups: [system:masters]",
        "- rolearn: arn:aws:iam::111122223333:role/windows",
        "  groups: [system:bootstrappers, system:nodes, eks:kube-proxy-windows]",
        "- rolearn: %s" % NG_ARN,
        "  groups: [system:nodes]",
    ])})
    assert cni.aws_auth_node_role_arns(model) == [NG_ARN, "arn:aws:iam::111122223333:role/windows"]
    assert cni.aws_auth_node_role_arns(None) == []


def test_collect_node_roles_merges_sources_in_order():
    roles = cni.collect_node_roles([NG_ARN], ["arn:aws:iam::111122223333:role/self", NG_ARN], ["extra", "Self"],
                                   account="111122223333")
    assert [(r["role_name"], r["sources"]) for r in roles] == [
        ("eksctl-ng-1-NodeInstanceRole-ABC", ["nodegroup", "aws-auth"]),
        ("self", ["aws-auth", "explicit"]),
        ("extra", ["explicit"]),
    ]
    assert roles[2]["role_arn"] == "arn:aws:iam::111122223333:role/extra"
    assert cni.collect_node_roles() == []


def test_collect_node_roles_keeps_same_named_roles_of_two_accounts_apart():
    roles = cni.collect_node_roles(["arn:aws:iam::444455556666:role/nodes"], ["arn:aws:iam::111122223333:role/nodes"],
                                   account="111122223333")
    assert [(r["account"], r["role_name"]) for r in roles] == [("444455556666", "nodes"), ("111122223333", "nodes")]


def test_plan_node_role_policy_skips_a_role_of_another_account():
    """Issue 14 item 4: a same-named role of the caller's account must not be touched for it."""
    roles = cni.collect_node_roles(["arn:aws:iam::444455556666:role/nodes"], account="111122223333")
    plan = cni.plan_node_role_policy(roles, {"nodes": [IPV4_ARN]}, IPV4_ARN, "absent", account="111122223333")
    assert plan[0]["action"] == "skip"
    assert "belongs to account 444455556666, not to the caller's account 111122223333" in plan[0]["reason"]


def test_other_users_of_roles():
    groups = [
        {"cluster": "prod", "nodegroup": "ng-1", "role_arn": NG_ARN, "region": "eu-west-1"},
        {"cluster": "stage", "nodegroup": "ng-a", "role_arn": NG_ARN.replace("NodeInstanceRole", "nodeinstancerole"),
         "region": "eu-west-1"},
        {"cluster": "dev", "nodegroup": "ng-b", "role_arn": NG_ARN, "region": "eu-west-1"},
        {"cluster": "other", "nodegroup": "ng-c", "role_arn": "arn:aws:iam::111122223333:role/x", "region": "eu-west-1"},
    ]
    others = cni.other_users_of_roles(groups, [NG_ARN], "prod", ["dev"])
    assert [(g["cluster"], g["nodegroup"]) for g in others[NG_ARN]] == [("stage", "ng-a")]
    assert cni.other_users_of_roles(groups, [NG_ARN], "prod", ["dev", "stage"]) == {}


ROLES = [{"role_name": name, "sources": ["explicit"], "account": None, "role_arn": None}
         for name in ("with", "without", "excepted", "missing")]
ATTACHED = {
    "with": ["arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy", IPV4_ARN],
    "without": ["arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"],
    "excepted": [IPV4_ARN],
    "missing": None,
}


def _by_name(plan):
    return dict((e["role_name"], e) for e in plan)


def test_plan_node_role_policy_detach_exactly_one_policy():
    roles = [dict(r, account="111122223333") for r in ROLES]
    plan = _by_name(cni.plan_node_role_policy(roles, ATTACHED, IPV4_ARN, "absent", ["arn:aws:iam::111122223333:role/excepted"],
                                              account="111122223333"))
    assert plan["with"]["action"] == "detach"
    assert plan["with"]["after"] == ["arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"]
    assert plan["without"]["action"] == "none"
    assert plan["without"]["after"] == plan["without"]["before"]
    assert plan["excepted"]["action"] == "skip"
    assert "still needing" in plan["excepted"]["reason"]
    assert plan["excepted"]["after"] == [IPV4_ARN]
    assert plan["missing"]["action"] == "skip"
    assert plan["missing"]["before"] is None


def test_plan_node_role_policy_attach_for_rollback():
    plan = _by_name(cni.plan_node_role_policy(ROLES, ATTACHED, IPV4_ARN, "present"))
    assert plan["with"]["action"] == "none"
    assert plan["without"]["action"] == "attach"
    assert plan["without"]["after"] == ["arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy", IPV4_ARN]
    assert plan["excepted"]["action"] == "none"


def test_plan_node_role_policy_ipv6_leaves_the_ipv4_policy():
    v6 = "arn:aws:iam::111122223333:policy/AmazonEKS_CNI_IPv6_Policy"
    plan = cni.plan_node_role_policy(ROLES[:1], {"with": ATTACHED["with"] + [v6]}, v6, "absent")
    assert plan[0]["after"] == ATTACHED["with"]


@pytest.mark.parametrize("policy, state", [("AmazonEKS_CNI_Policy", "absent"), (ROLE, "absent"), (IPV4_ARN, "gone")])
def test_plan_node_role_policy_rejects(policy, state):
    with pytest.raises(CniError):
        cni.plan_node_role_policy(ROLES, ATTACHED, policy, state)


# --------------------------------------------------------------------------- managed add-on


def test_plan_addon_role():
    assert cni.plan_addon_role(None, ROLE)["action"] == "absent"
    addon = {"addonName": "vpc-cni", "addonVersion": "v1.20.4-eksbuild.1", "status": "ACTIVE"}
    plan = cni.plan_addon_role(addon, ROLE)
    assert plan["action"] == "update"
    assert plan["update"] == {"serviceAccountRoleArn": ROLE}
    assert cni.plan_addon_role(dict(addon, serviceAccountRoleArn=ROLE), ROLE)["action"] == "none"


def test_plan_addon_role_removal_is_an_update_without_the_role_keeping_configuration():
    addon = {"addonName": "vpc-cni", "serviceAccountRoleArn": ROLE, "configurationValues": '{"env":{"WARM_IP_TARGET":"5"}}'}
    plan = cni.plan_addon_role(addon, None)
    assert plan["action"] == "update"
    assert plan["update"] == {"configurationValues": '{"env":{"WARM_IP_TARGET":"5"}}'}
    assert cni.plan_addon_role({"addonName": "vpc-cni"}, None)["action"] == "none"


def test_plan_addon_role_rejects_non_role_arns():
    with pytest.raises(CniError):
        cni.plan_addon_role({"addonName": "vpc-cni"}, "arn:aws:iam::111122223333:user/bob")


def test_addon_summary():
    assert cni.addon_summary(None) == {"exists": False, "name": "vpc-cni"}
    summary = cni.addon_summary({"addonName": "vpc-cni", "addonVersion": "v1", "status": "ACTIVE", "serviceAccountRoleArn": "",
                                 "addonArn": "arn:aws:eks:us-west-2:111122223333:addon/c/vpc-cni/x"})
    assert summary["exists"] is True
    assert summary["service_account_role_arn"] is None
