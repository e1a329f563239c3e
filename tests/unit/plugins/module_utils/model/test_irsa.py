# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy
import json
from urllib.parse import quote

import pytest

from ansible_collections.eks.access.plugins.module_utils.model import irsa
from ansible_collections.eks.access.plugins.module_utils.model.irsa import IrsaError

ROLE = "arn:aws:iam::111122223333:role/AmazonEKSVPCCNIRole"
OTHER_ROLE = "arn:aws:iam::111122223333:role/SomeoneElse"
CNI = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"
S3 = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
MINE = "arn:aws:iam::111122223333:policy/Mine"

DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
DOC_LISTY = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["*"]}}
DOC2 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}


# ------------------------------------------------------------ managed policies


@pytest.mark.parametrize(
    "attached, desired, purge, to_attach, to_detach",
    [
        ([], [CNI], False, [CNI], []),
        ([CNI], [CNI], True, [], []),
        ([CNI, S3], [CNI], False, [], []),
        ([CNI, S3], [CNI], True, [], [S3]),
        ([S3, MINE], [CNI, MINE], True, [CNI], [S3]),
        ([MINE, S3, CNI], [], True, [], [MINE, S3, CNI]),
        ([MINE, S3], [CNI, S3, CNI], False, [CNI], []),  # duplicates in desired
        ([S3], None, True, [], []),  # None: not managed
        (None, [S3, CNI], True, [S3, CNI], []),
    ],
)
def test_plan_managed_policies(attached, desired, purge, to_attach, to_detach):
    assert irsa.plan_managed_policies(attached, desired, purge) == (to_attach, to_detach)


# ------------------------------------------------------------- inline policies


@pytest.mark.parametrize(
    "current, desired, purge, to_put, to_delete",
    [
        ({}, {"a": DOC}, False, {"a": DOC}, []),
        ({"a": DOC}, {"a": DOC}, True, {}, []),
        ({"a": DOC_LISTY}, {"a": DOC}, True, {}, []),  # str vs single-item list
        ({"a": quote(json.dumps(DOC))}, {"a": DOC}, True, {}, []),  # URL-encoded from IAM
        ({"a": DOC}, {"a": json.dumps(DOC2)}, False, {"a": DOC2}, []),
        ({"a": DOC, "b": DOC2}, {"a": DOC}, False, {}, []),
        ({"a": DOC, "b": DOC2}, {"a": DOC}, True, {}, ["b"]),
        ({"a": DOC, "b": DOC2}, {}, True, {}, ["a", "b"]),
        ({"a": DOC}, None, True, {}, []),
        (None, {"a": DOC}, True, {"a": DOC}, []),
    ],
)
def test_plan_inline_policies(current, desired, purge, to_put, to_delete):
    assert irsa.plan_inline_policies(current, desired, purge) == (to_put, to_delete)


# ----------------------------------------------------------------- annotations


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({}, {"eks.amazonaws.com/role-arn": ROLE}),
        ({"sts_regional_endpoints": True}, {"eks.amazonaws.com/role-arn": ROLE, "eks.amazonaws.com/sts-regional-endpoints": "true"}),
        ({"sts_regional_endpoints": False}, {"eks.amazonaws.com/role-arn": ROLE, "eks.amazonaws.com/sts-regional-endpoints": "false"}),
        ({"sts_regional_endpoints": "True"}, {"eks.amazonaws.com/role-arn": ROLE, "eks.amazonaws.com/sts-regional-endpoints": "true"}),
        ({"token_expiration": 3600}, {"eks.amazonaws.com/role-arn": ROLE, "eks.amazonaws.com/token-expiration": "3600"}),
        ({"token_expiration": "86400"}, {"eks.amazonaws.com/role-arn": ROLE, "eks.amazonaws.com/token-expiration": "86400"}),
        ({"audience": "my-aud"}, {"eks.amazonaws.com/role-arn": ROLE, "eks.amazonaws.com/audience": "my-aud"}),
        (
            {"sts_regional_endpoints": True, "token_expiration": 43200, "audience": "sts.amazonaws.com"},
            {
                "eks.amazonaws.com/role-arn": ROLE,
                "eks.amazonaws.com/sts-regional-endpoints": "true",
                "eks.amazonaws.com/token-expiration": "43200",
                "eks.amazonaws.com/audience": "sts.amazonaws.com",
            },
        ),
    ],
)
def test_service_account_annotations(kwargs, expected):
    assert irsa.service_account_annotations(ROLE, **kwargs) == expected


