# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sandbox emulates EKS access entries as EKS does (tests/sandbox/moto_eks_access.py).

Through boto3 against the sandbox's moto: each rule EKS enforces is refused
with EKS's error code and message, and the authentication mode only moves
one way.  Through real HTTP requests to the sandbox's API servers with EKS
tokens minted for assumed-role sessions: the token authenticator honours the
cluster's mode and entries, and the access policies are enforced by the API
server (the authorizer webhook).  Emulator-only clusters (no API server) are
created per test and deleted afterwards; the per-mode clusters with an API
server (``$EKS_API_CLUSTER_NAME``, ``$EKS_API_AND_CONFIG_MAP_CLUSTER_NAME``)
get only entries for roles made here, removed at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import ssl
import time
import urllib.error
import urllib.request
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from ansible_collections.eks.access.plugins.module_utils.clients import eks_token

POLICY = "arn:aws:eks::aws:cluster-access-policy/%s"
VIEW = POLICY % "AmazonEKSViewPolicy"
EDIT = POLICY % "AmazonEKSEditPolicy"
CLUSTER_ADMIN = POLICY % "AmazonEKSClusterAdminPolicy"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})


@pytest.fixture(scope="module")
def aws(sandbox_env):
    if not sandbox_env.get("EKS_API_CLUSTER_NAME"):
        pytest.fail("this sandbox has no access entry clusters: restart it (make sandbox-down && make sandbox)")
    session = boto3.session.Session(region_name=sandbox_env["AWS_REGION"])
    endpoint = sandbox_env["AWS_ENDPOINT_URL"]
    return {name: session.client(name, endpoint_url=endpoint) for name in ("eks", "iam", "sts")}


@pytest.fixture
def names():
    suffix = uuid.uuid4().hex[:8]
    return lambda base: "ae-%s-%s" % (base, suffix)


@pytest.fixture
def roles(aws):
    """make(name, path='/') -> role ARN; the roles are deleted afterwards."""
    made = []

    def make(name, path="/"):
        made.append(name)
        return aws["iam"].create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]

    yield make
    for name in made:
        aws["iam"].delete_role(RoleName=name)


@pytest.fixture
def cluster(aws, names, sandbox_env):
    """make(mode=None) -> the name of a new emulator-only EKS cluster; deleted afterwards."""
    made = []
    role_arn = aws["iam"].get_role(RoleName="eksClusterRole")["Role"]["Arn"]

    def make(mode=None, **extra):
        name = names("c%d" % len(made))
        if mode:
            extra["accessConfig"] = dict(extra.get("accessConfig") or {}, authenticationMode=mode)
        aws["eks"].create_cluster(name=name, roleArn=role_arn, resourcesVpcConfig={"subnetIds": ["subnet-1"]},
                                  **extra)
        made.append(name)
        return name

    yield make
    for name in made:
        aws["eks"].delete_cluster(name=name)


def refusal(call, **kwargs):
    """(error code, HTTP status, message) of a call that must fail."""
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    error = info.value.response
    return error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Message"]


# --------------------------------------------------------------------------- the EKS API

def test_a_config_map_cluster_refuses_access_entry_calls(aws, cluster, roles, names):
    name = cluster()
    assert aws["eks"].describe_cluster(name=name)["cluster"]["accessConfig"] == {
        "authenticationMode": "CONFIG_MAP", "bootstrapClusterCreatorAdminPermissions": True}
    expected = ("InvalidRequestException", 400, "The cluster's authentication mode must be set to one of "
                "[API, API_AND_CONFIG_MAP] to perform this operation.")
    assert refusal(aws["eks"].list_access_entries, clusterName=name) == expected
    assert refusal(aws["eks"].create_access_entry, clusterName=name, principalArn=roles(names("r"))) == expected
    # the policy list does not depend on a cluster
    assert len(aws["eks"].list_access_policies()["accessPolicies"]) >= 4


