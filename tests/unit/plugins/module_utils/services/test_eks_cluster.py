# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model.eks_cluster import cluster_facts


def test_cluster_facts_flattens_describe_cluster():
    facts = cluster_facts({
        "name": "prod", "arn": "arn:aws:eks:eu-west-1:111122223333:cluster/prod", "status": "ACTIVE",
        "version": "1.34", "endpoint": "https://ABC.gr7.eu-west-1.eks.amazonaws.com",
        "certificateAuthority": {"data": "LS0t"},
        "identity": {"oidc": {"issuer": "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC"}},
        "kubernetesNetworkConfig": {"ipFamily": "IPV6"},
        "accessConfig": {"authenticationMode": "API_AND_CONFIG_MAP"},
    })
    assert facts.oidc_issuer == "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC"
    assert facts.ip_family == "ipv6"
    assert facts.certificate_authority_data == "LS0t"
    assert facts.authentication_mode == "API_AND_CONFIG_MAP"
    assert facts.account_id == "111122223333" and facts.partition == "aws"


def test_cluster_facts_defaults_ipv4_and_tolerates_missing_identity():
    facts = cluster_facts({"name": "new", "status": "CREATING"})
    assert facts.ip_family == "ipv4"
    assert facts.oidc_issuer is None
    assert facts.endpoint is None
    assert facts.authentication_mode == "CONFIG_MAP" and facts.reported_authentication_mode is None
    assert facts.to_result()["authentication_mode"] is None


class _Throttled:
    """A boto3-like EKS client that is throttled ``failures`` times, then answers; counts the calls."""

    def __init__(self, failures):
        import botocore.exceptions

        self.calls = 0
        self.failures = failures
        self.error = botocore.exceptions.ClientError(
            {"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "DescribeCluster")

    def describe_cluster(self, name):
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return {"cluster": {"name": name, "status": "ACTIVE"}}


def _no_sleep(monkeypatch):
    import time

    monkeypatch.setattr(time, "sleep", lambda seconds: None)


def test_describe_cluster_retries_a_plain_client_once_over(monkeypatch):
    from ansible_collections.eks.access.plugins.module_utils.services.eks_cluster import describe_cluster

    _no_sleep(monkeypatch)
    client = _Throttled(failures=3)
    assert describe_cluster(client, "prod").status == "ACTIVE"
    assert client.calls == 4


def test_describe_cluster_adds_no_second_retry_layer_to_a_retrying_client(monkeypatch):
    """Issue 15: eks.py kept its own AWSRetry on top of the always-retrying client, so a throttled
    DescribeCluster was tried the client's attempts times its own (here 2 x 10 = 20); now only the client retries."""
    import pytest
    from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
    from ansible_collections.eks.access.plugins.module_utils.clients import aws
    from ansible_collections.eks.access.plugins.module_utils.services.eks_cluster import describe_cluster

    _no_sleep(monkeypatch)
    client = _Throttled(failures=100)
    retrying = aws.AlwaysRetryingClient(client, AWSRetry.jittered_backoff(retries=2, delay=0))  # two tries
    assert aws.retrying(retrying) is retrying
    with pytest.raises(Exception) as caught:
        describe_cluster(retrying, "prod")
    assert "Throttling" in str(caught.value)
    assert client.calls == 2  # the client's two tries, and no more


def test_eks_throttling_and_server_errors_are_retried_and_caller_errors_are_not(monkeypatch):
    """EKS (a JSON protocol) answers ThrottlingException, not IAM's Throttling, which AWSRetry alone
    did not retry: the collection's default retry covers both."""
    import botocore.exceptions
    import pytest
    from ansible_collections.eks.access.plugins.module_utils.services.eks_cluster import describe_cluster

    _no_sleep(monkeypatch)
    for code in ("ThrottlingException", "ServiceUnavailableException", "ServerException", "Throttling"):
        client = _Throttled(failures=2)
        client.error = botocore.exceptions.ClientError({"Error": {"Code": code, "Message": "m"}}, "DescribeCluster")
        assert describe_cluster(client, "prod").status == "ACTIVE", code
        assert client.calls == 3, code
    client = _Throttled(failures=1)
    client.error = botocore.exceptions.ClientError({"Error": {"Code": "InvalidParameterException", "Message": "m"}},
                                                   "DescribeCluster")
    with pytest.raises(errors.InvalidInput):  # translated once, in clients/aws.py
        describe_cluster(client, "prod")
    assert client.calls == 1


# --------------------------------------------------------------------------- services/eks_cluster.py: the one update wait


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