@pytest.mark.parametrize(
    "role_arn, kwargs, message",
    [
        (ROLE, {"token_expiration": 3599}, "between 3600 and 86400"),
        (ROLE, {"token_expiration": 86401}, "between 3600 and 86400"),
        (ROLE, {"token_expiration": 600}, "between"),
        (ROLE, {"token_expiration": "1h"}, "seconds"),
        (ROLE, {"token_expiration": True}, "seconds"),
        (ROLE, {"token_expiration": 3600.5}, "seconds"),
        (ROLE, {"sts_regional_endpoints": "yes please"}, "boolean"),
        (ROLE, {"audience": ""}, "audience"),
        ("arn:aws:iam::111122223333:user/bob", {}, "role ARN"),
        ("arn:aws:iam::111122223333:role/*", {}, "role ARN"),
        ("arn:aws:sts::111122223333:assumed-role/x/y", {}, "role ARN"),
        ("AmazonEKSVPCCNIRole", {}, "role ARN"),
        (None, {}, "role ARN"),
    ],
)
def test_service_account_annotations_rejects(role_arn, kwargs, message):
    with pytest.raises(IrsaError, match=message):
        irsa.service_account_annotations(role_arn, **kwargs)


def sa(annotations=None, labels=None, name="aws-node", namespace="kube-system"):
    meta = {"name": name, "namespace": namespace}
    if annotations is not None:
        meta["annotations"] = annotations
    if labels is not None:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta}


WANTED = {"eks.amazonaws.com/role-arn": ROLE, "eks.amazonaws.com/sts-regional-endpoints": "true"}


def test_plan_sa_missing_create():
    plan = irsa.plan_service_account(None, WANTED, override_existing=False, create_if_missing=True)
    assert plan["action"] == "create"
    assert plan["patch"] == {"metadata": {"annotations": WANTED}}
    assert plan["before_annotations"] == {}
    assert plan["after_annotations"] == WANTED


def test_plan_sa_missing_no_create_refuses():
    plan = irsa.plan_service_account(None, WANTED, override_existing=True, create_if_missing=False)
    assert plan["action"] == "refuse"
    assert plan["patch"] == {}
    assert "does not exist" in plan["reason"]


def test_plan_sa_adds_annotations_keeping_others():
    current = sa({"meta.helm.sh/release-name": "aws-vpc-cni"}, labels={"app": "x"})
    snapshot = copy.deepcopy(current)
    plan = irsa.plan_service_account(current, WANTED, False, False)
    assert plan["action"] == "patch"
    assert plan["patch"] == {"metadata": {"annotations": WANTED}}
    assert "labels" not in plan["patch"]["metadata"]
    assert plan["before_annotations"] == {"meta.helm.sh/release-name": "aws-vpc-cni"}
    assert plan["after_annotations"] == dict(WANTED, **{"meta.helm.sh/release-name": "aws-vpc-cni"})
    assert current == snapshot


def test_plan_sa_idempotent():
    current = sa(dict(WANTED, other="x"))
    plan = irsa.plan_service_account(current, WANTED, False, True)
    assert plan["action"] == "none"
    assert plan["patch"] == {}
    assert plan["before_annotations"] == plan["after_annotations"]


def test_plan_sa_only_changed_keys_patched():
    current = sa({"eks.amazonaws.com/role-arn": ROLE, "eks.amazonaws.com/sts-regional-endpoints": "false"})
    plan = irsa.plan_service_account(current, WANTED, False, False)
    assert plan["action"] == "patch"
    assert plan["patch"] == {"metadata": {"annotations": {"eks.amazonaws.com/sts-regional-endpoints": "true"}}}