def test_an_api_cluster_starts_with_the_creator_as_cluster_admin(aws, cluster, sandbox_env):
    name = cluster("API")
    creator = sandbox_env["EKS_CLUSTER_CREATOR_ARN"]
    assert aws["eks"].describe_cluster(name=name)["cluster"]["accessConfig"]["authenticationMode"] == "API"
    assert aws["eks"].list_access_entries(clusterName=name)["accessEntries"] == [creator]
    entry = aws["eks"].describe_access_entry(clusterName=name, principalArn=creator)["accessEntry"]
    assert (entry["type"], entry["username"], entry["kubernetesGroups"]) == ("STANDARD", creator, [])
    associated = aws["eks"].list_associated_access_policies(clusterName=name, principalArn=creator)
    assert [(a["policyArn"], a["accessScope"]["type"]) for a in associated["associatedAccessPolicies"]] == [
        (CLUSTER_ADMIN, "cluster")]
    bare = cluster("API", accessConfig={"bootstrapClusterCreatorAdminPermissions": False})
    assert aws["eks"].list_access_entries(clusterName=bare)["accessEntries"] == []


def test_the_seeded_mode_clusters(aws, sandbox_env):
    for variable, mode in (("EKS_CONFIG_MAP_CLUSTER_NAME", "CONFIG_MAP"),
                           ("EKS_API_AND_CONFIG_MAP_CLUSTER_NAME", "API_AND_CONFIG_MAP"), ("EKS_API_CLUSTER_NAME", "API")):
        described = aws["eks"].describe_cluster(name=sandbox_env[variable])["cluster"]
        assert described["accessConfig"]["authenticationMode"] == mode
        if mode != "CONFIG_MAP":
            entries = aws["eks"].list_access_entries(clusterName=described["name"],
                                                     associatedPolicyArn=CLUSTER_ADMIN)["accessEntries"]
            assert sandbox_env["EKS_CLUSTER_CREATOR_ARN"] in entries
            node_role = aws["eks"].describe_nodegroup(clusterName=described["name"],
                                                      nodegroupName="ng-general")["nodegroup"]["nodeRole"]
            node = aws["eks"].describe_access_entry(clusterName=described["name"], principalArn=node_role)
            assert node["accessEntry"]["type"] == "EC2_LINUX"


@pytest.mark.parametrize("kwargs,message", [
    ({"kubernetesGroups": ["devs", "system:masters"]},
     "The kubernetes group name system:masters is invalid, it cannot start with system:"),
    ({"username": "system:admin"}, "The username must not begin with system:"),
    ({"username": "eks:admin"}, "The username must not begin with eks:"),
    ({"username": "aws:admin"}, "The username must not begin with aws:"),
    ({"username": "amazon:admin"}, "The username must not begin with amazon:"),
    ({"username": "iam:admin"}, "The username must not begin with iam:"),
    ({"username": "{{SessionName}}"}, "must come after a colon"),
    ({"type": "EC2_LINUX", "kubernetesGroups": ["devs"]}, "kubernetesGroups can't be set for an access entry of type"),
    ({"type": "FARGATE_LINUX", "username": "node"}, "username can't be set for an access entry of type"),
    ({"type": "WINDOWS"}, "The type WINDOWS is not valid"),
])
def test_create_access_entry_rules(aws, cluster, roles, names, kwargs, message):
    name = cluster("API")
    code, status, text = refusal(aws["eks"].create_access_entry, clusterName=name, principalArn=roles(names("r")),
                                 **kwargs)
    assert (code, status) == ("InvalidParameterException", 400)
    assert message in text


def test_principals_eks_refuses(aws, cluster, sandbox_env, names):
    name = cluster("API")
    account = sandbox_env["AWS_ACCOUNT_ID"]
    for arn, fragment in (
            ("arn:aws:sts::%s:assumed-role/dev/alice" % account, "assumed-role session"),
            ("arn:aws:iam::%s:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS" % account,
             "service-linked role"),
            ("arn:aws:iam::%s:role/%s" % (account, names("missing")), "does not exist"),
            ("arn:aws:iam::%s:user/%s" % (account, names("u")), "does not exist")):
        code, status, text = refusal(aws["eks"].create_access_entry, clusterName=name, principalArn=arn)
        assert (code, status) == ("InvalidParameterException", 400)
        assert fragment in text
    # node types: an IAM role of the cluster's account
    code, _status, text = refusal(aws["eks"].create_access_entry, clusterName=name, type="EC2_LINUX",
                                  principalArn="arn:aws:iam::210987654321:role/nodes")
    assert code == "InvalidParameterException" and "IAM role in the cluster's account" in text


