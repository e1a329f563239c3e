# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sandbox authenticator decides like aws-iam-authenticator v0.6.13 (token, ARN, aws-auth, templates)."""

from __future__ import annotations

import datetime
import json
import os
import sys
from urllib.parse import parse_qsl, urlencode, urlsplit

import boto3
import pytest

from ansible_collections.eks.access.plugins.module_utils.clients import eks_token

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "sandbox"))
import iam_authenticator as authn  # noqa: E402  pylint: disable=import-error,wrong-import-position

ENDPOINT = "http://127.0.0.1:15000"
ACCOUNT = "123456789012"
UTC = datetime.timezone.utc


def mint(cluster="sandbox", endpoint=ENDPOINT):
    session = boto3.session.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
                                    region_name="us-west-2")
    return eks_token.mint_token(session.client("sts", endpoint_url=endpoint), cluster)


def token_for(url):
    return eks_token.token_from_presigned_url(url)


def with_query(token, change):
    """The token with its URL's query parameters changed by change(list of pairs)."""
    parts = urlsplit(eks_token.presigned_url_from_token(token))
    pairs = change(parse_qsl(parts.query, keep_blank_values=True))
    return token_for(parts._replace(query=urlencode(pairs)).geturl())


def now_of(token):
    params = dict(parse_qsl(urlsplit(eks_token.presigned_url_from_token(token)).query))
    return datetime.datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def test_a_minted_token_passes_the_format_checks():
    token = mint()
    url, params = authn.decode_token(token, ENDPOINT, now_of(token))
    assert url == eks_token.presigned_url_from_token(token)
    assert params["action"] == "GetCallerIdentity"
    assert params["x-amz-credential"].startswith("AKIDEXAMPLE/")


@pytest.mark.parametrize("token,reason", [
    ("Bearer-abc", "missing expected 'k8s-aws-v1.' prefix"),
    ("k8s-aws-v1." + "A" * 5000, "too large"),
    ("k8s-aws-v1.aGVsbG8=", "without padding"),
    ("k8s-aws-v1.a+b/", "without padding"),
])
def test_tokens_that_are_not_eks_tokens_are_refused(token, reason):
    with pytest.raises(authn.Refused, match=reason):
        authn.decode_token(token, ENDPOINT, datetime.datetime.now(UTC))


@pytest.mark.parametrize("endpoint,reason", [
    ("https://127.0.0.1:15000", "unexpected scheme"),
    ("http://127.0.0.1:15001", "unexpected hostname"),
    ("https://sts.us-west-2.amazonaws.com", "unexpected scheme"),
])
def test_only_the_sandbox_sts_endpoint_is_accepted(endpoint, reason):
    token = mint()
    with pytest.raises(authn.Refused, match=reason):
        authn.decode_token(token, endpoint, now_of(token))


def test_path_must_be_root():
    token = token_for(eks_token.presigned_url_from_token(mint()).replace(ENDPOINT + "/", ENDPOINT + "/x/"))
    with pytest.raises(authn.Refused, match="unexpected path"):
        authn.decode_token(token, ENDPOINT, now_of(token))


@pytest.mark.parametrize("change,reason", [
    (lambda q: q + [("Foo", "bar")], "non-whitelisted query parameter 'Foo'"),
    (lambda q: q + [("action", "GetCallerIdentity")], "duplicate query parameter"),
    (lambda q: [(k, "AssumeRole" if k == "Action" else v) for k, v in q], "unexpected action"),
    (lambda q: [(k, "host" if k == "X-Amz-SignedHeaders" else v) for k, v in q], "did not sign the x-k8s-aws-id"),
    (lambda q: [(k, "901" if k == "X-Amz-Expires" else v) for k, v in q], "invalid X-Amz-Expires"),
    (lambda q: [(k, v) for k, v in q if k != "X-Amz-Date"], "X-Amz-Date parameter must be present"),
    (lambda q: [(k, "yesterday" if k == "X-Amz-Date" else v) for k, v in q], "error parsing X-Amz-Date"),
])
def test_query_checks(change, reason):
    token = mint()
    with pytest.raises(authn.Refused, match=reason):
        authn.decode_token(with_query(token, change), ENDPOINT, now_of(token))


def test_tokens_expire_15_minutes_after_signing_whatever_x_amz_expires_says():
    token = mint()
    signed = now_of(token)
    authn.decode_token(token, ENDPOINT, signed + datetime.timedelta(minutes=15))
    with pytest.raises(authn.Refused, match="expired"):
        authn.decode_token(token, ENDPOINT, signed + datetime.timedelta(minutes=15, seconds=1))


