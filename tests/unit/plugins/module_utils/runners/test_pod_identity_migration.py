# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pod_identity_migration's runner through run_module, with botocore Stubbers and a scripted Kubernetes API:
check mode reads and writes nothing; without the agent add-on the run is refused before any write."""

from __future__ import annotations

import datetime

from ansible_collections.eks.access.plugins.module_utils.model import trust_policy
from ansible_collections.eks.access.plugins.module_utils.runners import pod_identity_migration as runner
from ansible_collections.eks.access.tests.unit.plugins.fakes import Harness, queue_role

ACCOUNT = "111122223333"
CLUSTER = "prod"
ISSUER = "oidc.eks.us-west-2.amazonaws.com/id/ABC"
PROVIDER = "arn:aws:iam::%s:oidc-provider/%s" % (ACCOUNT, ISSUER)
ROLE = "arn:aws:iam::%s:role/web" % ACCOUNT
NOW = datetime.datetime(2026, 11, 30, tzinfo=datetime.timezone.utc)
TRUST = {"Version": "2012-10-17", "Statement": [trust_policy.irsa_statement(PROVIDER, ISSUER, "apps", "web")]}
SA = {"metadata": {"name": "web", "namespace": "apps", "annotations": {"eks.amazonaws.com/role-arn": ROLE}}}
DEPLOYMENT = {"metadata": {"name": "web", "namespace": "apps", "generation": 1},
              "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                       "template": {"metadata": {"labels": {"app": "web"}},
                                    "spec": {"serviceAccountName": "web", "containers": [{"name": "app"}]}}}}
POD = {"metadata": {"name": "web-1", "namespace": "apps", "labels": {"app": "web"}},
       "spec": {"serviceAccountName": "web", "nodeName": "n1", "containers": [{"name": "app"}]},
       "status": {"phase": "Running"}}


def harness(agent, check_mode, daemonsets=()):
    lists = {"/apis/apps/v1/namespaces/apps/daemonsets": list(daemonsets),
             "/api/v1/namespaces/apps/serviceaccounts": [SA],
             "/apis/apps/v1/namespaces/apps/deployments": [DEPLOYMENT],
             "/api/v1/namespaces/apps/pods": [POD], "/api/v1/nodes": [{"metadata": {"name": "n1", "labels": {}}}]}
    h = Harness(check_mode=check_mode, lists=lists, cluster_name=CLUSTER)
    eks, iam = h.stub("eks"), h.stub("iam")
    eks.add_response("describe_cluster", {"cluster": {
        "name": CLUSTER, "arn": "arn:aws:eks:us-west-2:%s:cluster/%s" % (ACCOUNT, CLUSTER),
        "identity": {"oidc": {"issuer": "https://" + ISSUER}}}}, {"name": CLUSTER})
    eks.add_response("list_addons", {"addons": ["eks-pod-identity-agent"] if agent else []}, {"clusterName": CLUSTER})
    eks.add_response("list_pod_identity_associations", {"associations": []}, {"clusterName": CLUSTER})
    eks.add_response("list_fargate_profiles", {"fargateProfileNames": []}, {"clusterName": CLUSTER})
    queue_role(iam, ROLE, TRUST, created=NOW)
    return h


def options():
    return runner.Options(cluster_name=CLUSTER, namespaces=["apps"])


def test_check_mode_reports_the_plan_and_writes_nothing():
    h = harness(agent=True, check_mode=True)
    result = h.run(runner.run, options())
    assert result["changed"] and result["associations_created"] == ["apps/web"]
    assert result["trust_updated"] == [ROLE] and result["restarted"] == ["Deployment/apps/web"]
    assert result["summary"]["pending"] == ["apps/web"] and result["cleanup_after_verification"] == ["apps/web"]
    assert h.writes() == []


def test_no_agent_is_refused_before_any_write():
    h = harness(agent=False, check_mode=False)
    result = h.run(runner.run, options())
    assert "has no eks-pod-identity-agent add-on" in result["msg"] and "apps/web" in result["msg"]
    assert result["service_accounts"][0]["status"] == "pending"
    assert h.writes() == []


def test_a_daemonset_restart_that_takes_every_node_down_is_refused_before_any_write():
    daemonset = {"metadata": {"name": "agent", "namespace": "apps"},
                 "spec": {"selector": {"matchLabels": {"app": "web"}},
                          "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "100%"}},
                          "template": {"spec": {"serviceAccountName": "web", "containers": [{"name": "app"}]}}},
                 "status": {"desiredNumberScheduled": 3}}
    h = harness(agent=True, check_mode=False, daemonsets=[daemonset])
    result = h.run(runner.run, options())
    assert result["msg"].startswith("Nothing was changed: restarting DaemonSet/apps/agent would take its pod down")
    assert "allow_full_outage" not in result["msg"]
    assert h.writes() == []
