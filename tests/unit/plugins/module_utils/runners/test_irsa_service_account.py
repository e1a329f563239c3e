# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""irsa_service_account's runner over stubbed IAM/STS/EKS and a scripted Kubernetes API."""

from __future__ import annotations

import datetime
import json

from ansible_collections.eks.access.plugins.module_utils.model import irsa
from ansible_collections.eks.access.plugins.module_utils.model import trust_policy
from ansible_collections.eks.access.plugins.module_utils.runners import irsa_service_account as runner

from ansible_collections.eks.access.tests.unit.plugins.fakes import ACCOUNT, Harness

ISSUER = "https://oidc.eks.us-west-2.amazonaws.com/id/ABC"
PROVIDER = "arn:aws:iam::%s:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/ABC" % ACCOUNT
ROLE_ARN = "arn:aws:iam::%s:role/reports" % ACCOUNT
SA_COLLECTION = "/api/v1/namespaces/apps/serviceaccounts"
SA_PATH = SA_COLLECTION + "/reports"
PODS = "/api/v1/namespaces/apps/pods"
POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
NOW = datetime.datetime(2026, 1, 1)


def options(**overrides):
    values = dict(cluster_name="sandbox", namespace="apps", name="reports", role_name="reports",
                  inline_policies={"read": POLICY})
    values.update(overrides)
    return runner.Options(**values)


def trust():
    statement = trust_policy.irsa_statement(PROVIDER, ISSUER, "apps", "reports")
    return trust_policy.merge_statement(None, statement)[0]


def read_cluster(h, role=None, provider=True):
    """The reads every run starts with: caller, cluster, role (missing unless given)."""
    h.caller()
    h.stub("eks").add_response("describe_cluster", {"cluster": {
        "name": "sandbox", "identity": {"oidc": {"issuer": ISSUER}}}})
    iam = h.stub("iam")
    if role is None:
        iam.add_client_error("get_role", service_error_code="NoSuchEntity", http_status_code=404)
    else:
        iam.add_response("get_role", {"Role": dict(role)})
        iam.add_response("list_attached_role_policies", {"AttachedPolicies": []})
        iam.add_response("list_role_policies", {"PolicyNames": ["read"]})
        iam.add_response("get_role_policy", {"RoleName": "reports", "PolicyName": "read",
                                             "PolicyDocument": json.dumps(POLICY)})
        iam.add_response("list_role_tags", {"Tags": [{"Key": k, "Value": v} for k, v in
                                                     irsa.ownership_tags("sandbox", "apps", "reports").items()]})
    return iam


def provider_listed(iam, provider=True):
    iam.add_response("list_open_id_connect_providers",
                     {"OpenIDConnectProviderList": [{"Arn": PROVIDER}] if provider else []})


def existing_role():
    return {"Path": "/", "RoleName": "reports", "RoleId": "AROAEXAMPLE0000000000", "Arn": ROLE_ARN,
            "CreateDate": NOW, "AssumeRolePolicyDocument": json.dumps(trust())}


def annotated_sa():
    return {"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "reports", "namespace": "apps", "resourceVersion": "7",
                         "annotations": {irsa.ROLE_ARN_ANNOTATION: ROLE_ARN}}}


def test_first_run_checks_kubernetes_then_writes_iam_then_the_service_account(harness):
    iam = read_cluster(harness)
    provider_listed(iam)
    iam.add_response("create_role", {"Role": existing_role()},
                     {"RoleName": "reports", "Path": "/", "AssumeRolePolicyDocument": json.dumps(trust()),
                      "Tags": [{"Key": k, "Value": v} for k, v in
                               irsa.ownership_tags("sandbox", "apps", "reports").items()]})
    iam.add_response("put_role_policy", {}, {"RoleName": "reports", "PolicyName": "read",
                                             "PolicyDocument": json.dumps(POLICY)})
    result = harness.run(runner.run, options())
    assert result["changed"] and result["role_arn"] == ROLE_ARN
    assert harness.writes() == ["POST %s (dry run)" % SA_COLLECTION, "CreateRole", "PutRolePolicy", "POST %s" % SA_COLLECTION]
    assert harness.kube.objects[SA_PATH]["metadata"]["annotations"] == {irsa.ROLE_ARN_ANNOTATION: ROLE_ARN}