def test_plan_sa_refuses_other_role_without_override():
    current = sa({"eks.amazonaws.com/role-arn": OTHER_ROLE})
    plan = irsa.plan_service_account(current, WANTED, override_existing=False, create_if_missing=True)
    assert plan["action"] == "refuse"
    assert plan["patch"] == {}
    assert OTHER_ROLE in plan["reason"]
    assert "kube-system/aws-node" in plan["reason"]
    assert "override_existing" in plan["reason"]
    assert plan["after_annotations"] == plan["before_annotations"]


def test_plan_sa_override_replaces_other_role():
    current = sa({"eks.amazonaws.com/role-arn": OTHER_ROLE, "keep": "me"})
    plan = irsa.plan_service_account(current, WANTED, override_existing=True, create_if_missing=False)
    assert plan["action"] == "patch"
    assert plan["patch"]["metadata"]["annotations"] == WANTED
    assert plan["after_annotations"] == dict(WANTED, keep="me")
    assert OTHER_ROLE in plan["reason"]


def test_plan_sa_none_value_removes_key():
    current = sa({"eks.amazonaws.com/role-arn": ROLE, "eks.amazonaws.com/audience": "x"})
    wanted = {"eks.amazonaws.com/role-arn": ROLE, "eks.amazonaws.com/audience": None, "eks.amazonaws.com/token-expiration": None}
    plan = irsa.plan_service_account(current, wanted, False, False)
    assert plan["action"] == "patch"
    assert plan["patch"] == {"metadata": {"annotations": {"eks.amazonaws.com/audience": None}}}
    assert plan["after_annotations"] == {"eks.amazonaws.com/role-arn": ROLE}


def test_plan_sa_without_annotations_key_and_to_dict_nulls():
    for current in (sa(), sa(annotations=None), {"metadata": {"name": "x", "annotations": None, "labels": None}}):
        plan = irsa.plan_service_account(current, WANTED, False, False)
        assert plan["action"] == "patch"
        assert plan["after_annotations"] == WANTED


@pytest.mark.parametrize(
    "annotations, role_arn, action, patch",
    [
        (
            {
                "eks.amazonaws.com/role-arn": ROLE,
                "eks.amazonaws.com/sts-regional-endpoints": "true",
                "eks.amazonaws.com/token-expiration": "3600",
                "eks.amazonaws.com/audience": "sts.amazonaws.com",
                "keep": "me",
            },
            ROLE,
            "patch",
            {
                "metadata": {
                    "annotations": {
                        "eks.amazonaws.com/role-arn": None,
                        "eks.amazonaws.com/sts-regional-endpoints": None,
                        "eks.amazonaws.com/token-expiration": None,
                        "eks.amazonaws.com/audience": None,
                    }
                }
            },
        ),
        ({"eks.amazonaws.com/role-arn": ROLE}, ROLE, "patch", {"metadata": {"annotations": {"eks.amazonaws.com/role-arn": None}}}),
        ({"eks.amazonaws.com/role-arn": OTHER_ROLE, "eks.amazonaws.com/audience": "x"}, ROLE, "none", {}),
        ({"unrelated": "x"}, ROLE, "none", {}),
        (None, ROLE, "none", {}),
    ],
)
def test_plan_remove_annotations(annotations, role_arn, action, patch):
    plan = irsa.plan_remove_annotations(sa(annotations), role_arn)
    assert plan["action"] == action
    assert plan["patch"] == patch
    if action == "patch":
        assert plan["after_annotations"] == {k: v for k, v in annotations.items() if not k.startswith("eks.amazonaws.com/")}


def test_plan_remove_annotations_missing_sa():
    assert irsa.plan_remove_annotations(None, ROLE)["action"] == "none"


# ------------------------------------------------------------------------ pods

IRSA_ENV = [
    {"name": "AWS_ROLE_ARN", "value": ROLE},
    {"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"},
]


# What the pod identity webhook mounts next to the variables (services/workloads.py's definition).
TOKEN_MOUNT = [{"name": "aws-iam-token", "mountPath": "/var/run/secrets/eks.amazonaws.com/serviceaccount"}]
TOKEN_VOLUME = {"name": "aws-iam-token", "projected": {"sources": [
    {"serviceAccountToken": {"audience": "sts.amazonaws.com", "path": "token"}}]}}


