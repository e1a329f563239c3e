# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""node_role_policy with fake clients: botocore Stubbers for AWS, a scripted KubeApi for the cluster.

A Stubber answers only the calls queued for it, in order: a write that a test
does not queue (a detach in check mode, or after a refusal) fails the test.
"""

from __future__ import annotations

import copy
import datetime

import pytest

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model import cni
from ansible_collections.eks.access.plugins.module_utils.runners import node_role_policy
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
    monkeypatch.setattr(node_role_policy, "MAX_PARALLEL_READS", 1)


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
    return node_role_policy.Options(**dict(dict(policy_arn=CNI, cluster_name="prod"), **kwargs))


def test_node_role_policy_refuses_while_aws_node_lacks_credentials_and_names_the_pods():
    """Issue 14 item 6 / issue 15: the default state=absent does not detach under 0/3 pods on IRSA."""
    ctx = FakeContext(cluster(pods_irsa=(False, False, False)))
    queue_discovery(ctx)
    queue_region(ctx)
    with pytest.raises(errors.Refused) as refused:
        node_role_policy.run(ctx, options())
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
        node_role_policy.run(ctx, options())
    assert "pods without the role's credentials: aws-node-1" in str(refused.value)


def test_node_role_policy_checks_the_role_the_migration_set():
    ctx = FakeContext(cluster())
    queue_discovery(ctx)
    queue_region(ctx)
    with pytest.raises(errors.Refused) as refused:
        node_role_policy.run(ctx, options(irsa_role_arn="arn:aws:iam::%s:role/Other" % ACCOUNT))
    assert "AWS_ROLE_ARN is %s, not arn:aws:iam::%s:role/Other" % (CNI_ROLE, ACCOUNT) in str(refused.value)


def test_node_role_policy_detaches_once_verified_after_the_region_check():
    ctx = FakeContext(cluster(), diff_mode=True)
    queue_discovery(ctx)
    queue_region(ctx)
    ctx.stub("iam").add_response("detach_role_policy", {}, {"RoleName": NODE_ROLE, "PolicyArn": CNI})
    result = node_role_policy.run(ctx, options(irsa_role_arn=CNI_ROLE))
    ctx.assert_no_pending()
    assert result["changed"] and result["detached"] == [NODE_ROLE]
    assert result["verified"] == {"ok": True, "checked": 3, "role_arn": CNI_ROLE, "failure_lines": []}
    assert result["diff"]["after"] == {NODE_ROLE: [WORKER]}
    assert any("other regions were not checked" in w for w in ctx.warnings)


def test_node_role_policy_check_mode_writes_nothing_and_says_it_would_refuse():
    ctx = FakeContext(cluster(pods_irsa=(True, False)), check_mode=True)
    queue_discovery(ctx)
    queue_region(ctx)
    result = node_role_policy.run(ctx, options())
    ctx.assert_no_pending()
    assert result["changed"] is True and result["detached"] == [NODE_ROLE]
    assert "aws-node-1" in result["would_refuse"]
    assert any(w.startswith("a real run would refuse") for w in ctx.warnings)


def test_node_role_policy_force_detaches_with_a_warning():
    ctx = FakeContext(cluster(pods_irsa=(False,)))
    queue_discovery(ctx)
    ctx.stub("iam").add_response("detach_role_policy", {}, {"RoleName": NODE_ROLE, "PolicyArn": CNI})
    result = node_role_policy.run(ctx, options(force=True))
    ctx.assert_no_pending()
    assert result["detached"] == [NODE_ROLE]
    assert any(w.startswith("force=true: aws-node does not run on IRSA yet") for w in ctx.warnings)


def test_node_role_policy_refuses_a_role_shared_with_another_cluster_naming_it():
    """Issue 14 item 4."""
    ctx = FakeContext(cluster())
    queue_discovery(ctx)
    queue_region(ctx, {"stage": NODE_ROLE_ARN, "dev": "arn:aws:iam::%s:role/dev-nodes" % ACCOUNT})
    with pytest.raises(errors.Refused) as refused:
        node_role_policy.run(ctx, options())
    assert "%s is also the node role of node group ng-a of cluster stage" % NODE_ROLE_ARN in str(refused.value)
    assert "dev" not in str(refused.value).split("cluster stage")[1].split(",")[0]
    assert refused.value.details["shared_with"] == {NODE_ROLE_ARN: ["stage/ng-a"]}


def test_node_role_policy_detaches_a_shared_role_when_the_others_are_migrated_too():
    ctx = FakeContext(cluster())
    queue_discovery(ctx)
    queue_region(ctx, {"stage": NODE_ROLE_ARN})
    ctx.stub("iam").add_response("detach_role_policy", {}, {"RoleName": NODE_ROLE, "PolicyArn": CNI})
    assert node_role_policy.run(ctx, options(other_clusters_migrated=["stage"]))["detached"] == [NODE_ROLE]
    ctx.assert_no_pending()


def test_node_role_policy_skips_a_role_of_another_account_without_touching_the_same_name_here():
    ctx = FakeContext(cluster())
    foreign = "arn:aws:iam::444455556666:role/%s" % NODE_ROLE
    result = node_role_policy.run(ctx, options(discover=[], node_roles=[foreign]))
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
        node_role_policy.run(ctx, options(lease_holder="migration by alice"))
    assert "held by rollback by bob" in str(lost.value)
    ctx.assert_no_pending()


def test_node_role_policy_renews_its_lease_right_before_detaching():
    kube, ctx = _leased_cluster("migration by alice")
    ctx.stub("iam").add_response("detach_role_policy", {}, {"RoleName": NODE_ROLE, "PolicyArn": CNI})
    node_role_policy.run(ctx, options(lease_holder="migration by alice"))
    assert kube.writes == [("PUT", LEASE_PATH, False)]
    ctx.assert_no_pending()


def test_node_role_policy_attach_for_a_rollback_needs_no_verification():
    ctx = FakeContext(cluster(pods_irsa=(False,)))
    queue_discovery(ctx, attached=(WORKER,))
    ctx.stub("iam").add_response("attach_role_policy", {}, {"RoleName": NODE_ROLE, "PolicyArn": CNI})
    result = node_role_policy.run(ctx, options(state="present"))
    ctx.assert_no_pending()
    assert result["attached"] == [NODE_ROLE] and result["verified"] is None


def test_node_role_policy_nothing_to_do_reads_only():
    ctx = FakeContext(cluster(pods_irsa=(False,)))
    queue_discovery(ctx, attached=(WORKER,))
    result = node_role_policy.run(ctx, options())
    ctx.assert_no_pending()
    assert result["changed"] is False and result["roles"][0]["action"] == "none"


def test_node_role_policy_discovery_needs_the_cluster_name():
    with pytest.raises(errors.InvalidInput):
        node_role_policy.run(FakeContext(cluster()), options(cluster_name=None))


def test_node_role_policy_options_from_the_module_parameters():
    from ansible_collections.eks.access.plugins.module_utils.module import options_from

    params = {"policy_arn": CNI, "cluster_name": None, "state": "absent", "unrelated": 1, "force": True,
              "node_roles": None, "exceptions": None}
    opts = options_from(node_role_policy.Options, params)
    assert opts.force is True and opts.cluster_name is None and opts.discover == ["nodegroups", "aws_auth"]
    assert copy.copy(opts) == opts


def test_node_role_policy_rechecks_pod_identity_at_the_moment_of_detaching():
    """IRSA pods (a rollback moved them) do not pass the Pod Identity check: the detach is refused, nothing written."""
    from .test_aws_node_irsa_info import pod_identity_cluster, queue_association
    from .test_vpc_cni_addon_pod_identity import pod

    ctx = FakeContext(pod_identity_cluster([pod("a", pod_identity=False, irsa=True)]))
    queue_discovery(ctx)
    queue_region(ctx)
    queue_association(ctx.stub("eks"))
    with pytest.raises(cni.CniRefused) as refused:
        node_role_policy.run(ctx, options(discover=["nodegroups"], credential_method="pod_identity",
                                          irsa_role_arn=CNI_ROLE))
    ctx.assert_no_pending()
    assert "does not run on EKS Pod Identity yet" in str(refused.value)
    assert "AWS_CONTAINER_CREDENTIALS_FULL_URI is not set" in str(refused.value)