def test_check_mode_writes_nothing_and_only_dry_runs_the_service_account():
    h = Harness(check_mode=True)
    iam = read_cluster(h)
    provider_listed(iam)
    result = h.run(runner.run, options())
    assert result["changed"]
    assert h.aws_writes() == []
    assert h.kube_writes() == [("POST", SA_COLLECTION, True)]
    assert SA_PATH not in h.kube.objects


def test_second_run_plans_nothing():
    h = Harness(objects={SA_PATH: annotated_sa()})
    iam = read_cluster(h, role=existing_role())
    provider_listed(iam)
    result = h.run(runner.run, options())
    assert result["changed"] is False
    assert h.writes() == []
    assert result["diff"]["before"] == result["diff"]["after"]


def test_missing_namespace_is_refused_before_any_iam_write():
    """Issue 14 item 7: nothing is created when the service account cannot be."""
    h = Harness(fail={("POST", SA_COLLECTION, True): (404, 'namespaces "apps" not found')})
    read_cluster(h)
    result = h.run(runner.run, options())
    assert result["msg"] == ("namespace apps does not exist in cluster sandbox, so service account apps/reports "
                             "cannot be created; create the namespace first (nothing was written, IAM included)")
    assert h.aws_writes() == []


def test_a_failure_after_the_iam_writes_says_what_was_created_and_that_a_rerun_converges():
    h = Harness(fail={("POST", SA_COLLECTION, False): (500, "etcdserver: request timed out")})
    iam = read_cluster(h)
    provider_listed(iam)
    iam.add_response("create_role", {"Role": existing_role()})
    iam.add_response("put_role_policy", {})
    result = h.run(runner.run, options())
    assert result["msg"].startswith("created IAM role %s, but writing service account apps/reports then failed" % ROLE_ARN)
    assert result["msg"].endswith("fix that and re-run the task, which converges")
    assert result["written"] == ["created IAM role"] and result["role_arn"] == ROLE_ARN


def test_a_malformed_inline_policy_after_create_is_partially_applied_at_once(harness):
    iam = read_cluster(harness)
    provider_listed(iam)
    iam.add_response("create_role", {"Role": existing_role()})
    iam.add_client_error("put_role_policy", service_error_code="MalformedPolicyDocument",
                         service_message="Syntax errors in policy.", http_status_code=400)
    result = harness.run(runner.run, options())
    assert result["msg"] == ("created IAM role %s, but completing it then failed (MalformedPolicyDocument: Syntax "
                             "errors in policy.); fix that and re-run the task, which converges" % ROLE_ARN)
    # One attempt: an error the user made is not retried.
    assert [c[1] for c in harness.calls if c[0] == "aws"].count("PutRolePolicy") == 1


def test_another_role_on_the_service_account_is_refused_naming_the_real_option():
    sa = annotated_sa()
    sa["metadata"]["annotations"][irsa.ROLE_ARN_ANNOTATION] = "arn:aws:iam::%s:role/other" % ACCOUNT
    h = Harness(objects={SA_PATH: sa})
    read_cluster(h)
    result = h.run(runner.run, options())
    assert "set override_existing_annotation=true to replace it" in result["msg"]
    assert h.writes() == []


def test_missing_oidc_provider_is_refused_unless_asked_to_create_it(harness):
    iam = read_cluster(harness)
    provider_listed(iam, provider=False)
    result = harness.run(runner.run, options())
    assert "set create_oidc_provider=true" in result["msg"]
    assert harness.aws_writes() == []


def test_absent_deletes_an_owned_role_then_removes_the_annotation():
    h = Harness(objects={SA_PATH: annotated_sa()})
    iam = read_cluster(h, role=existing_role())
    iam.add_response("delete_role_policy", {}, {"RoleName": "reports", "PolicyName": "read"})
    iam.add_response("delete_role", {}, {"RoleName": "reports"})
    result = h.run(runner.run, options(state="absent"))
    assert result["changed"] and result["trust_policy"] is None
    assert h.writes() == ["DeleteRolePolicy", "DeleteRole", "PATCH %s" % SA_PATH]
    assert h.kube.objects[SA_PATH]["metadata"]["annotations"] == {}
