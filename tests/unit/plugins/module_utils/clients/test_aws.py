# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""clients/aws.py: the always-retrying AWS client."""

from __future__ import annotations

import botocore.exceptions
import pytest

from ansible_collections.eks.access.plugins.module_utils.clients import aws


class _FlakyOperation:
    def __init__(self, failures, code):
        self.failures, self.code, self.calls = failures, code, 0

    def __call__(self, **kwargs):
        self.calls += 1
        if self.calls <= self.failures:
            raise botocore.exceptions.ClientError({"Error": {"Code": self.code, "Message": "x"}}, "Op")
        return {"ok": kwargs}


class _FakeBoto:
    def __init__(self, operation):
        self.describe_thing = operation


def test_aws_calls_retry_throttling_by_default_and_not_caller_errors():
    fast = aws.AWSRetry.jittered_backoff(retries=3, delay=0, max_delay=0)
    throttled = _FlakyOperation(2, "Throttling")
    assert aws.AlwaysRetryingClient(_FakeBoto(throttled), fast).describe_thing(name="x") == {"ok": {"name": "x"}}
    assert throttled.calls == 3
    malformed = _FlakyOperation(1, "MalformedPolicyDocument")
    with pytest.raises(botocore.exceptions.ClientError):
        aws.AlwaysRetryingClient(_FakeBoto(malformed), fast).describe_thing()
    assert malformed.calls == 1
    opted_out = _FlakyOperation(1, "Throttling")
    with pytest.raises(botocore.exceptions.ClientError):
        aws.AlwaysRetryingClient(_FakeBoto(opted_out), fast).describe_thing(aws_retry=False)
    assert opted_out.calls == 1
