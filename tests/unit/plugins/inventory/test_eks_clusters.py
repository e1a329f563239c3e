# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The eks_clusters inventory over stubbed EKS clients: the listing, region failures, duplicate host names."""

from __future__ import annotations

import datetime

import pytest
from ansible.errors import AnsibleError
from botocore.stub import Stubber

from ansible_collections.eks.access.plugins.inventory.eks_clusters import InventoryModule
from ansible_collections.eks.access.tests.unit.plugins.fakes import aws_client

ARN = "arn:aws:eks:%s:111122223333:cluster/%s"


def cluster(name, region="eu-west-1"):
    return {"name": name, "arn": ARN % (region, name), "status": "ACTIVE", "version": "1.34",
            "createdAt": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc), "tags": {}}


class Plugin(InventoryModule):
    """The plugin with its options given directly and its warnings kept; ``answers``: region -> clusters or an error."""

    def __init__(self, answers, **options):
        super().__init__()
        self._options = dict(dict(include_caller_account=True, accounts=[], regions=sorted(answers),
                                  strict_regions=False, hostname="name"), **options)
        self.answers = answers
        self.warnings = []
        self.stubbers = []

    def client(self, service, region=None, **credentials):
        client = aws_client(service, region)
        stubber = Stubber(client)
        answer = self.answers[region]
        if isinstance(answer, str):
            stubber.add_client_error("list_clusters", answer, "not allowed", 403)
        else:
            stubber.add_response("list_clusters", {"clusters": [c["name"] for c in answer]}, {})
            for item in answer:
                stubber.add_response("describe_cluster", {"cluster": item}, {"name": item["name"]})
        stubber.activate()
        self.stubbers.append(stubber)
        return client

    def warn(self, message):
        self.warnings.append(message)


def test_every_region_is_listed_and_each_cluster_described_as_json_safe_data():
    plugin = Plugin({"eu-west-1": [cluster("prod")], "us-east-1": [cluster("dev", "us-east-1")]})
    found = plugin._fetch()  # pylint: disable=protected-access
    assert [(region, c["name"]) for region, c in found] == [("eu-west-1", "prod"), ("us-east-1", "dev")]
    assert found[0][1]["createdAt"] == "2026-01-01 00:00:00+00:00"  # cacheable
    for stubber in plugin.stubbers:
        stubber.assert_no_pending_responses()
    assert plugin.warnings == []


def test_a_region_that_fails_is_a_warning_unless_strict_and_all_failing_is_an_error():
    plugin = Plugin({"eu-west-1": [cluster("prod")], "us-east-1": "AccessDeniedException"})
    assert [c["name"] for _region, c in plugin._fetch()] == ["prod"]  # pylint: disable=protected-access
    assert len(plugin.warnings) == 1
    assert plugin.warnings[0].startswith("eks_clusters: could not list EKS clusters in us-east-1: ")
    strict = Plugin({"eu-west-1": [cluster("prod")], "us-east-1": "AccessDeniedException"}, strict_regions=True)
    with pytest.raises(AnsibleError, match="could not list EKS clusters in us-east-1"):
        strict._fetch()  # pylint: disable=protected-access
    with pytest.raises(AnsibleError, match="no region could be listed; see the warnings above"):
        Plugin({"us-east-1": "AccessDeniedException"})._fetch()  # pylint: disable=protected-access


def test_two_clusters_of_one_name_need_another_hostname_style():
    plugin = Plugin({}, include_clusters=[], exclude_clusters=[], cluster_tags={}, statuses=["ACTIVE"])
    found = [("eu-west-1", cluster("prod")), ("us-east-1", cluster("prod", "us-east-1"))]
    with pytest.raises(AnsibleError, match="several clusters would get the same host name .prod: .*set hostname to "
                                           "name_region or arn"):
        plugin._populate(found)  # pylint: disable=protected-access
