# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""services/eks_cluster.py beyond DescribeCluster: the one wait on an EKS update, node groups, Fargate selectors,
the authentication mode of the aws-auth modules."""

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils import errors


def _updates(*statuses):
    """A DescribeUpdate stand-in answering ``statuses`` in turn; counts the calls."""
    answers = iter([{"id": "u-1", "status": s, "errors": [{"errorCode": "AccessDenied", "errorMessage": "no"}]}
                    for s in statuses])
    calls = []

    def describe():
        calls.append(1)
        return next(answers)

    return describe, calls


def _fail(update):
    return errors.EksAccessError("ended %s" % update["status"])


def _late(update):
    return errors.EksAccessError("still %s" % update["status"])


def test_wait_for_update_polls_until_successful_doubling_up_to_poll():
    from ansible_collections.eks.access.plugins.module_utils.services.eks_cluster import wait_for_update

    describe, calls = _updates("InProgress", "InProgress", "InProgress", "Successful")
    slept, beats = [], []
    update = wait_for_update(describe, 60, _fail, _late, poll=3.0, heartbeat=lambda: beats.append(1),
                             sleep=slept.append)
    assert update["status"] == "Successful" and len(calls) == 4
    assert slept == [1.0, 2.0, 3.0]  # from one second, doubled, never above poll
    assert len(beats) == 3  # once per unfinished poll


def test_wait_for_update_raises_what_failed_gives_for_a_failed_or_cancelled_update():
    from ansible_collections.eks.access.plugins.module_utils.services.eks_cluster import update_errors
    from ansible_collections.eks.access.plugins.module_utils.services.eks_cluster import wait_for_update

    for status in ("Failed", "Cancelled"):
        describe, _calls = _updates("InProgress", status)
        with pytest.raises(errors.EksAccessError, match="ended %s" % status):
            wait_for_update(describe, 60, _fail, _late, poll=0, sleep=lambda s: None)
    assert update_errors({"errors": [{"errorCode": "A", "errorMessage": "b"}]}) == "A: b"
    assert update_errors({}) == "no reason given"


def test_wait_for_update_gives_up_after_timeout_with_a_fixed_poll():
    from ansible_collections.eks.access.plugins.module_utils.services.eks_cluster import wait_for_update

    describe, calls = _updates("InProgress", "InProgress")
    slept = []
    with pytest.raises(errors.EksAccessError, match="still InProgress"):
        wait_for_update(describe, 0, _fail, _late, poll=7, first_delay=7, sleep=slept.append)
    assert len(calls) == 1 and slept == []  # timeout 0: the first unfinished answer ends the wait


class _Nodegroups:
    """list_clusters / list_nodegroups / describe_nodegroup / Fargate profiles of a region, as a retrying client."""

    def __init__(self):
        self.client = type("Boto", (), {"meta": type("Meta", (), {"region_name": "eu-west-1"})()})()

    def paginate(self, operation, **params):
        return {"list_clusters": {"clusters": ["a", "b"]},
                "list_nodegroups": {"nodegroups": ["ng1", "ng2"] if params.get("clusterName") == "a" else []},
                "list_fargate_profiles": {"fargateProfileNames": ["fp"]}}[operation]

    def describe_nodegroup(self, clusterName, nodegroupName):
        return {"nodegroup": {"nodeRole": "arn:aws:iam::111122223333:role/node"}}

    def describe_fargate_profile(self, clusterName, fargateProfileName):
        return {"fargateProfile": {"selectors": [{"namespace": "batch", "labels": {"tier": "x"}}, {"namespace": "z"}]}}


def test_node_groups_of_a_cluster_and_of_a_region(monkeypatch):
    from ansible_collections.eks.access.plugins.module_utils.clients import aws
    from ansible_collections.eks.access.plugins.module_utils.services import eks_cluster

    monkeypatch.setattr(aws, "retrying", lambda client: client)
    client = _Nodegroups()
    assert eks_cluster.managed_node_roles(client, "a") == ["arn:aws:iam::111122223333:role/node"]  # unique
    groups, clusters, region = eks_cluster.region_nodegroups(client, concurrency=2)
    assert clusters == ["a", "b"] and region == "eu-west-1"
    assert [(g["cluster"], g["nodegroup"], g["region"]) for g in groups] == [("a", "ng1", "eu-west-1"),
                                                                             ("a", "ng2", "eu-west-1")]
    assert eks_cluster.fargate_selectors(client, "a") == [
        {"profile": "fp", "namespace": "batch", "labels": {"tier": "x"}},
        {"profile": "fp", "namespace": "z", "labels": {}}]


def test_authentication_mode_is_none_without_a_cluster_and_warns_when_aws_cannot_say(monkeypatch):
    from ansible_collections.eks.access.plugins.module_utils.services import eks_cluster

    class Context:
        cluster_name = None
        warnings = []

        def aws(self, service):
            return object()

        def warn(self, message):
            self.warnings.append(message)

    context = Context()
    assert eks_cluster.authentication_mode(context) is None
    context.cluster_name = "prod"

    def denied(client, name):
        raise errors.Forbidden("DescribeCluster prod was denied")

    monkeypatch.setattr(eks_cluster, "describe_cluster", denied)
    assert eks_cluster.authentication_mode(context) is None
    assert "Could not read the authentication mode of cluster prod" in context.warnings[0]
