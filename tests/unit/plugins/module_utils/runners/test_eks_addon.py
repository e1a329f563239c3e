# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""eks_addon: the model (versions, configuration values, the plan) and the runner over botocore Stubbers."""

from __future__ import annotations

import datetime
import json

import pytest

from ansible_collections.eks.access.plugins.module_utils.model import trust_policy
from ansible_collections.eks.access.plugins.module_utils.errors import InvalidInput
from ansible_collections.eks.access.plugins.module_utils.model import pod_identity as pod_identity_model
from ansible_collections.eks.access.plugins.module_utils.runners import eks_addon as runner
from ansible_collections.eks.access.tests.unit.plugins.fakes import Harness, queue_role

from ..model.test_addon import ACCOUNT, ADDON_ARN, INFOS, ROLE

CLUSTER = "prod"
NOW = datetime.datetime(2026, 12, 5, tzinfo=datetime.timezone.utc)
POD_TRUST = {"Version": "2012-10-17", "Statement": [trust_policy.pod_identity_statement()]}


# --------------------------------------------------------------------------- runner


class Aws:
    def __init__(self, check_mode=False):
        self.harness = Harness(check_mode=check_mode)
        self.eks = self.harness.stub("eks")
        self.iam = self.harness.stub("iam")

    def cluster(self, auto_mode=False):
        self.eks.add_response("describe_cluster", {"cluster": {
            "name": CLUSTER, "version": "1.34", "arn": "arn:aws:eks:us-west-2:%s:cluster/%s" % (ACCOUNT, CLUSTER),
            "computeConfig": {"enabled": auto_mode}}}, {"name": CLUSTER})

    def addon(self, addon):
        if addon is None:
            self.eks.add_client_error("describe_addon", "ResourceNotFoundException", http_status_code=404,
                                      expected_params={"clusterName": CLUSTER, "addonName": "aws-ebs-csi-driver"})
        else:
            self.eks.add_response("describe_addon", {"addon": addon},
                                  {"clusterName": CLUSTER, "addonName": "aws-ebs-csi-driver"})

    def versions(self):
        self.eks.add_response("describe_addon_versions", {"addons": INFOS},
                              {"addonName": "aws-ebs-csi-driver", "kubernetesVersion": "1.34"})

    def associations(self, items=()):
        self.eks.add_response("list_pod_identity_associations", {"associations": list(items)},
                              {"clusterName": CLUSTER})

    def configuration(self, version, accounts=("ebs-csi-controller-sa",)):
        self.eks.add_response("describe_addon_configuration", {
            "addonName": "aws-ebs-csi-driver", "addonVersion": version, "configurationSchema": "{}",
            "podIdentityConfiguration": [{"serviceAccount": a} for a in accounts]},
            {"addonName": "aws-ebs-csi-driver", "addonVersion": version})

    def names(self, names=("eks-pod-identity-agent",)):
        self.eks.add_response("list_addons", {"addons": list(names)}, {"clusterName": CLUSTER})

    def role(self, arn, trust):
        queue_role(self.iam, arn, trust, created=NOW)

    def not_installed(self):
        """The reads before installing aws-ebs-csi-driver: the cluster, no add-on, its versions, its configuration."""
        self.cluster()
        self.addon(None)
        self.versions()
        self.configuration("v1.52.1-eksbuild.1")

    def run(self, **options):
        return self.harness.run(runner.run, runner.Options(cluster_name=CLUSTER, name="aws-ebs-csi-driver", **options))


ASSOCIATIONS = [{"service_account": "ebs-csi-controller-sa", "role_arn": ROLE}]
INSTALLED = {"addonName": "aws-ebs-csi-driver", "clusterName": CLUSTER, "status": "ACTIVE",
             "addonVersion": "v1.52.1-eksbuild.1", "addonArn": ADDON_ARN, "podIdentityAssociations": ["x"]}


OWNED = {"clusterName": CLUSTER, "namespace": "kube-system", "serviceAccount": "ebs-csi-controller-sa",
         "associationArn": "arn:aws:eks:us-west-2:%s:podidentityassociation/prod/a-1" % ACCOUNT,
         "associationId": "a-1", "ownerArn": ADDON_ARN}


def test_create_with_pod_identity_in_check_mode_writes_nothing():
    aws = Aws(check_mode=True)
    aws.not_installed()
    aws.names()
    aws.associations()
    aws.role(ROLE, POD_TRUST)
    result = aws.run(pod_identity_associations=ASSOCIATIONS)
    assert result["changed"] and result["action"] == "create"
    assert result["addon"]["version"] == "v1.52.1-eksbuild.1"
    assert result["diff"]["after"]["addon"]["pod_identity_associations"] == ASSOCIATIONS
    assert aws.harness.aws_writes() == []