def test_entries_defaults_paths_duplicates_and_updates(aws, cluster, roles, names, sandbox_env):
    name = cluster("API_AND_CONFIG_MAP")
    account = sandbox_env["AWS_ACCOUNT_ID"]
    pathful = roles(names("dev"), path="/teams/a/")
    entry = aws["eks"].create_access_entry(clusterName=name, principalArn=pathful, kubernetesGroups=["devs"],
                                           tags={"team": "a"})["accessEntry"]
    assert entry["principalArn"] == pathful  # a role path is allowed (aws-auth forbids it)
    assert entry["username"] == "arn:aws:sts::%s:assumed-role/%s/{{SessionName}}" % (account, names("dev"))
    assert entry["accessEntryArn"].startswith("arn:aws:eks:%s:%s:access-entry/%s/role/" % (
        sandbox_env["AWS_REGION"], account, name))
    assert refusal(aws["eks"].create_access_entry, clusterName=name, principalArn=pathful) == (
        "ResourceInUseException", 409, "The specified access entry resource is already in use on this cluster.")
    node = aws["eks"].create_access_entry(clusterName=name, principalArn=roles(names("node")),
                                          type="EC2_LINUX")["accessEntry"]
    assert (node["username"], node["kubernetesGroups"]) == ("system:node:{{EC2PrivateDNSName}}", ["system:nodes"])
    updated = aws["eks"].update_access_entry(clusterName=name, principalArn=pathful, username="dev:{{SessionName}}",
                                             kubernetesGroups=["devs", "ops"])["accessEntry"]
    assert (updated["username"], updated["kubernetesGroups"], updated["type"]) == (
        "dev:{{SessionName}}", ["devs", "ops"], "STANDARD")
    code, _status, text = refusal(aws["eks"].update_access_entry, clusterName=name, principalArn=pathful,
                                  kubernetesGroups=["system:masters"])
    assert code == "InvalidParameterException" and "cannot start with system:" in text
    missing = "arn:aws:iam::%s:role/%s" % (account, names("nobody"))
    expected = ("ResourceNotFoundException", 404, "The specified principalArn could not be found. "
                "You can view your available access entries with 'list-access-entries'.")
    for call in (aws["eks"].describe_access_entry, aws["eks"].delete_access_entry,
                 aws["eks"].list_associated_access_policies):
        assert refusal(call, clusterName=name, principalArn=missing) == expected
    assert refusal(aws["eks"].describe_access_entry, clusterName=names("nocluster"), principalArn=missing)[:2] == (
        "ResourceNotFoundException", 404)


