# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""runners/eks_access_report.py over stubbed AWS and a scripted Kubernetes API: reads only, the same in check mode,
bounded requests, rows confirmed (or not) by SubjectAccessReviews."""

from __future__ import annotations

import datetime

from ansible_collections.eks.access.plugins.module_utils.model import access_entry as m
from ansible_collections.eks.access.plugins.module_utils.runners import eks_access_report as runner

from ansible_collections.eks.access.tests.unit.plugins.fakes import ACCOUNT, Harness

CLUSTER_ARN = "arn:aws:eks:us-west-2:%s:cluster/sandbox" % ACCOUNT
ADMIN = "arn:aws:iam::%s:role/admin" % ACCOUNT
GONE = "arn:aws:iam::%s:role/gone" % ACCOUNT
VIEWER = "arn:aws:iam::%s:role/teams/viewer" % ACCOUNT
NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
RBAC = "/apis/rbac.authorization.k8s.io/v1/"
VIEW_RULES = [{"apiGroups": [""], "resources": ["pods", "configmaps"], "verbs": ["get", "list", "watch"]}]
AWS_AUTH = {"metadata": {"name": "aws-auth", "namespace": "kube-system", "resourceVersion": "7"}, "data": {
    "mapRoles": "- rolearn: %s\n  username: admin\n  groups: [system:masters]\n"
                "- rolearn: %s\n  username: gone\n  groups: [readers]\n" % (ADMIN, GONE)}}
LISTS = {RBAC + "clusterroles": [{"metadata": {"name": "view"}, "rules": VIEW_RULES}],
         RBAC + "roles": [], RBAC + "rolebindings": [],
         RBAC + "clusterrolebindings": [{"metadata": {"name": "readers"},
                                         "roleRef": {"kind": "ClusterRole", "name": "view"},
                                         "subjects": [{"kind": "Group", "name": "readers"}]}]}


def api_server(spec):
    """A cluster where system:masters may do anything and the viewer's policy lets it read team-a."""
    attributes = spec["resourceAttributes"]
    if "system:masters" in spec["groups"]:
        return True
    if spec.get("extra", {}).get("canonicalArn") == ["arn:aws:iam::%s:role/viewer" % ACCOUNT]:
        return attributes.get("namespace") == "team-a" and attributes["verb"] == "list"
    return False


def harness(check_mode=False, decide=api_server):
    h = Harness(check_mode=check_mode, objects={"/api/v1/namespaces/kube-system/configmaps/aws-auth": AWS_AUTH},
                lists=LISTS)
    h.kube.decide = decide
    eks = h.stub("eks")
    eks.add_response("describe_cluster", {"cluster": {"name": "sandbox", "arn": CLUSTER_ARN, "accessConfig": {
        "authenticationMode": "API_AND_CONFIG_MAP"}}}, {"name": "sandbox"})
    eks.add_response("list_access_entries", {"accessEntries": [VIEWER]}, {"clusterName": "sandbox"})
    eks.add_response("describe_access_entry", {"accessEntry": {
        "clusterName": "sandbox", "principalArn": VIEWER, "kubernetesGroups": [], "type": "STANDARD",
        "username": "arn:aws:sts::%s:assumed-role/viewer/{{SessionName}}" % ACCOUNT, "createdAt": NOW}},
        {"clusterName": "sandbox", "principalArn": VIEWER})
    eks.add_response("list_associated_access_policies", {"clusterName": "sandbox", "principalArn": VIEWER,
                                                         "associatedAccessPolicies": [{
                                                             "policyArn": m.policy_arn("AmazonEKSViewPolicy"),
                                                             "accessScope": {"type": "namespace",
                                                                             "namespaces": ["team-a"]}}]},
                     {"clusterName": "sandbox", "principalArn": VIEWER})
    iam = h.stub("iam")
    for name, path in (("viewer", "/teams/"), ("admin", "/")):
        iam.add_response("get_role", {"Role": {"Path": path, "RoleName": name, "RoleId": "AROA%sEXAMPLE00" % name.upper(),
                                               "Arn": "arn:aws:iam::%s:role%s%s" % (ACCOUNT, path, name),
                                               "CreateDate": NOW, "AssumeRolePolicyDocument": "{}"}},
                         {"RoleName": name})
    iam.add_client_error("get_role", "NoSuchEntity", http_status_code=404, expected_params={"RoleName": "gone"})
    iam.add_response("list_roles", {"Roles": [], "IsTruncated": False}, None)  # lower-case retry of the missing one
    h.caller()
    return h


def options(**overrides):
    return runner.Options(**dict(dict(cluster_name="sandbox", concurrency=1, verify_sample=10), **overrides))


def test_report_joins_access_entries_aws_auth_iam_and_rbac_and_the_api_server_confirms_it():
    h = harness()
    result = h.run(runner.run, options())
    rows = {row["principal_arn"]: row for row in result["principals"]}
    assert result["changed"] is False and result["cluster"]["authentication_mode"] == "API_AND_CONFIG_MAP"
    assert rows[ADMIN]["level"] == "cluster-admin" and rows[ADMIN]["verified"]["status"] == "confirmed"
    assert rows[VIEWER]["levels"] == {"cluster": "none", "team-a": "read"}
    assert rows[VIEWER]["verified"]["status"] == "confirmed"
    assert rows[VIEWER]["iam"] == {"exists": True, "arn": VIEWER, "id": "AROAVIEWEREXAMPLE00"}
    assert rows[GONE]["levels"] == {"cluster": "read"} and rows[GONE]["iam"]["exists"] is False
    codes = {(f["code"], f["principal_arn"]) for f in result["findings"]}
    assert ("missing_iam_principal", GONE) in codes and ("system_masters", ADMIN) in codes
    # The viewer was asked about with what EKS's authenticator puts on its tokens.
    viewer_reviews = [r for r in h.kube.reviews if r.get("extra")]
    assert viewer_reviews and viewer_reviews[0]["extra"]["principalId"] == ["AROAVIEWEREXAMPLE00"]
    # Reads only, and a bounded number of them: one GET of aws-auth, four RBAC lists, the reviews.
    assert [w for w in h.writes() if "subjectaccessreviews" not in w] == [] and h.aws_writes() == []
    gets = [c[2] for c in h.calls if c[0] == "kube" and c[1] == "GET"]
    assert sorted(gets) == sorted(["/api/v1/namespaces/kube-system/configmaps/aws-auth"] + list(LISTS))
    assert result["scanned_by"].endswith(":user/ops")


def test_check_mode_reports_the_same():
    normal = harness().run(runner.run, options())
    checked = harness(check_mode=True).run(runner.run, options())
    assert normal["principals"] == checked["principals"] and normal["findings"] == checked["findings"]


def test_a_disagreeing_api_server_is_reported_and_verify_sample_zero_asks_nothing():
    result = harness(decide=lambda spec: True).run(runner.run, options())
    rows = {row["principal_arn"]: row for row in result["principals"]}
    assert rows[VIEWER]["verified"]["status"] == "disagrees"
    assert result["summary"]["disagrees"] >= 1
    h = harness()
    quiet = h.run(runner.run, options(verify_sample=0))
    assert h.kube.reviews == [] and all(r["verified"]["status"] == "not_checked" for r in quiet["principals"])


def test_a_negative_sample_is_refused_before_any_request(harness):
    result = harness.run(runner.run, options(verify_sample=-1))
    assert "verify_sample must be 0 or more" in result["msg"] and harness.calls == []
