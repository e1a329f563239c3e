# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IRSA -> Pod Identity migration planner (model/pod_identity_migration.py) and the one definition of
"carries Pod Identity credentials" (services/workloads.py), over plain data."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.eks.access.plugins.module_utils.model import trust_policy
from ansible_collections.eks.access.plugins.module_utils.errors import Refused
from ansible_collections.eks.access.plugins.module_utils.model import pod_identity
from ansible_collections.eks.access.plugins.module_utils.model import pod_identity_migration as model
from ansible_collections.eks.access.plugins.module_utils.model import workloads

ACCOUNT = "111122223333"
ISSUER = "oidc.eks.us-west-2.amazonaws.com/id/ABC"
PROVIDER = "arn:aws:iam::%s:oidc-provider/%s" % (ACCOUNT, ISSUER)
ROLE = "arn:aws:iam::%s:role/web" % ACCOUNT
CNI_ROLE = "arn:aws:iam::%s:role/cni" % ACCOUNT
ADDON_ARN = "arn:aws:eks:us-west-2:%s:addon/prod/vpc-cni/1" % ACCOUNT
PI_DIR = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount"
IRSA_DIR = "/var/run/secrets/eks.amazonaws.com/serviceaccount"


def oidc_trust(namespace="apps", sa="web"):
    return {"Version": "2012-10-17", "Statement": [
        trust_policy.irsa_statement(PROVIDER, ISSUER, namespace, sa)]}


def both_trusts(namespace="apps", sa="web"):
    return model.trust_with_pod_identity(oidc_trust(namespace, sa))


def sa(name="web", namespace="apps", role=ROLE):
    annotations = {"eks.amazonaws.com/role-arn": role} if role else {}
    return {"metadata": {"name": name, "namespace": namespace, "annotations": annotations}}


def deployment(name="web", namespace="apps", service_account="web", node_selector=None, labels=None):
    labels = labels or {"app": name}
    spec = {"serviceAccountName": service_account, "containers": [{"name": "app"}]}
    if node_selector:
        spec["nodeSelector"] = node_selector
    return {"kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
            "spec": {"selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": spec}}}


