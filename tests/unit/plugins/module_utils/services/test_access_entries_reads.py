# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""services/access_entries.py: the first reads (DescribeCluster, ListAccessPolicies, ListAccessEntries) side by side."""

from __future__ import annotations

import threading

import pytest

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.services import access_entries as service
from ..runners.test_eks_access_entry import CLUSTER, CLUSTER_ARN, ROLE, VIEW


class _ClusterReads:
    """A fake eks client for the first reads: a mode, and a listing that may fail as EKS makes it fail."""

    def __init__(self, mode, listing_error=None):
        self.mode, self.listing_error = mode, listing_error
        self.lock = threading.Lock()
        self.in_flight = self.peak = 0
        self.calls = []

    def _call(self, name, answer):
        import time

        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            self.calls.append(name)
        time.sleep(0.05)
        with self.lock:
            self.in_flight -= 1
        if isinstance(answer, Exception):
            raise answer
        return answer

    def describe_cluster(self, name):
        return self._call("describe_cluster", {"cluster": {"name": name, "arn": CLUSTER_ARN,
                                                           "accessConfig": {"authenticationMode": self.mode}}})

    def paginate(self, operation, **params):
        if operation == "list_access_policies":
            return self._call(operation, {"accessPolicies": [{"arn": VIEW}]})
        return self._call(operation, self.listing_error or {"accessEntries": [ROLE]})


def _eks_error(code):
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": "%s from EKS" % code}}, "ListAccessEntries")


def test_the_first_three_reads_run_side_by_side_and_only_the_mode_decides_a_refused_listing():
    reads = _ClusterReads("API_AND_CONFIG_MAP")
    facts, listed = service.AccessEntries(reads, CLUSTER, concurrency=10).cluster_and_listing(with_policies=True)
    assert (facts.authentication_mode, facts.access_policy_arns, listed) == ("API_AND_CONFIG_MAP", {VIEW}, [ROLE])
    assert reads.peak == 3
    # CONFIG_MAP: EKS refuses the listing, which says nothing more than the mode does.
    reads = _ClusterReads("CONFIG_MAP", _eks_error("InvalidRequestException"))
    facts, listed = service.AccessEntries(reads, CLUSTER, concurrency=10).cluster_and_listing()
    assert (facts.authentication_mode, listed) == ("CONFIG_MAP", None)
    # One at a time, the listing is not even asked for once the mode is known.
    reads = _ClusterReads("CONFIG_MAP", _eks_error("InvalidRequestException"))
    assert service.AccessEntries(reads, CLUSTER, concurrency=1).cluster_and_listing() == (facts, None)
    assert reads.calls == ["describe_cluster"]
    # Any other failure of the listing is the run's error.
    reads = _ClusterReads("API", _eks_error("AccessDeniedException"))
    with pytest.raises(errors.Forbidden, match="ListAccessEntries"):
        service.AccessEntries(reads, CLUSTER, concurrency=10).cluster_and_listing()
