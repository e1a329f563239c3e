# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.eks.access.plugins.module_utils import errors


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