@pytest.mark.parametrize("arn,kind,canonical", [
    ("arn:aws:iam::123456789012:user/alice", "user", "arn:aws:iam::123456789012:user/alice"),
    ("arn:aws:iam::123456789012:role/ops", "role", "arn:aws:iam::123456789012:role/ops"),
    ("arn:aws:iam::123456789012:root", "root", "arn:aws:iam::123456789012:root"),
    ("arn:aws:sts::123456789012:assumed-role/ops/alice@example.com", "assumed-role",
     "arn:aws:iam::123456789012:role/ops"),
    ("arn:aws-cn:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123/bob", "assumed-role",
     "arn:aws-cn:iam::123456789012:role/AWSReservedSSO_Admin_0123"),
    ("arn:aws:sts::123456789012:federated-user/carol", "federated-user", "arn:aws:sts::123456789012:federated-user/carol"),
])
def test_canonicalize(arn, kind, canonical):
    assert authn.canonicalize(arn) == (kind, canonical)


@pytest.mark.parametrize("arn,reason", [
    ("arn:aws:sts::123456789012:user/moto", "unrecognized resource user/moto for service sts"),
    ("arn:aws:iam::123456789012:group/devs", "unrecognized resource group/devs for service iam"),
    ("arn:aws:s3:::bucket", "not a valid service"),
    ("arn:nope:iam::123456789012:user/x", "recognized partition"),
    ("arn:aws:sts::123456789012:assumed-role/ops", "does not have a role"),
    ("not-an-arn", "invalid"),
])
def test_canonicalize_refuses(arn, reason):
    with pytest.raises(authn.Refused, match=reason):
        authn.canonicalize(arn)


def test_identity_of_an_assumed_role_splits_user_id_and_session():
    identity = authn.identity_from_sts({"Arn": "arn:aws:sts::123456789012:assumed-role/ops/alice@example.com",
                                        "Account": ACCOUNT, "UserId": "AROAEXAMPLE:alice@example.com"}, "ASIAKEY")
    assert identity == {"arn": "arn:aws:sts::123456789012:assumed-role/ops/alice@example.com",
                        "canonical_arn": "arn:aws:iam::123456789012:role/ops", "principal_type": "assumed-role",
                        "account": ACCOUNT, "user_id": "AROAEXAMPLE", "session_name": "alice@example.com", "access_key_id": "ASIAKEY"}
    with pytest.raises(authn.Refused, match="malformed UserID"):
        authn.identity_from_sts({"Arn": "arn:aws:iam::123456789012:role/ops", "Account": ACCOUNT,
                                 "UserId": "AROAEXAMPLE"}, "ASIAKEY")


def test_identity_of_a_user_keeps_the_whole_user_id():
    identity = authn.identity_from_sts({"Arn": "arn:aws:iam::123456789012:user/alice", "Account": ACCOUNT,
                                        "UserId": "AIDAEXAMPLE"}, "AKIAKEY")
    assert identity["user_id"] == "AIDAEXAMPLE" and identity["session_name"] == ""


def test_sts_answers_in_json_and_xml():
    result = {"Arn": "arn:aws:iam::123456789012:user/a", "Account": ACCOUNT, "UserId": "AIDA"}
    as_json = json.dumps({"GetCallerIdentityResponse": {"GetCallerIdentityResult": result}}).encode()
    as_xml = ('<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
              '<GetCallerIdentityResult><Arn>%(Arn)s</Arn><UserId>%(UserId)s</UserId><Account>%(Account)s</Account>'
              '</GetCallerIdentityResult></GetCallerIdentityResponse>' % result).encode()
    assert authn.parse_sts_response(as_json) == result
    assert authn.parse_sts_response(as_xml) == result


def identity(arn="arn:aws:sts::123456789012:assumed-role/Ops/alice@example.com", session="alice@example.com"):
    return authn.identity_from_sts({"Arn": arn, "Account": ACCOUNT,
                                    "UserId": "AROAEXAMPLE:" + session if session else "AIDAEXAMPLE"}, "ASIAKEY")


AWS_AUTH = {
    "mapRoles": (
        "- rolearn: arn:aws:iam::123456789012:role/ops\n"
        "  username: 'ops:{{SessionName}}'\n"
        "  groups: [ops, 'acct-{{AccountID}}', 'raw-{{SessionNameRaw}}', 'key-{{AccessKeyID}}']\n"
        "- rolearn: arn:aws:iam::123456789012:role/team/pathful\n"
        "  username: pathful\n"
    ),
    "mapUsers": (
        "- userarn: arn:aws:iam::123456789012:user/bob\n"
        "  username: bob\n"
        "  groups: [devs]\n"
    ),
}


