# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VPC CNI on EKS Pod Identity: the workloads definition by method, the add-on's associations, the checks.

Pure functions over plain data, and the runners with botocore Stubbers and a
scripted KubeApi (a write a test does not queue fails it).
"""

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils.model import cni
from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.runners import vpc_cni as runner
from ansible_collections.eks.access.plugins.module_utils.model import workloads

from ansible_collections.eks.access.tests.unit.plugins.fakes import FakeContext, ScriptedKube

ACCOUNT = "111122223333"
CNI_ROLE = "arn:aws:iam::%s:role/AmazonEKSVPCCNIRole" % ACCOUNT
OTHER_ROLE = "arn:aws:iam::%s:role/other" % ACCOUNT
ADDON_ARN = "arn:aws:eks:us-east-1:%s:addon/prod/vpc-cni/x" % ACCOUNT
ADDON = {"addonName": "vpc-cni", "clusterName": "prod", "status": "ACTIVE", "addonVersion": "v1.20.4-eksbuild.1",
         "addonArn": ADDON_ARN}


CLUSTER = {"cluster": {"name": "prod", "arn": "arn:aws:eks:us-east-1:%s:cluster/prod" % ACCOUNT}}
PI_DIR = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount"
IRSA_DIR = "/var/run/secrets/eks.amazonaws.com/serviceaccount"
DS_PATH = "/apis/apps/v1/namespaces/kube-system/daemonsets/aws-node"
SA_PATH = "/api/v1/namespaces/kube-system/serviceaccounts/aws-node"


def pod(name="aws-node-0", pod_identity=True, irsa=False, audience=workloads.POD_IDENTITY_AUDIENCE):
    container = {"name": "aws-node", "env": [], "volumeMounts": []}
    volumes = []
    if pod_identity:
        container["env"] += [{"name": "AWS_CONTAINER_CREDENTIALS_FULL_URI", "value": "http://169.254.170.23/v1/credentials"},
                             {"name": "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "value": PI_DIR + "/eks-pod-identity-token"}]
        container["volumeMounts"].append({"name": "eks-pod-identity-token", "mountPath": PI_DIR})
        volumes.append({"name": "eks-pod-identity-token", "projected": {"sources": [
            {"serviceAccountToken": {"audience": audience, "path": "eks-pod-identity-token"}}]}})
    if irsa:
        container["env"] += [{"name": "AWS_ROLE_ARN", "value": CNI_ROLE},
                             {"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": IRSA_DIR + "/token"}]
        container["volumeMounts"].append({"name": "aws-iam-token", "mountPath": IRSA_DIR})
        volumes.append({"name": "aws-iam-token", "projected": {"sources": [
            {"serviceAccountToken": {"audience": "sts.amazonaws.com", "path": "token"}}]}})
    return {"metadata": {"name": name, "namespace": "kube-system", "labels": {"k8s-app": "aws-node"}},
            "spec": {"serviceAccountName": "aws-node", "containers": [container], "volumes": volumes},
            "status": {"phase": "Running"}}


# --------------------------------------------------------------------------- workloads: the one definition


def test_a_pod_identity_pod_carries_pod_identity_credentials_not_irsa_ones():
    assert workloads.carries_credentials(pod(), "pod_identity")
    assert not workloads.carries_credentials(pod(), "irsa")
    assert workloads.carries_credentials(pod(pod_identity=False, irsa=True), "irsa")


def test_pod_identity_needs_the_token_of_audience_pods_eks():
    problems = workloads.pod_credential_problems(pod(audience="sts.amazonaws.com"), "pod_identity")
    assert problems == [("aws-node", "the token at %s/eks-pod-identity-token has audience sts.amazonaws.com, not "
                                     "pods.eks.amazonaws.com" % PI_DIR)]


def test_pod_identity_variables_set_by_hand_are_not_credentials():
    hand = pod()
    hand["spec"]["volumes"] = []
    hand["spec"]["containers"][0]["volumeMounts"] = []
    (_name, problem), = workloads.pod_credential_problems(hand, "pod_identity")
    assert problem.startswith("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=") and "set by hand" in problem


def test_a_pod_with_both_still_uses_irsa_and_fails_the_pod_identity_check():
    problems = [p for _c, p in workloads.pod_credential_problems(pod(irsa=True), "pod_identity")]
    assert len(problems) == 2 and all("try web identity before" in p for p in problems)


def test_without_credentials_by_method():
    container = pod()["spec"]["containers"][0]
    assert workloads.without_credentials_problems(container, "irsa") == []
    assert [p.split(" ")[0] for p in workloads.without_credentials_problems(container, "pod_identity")] == [
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError):
        workloads.carries_credentials(pod(), "kiam")
    with pytest.raises(cni.CniError):
        cni.verify_pods([pod()], None, credential_method="kiam")


def test_verify_pods_by_method_reports_the_pod_identity_variables():
    report = cni.verify_pods([pod("a"), pod("b", pod_identity=False)], None, 2, credential_method="pod_identity")
    assert not report["ok"] and report["checked"] == 2
    assert report["pods"][0]["containers"][0]["credentials_uri"].endswith("/v1/credentials")
    assert {f["pod"] for f in report["failures"]} == {"b"}


# --------------------------------------------------------------------------- the add-on's associations (pure)


def test_plan_keeps_the_other_associations_of_the_addon_in_order():
    current = [{"service_account": "network-policy-agent", "role_arn": OTHER_ROLE},
               {"service_account": "aws-node", "role_arn": OTHER_ROLE},
               {"service_account": "third", "role_arn": OTHER_ROLE}]
    plan = cni.plan_addon_pod_identity(ADDON, current, "aws-node", CNI_ROLE)
    assert plan["action"] == "update"
    assert plan["update"]["podIdentityAssociations"] == [
        {"serviceAccount": "network-policy-agent", "roleArn": OTHER_ROLE},
        {"serviceAccount": "aws-node", "roleArn": CNI_ROLE},
        {"serviceAccount": "third", "roleArn": OTHER_ROLE}]
    assert "2 other association(s) of the add-on kept" in plan["reason"]


def test_plan_adds_aws_node_last_and_repeats_the_configuration_values():
    addon = dict(ADDON, configurationValues='{"env":{"WARM_IP_TARGET":"5"}}')
    plan = cni.plan_addon_pod_identity(addon, [{"service_account": "x", "role_arn": OTHER_ROLE}], "aws-node", CNI_ROLE)
    assert [a["serviceAccount"] for a in plan["update"]["podIdentityAssociations"]] == ["x", "aws-node"]
    assert plan["update"]["configurationValues"] == addon["configurationValues"]


def test_plan_removal_keeps_the_others_and_an_empty_list_removes_the_last():
    plan = cni.plan_addon_pod_identity(ADDON, [{"service_account": "x", "role_arn": OTHER_ROLE},
                                               {"service_account": "aws-node", "role_arn": CNI_ROLE}], "aws-node", None)
    assert plan["update"]["podIdentityAssociations"] == [{"serviceAccount": "x", "roleArn": OTHER_ROLE}]
    plan = cni.plan_addon_pod_identity(ADDON, [{"service_account": "aws-node", "role_arn": CNI_ROLE}], "aws-node", None)
    assert plan["update"]["podIdentityAssociations"] == []


def test_plan_nothing_to_do_and_no_addon():
    assert cni.plan_addon_pod_identity(ADDON, [{"service_account": "aws-node", "role_arn": CNI_ROLE}], "aws-node",
                                       CNI_ROLE)["action"] == "none"
    assert cni.plan_addon_pod_identity(ADDON, [], "aws-node", None)["action"] == "none"
    assert cni.plan_addon_pod_identity(None, [], "aws-node", CNI_ROLE)["action"] == "absent"
    with pytest.raises(cni.CniError):
        cni.plan_addon_pod_identity(ADDON, [], "aws-node", "not-an-arn")


def test_service_accounts_of_the_addon_configuration():
    assert cni.pod_identity_service_accounts({"podIdentityConfiguration": [{"serviceAccount": "aws-node"}]}) == [
        "aws-node"]
    assert cni.pod_identity_service_accounts({"podIdentityConfiguration": []}) == []


# --------------------------------------------------------------------------- vpc_cni_addon runner, pod_identity


def summary(sa, association_id, owner=None, namespace="kube-system"):
    item = {"clusterName": "prod", "namespace": namespace, "serviceAccount": sa, "associationId": association_id,
            "associationArn": "arn:aws:eks:us-east-1:%s:podidentityassociation/prod/%s" % (ACCOUNT, association_id)}
    if owner:
        item["ownerArn"] = owner
    return item


def queue_pod_identity_reads(eks, addon, agent=True, associations=(), roles=None, service_accounts=("aws-node",)):
    eks.add_response("list_addons", {"addons": ["vpc-cni"] + (["eks-pod-identity-agent"] if agent else [])})
    if addon is not None:
        eks.add_response("describe_addon_configuration", {
            "addonName": "vpc-cni", "addonVersion": addon["addonVersion"],
            "podIdentityConfiguration": [{"serviceAccount": s} for s in service_accounts]},
            {"addonName": "vpc-cni", "addonVersion": addon["addonVersion"]})
    eks.add_response("list_pod_identity_associations", {"associations": list(associations)})
    for item in associations:
        eks.add_response("describe_pod_identity_association", {"association": dict(item, roleArn=(roles or {})[
            item["serviceAccount"]])})


def test_addon_pod_identity_update_repeats_the_other_associations(context):
    eks = context.stub("eks")
    eks.add_response("describe_cluster", CLUSTER, {"name": "prod"})
    eks.add_response("describe_addon", {"addon": ADDON}, {"clusterName": "prod", "addonName": "vpc-cni"})
    queue_pod_identity_reads(eks, ADDON, associations=[summary("other-agent", "a-1", ADDON_ARN)],
                             roles={"other-agent": OTHER_ROLE})
    eks.add_response("update_addon", {"update": {"id": "u1", "status": "InProgress"}},
                     {"clusterName": "prod", "addonName": "vpc-cni", "resolveConflicts": "PRESERVE",
                      "podIdentityAssociations": [{"serviceAccount": "other-agent", "roleArn": OTHER_ROLE},
                                                  {"serviceAccount": "aws-node", "roleArn": CNI_ROLE}]})
    eks.add_response("describe_update", {"update": {"id": "u1", "status": "Successful"}})
    eks.add_response("describe_addon", {"addon": ADDON})
    queue_pod_identity_reads(eks, ADDON, associations=[summary("other-agent", "a-1", ADDON_ARN),
                                                       summary("aws-node", "a-2", ADDON_ARN)],
                             roles={"other-agent": OTHER_ROLE, "aws-node": CNI_ROLE})
    result = runner.run_addon(context, runner.AddonOptions(cluster_name="prod", credential_method="pod_identity",
                                                           pod_identity_role_arn=CNI_ROLE, resolve_conflicts="PRESERVE"))
    context.assert_no_pending()
    assert result["changed"] and result["update"] == {"id": "u1", "status": "Successful"}
    assert sorted(a["service_account"] for a in result["addon"]["pod_identity_associations"]) == [
        "aws-node", "other-agent"]
    assert result["pod_identity"]["association"]["role_arn"] == CNI_ROLE


def test_addon_pod_identity_check_mode_reads_only_and_shows_the_diff():
    ctx = FakeContext(check_mode=True, diff_mode=True)
    eks = ctx.stub("eks")
    eks.add_response("describe_cluster", CLUSTER)
    eks.add_response("describe_addon", {"addon": ADDON})
    queue_pod_identity_reads(eks, ADDON)
    result = runner.run_addon(ctx, runner.AddonOptions(cluster_name="prod", credential_method="pod_identity",
                                                       pod_identity_role_arn=CNI_ROLE))
    ctx.assert_no_pending()
    assert result["changed"] and result["update"] is None
    assert result["diff"] == {"before": {"pod_identity_associations": []},
                              "after": {"pod_identity_associations": [{"service_account": "aws-node",
                                                                       "role_arn": CNI_ROLE}]}}


@pytest.mark.parametrize("agent,service_accounts,associations,words", [
    (False, ("aws-node",), (), "has no eks-pod-identity-agent add-on"),
    (True, (), (), "has no Pod Identity support"),
    (True, ("aws-node",), (summary("aws-node", "a-9"),), "already has a Pod Identity association of its own"),
])
def test_addon_pod_identity_refusals_write_nothing(agent, service_accounts, associations, words, context):
    eks = context.stub("eks")
    eks.add_response("describe_cluster", CLUSTER)
    eks.add_response("describe_addon", {"addon": ADDON})
    queue_pod_identity_reads(eks, ADDON, agent, associations, {"aws-node": OTHER_ROLE}, service_accounts)
    with pytest.raises(runner.CniRefused) as refused:
        runner.run_addon(context, runner.AddonOptions(cluster_name="prod", credential_method="pod_identity",
                                                      pod_identity_role_arn=CNI_ROLE))
    context.assert_no_pending()
    assert words in str(refused.value) and "nothing was changed" in str(refused.value)


def test_addon_pod_identity_options_that_do_not_go_together():
    with pytest.raises(errors.InvalidInput):
        runner.run_addon(FakeContext(), runner.AddonOptions(cluster_name="prod", pod_identity_role_arn=CNI_ROLE))
    with pytest.raises(errors.InvalidInput):
        runner.run_addon(FakeContext(), runner.AddonOptions(cluster_name="prod", credential_method="pod_identity",
                                                            service_account_role_arn=CNI_ROLE))


# --------------------------------------------------------------------------- verify and the re-check at detach


def cluster(pods):
    ds = {"metadata": {"name": "aws-node", "namespace": "kube-system"},
          "spec": {"selector": {"matchLabels": {"k8s-app": "aws-node"}},
                   "template": {"spec": {"serviceAccountName": "aws-node"}}},
          "status": {"desiredNumberScheduled": len(pods)}}
    sa = {"metadata": {"name": "aws-node", "namespace": "kube-system"}}
    return ScriptedKube({DS_PATH: ds, SA_PATH: sa}, {"kube-system": pods})


def queue_association(eks, role=CNI_ROLE):
    items = [summary("aws-node", "a-2")] if role else []
    eks.add_response("list_pod_identity_associations", {"associations": items})
    if role:
        eks.add_response("describe_pod_identity_association", {"association": dict(items[0], roleArn=role)})


def test_verify_pod_identity_reads_the_association_and_the_pods():
    ctx = FakeContext(cluster([pod("a"), pod("b")]))
    queue_association(ctx.stub("eks"))
    result = runner.run_verify(ctx, runner.VerifyOptions(credential_method="pod_identity", cluster_name="prod",
                                                         role_arn=CNI_ROLE))
    assert result["ok"] and result["checked"] == 2
    assert result["pod_identity_association"]["association_id"] == "a-2"


def test_verify_pod_identity_fails_on_another_role_or_no_association():
    ctx = FakeContext(cluster([pod("a")]))
    queue_association(ctx.stub("eks"), OTHER_ROLE)
    result = runner.run_verify(ctx, runner.VerifyOptions(credential_method="pod_identity", cluster_name="prod",
                                                         role_arn=CNI_ROLE))
    assert not result["ok"] and "uses %s, not %s" % (OTHER_ROLE, CNI_ROLE) in result["failure_lines"][0]
    ctx = FakeContext(cluster([pod("a")]))
    queue_association(ctx.stub("eks"), None)
    result = runner.run_verify(ctx, runner.VerifyOptions(credential_method="pod_identity", cluster_name="prod"))
    assert not result["ok"] and "has no Pod Identity association" in result["failure_lines"][0]


def test_verify_pod_identity_needs_the_cluster_name():
    with pytest.raises(errors.InvalidInput):
        runner.run_verify(FakeContext(cluster([pod()])), runner.VerifyOptions(credential_method="pod_identity"))


def test_node_role_policy_rechecks_pod_identity_at_the_moment_of_detaching():
    """IRSA pods (a rollback moved them) do not pass the Pod Identity check: the detach is refused, nothing written."""
    from .test_vpc_cni import queue_discovery, queue_region, options

    ctx = FakeContext(cluster([pod("a", pod_identity=False, irsa=True)]))
    queue_discovery(ctx)
    queue_region(ctx)
    queue_association(ctx.stub("eks"))
    with pytest.raises(runner.CniRefused) as refused:
        runner.run_node_role_policy(ctx, options(discover=["nodegroups"], credential_method="pod_identity",
                                                 irsa_role_arn=CNI_ROLE))
    ctx.assert_no_pending()
    assert "does not run on EKS Pod Identity yet" in str(refused.value)
    assert "AWS_CONTAINER_CREDENTIALS_FULL_URI is not set" in str(refused.value)