def test_policy_associations(aws, cluster, roles, names):
    name = cluster("API")
    arn = roles(names("r"))
    aws["eks"].create_access_entry(clusterName=name, principalArn=arn)
    associate = aws["eks"].associate_access_policy
    first = associate(clusterName=name, principalArn=arn, policyArn=VIEW,
                      accessScope={"type": "namespace", "namespaces": ["team-a", "dev-*"]})
    assert first["associatedAccessPolicy"]["accessScope"] == {"type": "namespace", "namespaces": ["team-a", "dev-*"]}
    # re-associating the same policy replaces its scope: still one association
    associate(clusterName=name, principalArn=arn, policyArn=VIEW, accessScope={"type": "cluster"})
    associate(clusterName=name, principalArn=arn, policyArn=EDIT,
              accessScope={"type": "namespace", "namespaces": ["team-a"]})
    listed = aws["eks"].list_associated_access_policies(clusterName=name, principalArn=arn)["associatedAccessPolicies"]
    assert [(a["policyArn"], a["accessScope"]["type"]) for a in listed] == [(EDIT, "namespace"), (VIEW, "cluster")]
    for policy, scope, fragment in (
            (POLICY % "AmazonEKSSuperPolicy", {"type": "cluster"}, "is not a valid access policy"),
            ("arn:aws:iam::aws:policy/AdministratorAccess", {"type": "cluster"}, "is not a valid access policy"),
            (VIEW, {"type": "namespace"}, "At least one namespace"),
            (VIEW, {"type": "cluster", "namespaces": ["a"]}, "can't be set"),
            (VIEW, {"type": "namespace", "namespaces": ["Team_A"]}, "is not valid")):
        code, status, text = refusal(associate, clusterName=name, principalArn=arn, policyArn=policy, accessScope=scope)
        assert (code, status) == ("InvalidParameterException", 400) and fragment in text
    node = roles(names("node"))
    aws["eks"].create_access_entry(clusterName=name, principalArn=node, type="EC2_LINUX")
    code, _status, text = refusal(associate, clusterName=name, principalArn=node, policyArn=VIEW,
                                  accessScope={"type": "cluster"})
    assert code == "InvalidParameterException" and "type EC2_LINUX" in text
    aws["eks"].disassociate_access_policy(clusterName=name, principalArn=arn, policyArn=EDIT)
    assert refusal(aws["eks"].disassociate_access_policy, clusterName=name, principalArn=arn, policyArn=EDIT)[:2] == (
        "ResourceNotFoundException", 404)
    # deleting the entry deletes its associations
    aws["eks"].delete_access_entry(clusterName=name, principalArn=arn)
    aws["eks"].create_access_entry(clusterName=name, principalArn=arn)
    assert aws["eks"].list_associated_access_policies(clusterName=name,
                                                      principalArn=arn)["associatedAccessPolicies"] == []


def test_list_access_entries_pages_and_filters(aws, cluster, roles, names):
    name = cluster("API", accessConfig={"bootstrapClusterCreatorAdminPermissions": False})
    arns = sorted(roles(names("r%d" % i)) for i in range(5))
    for arn in arns:
        aws["eks"].create_access_entry(clusterName=name, principalArn=arn)
    for arn in arns[:2]:
        aws["eks"].associate_access_policy(clusterName=name, principalArn=arn, policyArn=VIEW,
                                           accessScope={"type": "cluster"})
    first = aws["eks"].list_access_entries(clusterName=name, maxResults=2)
    assert len(first["accessEntries"]) == 2 and first["nextToken"]
    paginator = aws["eks"].get_paginator("list_access_entries")
    pages = paginator.paginate(clusterName=name, PaginationConfig={"PageSize": 2})
    assert [arn for page in pages for arn in page["accessEntries"]] == arns
    assert aws["eks"].list_access_entries(clusterName=name, associatedPolicyArn=VIEW)["accessEntries"] == arns[:2]
    assert refusal(aws["eks"].list_access_entries, clusterName=name, nextToken="garbage")[0] == \
        "InvalidParameterException"
    policies = aws["eks"].get_paginator("list_access_policies").paginate(PaginationConfig={"PageSize": 3})
    names_listed = [p["name"] for page in policies for p in page["accessPolicies"]]
    assert {"AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy", "AmazonEKSEditPolicy",
            "AmazonEKSViewPolicy"} <= set(names_listed)