def pod(name, namespace="apps", service_account="web", credentials="irsa", node="node-1", labels=None):
    container = {"name": "app", "env": [], "volumeMounts": []}
    spec = {"serviceAccountName": service_account, "nodeName": node, "containers": [container], "volumes": []}
    if credentials == "irsa":
        container["env"] = [{"name": "AWS_ROLE_ARN", "value": ROLE},
                            {"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": IRSA_DIR + "/token"}]
        container["volumeMounts"] = [{"name": "aws-iam-token", "mountPath": IRSA_DIR}]
        spec["volumes"] = [{"name": "aws-iam-token", "projected": {"sources": [
            {"serviceAccountToken": {"audience": "sts.amazonaws.com", "path": "token"}}]}}]
    elif credentials == "pod_identity":
        container["env"] = [{"name": "AWS_CONTAINER_CREDENTIALS_FULL_URI", "value": "http://169.254.170.23/v1/credentials"},
                            {"name": "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "value": PI_DIR + "/eks-pod-identity-token"}]
        container["volumeMounts"] = [{"name": "eks-pod-identity-token", "mountPath": PI_DIR}]
        spec["volumes"] = [{"name": "eks-pod-identity-token", "projected": {"sources": [
            {"serviceAccountToken": {"audience": "pods.eks.amazonaws.com", "path": "eks-pod-identity-token"}}]}}]
    return copy.deepcopy({"metadata": {"name": name, "namespace": namespace, "labels": labels or {"app": "web"}},
                          "spec": spec, "status": {"phase": "Running"}})


def association(namespace="apps", sa_name="web", role=ROLE, ours=True, owner=None):
    tags = {model.MIGRATED_TAG: model.MIGRATED_VALUE} if ours else {}
    return pod_identity.Current(namespace, sa_name, "a-1", "arn:aws:eks:us-west-2:%s:podidentityassociation/prod/a-1"
                                % ACCOUNT, role_arn=role, tags=tags, owner_arn=owner)


def facts(**kw):
    base = dict(cluster_name="prod", partition="aws", account=ACCOUNT, provider_arn=PROVIDER, issuer=ISSUER,
                agent_installed=True, service_accounts=[sa()], workloads=[deployment()],
                pods=[pod("web-1"), pod("web-2")], node_labels={"node-1": {"kubernetes.io/os": "linux"}},
                trusts={ROLE: oidc_trust()})
    base.update(kw)
    return model.Facts(**base)


def one(found):
    assert len(found) == 1
    return found[0]


# --------------------------------------------------------------------------- "carries Pod Identity credentials"

def test_the_webhook_s_pod_identity_mutation_carries_credentials():
    assert workloads.carries_credentials(pod("p", credentials="pod_identity"), "pod_identity")
    assert not workloads.carries_credentials(pod("p", credentials="irsa"), "pod_identity")


def test_pod_identity_variables_without_the_token_or_with_the_sts_audience_do_not():
    by_hand = pod("p", credentials="pod_identity")
    by_hand["spec"]["volumes"] = []
    by_hand["spec"]["containers"][0]["volumeMounts"] = []
    assert "no projected service-account token volume is mounted there" in \
        workloads.pod_credential_problems(by_hand, "pod_identity")[0][1]
    assert "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=" in workloads.pod_credential_problems(by_hand, "pod_identity")[0][1]
    wrong = pod("p", credentials="pod_identity")
    wrong["spec"]["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"]["audience"] = "sts.amazonaws.com"
    assert workloads.pod_credential_problems(wrong, "pod_identity") == [
        ("app", "the token at %s/eks-pod-identity-token has audience sts.amazonaws.com, not pods.eks.amazonaws.com"
         % PI_DIR)]


# --------------------------------------------------------------------------- discovery and status

def test_an_annotated_service_account_is_pending_with_its_workload_and_pods():
    item = one(model.discover(facts()))
    assert (item.name, item.status, item.role_arn) == ("apps/web", "pending", ROLE)
    assert item.annotated and item.oidc_trusted and not item.pod_identity_trusted
    assert [model.workload_name(w) for w in model.workloads_to_restart(item)] == ["Deployment/apps/web"]


def test_status_follows_the_association_the_pods_and_the_cleanup():
    associated = one(model.discover(facts(associations=[association()], trusts={ROLE: both_trusts()})))
    assert associated.status == "associated" and associated.ours
    on_pi = [pod("web-3", credentials="pod_identity"), pod("web-4", credentials="pod_identity")]
    migrated = one(model.discover(facts(associations=[association()], pods=on_pi, trusts={ROLE: both_trusts()})))
    assert migrated.status == "migrated" and model.workloads_to_restart(migrated) == []
    # After cleanup the service account has no annotation: the tagged association still finds it.
    pi_only = model.trust_without_oidc(both_trusts(), PROVIDER, ISSUER, "apps", "web")
    cleaned = one(model.discover(facts(associations=[association()], pods=on_pi, service_accounts=[sa(role=None)],
                                       trusts={ROLE: pi_only})))
    assert cleaned.status == "cleaned" and not cleaned.annotated and not cleaned.oidc_trusted
    assert model.rollback_blockers(cleaned) and not model.rollback_blockers(migrated)


def test_zero_pods_verify_nothing_so_the_cleanup_keeps_irsa():
    # A Deployment at 0 replicas: nothing lacks Pod Identity credentials only because nothing runs.
    idle = one(model.discover(facts(associations=[association()], pods=[], trusts={ROLE: both_trusts()})))
    assert idle.status == "migrated" and idle.pods == []
    reason = model.cleanup_refusal(idle)
    assert reason and "apps/web has no running pod" in reason and "IRSA (annotation and OIDC trust subject) is kept" \
        in reason
    on_pi = [pod("web-3", credentials="pod_identity")]
    verified = one(model.discover(facts(associations=[association()], pods=on_pi, trusts={ROLE: both_trusts()})))
    assert model.cleanup_refusal(verified) is None


def test_an_association_someone_else_made_with_the_same_role_counts_but_is_never_rolled_back():
    item = one(model.discover(facts(associations=[association(ours=False)])))
    assert item.status == "associated" and not item.ours and model.rollback_blockers(item) == []


@pytest.mark.parametrize("change, reason", [
    (dict(workloads=[deployment(node_selector={"kubernetes.io/os": "windows"})]), "Windows nodes (nodeSelector)"),
    (dict(node_labels={"node-1": {"kubernetes.io/os": "windows"}}), "runs on Windows node node-1"),
    (dict(node_labels={"node-1": {"eks.amazonaws.com/compute-type": "fargate"}}), "runs on Fargate (node-1)"),
    (dict(fargate_selectors=[{"profile": "fp", "namespace": "apps", "labels": {}}]), "Fargate profile fp"),
    (dict(fargate_selectors=[{"profile": "fp", "namespace": "apps", "labels": {"app": "web"}}]), "Fargate profile fp"),
    (dict(trusts={ROLE: None}), "does not exist"),
    (dict(service_accounts=[sa(role="arn:aws:iam::444455556666:role/x")], trusts={}), "in account 444455556666"),
    (dict(associations=[association(role="arn:aws:iam::%s:role/other" % ACCOUNT, ours=False)]),
     "already has a Pod Identity association with another role"),
    (dict(trusts={ROLE: dict(oidc_trust(), Statement=oidc_trust()["Statement"] + [dict(
        trust_policy.pod_identity_statement(), Effect="Deny")])}), "denies sts:AssumeRole"),
])
def test_what_cannot_move_says_why(change, reason):
    item = one(model.discover(facts(**change)))
    assert item.status == "cannot_move"
    assert any(reason in r for r in item.blockers), item.blockers


def test_a_fargate_selector_for_other_labels_or_namespaces_does_not_block():
    item = one(model.discover(facts(fargate_selectors=[
        {"profile": "fp", "namespace": "apps", "labels": {"app": "batch"}},
        {"profile": "fp", "namespace": "other", "labels": {}}])))
    assert item.status == "pending"


def test_namespaces_limit_the_scope():
    found = model.discover(facts(service_accounts=[sa(), sa(name="x", namespace="other")], namespaces=["other"]))
    assert [i.name for i in found] == ["other/x"]


def test_a_pod_identity_capable_addon_moves_through_the_addon_and_keeps_its_other_associations():
    addon = {"addonName": "vpc-cni", "addonVersion": "v1.20.4-eksbuild.1", "addonArn": ADDON_ARN,
             "serviceAccountRoleArn": CNI_ROLE}
    found = model.discover(facts(
        service_accounts=[sa("aws-node", "kube-system", CNI_ROLE)], workloads=[], pods=[],
        addons=[addon], addon_service_accounts={"vpc-cni": ["aws-node"]}, trusts={CNI_ROLE: oidc_trust()}))
    item = one(found)
    assert (item.name, item.addon, item.status) == ("kube-system/aws-node", "vpc-cni", "pending")
    other = association("kube-system", "aws-node-helper", ROLE, ours=False, owner=ADDON_ARN)
    assert model.addon_associations_with([other], "aws-node", CNI_ROLE) == [
        {"serviceAccount": "aws-node", "roleArn": CNI_ROLE}, {"serviceAccount": "aws-node-helper", "roleArn": ROLE}]
    assert model.addon_associations_without([other, association("kube-system", "aws-node", CNI_ROLE)],
                                            "aws-node") == [{"serviceAccount": "aws-node-helper", "roleArn": ROLE}]


def test_an_addon_version_without_pod_identity_support_cannot_move_nor_become_a_plain_association():
    addon = {"addonName": "vpc-cni", "addonVersion": "v1.12.0-eksbuild.1", "addonArn": ADDON_ARN,
             "serviceAccountRoleArn": CNI_ROLE}
    item = one(model.discover(facts(
        service_accounts=[sa("aws-node", "kube-system", CNI_ROLE)], workloads=[], pods=[],
        addons=[addon], addon_service_accounts={"vpc-cni": []}, trusts={CNI_ROLE: oidc_trust()})))
    assert item.addon == "vpc-cni" and item.status == "cannot_move"
    assert "does not support EKS Pod Identity" in item.blockers[0]


# --------------------------------------------------------------------------- decisions

def test_no_agent_refuses_only_when_something_would_be_associated():
    refusal = model.agent_refusal(facts(agent_installed=False), model.discover(facts(agent_installed=False)))
    assert isinstance(refusal, Refused) and "eks-pod-identity-agent" in str(refusal) and "apps/web" in str(refusal)
    blocked = facts(agent_installed=False, trusts={ROLE: None})
    assert model.agent_refusal(blocked, model.discover(blocked)) is None


def test_trust_changes_keep_the_other_statements_and_are_idempotent():
    both = both_trusts()
    assert len(both["Statement"]) == 2 and model.trust_with_pod_identity(both) == both
    assert model.pod_identity_trusted(both) and model.oidc_trusts(both, PROVIDER, "apps", "web")
    shared = model.trust_with_pod_identity({"Version": "2012-10-17", "Statement": [
        trust_policy.irsa_statement(PROVIDER, ISSUER, "apps", "web"),
        trust_policy.irsa_statement(PROVIDER, ISSUER, "apps", "other")]})
    after = model.trust_without_oidc(shared, PROVIDER, ISSUER, "apps", "web")
    assert not model.oidc_trusts(after, PROVIDER, "apps", "web")
    assert model.oidc_trusts(after, PROVIDER, "apps", "other") and model.pod_identity_trusted(after)


def test_unmanaged_pods_are_named_for_verification():
    item = one(model.discover(facts(pods=[pod("web-1"), pod("bare", labels={"run": "bare"})],
                                    associations=[association()])))
    assert model.unmanaged_pods(item) == ["bare"]


def test_summary_by_status():
    found = model.discover(facts(service_accounts=[sa(), sa(name="gone", role="arn:aws:iam::%s:role/gone" % ACCOUNT)],
                                 trusts={ROLE: oidc_trust(), "arn:aws:iam::%s:role/gone" % ACCOUNT: None}))
    summary = model.summary(found)
    assert summary["pending"] == ["apps/web"] and summary["cannot_move"] == ["apps/gone"]