def test_roles_match_case_insensitively_and_templates_render():
    username, groups = authn.map_identity(identity(), None, lambda: AWS_AUTH)
    assert username == "ops:alice-example.com"
    assert groups == ["ops", "acct-123456789012", "raw-alice@example.com", "key-ASIAKEY"]


def test_users_match_and_unmapped_identities_are_refused():
    bob = identity("arn:aws:iam::123456789012:user/bob", session=None)
    assert authn.map_identity(bob, None, lambda: AWS_AUTH) == ("bob", ["devs"])
    carol = identity("arn:aws:iam::123456789012:user/carol", session=None)
    with pytest.raises(authn.Refused, match="ARN is not mapped: arn:aws:iam::123456789012:user/carol"):
        authn.map_identity(carol, None, lambda: AWS_AUTH)
    with pytest.raises(authn.Refused, match="not mapped"):
        authn.map_identity(carol, None, lambda: None)  # no aws-auth at all


def test_a_rolearn_with_a_path_never_matches_a_session():
    session = identity("arn:aws:sts::123456789012:assumed-role/pathful/x", session="x")
    with pytest.raises(authn.Refused, match="not mapped"):
        authn.map_identity(session, None, lambda: AWS_AUTH)


def test_map_accounts_admits_the_account_under_the_canonical_arn():
    carol = identity("arn:aws:iam::123456789012:user/carol", session=None)
    data = {"mapAccounts": "- '123456789012'\n"}
    assert authn.map_identity(carol, None, lambda: data) == ("arn:aws:iam::123456789012:user/carol", [])


def test_the_creator_is_system_masters_without_aws_auth():
    creator = identity("arn:aws:iam::123456789012:user/sandbox-admin", session=None)

    def unread():
        raise AssertionError("aws-auth is not read for the creator")

    assert authn.map_identity(creator, "arn:aws:iam::123456789012:user/sandbox-admin", unread) == (
        "kubernetes-admin", ["system:masters"])


def test_an_aws_auth_that_does_not_parse_admits_nobody_but_the_creator():
    with pytest.raises(authn.Refused, match="aws-auth does not parse"):
        authn.map_identity(identity(), None, lambda: {"mapRoles": "rolearn: [unclosed"})


def test_ec2_private_dns_name_needs_an_instance_session():
    data = {"mapRoles": "- rolearn: arn:aws:iam::123456789012:role/node\n"
                        "  username: system:node:{{EC2PrivateDNSName}}\n  groups: [system:nodes]\n"}
    node = identity("arn:aws:sts::123456789012:assumed-role/node/i-0123456789abcdef0", "i-0123456789abcdef0")
    names = {"i-0123456789abcdef0": "ip-10-0-0-1.ec2.internal"}
    assert authn.map_identity(node, None, lambda: data, names.get) == (
        "system:node:ip-10-0-0-1.ec2.internal", ["system:nodes"])
    person = identity("arn:aws:sts::123456789012:assumed-role/node/alice", "alice")
    with pytest.raises(authn.Refused, match="did not contain an instance id"):
        authn.map_identity(person, None, lambda: data, names.get)


def test_review_responses():
    granted = authn.review_response("authentication.k8s.io/v1", "ops:alice", identity(), ["ops"])
    assert granted["status"]["authenticated"] is True
    assert granted["status"]["user"]["uid"] == "aws-iam-authenticator:123456789012:AROAEXAMPLE"
    assert granted["status"]["user"]["extra"]["canonicalArn"] == ["arn:aws:iam::123456789012:role/Ops"]
    denied = authn.review_response("authentication.k8s.io/v1", error="ARN is not mapped")
    assert denied["status"] == {"authenticated": False, "error": "ARN is not mapped"}


def test_authenticate_refuses_unknown_clusters_and_bad_tokens_without_calling_anything(monkeypatch):
    monkeypatch.setitem(authn.CONFIG, "clusters", {"sandbox": {"apiserver": "https://127.0.0.1:1", "region": "x"}})
    monkeypatch.setitem(authn.CONFIG, "sts_endpoint", ENDPOINT)
    review = {"apiVersion": "authentication.k8s.io/v1", "spec": {"token": "k8s-aws-v1.not-base64!"}}
    assert authn.authenticate("sandbox", review)["status"]["authenticated"] is False
    assert "unknown cluster" in authn.authenticate("other", review)["status"]["error"]
    expired = mint()
    later = now_of(expired) + datetime.timedelta(minutes=16)
    answer = authn.authenticate("sandbox", {"spec": {"token": expired}}, now=later)
    assert answer["apiVersion"] == "authentication.k8s.io/v1" and "expired" in answer["status"]["error"]