def test_the_authentication_mode_moves_one_way(aws, cluster, sandbox_env):
    name = cluster()
    update_config = aws["eks"].update_cluster_config

    def unsupported(current, wanted):
        return ("InvalidParameterException", 400, "Unsupported authentication mode update from %s to %s"
                % (current, wanted))

    assert refusal(update_config, name=name, accessConfig={"authenticationMode": "API"}) == \
        unsupported("CONFIG_MAP", "API")
    assert refusal(update_config, name=name, accessConfig={"authenticationMode": "CONFIG_MAP"}) == \
        unsupported("CONFIG_MAP", "CONFIG_MAP")
    update = update_config(name=name, accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})["update"]
    assert (update["type"], update["status"], update["params"]) == (
        "AccessConfigUpdate", "InProgress", [{"type": "AuthenticationMode", "value": "API_AND_CONFIG_MAP"}])
    assert aws["eks"].describe_update(name=name, updateId=update["id"])["update"]["status"] == "Successful"
    # moving to an API mode gives the creator its admin entry, as EKS does
    assert aws["eks"].list_access_entries(clusterName=name,
                                          associatedPolicyArn=CLUSTER_ADMIN)["accessEntries"] == [
        sandbox_env["EKS_CLUSTER_CREATOR_ARN"]]
    assert refusal(update_config, name=name, accessConfig={"authenticationMode": "CONFIG_MAP"}) == \
        unsupported("API_AND_CONFIG_MAP", "CONFIG_MAP")
    final = update_config(name=name, accessConfig={"authenticationMode": "API"})["update"]
    assert aws["eks"].describe_update(name=name, updateId=final["id"])["update"]["status"] == "Successful"
    assert aws["eks"].describe_cluster(name=name)["cluster"]["accessConfig"]["authenticationMode"] == "API"
    for back in ("API_AND_CONFIG_MAP", "CONFIG_MAP", "API"):
        assert refusal(update_config, name=name, accessConfig={"authenticationMode": back}) == \
            unsupported("API", back)
    assert refusal(aws["eks"].describe_update, name=name, updateId=str(uuid.uuid4()))[:2] == (
        "ResourceNotFoundException", 404)
    assert refusal(update_config, name=names_missing(), accessConfig={"authenticationMode": "API"})[:2] == (
        "ResourceNotFoundException", 404)


def names_missing():
    return "ae-missing-%s" % uuid.uuid4().hex[:8]


# --------------------------------------------------------------------------- tokens against the API servers

