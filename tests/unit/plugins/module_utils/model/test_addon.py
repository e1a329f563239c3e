# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""model/addon.py: add-on versions, configuration values as data, the plan and its refusals."""

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils.errors import InvalidInput
from ansible_collections.eks.access.plugins.module_utils.errors import Refused
from ansible_collections.eks.access.plugins.module_utils.model import addon as model
from ansible_collections.eks.access.plugins.module_utils.model import pod_identity as pod_identity_model

ACCOUNT = "111122223333"
ADDON_ARN = "arn:aws:eks:us-west-2:%s:addon/prod/aws-ebs-csi-driver/1" % ACCOUNT
ROLE = "arn:aws:iam::%s:role/ebs" % ACCOUNT
ROLE2 = "arn:aws:iam::%s:role/ebs2" % ACCOUNT
INFOS = [{"addonName": "aws-ebs-csi-driver", "addonVersions": [
    {"addonVersion": "v1.52.1-eksbuild.1", "compatibilities": [{"clusterVersion": "1.34", "defaultVersion": True}]},
    {"addonVersion": "v1.53.0-eksbuild.1", "compatibilities": [{"clusterVersion": "1.34", "defaultVersion": False}]},
    {"addonVersion": "v1.45.0-eksbuild.2", "compatibilities": [{"clusterVersion": "1.33", "defaultVersion": True}]},
]}]


def test_versions_latest_default_explicit():
    assert model.resolve_version("latest", "aws-ebs-csi-driver", "1.34", INFOS) == "v1.53.0-eksbuild.1"
    assert model.resolve_version("default", "aws-ebs-csi-driver", "1.34", INFOS) == "v1.52.1-eksbuild.1"
    assert model.resolve_version("v1.52.1-eksbuild.1", "aws-ebs-csi-driver", "1.34", INFOS) == "v1.52.1-eksbuild.1"
    assert model.resolve_version(None, "aws-ebs-csi-driver", "1.34", INFOS) is None
    with pytest.raises(InvalidInput, match="no version v1.45.0-eksbuild.2 for Kubernetes 1.34"):
        model.resolve_version("v1.45.0-eksbuild.2", "aws-ebs-csi-driver", "1.34", INFOS)
    with pytest.raises(InvalidInput, match="offers no version"):
        model.resolve_version("latest", "aws-ebs-csi-drivr", "1.34", INFOS)


def test_configuration_values_compare_as_data():
    assert model.parse_configuration('{"a": {"b": 1}}') == model.parse_configuration("a:\n  b: 1\n")
    assert model.parse_configuration({"a": 1}) == {"a": 1}
    assert model.parse_configuration("") == {}
    with pytest.raises(InvalidInput, match="must be an object"):
        model.parse_configuration("- a\n- b\n")
    addon = {"addonName": "coredns", "addonVersion": "v1.12.4-eksbuild.1", "configurationValues": "replicaCount: 3"}
    same = model.plan(model.Wanted("coredns", configuration={"replicaCount": 3}), addon, {})
    assert same.action == "none"
    other = model.plan(model.Wanted("coredns", configuration={"replicaCount": 2}), addon, {})
    assert other.action == "update" and other.request == {"configurationValues": '{"replicaCount":2}'}


def test_update_repeats_the_role_and_the_kept_associations():
    addon = {"addonName": "aws-efs-csi-driver", "addonVersion": "v2.1.15-eksbuild.1", "addonArn": ADDON_ARN,
             "serviceAccountRoleArn": ROLE}
    current = {"efs-csi-controller-sa": ROLE, "efs-csi-node-sa": ROLE2}
    wanted = model.Wanted("aws-efs-csi-driver", associations=[model.AddonAssociation("efs-csi-node-sa", ROLE)])
    the_plan = model.plan(wanted, addon, current)
    assert the_plan.action == "update"
    assert the_plan.request["podIdentityAssociations"] == [
        {"serviceAccount": "efs-csi-controller-sa", "roleArn": ROLE}, {"serviceAccount": "efs-csi-node-sa", "roleArn": ROLE}]
    assert the_plan.request["serviceAccountRoleArn"] == ROLE  # UpdateAddon replaces it: repeated
    purged = model.plan(model.Wanted("aws-efs-csi-driver", associations=[], purge_associations=True), addon, current)
    assert purged.request["podIdentityAssociations"] == []
    version_only = model.plan(model.Wanted("aws-efs-csi-driver", version="v2.1.16-eksbuild.1"), addon, current)
    assert "podIdentityAssociations" not in version_only.request  # left out: EKS keeps them


def test_no_downgrade_and_delete():
    addon = {"addonName": "vpc-cni", "addonVersion": "v1.20.4-eksbuild.1"}
    with pytest.raises(Refused, match="does not downgrade"):
        model.plan(model.Wanted("vpc-cni", version="v1.19.6-eksbuild.1"), addon, {})
    assert model.plan(model.Wanted("vpc-cni", state="absent"), None, {}).action == "none"
    assert model.plan(model.Wanted("vpc-cni", state="absent", preserve=True), addon, {}).request == {"preserve": True}


def test_agent_predicate_knows_auto_mode():
    assert pod_identity_model.has_pod_identity_agent({}, ["eks-pod-identity-agent"])
    assert not pod_identity_model.has_pod_identity_agent({"computeConfig": {"enabled": False}}, ["vpc-cni"])
    assert pod_identity_model.has_pod_identity_agent({"computeConfig": {"enabled": True}}, [])
    assert pod_identity_model.has_pod_identity_agent({"auto_mode": True}, [])  # eks.cluster_facts' shape