# --------------------------------------------------------------------------- authentication modes and access entries

def access_state(mode, *entries):
    return {"authenticationMode": mode, "accessEntries": list(entries)}


OPS_ENTRY = {"principalArn": "arn:aws:iam::123456789012:role/teams/ops", "principalId": "AROAEXAMPLE",
             "type": "STANDARD", "username": "arn:aws:sts::123456789012:assumed-role/ops/{{SessionName}}",
             "kubernetesGroups": ["entry-{{AccountID}}"], "policies": []}


def test_config_map_mode_ignores_access_entries():
    assert authn.map_identity(identity(), None, lambda: AWS_AUTH, access_state=access_state("CONFIG_MAP", OPS_ENTRY))[0] \
        == "ops:alice-example.com"


def test_api_and_config_map_the_access_entry_wins_over_aws_auth():
    username, groups = authn.map_identity(identity(), None, lambda: AWS_AUTH,
                                          access_state=access_state("API_AND_CONFIG_MAP", OPS_ENTRY))
    assert username == "arn:aws:sts::123456789012:assumed-role/ops/alice-example.com"
    assert groups == ["entry-123456789012"]
    # without an entry, aws-auth still admits
    assert authn.map_identity(identity(), None, lambda: AWS_AUTH,
                              access_state=access_state("API_AND_CONFIG_MAP"))[0] == "ops:alice-example.com"


def test_api_mode_never_reads_aws_auth():
    def unread():
        raise AssertionError("aws-auth is read in API mode")

    with pytest.raises(authn.Refused, match="no access entry .*authentication mode API"):
        authn.map_identity(identity(), None, unread, access_state=access_state("API"))
    assert authn.map_identity(identity(), None, unread, access_state=access_state("API", OPS_ENTRY))[1] == \
        ["entry-123456789012"]


def test_an_access_entry_is_bound_to_the_principal_id_not_the_arn():
    recreated = dict(OPS_ENTRY, principalId="AROAOTHERID")
    with pytest.raises(authn.Refused, match="no access entry"):
        authn.map_identity(identity(), None, lambda: AWS_AUTH, access_state=access_state("API", recreated))


def test_the_creator_has_no_implicit_mapping_in_api_modes():
    creator = identity("arn:aws:iam::123456789012:user/sandbox-admin", session=None)
    with pytest.raises(authn.Refused, match="no access entry"):
        authn.map_identity(creator, "arn:aws:iam::123456789012:user/sandbox-admin", lambda: None,
                           access_state=access_state("API"))


def test_node_entries_render_the_instance_dns_name():
    node_entry = dict(OPS_ENTRY, type="EC2_LINUX", username="system:node:{{EC2PrivateDNSName}}",
                      kubernetesGroups=["system:nodes"])
    node = identity("arn:aws:sts::123456789012:assumed-role/ops/i-0123456789abcdef0", "i-0123456789abcdef0")
    assert authn.map_identity(node, None, lambda: None, {"i-0123456789abcdef0": "ip-10-0-0-1.ec2.internal"}.get,
                              access_state("API", node_entry)) == ("system:node:ip-10-0-0-1.ec2.internal",
                                                                   ["system:nodes"])


def test_authorizer_grants_what_the_associated_policy_grants(monkeypatch):
    view = dict(OPS_ENTRY, policies=[{"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
                                      "accessScope": {"type": "namespace", "namespaces": ["team-a"]}}])
    monkeypatch.setitem(authn.CONFIG, "clusters", {"c": {"region": "us-west-2", "apiserver": "https://x"}})
    state = {"value": access_state("API", view)}
    monkeypatch.setattr(authn, "read_access_state", lambda name, cluster: state["value"])
    monkeypatch.setattr(authn, "cluster_role_rules", lambda name, cluster, role: {
        "view": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}]}[role])

    def review(namespace, verb="list", uid="aws-iam-authenticator:123456789012:AROAEXAMPLE"):
        return {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": {
            "user": "x", "uid": uid, "extra": {"principalId": ["AROAEXAMPLE"],
                                               "canonicalArn": ["arn:aws:iam::123456789012:role/ops"]},
            "resourceAttributes": {"namespace": namespace, "verb": verb, "resource": "pods", "version": "v1"}}}

    assert authn.authorize("c", review("team-a"))["status"]["allowed"] is True
    for refused in (review("kube-system"), review("team-a", "delete"), review("team-a", uid="static")):
        status = authn.authorize("c", refused)["status"]
        assert status["allowed"] is False and "denied" not in status  # no opinion: RBAC's answer stands
    state["value"] = access_state("CONFIG_MAP", view)
    assert authn.authorize("c", review("team-a"))["status"]["allowed"] is False
