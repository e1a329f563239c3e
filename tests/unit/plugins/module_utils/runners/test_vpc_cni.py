# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VPC CNI runners with fake clients: botocore Stubbers for AWS, a scripted KubeApi for the cluster.

A Stubber answers only the calls queued for it, in order: a write that a test
does not queue (a detach in check mode, or after a refusal) fails the test.
"""

from __future__ import annotations

import copy
import datetime

import pytest

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.runners import vpc_cni as runner
from ansible_collections.eks.access.plugins.module_utils.services import lease

from ansible_collections.eks.access.tests.unit.plugins.fakes import FakeContext, ScriptedKube

ACCOUNT = "111122223333"
CNI = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"
WORKER = "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"
NODE_ROLE = "eksctl-prod-nodegroup-NodeInstanceRole-1"
NODE_ROLE_ARN = "arn:aws:iam::%s:role/%s" % (ACCOUNT, NODE_ROLE)
CNI_ROLE = "arn:aws:iam::%s:role/AmazonEKSVPCCNIRole" % ACCOUNT
TOKEN_DIR = "/var/run/secrets/eks.amazonaws.com/serviceaccount"
DS_PATH = "/apis/apps/v1/namespaces/kube-system/daemonsets/aws-node"
SA_PATH = "/api/v1/namespaces/kube-system/serviceaccounts/aws-node"
LEASE_PATH = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/eks-access-vpc-cni"


@pytest.fixture(autouse=True)
def sequential_reads(monkeypatch):
    # Stubbers answer in order; one thread keeps the order of the per-cluster reads fixed.
    monkeypatch.setattr(runner, "MAX_PARALLEL_READS", 1)


def aws_node_pod(name, irsa=True):
    container = {"name": "aws-node", "env": []}
    pod = {"metadata": {"name": name, "namespace": "kube-system", "labels": {"k8s-app": "aws-node"}},
           "spec": {"containers": [container], "volumes": []}, "status": {"phase": "Running"}}
    if irsa:
        container["env"] = [{"name": "AWS_ROLE_ARN", "value": CNI_ROLE},
                            {"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": TOKEN_DIR + "/token"}]
        container["volumeMounts"] = [{"name": "aws-iam-token", "mountPath": TOKEN_DIR}]
        pod["spec"]["volumes"] = [{"name": "aws-iam-token", "projected": {"sources": [
            {"serviceAccountToken": {"audience": "sts.amazonaws.com", "path": "token"}}]}}]
    return pod


def cluster(pods_irsa=(True, True, True)):
    ds = {"metadata": {"name": "aws-node", "namespace": "kube-system"},
          "spec": {"selector": {"matchLabels": {"k8s-app": "aws-node"}},
                   "template": {"spec": {"serviceAccountName": "aws-node"}}},
          "status": {"desiredNumberScheduled": len(pods_irsa)}}
    sa = {"metadata": {"name": "aws-node", "namespace": "kube-system",
                       "annotations": {"eks.amazonaws.com/role-arn": CNI_ROLE}}}
    pods = [aws_node_pod("aws-node-%d" % i, irsa) for i, irsa in enumerate(pods_irsa)]
    return ScriptedKube({DS_PATH: ds, SA_PATH: sa}, {"kube-system": pods})


def queue_discovery(ctx, attached=(WORKER, CNI)):
    eks, iam = ctx.stub("eks"), ctx.stub("iam")
    eks.add_response("list_nodegroups", {"nodegroups": ["ng-1"]}, {"clusterName": "prod"})
    eks.add_response("describe_nodegroup", {"nodegroup": {"nodegroupName": "ng-1", "nodeRole": NODE_ROLE_ARN}},
                     {"clusterName": "prod", "nodegroupName": "ng-1"})
    iam.add_response("list_attached_role_policies", {"AttachedPolicies": [
        {"PolicyName": a.rsplit("/", 1)[1], "PolicyArn": a} for a in attached]}, {"RoleName": NODE_ROLE})


def queue_region(ctx, other_clusters=()):
    """ListClusters of the region and the node groups of each cluster (``other_clusters``: name → role ARN)."""
    eks = ctx.stub("eks")
    eks.add_response("list_clusters", {"clusters": ["prod"] + list(other_clusters)}, {})
    for name, role in [("prod", NODE_ROLE_ARN)] + list(other_clusters.items() if other_clusters else []):
        eks.add_response("list_nodegroups", {"nodegroups": ["ng-a"]}, {"clusterName": name})
        eks.add_response("describe_nodegroup", {"nodegroup": {"nodegroupName": "ng-a", "nodeRole": role}},
                         {"clusterName": name, "nodegroupName": "ng-a"})


def options(**kwargs):
    return runner.NodeRolePolicyOptions(**dict(dict(policy_arn=CNI, cluster_name="prod"), **kwargs))


def test_node_role_policy_refuses_while_aws_node_lacks_credentials_and_names_the_pods():
    """Issue 14 item 6 / issue 15: the default state=absent does not detach under 0/3 pods on IRSA."""
    ctx = FakeContext(cluster(pods_irsa=(False, False, False)))
    queue_discovery(ctx)
    queue_region(ctx)
    with pytest.raises(errors.Refused) as refused:
        runner.run_node_role_policy(ctx, options())
    message = str(refused.value)
    assert "pods without the role's credentials: aws-node-0, aws-node-1, aws-node-2" in message
    assert "set force=true" in message
    assert refused.value.details["pods_without_credentials"] == ["aws-node-0", "aws-node-1", "aws-node-2"]
    ctx.assert_no_pending()  # and no DetachRolePolicy was made: none was queued


def test_node_role_policy_refuses_pods_whose_variables_were_set_by_hand():
    kube = cluster()
    by_hand = aws_node_pod("aws-node-1")
    by_hand["spec"]["volumes"] = []
    kube.pods["kube-system"][1] = by_hand
    ctx = FakeContext(kube)
    queue_discovery(ctx)
    queue_region(ctx)
    with pytest.raises(errors.Refused) as refused:
        runner.run_node_role_policy(ctx, options())
    assert "pods without the role's credentials: aws-node-1" in str(refused.value)


def test_node_role_policy_checks_the_role_the_migration_set():
    ctx = FakeContext(cluster())
    queue_discovery(ctx)
    queue_region(ctx)
    with pytest.raises(errors.Refused) as refused:
        runner.run_node_role_policy(ctx, options(irsa_role_arn="arn:aws:iam::%s:role/Other" % ACCOUNT))
    assert "AWS_ROLE_ARN is %s, not arn:aws:iam::%s:role/Other" % (CNI_ROLE, ACCOUNT) in str(refused.value)


def test_node_role_policy_detaches_once_verified_after_the_region_check():
    ctx = FakeContext(cluster(), diff_mode=True)
    queue_discovery(ctx)
    queue_region(ctx)
    ctx.stub("iam").add_response("detach_role_policy", {}, {"RoleName": NODE_ROLE, "PolicyArn": CNI})
    result = runner.run_node_role_policy(ctx, options(irsa_role_arn=CNI_ROLE))
    ctx.assert_no_pending()
    assert result["changed"] and result["detached"] == [NODE_ROLE]
    assert result["verified"] == {"ok": True, "checked": 3, "role_arn": CNI_ROLE, "failure_lines": []}
    assert result["diff"]["after"] == {NODE_ROLE: [WORKER]}
    assert any("other regions were not checked" in w for w in ctx.warnings)


def test_node_role_policy_check_mode_writes_nothing_and_says_it_would_refuse():
    ctx = FakeContext(cluster(pods_irsa=(True, False)), check_mode=True)
    queue_discovery(ctx)
    queue_region(ctx)
    result = runner.run_node_role_policy(ctx, options())
    ctx.assert_no_pending()
    assert result["changed"] is True and result["detached"] == [NODE_ROLE]
    assert "aws-node-1" in result["would_refuse"]
    assert any(w.startswith("a real run would refuse") for w in ctx.warnings)


def test_node_role_policy_force_detaches_with_a_warning():
    ctx = FakeContext(cluster(pods_irsa=(False,)))
    queue_discovery(ctx)
    ctx.stub("iam").add_response("detach_role_policy", {}, {"RoleName": NODE_ROLE, "PolicyArn": CNI})
    result = runner.run_node_role_policy(ctx, options(force=True))
    ctx.assert_no_pending()
    assert result["detached"] == [NODE_ROLE]
    assert any(w.startswith("force=true: aws-node does not run on IRSA yet") for w in ctx.warnings)


def test_node_role_policy_refuses_a_role_shared_with_another_cluster_naming_it():
    """Issue 14 item 4."""
    ctx = FakeContext(cluster())
    queue_discovery(ctx)
    queue_region(ctx, {"stage": NODE_ROLE_ARN, "dev": "arn:aws:iam::%s:role/dev-nodes" % ACCOUNT})
    with pytest.raises(errors.Refused) as refused:
        runner.run_node_role_policy(ctx, options())
    assert "%s is also the node role of node group ng-a of cluster stage" % NODE_ROLE_ARN in str(refused.value)
    assert "dev" not in str(refused.value).split("cluster stage")[1].split(",")[0]
    assert refused.value.details["shared_with"] == {NODE_ROLE_ARN: ["stage/ng-a"]}


def test_node_role_policy_detaches_a_shared_role_when_the_others_are_migrated_too():
    ctx = FakeContext(cluster())
    queue_discovery(ctx)
    queue_region(ctx, {"stage": NODE_ROLE_ARN})
    ctx.stub("iam").add_response("detach_role_policy", {}, {"RoleName": NODE_ROLE, "PolicyArn": CNI})
    assert runner.run_node_role_policy(ctx, options(other_clusters_migrated=["stage"]))["detached"] == [NODE_ROLE]
    ctx.assert_no_pending()


def test_node_role_policy_skips_a_role_of_another_account_without_touching_the_same_name_here():
    ctx = FakeContext(cluster())
    foreign = "arn:aws:iam::444455556666:role/%s" % NODE_ROLE
    result = runner.run_node_role_policy(ctx, options(discover=[], node_roles=[foreign]))
    ctx.assert_no_pending()  # no IAM call at all: the caller's same-named role was not read or changed
    assert result["changed"] is False and result["skipped"] == [NODE_ROLE]
    assert "belongs to account 444455556666" in ctx.warnings[0]


def _held_lease(kube, holder):
    now = datetime.datetime.now(datetime.timezone.utc)
    kube.objects[LEASE_PATH] = {"metadata": {"name": "eks-access-vpc-cni", "namespace": "kube-system",
                                             "resourceVersion": "7"},
                                "spec": {"holderIdentity": holder, "leaseDurationSeconds": 120,
                                         "renewTime": lease.format_time(now), "acquireTime": lease.format_time(now)}}


def _leased_cluster(holder):
    """The cluster, its Lease held by ``holder``, and a context with the node role discovery queued."""
    kube = cluster()
    _held_lease(kube, holder)
    ctx = FakeContext(kube)
    queue_discovery(ctx)
    queue_region(ctx)
    return kube, ctx


def test_node_role_policy_stops_when_its_run_lost_the_lease():
    _kube, ctx = _leased_cluster("rollback by bob")
    with pytest.raises(lease.LeaseLost) as lost:
        runner.run_node_role_policy(ctx, options(lease_holder="migration by alice"))
    assert "held by rollback by bob" in str(lost.value)
    ctx.assert_no_pending()


def test_node_role_policy_renews_its_lease_right_before_detaching():
    kube, ctx = _leased_cluster("migration by alice")
    ctx.stub("iam").add_response("detach_role_policy", {}, {"RoleName": NODE_ROLE, "PolicyArn": CNI})
    runner.run_node_role_policy(ctx, options(lease_holder="migration by alice"))
    assert kube.writes == [("PUT", LEASE_PATH, False)]
    ctx.assert_no_pending()


def test_node_role_policy_attach_for_a_rollback_needs_no_verification():
    ctx = FakeContext(cluster(pods_irsa=(False,)))
    queue_discovery(ctx, attached=(WORKER,))
    ctx.stub("iam").add_response("attach_role_policy", {}, {"RoleName": NODE_ROLE, "PolicyArn": CNI})
    result = runner.run_node_role_policy(ctx, options(state="present"))
    ctx.assert_no_pending()
    assert result["attached"] == [NODE_ROLE] and result["verified"] is None


def test_node_role_policy_nothing_to_do_reads_only():
    ctx = FakeContext(cluster(pods_irsa=(False,)))
    queue_discovery(ctx, attached=(WORKER,))
    result = runner.run_node_role_policy(ctx, options())
    ctx.assert_no_pending()
    assert result["changed"] is False and result["roles"][0]["action"] == "none"


def test_node_role_policy_discovery_needs_the_cluster_name():
    with pytest.raises(errors.InvalidInput):
        runner.run_node_role_policy(FakeContext(cluster()), options(cluster_name=None))


# --------------------------------------------------------------------------- aws_node_irsa_info


def test_verify_reports_each_pod_and_defaults_to_the_annotated_role():
    kube = cluster(pods_irsa=(True, False))
    result = runner.run_verify(FakeContext(kube), runner.VerifyOptions())
    assert result["ok"] is False and result["role_arn"] == CNI_ROLE and result["checked"] == 2
    assert result["failure_lines"][0] == "aws-node-1/aws-node: AWS_ROLE_ARN is not set"


def test_verify_a_missing_daemonset_is_not_found():
    with pytest.raises(errors.NotFound):
        runner.run_verify(FakeContext(ScriptedKube()), runner.VerifyOptions())


# --------------------------------------------------------------------------- vpc_cni_policy

V6_ARN = "arn:aws:iam::%s:policy/AmazonEKS_CNI_IPv6_Policy" % ACCOUNT


def test_policy_ipv4_is_the_managed_policy_without_any_call(context):
    result = runner.run_policy(context, runner.PolicyOptions(ip_family="ipv4"))
    assert result["policy_arn"] == CNI and result["changed"] is False
    context.assert_no_pending()


def test_policy_ipv6_is_created_when_missing_and_not_in_check_mode():
    for check_mode in (True, False):
        ctx = FakeContext(check_mode=check_mode)
        iam = ctx.stub("iam")
        iam.add_client_error("get_policy", "NoSuchEntity", expected_params={"PolicyArn": V6_ARN})
        if not check_mode:
            iam.add_response("create_policy", {"Policy": {"PolicyName": "AmazonEKS_CNI_IPv6_Policy", "Arn": V6_ARN}})
        result = runner.run_policy(ctx, runner.PolicyOptions(ip_family="ipv6"))
        ctx.assert_no_pending()
        assert result["created"] == [V6_ARN] and result["changed"] is True


def test_policy_ipv6_missing_without_create_is_refused(context):
    context.stub("iam").add_client_error("get_policy", "NoSuchEntity")
    with pytest.raises(errors.Refused):
        runner.run_policy(context, runner.PolicyOptions(ip_family="ipv6", create=False))


@pytest.mark.parametrize("opts", [runner.PolicyOptions(), runner.PolicyOptions(ip_family="ipv4", ipv6_policy_path="x")])
def test_policy_bad_input(opts):
    with pytest.raises(errors.InvalidInput):
        runner.run_policy(FakeContext(), opts)


# --------------------------------------------------------------------------- vpc_cni_addon

ADDON = {"addonName": "vpc-cni", "clusterName": "prod", "status": "ACTIVE", "addonVersion": "v1.20.4-eksbuild.1"}
CLUSTER = {"cluster": {"name": "prod", "arn": "arn:aws:eks:us-east-1:%s:cluster/prod" % ACCOUNT}}


def test_addon_sets_the_role_then_waits_for_the_update(context):
    eks = context.stub("eks")
    eks.add_response("describe_cluster", CLUSTER, {"name": "prod"})
    eks.add_response("describe_addon", {"addon": ADDON}, {"clusterName": "prod", "addonName": "vpc-cni"})
    eks.add_response("update_addon", {"update": {"id": "u1", "status": "InProgress"}},
                     {"clusterName": "prod", "addonName": "vpc-cni", "serviceAccountRoleArn": CNI_ROLE,
                      "resolveConflicts": "PRESERVE"})
    eks.add_response("describe_update", {"update": {"id": "u1", "status": "Successful"}},
                     {"name": "prod", "updateId": "u1", "addonName": "vpc-cni"})
    eks.add_response("describe_addon", {"addon": dict(ADDON, serviceAccountRoleArn=CNI_ROLE)},
                     {"clusterName": "prod", "addonName": "vpc-cni"})
    result = runner.run_addon(context, runner.AddonOptions(cluster_name="prod", service_account_role_arn=CNI_ROLE,
                                                           resolve_conflicts="PRESERVE"))
    context.assert_no_pending()
    assert result["update"] == {"id": "u1", "status": "Successful"}
    assert result["addon"]["service_account_role_arn"] == CNI_ROLE


def test_addon_check_mode_does_not_update(context):
    context.check_mode = True
    eks = context.stub("eks")
    eks.add_response("describe_cluster", CLUSTER)
    eks.add_response("describe_addon", {"addon": ADDON})
    result = runner.run_addon(context, runner.AddonOptions(cluster_name="prod", service_account_role_arn=CNI_ROLE))
    context.assert_no_pending()
    assert result["changed"] is True and result["update"] is None


def test_addon_failed_update_is_one_sentence(context):
    eks = context.stub("eks")
    eks.add_response("describe_cluster", CLUSTER)
    eks.add_response("describe_addon", {"addon": ADDON})
    eks.add_response("update_addon", {"update": {"id": "u1", "status": "InProgress"}})
    eks.add_response("describe_update", {"update": {"id": "u1", "status": "Failed",
                                                    "errors": [{"errorMessage": "role not trusted"}]}})
    with pytest.raises(errors.EksAccessError) as failed:
        runner.run_addon(context, runner.AddonOptions(cluster_name="prod", service_account_role_arn=CNI_ROLE))
    assert "ended Failed: role not trusted" in str(failed.value)


def test_addon_missing_cluster_is_not_found(context):
    context.stub("eks").add_client_error("describe_cluster", "ResourceNotFoundException")
    with pytest.raises(errors.NotFound):
        runner.run_addon(context, runner.AddonOptions(cluster_name="prod"))


def test_addon_absent_with_a_role_is_bad_input():
    with pytest.raises(errors.InvalidInput):
        runner.run_addon(FakeContext(), runner.AddonOptions(cluster_name="prod", state="absent",
                                                            service_account_role_arn=CNI_ROLE))


# --------------------------------------------------------------------------- vpc_cni_lease


def test_lease_runner_takes_and_gives_up(kube):
    ctx = FakeContext(kube)
    taken = runner.run_lease(ctx, runner.LeaseOptions(holder="A"))
    assert taken["action"] == "create" and taken["lease"] == "kube-system/eks-access-vpc-cni"
    with pytest.raises(lease.LeaseHeld):
        runner.run_lease(ctx, runner.LeaseOptions(holder="B"))
    assert runner.run_lease(ctx, runner.LeaseOptions(holder="A", state="absent"))["action"] == "release"
    assert [w[0] for w in kube.writes] == ["POST", "PUT"]


def test_node_role_policy_options_from_the_module_parameters():
    from ansible_collections.eks.access.plugins.module_utils.module import options_from

    params = {"policy_arn": CNI, "cluster_name": None, "state": "absent", "unrelated": 1, "force": True,
              "node_roles": None, "exceptions": None}
    opts = options_from(runner.NodeRolePolicyOptions, params)
    assert opts.force is True and opts.cluster_name is None and opts.discover == ["nodegroups", "aws_auth"]
    assert copy.copy(opts) == opts