class Kube:
    """Plain HTTPS requests to one sandbox API server."""

    def __init__(self, env, cluster_name):
        self.env = env
        with open(os.path.join(env["EKS_SANDBOX_DIR"], "kubeconfig-" + cluster_name)) as f:
            config = json.load(f)
        self.server = config["clusters"][0]["cluster"]["server"]
        self.admin_token = config["users"][0]["user"]["token"]
        self.ctx = ssl.create_default_context(cafile=os.path.join(env["EKS_SANDBOX_DIR"], "pki", "ca.crt"))

    def request(self, method, path, token, body=None):
        """(HTTP status, JSON body) of one request with bearer ``token``."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.server + path, data=data, method=method, headers={
            "Authorization": "Bearer " + token, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, context=self.ctx, timeout=30) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def admin(self, method, path, body=None, ok=(200, 201)):
        status, answer = self.request(method, path, self.admin_token, body)
        assert status in ok, (method, path, status, answer)
        return answer

    @contextlib.contextmanager
    def aws_auth(self, role, username, group):
        """An aws-auth mapping ``role`` to ``username`` in ``group``, for the block."""
        self.admin("POST", "/api/v1/namespaces/kube-system/configmaps", {"metadata": {"name": "aws-auth"}, "data": {
            "mapRoles": "- rolearn: %s\n  username: %s\n  groups: [%s]\n" % (role, username, group)}})
        try:
            yield
        finally:
            self.admin("DELETE", "/api/v1/namespaces/kube-system/configmaps/aws-auth")

    def whoami(self, token):
        status, answer = self.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", token, {
            "apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
        return status, answer["status"]["userInfo"] if status == 201 else None


def session_token(aws, env, role_arn, cluster_name, session="alice", expires=60):
    """An EKS token for ``cluster_name`` of an STS session of ``role_arn`` (a new token for each ``expires``)."""
    creds = aws["sts"].assume_role(RoleArn=role_arn, RoleSessionName=session)["Credentials"]
    sts = boto3.client("sts", region_name=env["AWS_REGION"], endpoint_url=env["AWS_ENDPOINT_URL"],
                       aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                       aws_session_token=creds["SessionToken"])
    return eks_token.mint_token(sts, cluster_name, expires)


@pytest.fixture
def entries(aws):
    """add(cluster, role ARN, **create kwargs): access entries deleted afterwards."""
    made = []

    def add(cluster_name, arn, **kwargs):
        aws["eks"].create_access_entry(clusterName=cluster_name, principalArn=arn, **kwargs)
        made.append((cluster_name, arn))

    yield add
    for cluster_name, arn in made:
        try:
            aws["eks"].delete_access_entry(clusterName=cluster_name, principalArn=arn)
        except ClientError as e:
            if e.response["Error"]["Code"] != "ResourceNotFoundException":
                raise


def ensure_namespace(kube, name):
    kube.admin("POST", "/api/v1/namespaces", {"metadata": {"name": name}}, ok=(201, 409))


def test_view_on_team_a_is_enforced_by_the_api_server_and_a_deleted_entry_is_401(aws, sandbox_env, roles, names,
                                                                                 entries):
    cluster_name = sandbox_env["EKS_API_CLUSTER_NAME"]
    kube = Kube(sandbox_env, cluster_name)
    ensure_namespace(kube, "team-a")
    role = roles(names("viewer"), path="/teams/a/")  # a path: matched by role ID, not by the session's ARN
    entries(cluster_name, role)
    aws["eks"].associate_access_policy(clusterName=cluster_name, principalArn=role, policyArn=VIEW,
                                       accessScope={"type": "namespace", "namespaces": ["team-a"]})
    token = session_token(aws, sandbox_env, role, cluster_name)
    status, user = kube.whoami(token)
    assert status == 201 and user["username"] == "arn:aws:sts::%s:assumed-role/%s/alice" % (
        sandbox_env["AWS_ACCOUNT_ID"], names("viewer"))
    assert kube.request("GET", "/api/v1/namespaces/team-a/pods", token)[0] == 200
    assert kube.request("GET", "/api/v1/namespaces/team-a/configmaps", token)[0] == 200
    assert kube.request("GET", "/api/v1/namespaces/kube-system/pods", token)[0] == 403
    assert kube.request("GET", "/api/v1/pods", token)[0] == 403  # all namespaces: outside the scope
    assert kube.request("DELETE", "/api/v1/namespaces/team-a/configmaps/kube-root-ca.crt", token)[0] == 403
    assert kube.request("GET", "/api/v1/nodes", token)[0] == 403
    # widening the scope takes effect at the next request
    aws["eks"].associate_access_policy(clusterName=cluster_name, principalArn=role, policyArn=VIEW,
                                       accessScope={"type": "namespace", "namespaces": ["team-*", "kube-*"]})
    assert kube.request("GET", "/api/v1/namespaces/kube-system/pods", token)[0] == 200

    aws["eks"].delete_access_entry(clusterName=cluster_name, principalArn=role)
    assert kube.request("GET", "/api/v1/namespaces/team-a/pods", token)[0] == 403  # policies are gone at once
    fresh = session_token(aws, sandbox_env, role, cluster_name, expires=61)
    assert kube.request("GET", "/api/v1/namespaces/team-a/pods", fresh)[0] == 401


def test_api_mode_ignores_aws_auth(aws, sandbox_env, roles, names):
    cluster_name = sandbox_env["EKS_API_CLUSTER_NAME"]
    kube = Kube(sandbox_env, cluster_name)
    role = roles(names("cm-only"))
    with kube.aws_auth(role, "cm-only", "ops"):
        token = session_token(aws, sandbox_env, role, cluster_name)
        assert kube.request("GET", "/api/v1/namespaces/default/pods", token)[0] == 401
        assert kube.whoami(token)[0] == 401


def test_api_and_config_map_the_access_entry_wins_over_aws_auth(aws, sandbox_env, roles, names, entries):
    cluster_name = sandbox_env["EKS_API_AND_CONFIG_MAP_CLUSTER_NAME"]
    kube = Kube(sandbox_env, cluster_name)
    role = roles(names("both"))
    with kube.aws_auth(role, "from-aws-auth", "cm-group"):
        status, user = kube.whoami(session_token(aws, sandbox_env, role, cluster_name))
        assert status == 201 and user["username"] == "from-aws-auth" and "cm-group" in user["groups"]
        entries(cluster_name, role, username="from-entry:{{SessionName}}", kubernetesGroups=["entry-group"])
        status, user = kube.whoami(session_token(aws, sandbox_env, role, cluster_name, expires=61))
        assert status == 201 and user["username"] == "from-entry:alice"
        assert "entry-group" in user["groups"] and "cm-group" not in user["groups"]


def test_the_creator_reaches_api_clusters_through_its_admin_entry(sandbox_env):
    sts = boto3.client("sts", region_name=sandbox_env["AWS_REGION"], endpoint_url=sandbox_env["AWS_ENDPOINT_URL"])
    for variable in ("EKS_API_CLUSTER_NAME", "EKS_API_AND_CONFIG_MAP_CLUSTER_NAME"):
        kube = Kube(sandbox_env, sandbox_env[variable])
        token = eks_token.mint_token(sts, sandbox_env[variable])
        status, user = kube.whoami(token)
        assert status == 201 and user["username"] == sandbox_env["EKS_CLUSTER_CREATOR_ARN"]
        assert "system:masters" not in user["groups"]  # its rights come from AmazonEKSClusterAdminPolicy
        assert kube.request("GET", "/api/v1/namespaces/kube-system/secrets", token)[0] == 200


# --------------------------------------------------------------------------- workloads

def test_an_ordinary_pod_schedules_and_runs(sandbox_env, names):
    kube = Kube(sandbox_env, sandbox_env["EKS_CLUSTER_NAME"])
    namespace = names("pods")
    ensure_namespace(kube, namespace)
    try:
        kube.admin("POST", "/api/v1/namespaces/%s/pods" % namespace, {
            "metadata": {"name": "web"},
            "spec": {"containers": [{"name": "web", "image": "public.ecr.aws/nginx/nginx:1.27"}]}})
        pod = {}
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            pod = kube.admin("GET", "/api/v1/namespaces/%s/pods/web" % namespace)
            if pod.get("status", {}).get("phase") == "Running":
                break
            time.sleep(1)
        assert pod["spec"].get("nodeName"), pod.get("status")
        assert pod["status"]["phase"] == "Running", pod["status"]
        assert not pod["spec"].get("tolerations") or all(
            t.get("key") != "node.kubernetes.io/not-ready" or t.get("effect") != "NoSchedule"
            for t in pod["spec"]["tolerations"])
    finally:
        kube.admin("DELETE", "/api/v1/namespaces/%s" % namespace)


def test_a_create_retried_with_its_client_request_token_answers_the_same_entry(aws, cluster, roles, names):
    name = cluster("API")
    arn = roles(names("r"))
    first = aws["eks"].create_access_entry(clusterName=name, principalArn=arn, clientRequestToken="t-1")
    again = aws["eks"].create_access_entry(clusterName=name, principalArn=arn, clientRequestToken="t-1")
    assert again["accessEntry"]["accessEntryArn"] == first["accessEntry"]["accessEntryArn"]
    assert refusal(aws["eks"].create_access_entry, clusterName=name, principalArn=arn,
                   clientRequestToken="t-2")[0] == "ResourceInUseException"


def test_the_sandbox_reset_puts_a_cluster_back_before_its_mode_switch(aws, cluster, sandbox_env):
    name = cluster()
    aws["eks"].update_cluster_config(name=name, accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})

    def reset(body=None):
        url = "%s/_sandbox/eks/access/%s/%s/reset" % (sandbox_env["AWS_ENDPOINT_URL"], sandbox_env["AWS_REGION"], name)
        request = urllib.request.Request(url, data=json.dumps(body or {}).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    assert reset()["authenticationMode"] == "CONFIG_MAP"
    assert aws["eks"].describe_cluster(name=name)["cluster"]["accessConfig"]["authenticationMode"] == "CONFIG_MAP"
    assert refusal(aws["eks"].list_access_entries, clusterName=name)[0] == "InvalidRequestException"
    state = reset({"authenticationMode": "API"})
    assert [e["principalArn"] for e in state["accessEntries"]] == [sandbox_env["EKS_CLUSTER_CREATOR_ARN"]]
    assert aws["eks"].describe_cluster(name=name)["cluster"]["accessConfig"]["authenticationMode"] == "API"