def test_refuses_a_service_account_without_pod_identity_configuration():
    aws = Aws()
    aws.not_installed()
    result = aws.run(pod_identity_associations=[{"service_account": "ebs-csi-node-sa", "role_arn": ROLE}])
    assert result["msg"].startswith("add-on aws-ebs-csi-driver v1.52.1-eksbuild.1 lists no podIdentityConfiguration "
                                    "for service account(s) ebs-csi-node-sa")
    assert "service_account_role_arn" in result["msg"]
    assert aws.harness.aws_writes() == []


def test_refuses_without_agent_unless_auto_mode():
    aws = Aws()
    aws.not_installed()
    aws.names(["vpc-cni"])
    result = aws.run(pod_identity_associations=ASSOCIATIONS)
    assert "has no eks-pod-identity-agent add-on and is not in EKS Auto Mode" in result["msg"]
    auto = Aws(check_mode=True)
    auto.cluster(auto_mode=True)
    auto.addon(None)
    auto.versions()
    auto.configuration("v1.52.1-eksbuild.1")
    auto.names(["vpc-cni"])
    auto.associations()
    auto.role(ROLE, POD_TRUST)
    assert auto.run(pod_identity_associations=ASSOCIATIONS)["action"] == "create"


def test_version_update_keeps_associations_and_waits():
    aws = Aws()
    aws.cluster()
    aws.addon(INSTALLED)
    aws.versions()
    aws.associations([OWNED])
    aws.eks.add_response("describe_pod_identity_association", {"association": dict(OWNED, roleArn=ROLE)},
                         {"clusterName": CLUSTER, "associationId": "a-1"})
    aws.eks.add_response("update_addon", {"update": {"id": "u-1", "status": "InProgress"}},
                         {"clusterName": CLUSTER, "addonName": "aws-ebs-csi-driver",
                          "addonVersion": "v1.53.0-eksbuild.1"})
    aws.eks.add_response("describe_update", {"update": {"id": "u-1", "status": "Successful"}},
                         {"name": CLUSTER, "updateId": "u-1", "addonName": "aws-ebs-csi-driver"})
    aws.addon(dict(INSTALLED, addonVersion="v1.53.0-eksbuild.1"))
    aws.associations([OWNED])
    aws.eks.add_response("describe_pod_identity_association", {"association": dict(OWNED, roleArn=ROLE)},
                         {"clusterName": CLUSTER, "associationId": "a-1"})
    result = aws.run(version="latest", pod_identity_associations=ASSOCIATIONS)
    assert result["changes"] == ["version"]
    assert result["update"] == {"id": "u-1", "status": "Successful"}
    assert result["addon"]["pod_identity_associations"] == ASSOCIATIONS
    assert aws.harness.aws_writes() == ["UpdateAddon"]


def test_absent_refuses_other_options():
    aws = Aws()
    result = aws.run(state="absent", version="latest")
    assert result["msg"] == ("state=absent deletes the add-on (and the Pod Identity associations it owns); leave out "
                             "version")


# --------------------------------------------------------------------------- session policies

POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}]}


def test_session_policy_compared_as_a_document():
    wanted = pod_identity_model.parse_associations([{
        "namespace": "apps", "service_account": "web", "role_arn": "arn:aws:iam::111122223333:role/app",
        "disable_session_tags": True, "policy": POLICY}], "present")
    stored = json.dumps({"Statement": {"Resource": "*", "Action": "s3:GetObject", "Effect": "Allow"},
                         "Version": "2012-10-17"}, indent=2)
    current = pod_identity_model.Current("apps", "web", "a-1", "arn", "arn:aws:iam::111122223333:role/app",
                                         disable_session_tags=True, policy=stored)
    assert pod_identity_model.plan(wanted, [current], "present").changes == []
    narrower = dict(POLICY, Statement=[dict(POLICY["Statement"][0], Resource="arn:aws:s3:::b/*")])
    changed = pod_identity_model.parse_associations([{
        "namespace": "apps", "service_account": "web", "role_arn": "arn:aws:iam::111122223333:role/app",
        "disable_session_tags": True, "policy": json.dumps(narrower)}], "present")
    update = pod_identity_model.plan(changed, [current], "present").changes[0]
    assert json.loads(update.update["policy"]) == narrower


@pytest.mark.parametrize("item, message", [
    (dict(policy=POLICY), "needs disable_session_tags: true"),
    (dict(policy="{not json", disable_session_tags=True), "is not a JSON policy document"),
    (dict(policy={"Version": "2012-10-17"}, disable_session_tags=True), "needs a Statement list"),
    (dict(policy=dict(POLICY, Statement=[dict(POLICY["Statement"][0], Resource=["arn:aws:s3:::%04d" % i
                                                                                for i in range(200)])]),
          disable_session_tags=True), "more than the 2048 a session policy may have"),
])
def test_session_policy_refused(item, message):
    with pytest.raises(InvalidInput, match=message):
        pod_identity_model.parse_associations([dict(namespace="apps", service_account="web",
                                                    role_arn="arn:aws:iam::111122223333:role/app", **item)], "present")
