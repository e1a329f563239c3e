# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""runners/pod_identity_association_info.py through run_module: reads only, filtered, the agent's state."""

from __future__ import annotations

from ansible_collections.eks.access.plugins.module_utils.runners import pod_identity_association_info as info

from .test_pod_identity_association import CLUSTER, ROLE, Aws, association


def test_lists_the_associations_of_a_namespace_with_every_field_and_the_agent():
    aws = Aws()
    aws.reads([association("web"), association("other", namespace="team-b")])
    aws.described(association("web"))
    result = aws.harness.run(info.run, info.Options(cluster_name=CLUSTER, namespace="apps", concurrency=1))
    assert aws.writes() == [] and result["changed"] is False
    assert result["agent"] == {"addon_installed": True, "auto_mode": False, "available": True}
    assert [(a["namespace"], a["service_account"], a["role_arn"]) for a in result["associations"]] == [
        ("apps", "web", ROLE)]
    assert result["associations"][0]["association_id"] == association("web")["associationId"]


def test_without_the_agent_add_on_it_says_so():
    aws = Aws()
    aws.cluster()
    aws.addons(names=("vpc-cni",))
    aws.listed([])
    result = aws.harness.run(info.run, info.Options(cluster_name=CLUSTER))
    assert result["agent"]["available"] is False and result["associations"] == []


def test_a_service_account_without_its_namespace_is_refused_before_any_call():
    aws = Aws()
    result = aws.harness.run(info.run, info.Options(cluster_name=CLUSTER, service_account="web"))
    assert result["msg"] == "service_account needs namespace (a service account is named within its namespace)"
    result = aws.harness.run(info.run, info.Options(cluster_name=CLUSTER, concurrency=0))
    assert result["msg"] == "concurrency must be at least 1, got 0"