def pod(name, sa_name="aws-node", containers=None, namespace="kube-system", snake=False, annotations=None, phase="Running", deleting=False):
    if containers is None:
        containers = [{"name": "aws-node", "env": IRSA_ENV, "volumeMounts": TOKEN_MOUNT}]
    meta = {"name": name, "namespace": namespace}
    if annotations:
        meta["annotations"] = annotations
    if deleting:
        meta["deletion_timestamp" if snake else "deletionTimestamp"] = "2024-01-01T00:00:00Z"
    spec = {"containers": containers, "volumes": [TOKEN_VOLUME]}
    if sa_name is not None:
        spec["service_account_name" if snake else "serviceAccountName"] = sa_name
    if snake:
        spec["service_account"] = sa_name
    return {"metadata": meta, "spec": spec, "status": {"phase": phase}}


def test_pods_needing_restart():
    pods = [
        pod("ok"),
        pod("no-env", containers=[{"name": "aws-node", "env": [{"name": "OTHER", "value": "1"}]}]),
        pod("null-env", containers=[{"name": "aws-node", "env": None}]),
        pod("only-role", containers=[{"name": "aws-node", "env": IRSA_ENV[:1]}]),
        pod("second-container",
            containers=[{"name": "aws-node", "env": IRSA_ENV, "volumeMounts": TOKEN_MOUNT}, {"name": "aws-eks-nodeagent"}]),
        pod("no-token-volume-mounted", containers=[{"name": "aws-node", "env": IRSA_ENV}]),
        pod("other-sa", sa_name="coredns", containers=[{"name": "c"}]),
        pod("snake-missing", snake=True, containers=[{"name": "aws-node", "env": None}]),
        pod(
            "skipped",
            containers=[{"name": "aws-node", "env": IRSA_ENV, "volumeMounts": TOKEN_MOUNT}, {"name": "sidecar"}],
            annotations={"eks.amazonaws.com/skip-containers": "sidecar, other"},
        ),
        pod("done", phase="Succeeded", containers=[{"name": "aws-node"}]),
        pod("terminating", deleting=True, containers=[{"name": "aws-node"}]),
        pod("other-ns", namespace="default", containers=[{"name": "aws-node"}]),
    ]
    assert irsa.pods_needing_restart(pods, "aws-node", namespace="kube-system") == [
        "no-env",
        "null-env",
        "only-role",
        "second-container",
        "no-token-volume-mounted",
        "snake-missing",
    ]
    assert "other-ns" in irsa.pods_needing_restart(pods, "aws-node")


def test_pods_needing_restart_default_service_account():
    pods = [pod("implicit-default", sa_name=None, containers=[{"name": "app"}]), pod("explicit", sa_name="aws-node", containers=[{"name": "app"}])]
    assert irsa.pods_needing_restart(pods, "default") == ["implicit-default"]
    assert irsa.pods_needing_restart([], "default") == []
    assert irsa.pods_needing_restart(None, "default") == []


# ------------------------------------------------------------------- ownership


def test_ownership_tags():
    assert irsa.ownership_tags("prod", "kube-system", "aws-node") == {
        "eks.access/managed-by": "eks.access",
        "eks.access/cluster": "prod",
        "eks.access/service-account": "kube-system/aws-node",
    }


@pytest.mark.parametrize("args", [("", "ns", "n"), ("c", None, "n"), ("c", "ns", "")])
def test_ownership_tags_rejects(args):
    with pytest.raises(IrsaError):
        irsa.ownership_tags(*args)


OWN = irsa.ownership_tags("prod", "kube-system", "aws-node")


@pytest.mark.parametrize(
    "tags, remaining, expected",
    [
        (OWN, 0, True),
        ([{"Key": k, "Value": v} for k, v in OWN.items()], 0, True),  # boto3 list form
        (dict(OWN, extra="x"), 0, True),
        (OWN, 1, False),  # someone else is still trusted
        (dict(OWN, **{"eks.access/service-account": "kube-system/other"}), 0, False),
        (dict(OWN, **{"eks.access/cluster": "staging"}), 0, False),
        ({k: v for k, v in OWN.items() if k != "eks.access/managed-by"}, 0, False),
        ({}, 0, False),
        (None, 0, False),
    ],
)
def test_created_for_only(tags, remaining, expected):
    assert irsa.created_for_only(tags, remaining, "prod", "kube-system", "aws-node") is expected


