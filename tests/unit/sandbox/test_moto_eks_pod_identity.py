# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sandbox's EKS Pod Identity (moto_eks_pod_identity.py) answers boto3 as EKS does.

moto runs in-process on a free port with the add-on and Pod Identity
extensions, and every check goes through boto3, like the collection.
"""

from __future__ import annotations

import os
import re
import sys

import boto3
import botocore.exceptions
import pytest

from ansible_collections.eks.access.tests.unit.sandbox import moto_server

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "sandbox"))
import moto_eks_addons  # noqa: E402  pylint: disable=import-error,wrong-import-position
import moto_eks_compute  # noqa: E402  pylint: disable=import-error,wrong-import-position
import moto_eks_pod_identity  # noqa: E402  pylint: disable=import-error,wrong-import-position
import pod_identity_webhook  # noqa: E402  pylint: disable=import-error,wrong-import-position

ACCOUNT = "123456789012"
ROLE = "arn:aws:iam::%s:role/app" % ACCOUNT
OTHER_ROLE = "arn:aws:iam::%s:role/other" % ACCOUNT
ENDPOINT_OF_CLUSTER = "https://127.0.0.1:16443"


@pytest.fixture(scope="module")
def endpoint():
    moto_eks_addons.install()
    moto_eks_pod_identity.install()
    moto_eks_compute.install()
    with moto_server.serving() as url:
        yield url


@pytest.fixture()
def eks(endpoint, request):
    client = boto3.client("eks", endpoint_url=endpoint, region_name="us-west-2", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    client.cluster = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower())[:90]
    client.create_cluster(name=client.cluster, version="1.34", roleArn="arn:aws:iam::%s:role/eks" % ACCOUNT,
                          resourcesVpcConfig={"subnetIds": ["subnet-1"]})
    return client


def code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def create(eks, namespace="apps", service_account="web", role=ROLE, **kw):
    return eks.create_pod_identity_association(clusterName=eks.cluster, namespace=namespace,
                                               serviceAccount=service_account, roleArn=role, **kw)["association"]


def test_create_describe_list_delete(eks):
    created = create(eks, tags={"team": "a"})
    assert re.match(r"^a-[a-z0-9]{17}$", created["associationId"])
    assert created["associationArn"] == "arn:aws:eks:us-west-2:%s:podidentityassociation/%s/%s" % (
        ACCOUNT, eks.cluster, created["associationId"])
    assert created["disableSessionTags"] is False
    assert created["tags"] == {"team": "a"}
    described = eks.describe_pod_identity_association(
        clusterName=eks.cluster, associationId=created["associationId"])["association"]
    assert described["roleArn"] == ROLE and described["namespace"] == "apps" and described["serviceAccount"] == "web"
    listed = eks.list_pod_identity_associations(clusterName=eks.cluster)["associations"]
    assert listed == [{k: created[k] for k in ("clusterName", "namespace", "serviceAccount", "associationArn",
                                               "associationId")}]
    deleted = eks.delete_pod_identity_association(clusterName=eks.cluster, associationId=created["associationId"])
    assert deleted["association"]["associationId"] == created["associationId"]
    assert eks.list_pod_identity_associations(clusterName=eks.cluster)["associations"] == []
    with pytest.raises(botocore.exceptions.ClientError) as e:
        eks.describe_pod_identity_association(clusterName=eks.cluster, associationId=created["associationId"])
    assert code(e) == "ResourceNotFoundException"


def test_second_association_for_a_service_account_is_in_use(eks):
    first = create(eks)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        create(eks, role=OTHER_ROLE)
    assert code(e) == "ResourceInUseException"
    assert first["associationArn"] in str(e.value)


@pytest.mark.parametrize("kw", [
    dict(namespace="Apps"),
    dict(namespace="a" * 64),
    dict(service_account="web_1"),
    dict(role="arn:aws:iam::%s:user/app" % ACCOUNT),
    dict(role="app"),
    dict(role="arn:aws-cn:iam::%s:role/app" % ACCOUNT),
    dict(targetRoleArn="not-an-arn"),
    dict(tags={"k%d" % i: "v" for i in range(51)}),
    dict(policy="{not json", disableSessionTags=True),
    dict(policy='{"Version": "2012-10-17", "Statement": []}'),
])
def test_invalid_parameters(eks, kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        create(eks, **kw)
    assert code(e) == "InvalidParameterException"
    assert eks.list_pod_identity_associations(clusterName=eks.cluster)["associations"] == []


def test_unknown_cluster(eks):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        eks.list_pod_identity_associations(clusterName="no-such-cluster")
    assert code(e) == "ResourceNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        eks.create_pod_identity_association(clusterName="no-such-cluster", namespace="a", serviceAccount="b",
                                            roleArn=ROLE)
    assert code(e) == "ResourceNotFoundException"


def test_update_changes_role_target_and_session_tags_only(eks):
    created = create(eks)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        eks.update_pod_identity_association(clusterName=eks.cluster, associationId=created["associationId"])
    assert code(e) == "InvalidParameterException"
    updated = eks.update_pod_identity_association(clusterName=eks.cluster, associationId=created["associationId"],
                                                  roleArn=OTHER_ROLE, targetRoleArn=ROLE,
                                                  disableSessionTags=True)["association"]
    assert (updated["roleArn"], updated["targetRoleArn"], updated["disableSessionTags"]) == (OTHER_ROLE, ROLE, True)
    assert updated["externalId"]
    cleared = eks.update_pod_identity_association(clusterName=eks.cluster, associationId=created["associationId"],
                                                  targetRoleArn="")["association"]
    assert "targetRoleArn" not in cleared and "externalId" not in cleared
    assert cleared["associationArn"] == created["associationArn"]


def test_tags_of_an_association(eks):
    created = create(eks, tags={"a": "1", "b": "2", "c": "3"})
    eks.tag_resource(resourceArn=created["associationArn"], tags={"d": "4"})
    eks.untag_resource(resourceArn=created["associationArn"], tagKeys=["a", "b"])
    assert eks.list_tags_for_resource(resourceArn=created["associationArn"])["tags"] == {"c": "3", "d": "4"}
    described = eks.describe_pod_identity_association(
        clusterName=eks.cluster, associationId=created["associationId"])["association"]
    assert described["tags"] == {"c": "3", "d": "4"}
    with pytest.raises(botocore.exceptions.ClientError) as e:
        eks.tag_resource(resourceArn=created["associationArn"].replace(created["associationId"], "a-" + "x" * 17),
                         tags={"e": "5"})
    assert code(e) == "ResourceNotFoundException"
    cluster_arn = eks.describe_cluster(name=eks.cluster)["cluster"]["arn"]
    eks.tag_resource(resourceArn=cluster_arn, tags={"still": "moto"})
    assert eks.list_tags_for_resource(resourceArn=cluster_arn)["tags"]["still"] == "moto"


def test_list_filters_and_pages(eks):
    for i in range(5):
        create(eks, namespace="ns-%d" % (i % 2), service_account="sa-%d" % i)
    assert len(eks.list_pod_identity_associations(clusterName=eks.cluster, namespace="ns-0")["associations"]) == 3
    one = eks.list_pod_identity_associations(clusterName=eks.cluster, namespace="ns-1", serviceAccount="sa-3")
    assert [a["serviceAccount"] for a in one["associations"]] == ["sa-3"]
    page = eks.list_pod_identity_associations(clusterName=eks.cluster, maxResults=2)
    assert len(page["associations"]) == 2 and page["nextToken"]
    full = eks.get_paginator("list_pod_identity_associations").paginate(
        clusterName=eks.cluster, PaginationConfig={"PageSize": 2}).build_full_result()
    assert sorted(a["serviceAccount"] for a in full["associations"]) == ["sa-%d" % i for i in range(5)]


def test_limit_per_cluster(eks, monkeypatch):
    monkeypatch.setattr(moto_eks_pod_identity, "MAX_ASSOCIATIONS_PER_CLUSTER", 3)
    for i in range(3):
        create(eks, service_account="sa-%d" % i)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        create(eks, service_account="sa-3")
    assert code(e) == "ResourceLimitExceededException"


def test_default_limit_is_eks_quota():
    assert moto_eks_pod_identity.MAX_ASSOCIATIONS_PER_CLUSTER == 1000


def test_describe_addon_configuration(eks):
    new = eks.describe_addon_configuration(addonName="vpc-cni", addonVersion="v1.15.5-eksbuild.1")
    assert new["podIdentityConfiguration"] == [
        {"serviceAccount": "aws-node", "recommendedManagedPolicies": ["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"]}]
    assert new["configurationSchema"]
    old = eks.describe_addon_configuration(addonName="vpc-cni", addonVersion="v1.15.4-eksbuild.3")
    assert old.get("podIdentityConfiguration", []) == []
    agent = eks.describe_addon_configuration(addonName="eks-pod-identity-agent", addonVersion="v1.3.8-eksbuild.2")
    assert agent.get("podIdentityConfiguration", []) == []
    with pytest.raises(botocore.exceptions.ClientError) as e:
        eks.describe_addon_configuration(addonName="no-such-addon", addonVersion="v1.0.0-eksbuild.1")
    assert code(e) == "ResourceNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        eks.describe_addon_configuration(addonName="vpc-cni", addonVersion="latest")
    assert code(e) == "InvalidParameterException"


def _addon_associations(eks):
    return [a for a in eks.list_pod_identity_associations(clusterName=eks.cluster)["associations"]
            if a.get("ownerArn")]


def test_addon_associations_are_replaced_by_update(eks):
    addon = eks.create_addon(clusterName=eks.cluster, addonName="vpc-cni", addonVersion="v1.20.4-eksbuild.1",
                             podIdentityAssociations=[{"serviceAccount": "aws-node", "roleArn": ROLE}])["addon"]
    owned = _addon_associations(eks)
    assert [(a["namespace"], a["serviceAccount"], a["ownerArn"]) for a in owned] == [
        ("kube-system", "aws-node", addon["addonArn"])]
    assert addon["podIdentityAssociations"] == [owned[0]["associationArn"]]
    # owned by the add-on: not changed directly
    for call in (lambda: eks.update_pod_identity_association(clusterName=eks.cluster, roleArn=OTHER_ROLE,
                                                             associationId=owned[0]["associationId"]),
                 lambda: eks.delete_pod_identity_association(clusterName=eks.cluster,
                                                             associationId=owned[0]["associationId"])):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            call()
        assert code(e) == "InvalidRequestException"
    # an update without the parameter keeps them; with a new role, same association, new role
    eks.update_addon(clusterName=eks.cluster, addonName="vpc-cni", addonVersion="v1.20.4-eksbuild.1")
    assert _addon_associations(eks) == owned
    eks.update_addon(clusterName=eks.cluster, addonName="vpc-cni",
                     podIdentityAssociations=[{"serviceAccount": "aws-node", "roleArn": OTHER_ROLE}])
    described = eks.describe_pod_identity_association(
        clusterName=eks.cluster, associationId=owned[0]["associationId"])["association"]
    assert described["roleArn"] == OTHER_ROLE
    # an empty list removes them all
    eks.update_addon(clusterName=eks.cluster, addonName="vpc-cni", podIdentityAssociations=[])
    assert _addon_associations(eks) == []
    assert "podIdentityAssociations" not in eks.describe_addon(clusterName=eks.cluster, addonName="vpc-cni")["addon"]


def test_addon_associations_refused(eks):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        eks.create_addon(clusterName=eks.cluster, addonName="vpc-cni", addonVersion="v1.15.4-eksbuild.1",
                         podIdentityAssociations=[{"serviceAccount": "aws-node", "roleArn": ROLE}])
    assert code(e) == "InvalidParameterException"
    assert eks.list_addons(clusterName=eks.cluster)["addons"] == []
    with pytest.raises(botocore.exceptions.ClientError) as e:
        eks.create_addon(clusterName=eks.cluster, addonName="vpc-cni", addonVersion="v1.20.4-eksbuild.1",
                         podIdentityAssociations=[{"serviceAccount": "other", "roleArn": ROLE}])
    assert code(e) == "InvalidParameterException"
    create(eks, namespace="kube-system", service_account="aws-node")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        eks.create_addon(clusterName=eks.cluster, addonName="vpc-cni", addonVersion="v1.20.4-eksbuild.1",
                         podIdentityAssociations=[{"serviceAccount": "aws-node", "roleArn": ROLE}])
    assert code(e) == "ResourceInUseException"
    assert eks.list_addons(clusterName=eks.cluster)["addons"] == []


def test_deleting_the_addon_deletes_its_associations(eks):
    eks.create_addon(clusterName=eks.cluster, addonName="vpc-cni", addonVersion="v1.20.4-eksbuild.1",
                     podIdentityAssociations=[{"serviceAccount": "aws-node", "roleArn": ROLE}])
    create(eks)
    eks.delete_addon(clusterName=eks.cluster, addonName="vpc-cni")
    assert [a["serviceAccount"] for a in eks.list_pod_identity_associations(clusterName=eks.cluster)["associations"]] \
        == ["web"]


def test_agent_addon_default_version(eks):
    agent = eks.create_addon(clusterName=eks.cluster, addonName="eks-pod-identity-agent")["addon"]
    assert agent["addonVersion"] == moto_eks_addons.default_version("eks-pod-identity-agent", "1.34")
    assert agent["status"] == "CREATING"
    assert eks.describe_addon(clusterName=eks.cluster, addonName="eks-pod-identity-agent")["addon"]["status"] == "ACTIVE"


# --------------------------------------------------------------------------- the webhook's question

def test_webhook_finds_pod_identity_only_with_the_agent(eks):
    from moto.eks.models import eks_backends

    eks_backends[ACCOUNT]["us-west-2"].clusters[eks.cluster].endpoint = ENDPOINT_OF_CLUSTER
    try:
        create(eks)
        assert pod_identity_webhook.find_pod_identity(eks, ENDPOINT_OF_CLUSTER, "apps", "web") is None
        eks.create_addon(clusterName=eks.cluster, addonName="eks-pod-identity-agent")
        found = pod_identity_webhook.find_pod_identity(eks, ENDPOINT_OF_CLUSTER, "apps", "web")
        assert found["serviceAccount"] == "web" and found["clusterName"] == eks.cluster
        assert pod_identity_webhook.find_pod_identity(eks, ENDPOINT_OF_CLUSTER, "apps", "other") is None
        assert pod_identity_webhook.find_pod_identity(eks, "https://127.0.0.1:1", "apps", "web") is None
    finally:
        eks_backends[ACCOUNT]["us-west-2"].clusters[eks.cluster].endpoint = None


def test_webhook_pod_identity_patch():
    pod = {"spec": {"serviceAccountName": "web",
                    "initContainers": [{"name": "init"}],
                    "containers": [{"name": "app", "env": [{"name": "AWS_REGION", "value": "eu-west-1"}]}]}}
    ops = pod_identity_webhook.pod_identity_patch(pod, "us-west-2")
    by_path = {}
    for op in ops:
        by_path.setdefault(op["path"], []).append(op["value"])
    init_env = {e["name"]: e["value"] for e in by_path["/spec/initContainers/0/env"][0]}
    assert init_env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] == "http://169.254.170.23/v1/credentials"
    assert init_env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] == \
        "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token"
    app_env = {e["name"]: e["value"] for e in by_path["/spec/containers/0/env/-"]}
    assert "AWS_REGION" not in app_env  # the container's own value stays
    assert app_env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] == "http://169.254.170.23/v1/credentials"
    volume = by_path["/spec/volumes"][0][0]
    assert volume["projected"]["sources"][0]["serviceAccountToken"] == {
        "audience": "pods.eks.amazonaws.com", "expirationSeconds": 86400, "path": "eks-pod-identity-token"}
    assert by_path["/spec/containers/0/volumeMounts"][0] == [{
        "name": "eks-pod-identity-token", "mountPath": "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount",
        "readOnly": True}]
    mutated = dict(pod, spec=dict(pod["spec"], volumes=[volume]))
    assert pod_identity_webhook.pod_identity_patch(mutated, "us-west-2") == []


def test_webhook_reads_cluster_endpoints_once_per_ttl(eks):
    from moto.eks.models import eks_backends

    cluster = eks_backends[ACCOUNT]["us-west-2"].clusters[eks.cluster]
    cluster.endpoint = ENDPOINT_OF_CLUSTER
    try:
        cached = pod_identity_webhook.ClustersOf(eks, ttl=3600)
        assert eks.cluster in cached(ENDPOINT_OF_CLUSTER)
        cluster.endpoint = "https://127.0.0.1:1"
        assert eks.cluster in cached(ENDPOINT_OF_CLUSTER)  # not re-read within the ttl
        assert eks.cluster not in pod_identity_webhook.ClustersOf(eks, ttl=0)(ENDPOINT_OF_CLUSTER)
    finally:
        cluster.endpoint = None


# --------------------------------------------------------------------------- add-on catalog, Auto Mode, session policies

def test_addon_versions_per_kubernetes_version(eks):
    answer = eks.describe_addon_versions(addonName="vpc-cni", kubernetesVersion="1.34")["addons"]
    assert [a["addonName"] for a in answer] == ["vpc-cni"]
    versions = answer[0]["addonVersions"]
    assert versions[0]["addonVersion"] == "v1.21.1-eksbuild.1"  # newest first
    defaults = [v["addonVersion"] for v in versions if v["compatibilities"][0]["defaultVersion"]]
    assert defaults == ["v1.20.4-eksbuild.1"]
    assert all(c["clusterVersion"] == "1.34" for v in versions for c in v["compatibilities"])
    old = eks.describe_addon_versions(addonName="vpc-cni", kubernetesVersion="1.28")["addons"][0]["addonVersions"]
    assert "v1.15.5-eksbuild.1" in [v["addonVersion"] for v in old]
    assert "v1.15.5-eksbuild.1" not in [v["addonVersion"] for v in versions]
    every = eks.describe_addon_versions(kubernetesVersion="1.34", maxResults=2)
    assert len(every["addons"]) == 2 and every["nextToken"]


def test_create_addon_checks_catalog_and_configuration(eks):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        eks.create_addon(clusterName=eks.cluster, addonName="no-such-addon")
    assert code(e) == "InvalidParameterException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        eks.create_addon(clusterName=eks.cluster, addonName="vpc-cni", addonVersion="v1.15.5-eksbuild.1")
    assert code(e) == "InvalidParameterException"  # not for Kubernetes 1.34
    with pytest.raises(botocore.exceptions.ClientError) as e:
        eks.create_addon(clusterName=eks.cluster, addonName="coredns", configurationValues="- a list")
    assert code(e) == "InvalidParameterException"
    addon = eks.create_addon(clusterName=eks.cluster, addonName="coredns", configurationValues="replicaCount: 3")
    assert addon["addon"]["addonVersion"] == "v1.12.4-eksbuild.1"
    eks.update_addon(clusterName=eks.cluster, addonName="coredns", addonVersion="v1.12.4-eksbuild.1")
    kept = eks.describe_addon(clusterName=eks.cluster, addonName="coredns")["addon"]
    assert kept["configurationValues"] == "replicaCount: 3"  # left out of UpdateAddon: kept


def test_ebs_csi_pod_identity_configuration(eks):
    config = eks.describe_addon_configuration(addonName="aws-ebs-csi-driver", addonVersion="v1.52.1-eksbuild.1")
    assert [c["serviceAccount"] for c in config["podIdentityConfiguration"]] == ["ebs-csi-controller-sa"]
    efs = eks.describe_addon_configuration(addonName="aws-efs-csi-driver", addonVersion="v2.1.15-eksbuild.1")
    assert [c["serviceAccount"] for c in efs["podIdentityConfiguration"]] == ["efs-csi-controller-sa",
                                                                              "efs-csi-node-sa"]
    agent = eks.describe_addon_configuration(addonName="eks-pod-identity-agent", addonVersion="v1.3.8-eksbuild.2")
    assert agent["podIdentityConfiguration"] == []
    with pytest.raises(botocore.exceptions.ClientError) as e:
        eks.create_addon(clusterName=eks.cluster, addonName="aws-ebs-csi-driver",
                         podIdentityAssociations=[{"serviceAccount": "ebs-csi-node-sa", "roleArn": ROLE}])
    assert code(e) == "InvalidParameterException"


@pytest.mark.parametrize("policy", [
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "%s"}]}'
    % ("x" * 2100),
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}]}',
    '["not", "a", "policy"]',
])
def test_session_policy_is_checked(eks, policy):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        eks.create_pod_identity_association(clusterName=eks.cluster, namespace="apps", serviceAccount="web",
                                            roleArn=ROLE, disableSessionTags=True, policy=policy)
    assert code(e) == "InvalidParameterException"


def test_auto_mode_cluster(eks):
    role = "arn:aws:iam::%s:role/auto-node" % ACCOUNT
    name = eks.cluster[:80] + "-auto"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        eks.create_cluster(name=name, version="1.34", roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["subnet-1"]},
                           computeConfig={"enabled": True, "nodePools": ["system"], "nodeRoleArn": role})
    assert code(e) == "InvalidParameterException"  # storage and load balancing must come along
    eks.create_cluster(name=name, version="1.34", roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["subnet-1"]},
                       computeConfig={"enabled": True, "nodePools": ["system"], "nodeRoleArn": role},
                       storageConfig={"blockStorage": {"enabled": True}},
                       kubernetesNetworkConfig={"elasticLoadBalancing": {"enabled": True}})
    cluster = eks.describe_cluster(name=name)["cluster"]
    assert cluster["computeConfig"] == {"enabled": True, "nodePools": ["system"], "nodeRoleArn": role}
    assert cluster["storageConfig"] == {"blockStorage": {"enabled": True}}
    assert eks.describe_cluster(name=eks.cluster)["cluster"]["computeConfig"] == {"enabled": False}


def test_webhook_injects_on_auto_mode_without_the_agent(eks):
    from moto.eks.models import eks_backends

    backend = eks_backends[ACCOUNT]["us-west-2"]
    create(eks)
    backend.clusters[eks.cluster].endpoint = ENDPOINT_OF_CLUSTER
    try:
        assert pod_identity_webhook.find_pod_identity(eks, ENDPOINT_OF_CLUSTER, "apps", "web") is None
        backend.clusters[eks.cluster].compute_config = {"enabled": True, "nodePools": []}
        found = pod_identity_webhook.find_pod_identity(eks, ENDPOINT_OF_CLUSTER, "apps", "web")
        assert found["serviceAccount"] == "web"
    finally:
        backend.clusters[eks.cluster].endpoint = None