# ---------------------------------------------------------------------------
# plan_tags
# ---------------------------------------------------------------------------

OWNED = {"eks.access/managed-by": "eks.access", "eks.access/cluster": "prod",
         "eks.access/service-account": "apps/reports"}


@pytest.mark.parametrize("current, desired, purge, expected", [
    ({"team": "a"}, None, True, ({}, [])),
    ({"team": "a"}, {"team": "a"}, True, ({}, [])),
    ({"team": "a"}, {"team": "b"}, True, ({"team": "b"}, [])),
    ({"team": "a", "old": "x"}, {"team": "a"}, True, ({}, ["old"])),
    ({"team": "a", "old": "x"}, {"team": "a"}, False, ({}, [])),
    (dict(OWNED, old="x"), {}, True, ({}, ["old"])),
    ({"aws:cloudformation:stack-name": "s"}, {}, True, ({}, [])),
    ([{"Key": "team", "Value": "a"}], {"team": "a", "cost": 7}, True, ({"cost": "7"}, [])),
])
def test_plan_tags(current, desired, purge, expected):
    assert irsa.plan_tags(current, desired, purge) == expected


# ------------------------------------------------------------ whole-role plan

EXISTING = {"RoleName": "r", "Description": "old", "MaxSessionDuration": 3600,
            "PermissionsBoundary": {"PermissionsBoundaryArn": MINE}}


def test_plan_role_changes_create():
    plan = irsa.plan_role_changes(None, {}, [], {}, True, description="d", tags={"a": "1"},
                                  managed_policies=[CNI], inline_policies={"p": json.dumps(DOC)})
    assert plan["create"] and plan["changed"]
    assert plan["to_attach"] == [CNI] and plan["to_put"] == {"p": DOC}
    # settings of a new role go into CreateRole, not into updates
    assert plan["role_updates"] == {} and plan["tags_to_add"] == {} and plan["permissions_boundary"] is None
    assert plan["attached_after"] == [CNI]


def test_plan_role_changes_nothing_to_do():
    plan = irsa.plan_role_changes(EXISTING, [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}], [CNI],
                                  {"p": DOC_LISTY}, False, description="old", max_session_duration=3600,
                                  permissions_boundary=MINE, tags={"a": "1"}, managed_policies=[CNI],
                                  inline_policies={"p": DOC})
    assert not plan["changed"]
    assert plan["attached_after"] == [CNI]


def test_plan_role_changes_updates():
    plan = irsa.plan_role_changes(EXISTING, {"a": "0", "keep": "x"}, [CNI, S3], {"old": DOC}, False,
                                  description="new", max_session_duration=7200, permissions_boundary=S3,
                                  tags={"a": "1"}, managed_policies=[CNI], inline_policies={"p": DOC2})
    assert plan["changed"] and not plan["create"] and not plan["trust_changed"]
    assert plan["role_updates"] == {"Description": "new", "MaxSessionDuration": 7200}
    assert plan["tags_to_add"] == {"a": "1"}
    assert plan["permissions_boundary"] == S3
    assert (plan["to_attach"], plan["to_detach"]) == ([], [S3])
    assert (plan["to_put"], plan["to_delete"]) == ({"p": DOC2}, ["old"])
    assert plan["attached_after"] == [CNI]


def test_plan_role_changes_trust_only_and_unmanaged_policies():
    plan = irsa.plan_role_changes(EXISTING, {}, [S3], {"old": DOC}, True)
    assert plan["changed"] and plan["trust_changed"]
    assert plan["to_detach"] == [] and plan["to_delete"] == [] and plan["attached_after"] == [S3]


def test_carries_tags():
    assert irsa.carries_tags([{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}], {"a": "1"})
    assert not irsa.carries_tags({"a": "2"}, {"a": "1"})
    assert not irsa.carries_tags(None, {"a": "1"})
    assert irsa.carries_tags(None, {})
