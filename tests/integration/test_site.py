# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The site playbook, as users run it: ``ansible-playbook eks.access.site``.

On a fresh sandbox cluster (no aws-auth, no RBAC) and the sandbox's API-mode
cluster (no SSO access entries), as ``make demo`` runs it: first ``--check
--diff`` shows the whole plan and writes nothing; then the real run
bootstraps the node mappings, the access mappings with their RBAC and SSO
access on ``sandbox`` (aws-auth), and the SSO permission sets' access entries
with access policies on ``sandbox-api``, which a real SSO session proves; a
second run changes nothing.
"""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest
import yaml

from playbook_runs import REPO, SANDBOX_INVENTORY, playbook_env

# What make demo runs site.yml on: the CONFIG_MAP cluster and the API one (playbooks/inventory/sandbox.yml).
DEMO_HOSTS = "eks_clusters:eks_access_entry_clusters"
API_HOST = "sandbox-api"
CREATOR = "EKSClusterCreator"
SSO_ADMIN = "AWSReservedSSO_EKSClusterAdminAccess_4ffa4321e413c0b0"
SSO_READONLY = "AWSReservedSSO_EKSReadOnly_6a316cc66d154241"
RBAC = [
    ("ClusterRole", "eks-console-dashboard-full-access-clusterrole", None),
    ("ClusterRoleBinding", "eks-console-dashboard-full-access-binding", None),
    ("ClusterRole", "eks-console-dashboard-restricted-access-clusterrole", None),
    ("ClusterRoleBinding", "eks-console-dashboard-restricted-access-binding", None),
    ("Role", "eks-console-dashboard-restricted-access-role", "default"),
    ("RoleBinding", "eks-console-dashboard-restricted-access-role-binding", "default"),
    # playbooks/inventory/group_vars/eks_clusters/sso.yml binds its groups itself
    ("ClusterRoleBinding", "eks-sso-cluster-admins", None),
    ("ClusterRoleBinding", "eks-sso-viewers", None),
]


@pytest.fixture
def fresh_cluster(sandbox_env):
    from kubernetes import client, config

    api_client = config.new_client_from_config(config_file=sandbox_env["KUBECONFIG"])
    core = client.CoreV1Api(api_client)
    rbac = client.RbacAuthorizationV1Api(api_client)

    def read_rbac(kind, name, namespace):
        reader = {
            "ClusterRole": lambda: rbac.read_cluster_role(name),
            "ClusterRoleBinding": lambda: rbac.read_cluster_role_binding(name),
            "Role": lambda: rbac.read_namespaced_role(name, namespace),
            "RoleBinding": lambda: rbac.read_namespaced_role_binding(name, namespace),
        }[kind]
        try:
            return reader()
        except client.exceptions.ApiException as e:
            if e.status == 404:
                return None
            raise

    def clean():
        deleters = [lambda: core.delete_namespaced_config_map("aws-auth", "kube-system")]
        for kind, name, namespace in RBAC:
            deleters.append({
                "ClusterRole": lambda n=name: rbac.delete_cluster_role(n),
                "ClusterRoleBinding": lambda n=name: rbac.delete_cluster_role_binding(n),
                "Role": lambda n=name, ns=namespace: rbac.delete_namespaced_role(n, ns),
                "RoleBinding": lambda n=name, ns=namespace: rbac.delete_namespaced_role_binding(n, ns),
            }[kind])
        for delete in deleters:
            try:
                delete()
            except client.exceptions.ApiException as e:
                if e.status != 404:
                    raise

    def aws_auth():
        try:
            return core.read_namespaced_config_map("aws-auth", "kube-system")
        except client.exceptions.ApiException as e:
            if e.status == 404:
                return None
            raise

    def creator_role():
        import boto3

        iam = boto3.client("iam")
        try:
            return iam.get_role(RoleName=CREATOR)["Role"]
        except iam.exceptions.NoSuchEntityException:
            return None

    def delete_creator():
        import boto3

        iam = boto3.client("iam")
        if creator_role() is None:
            return
        for name in iam.list_role_policies(RoleName=CREATOR)["PolicyNames"]:
            iam.delete_role_policy(RoleName=CREATOR, PolicyName=name)
        for policy in iam.list_attached_role_policies(RoleName=CREATOR)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=CREATOR, PolicyArn=policy["PolicyArn"])
        iam.delete_role(RoleName=CREATOR)

    def sso_entries():
        """The access entries of the SSO roles on the API cluster, principal ARN -> (username, policies)."""
        import boto3

        eks = boto3.client("eks")
        cluster = sandbox_env["EKS_API_CLUSTER_NAME"]
        found = {}
        for arn in eks.list_access_entries(clusterName=cluster)["accessEntries"]:
            if "AWSReservedSSO_" not in arn:
                continue
            entry = eks.describe_access_entry(clusterName=cluster, principalArn=arn)["accessEntry"]
            policies = eks.list_associated_access_policies(clusterName=cluster, principalArn=arn)
            found[arn] = (entry.get("username"), sorted(
                (p["policyArn"].rsplit("/", 1)[-1], tuple(p["accessScope"].get("namespaces") or ()))
                for p in policies["associatedAccessPolicies"]))
        return found

    def clean_sso_entries():
        import boto3

        eks = boto3.client("eks")
        for arn in sso_entries():
            eks.delete_access_entry(clusterName=sandbox_env["EKS_API_CLUSTER_NAME"], principalArn=arn)

    clean()
    delete_creator()
    clean_sso_entries()
    yield {"aws_auth": aws_auth, "rbac": lambda: [read_rbac(*item) for item in RBAC], "creator_role": creator_role,
           "sso_entries": sso_entries}
    clean()
    delete_creator()
    clean_sso_entries()


def site(env, *args, playbook="eks.access.site", host="sandbox"):
    argv = [env["ANSIBLE_PLAYBOOK"], "-i", SANDBOX_INVENTORY, playbook] + list(args)
    result = subprocess.run(argv, env=playbook_env(env), cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, check=False)
    assert result.returncode == 0, result.stdout[-20000:]
    recap = re.search(r"^%s\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)" % re.escape(host),
                      result.stdout, re.M)
    assert recap, result.stdout[-5000:]
    return result.stdout, int(recap.group(2))


def api_changed(out):
    recap = re.search(r"^%s\s+:\s+ok=(\d+)\s+changed=(\d+)" % re.escape(API_HOST), out, re.M)
    assert recap, out[-5000:]
    return int(recap.group(2))


def sso_session_review(env, role_arn, cluster, paths):
    """A real SSO session: assume the permission set's role through STS, mint an EKS token from its credentials,
    and ask the cluster who it is and what it may read: (SelfSubjectReview status and user, [status per path])."""
    import boto3
    import requests

    from ansible_collections.eks.access.plugins.module_utils.clients.eks_token import mint_token

    credentials = boto3.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="alice")["Credentials"]
    sts = boto3.client("sts", aws_access_key_id=credentials["AccessKeyId"],
                       aws_secret_access_key=credentials["SecretAccessKey"],
                       aws_session_token=credentials["SessionToken"])
    token = mint_token(sts, cluster)
    endpoint = boto3.client("eks").describe_cluster(name=cluster)["cluster"]["endpoint"]
    ca = os.path.join(env["EKS_SANDBOX_DIR"], "pki", "ca.crt")
    headers = {"Authorization": "Bearer " + token}
    review = requests.post(endpoint + "/apis/authentication.k8s.io/v1/selfsubjectreviews", headers=headers, verify=ca,
                           json={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}, timeout=10)
    user = review.json().get("status", {}).get("userInfo", {}) if review.status_code == 201 else {}
    return review.status_code, user, [requests.get(endpoint + p, headers=headers, verify=ca, timeout=10).status_code
                                      for p in paths]


def test_site_check_then_apply_then_nothing_to_do(sandbox_env, fresh_cluster):
    node_roles = sandbox_env["EKS_NODE_ROLE_ARNS"].split(",")

    # 1. --check --diff on a fresh cluster: the whole plan, nothing written.
    out, changed = site(sandbox_env, "--check", "--diff", "-e", "eks_access_hosts=" + DEMO_HOSTS)
    assert changed > 0 and api_changed(out) > 0
    for role in node_roles:
        assert "+- rolearn: %s" % role in out, "node mapping missing from the diff"
    assert "+- rolearn: arn:aws:iam::%s:role/my-console-viewer-role" % sandbox_env["AWS_ACCOUNT_ID"] in out
    assert "eks-console-dashboard-full-access-clusterrole" in out
    assert "EKSClusterAdminAccess: arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/%s" % (
        sandbox_env["AWS_ACCOUNT_ID"], SSO_ADMIN) in out
    assert fresh_cluster["aws_auth"]() is None, "check mode wrote aws-auth"
    assert fresh_cluster["creator_role"]() is None, "check mode created the cluster-creator role"
    assert fresh_cluster["rbac"]() == [None] * len(RBAC), "check mode wrote RBAC objects"
    assert fresh_cluster["sso_entries"]() == {}, "check mode wrote access entries"
    account = sandbox_env["AWS_ACCOUNT_ID"]
    admin_arn = "arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/%s" % (account, SSO_ADMIN)
    readonly_arn = "arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/eu-west-1/%s" % (account, SSO_READONLY)
    assert "+%s:" % readonly_arn in out, "the access entry is missing from the diff"

    # 2. The real run.
    out, changed = site(sandbox_env, "-e", "eks_access_hosts=" + DEMO_HOSTS)
    assert changed > 0 and api_changed(out) > 0
    cm = fresh_cluster["aws_auth"]()
    assert cm is not None
    assert all(obj is not None for obj in fresh_cluster["rbac"]())
    checked = subprocess.run([os.path.join(sandbox_env["SANDBOX_BIN"], "aws-auth-check")],
                             input=json.dumps(cm.data), capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    mappings = json.loads(checked.stdout)
    role_arns = [m["rolearn"] for m in mappings["mapRoles"]]
    assert role_arns[:len(node_roles)] == node_roles
    assert "arn:aws:iam::%s:role/my-console-viewer-role" % sandbox_env["AWS_ACCOUNT_ID"] in role_arns
    account = sandbox_env["AWS_ACCOUNT_ID"]
    # SSO roles are mapped without their aws-reserved path, the creator role trusts the path-ful ARN.
    assert "arn:aws:iam::%s:role/%s" % (account, SSO_ADMIN) in role_arns
    assert "arn:aws:iam::%s:role/%s" % (account, SSO_READONLY) in role_arns
    assert not [arn for arn in role_arns if "aws-reserved" in arn]
    creator = fresh_cluster["creator_role"]()
    trust = creator["AssumeRolePolicyDocument"]
    assert [s["Principal"]["AWS"] for s in trust["Statement"]] == [
        "arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/%s" % (account, SSO_ADMIN)]
    assert [m["userarn"] for m in mappings["mapUsers"]] == ["arn:aws:iam::%s:user/my-user" % sandbox_env["AWS_ACCOUNT_ID"]]

    # On the API cluster: access entries for the roles' real ARNs (path included), with the policies of the
    # inventory, and nothing in aws-auth (EKS ignores it there).
    assert fresh_cluster["sso_entries"]() == {
        admin_arn: ("sso-admin:{{SessionName}}", [("AmazonEKSClusterAdminPolicy", ())]),
        readonly_arn: ("sso-viewer:{{SessionName}}", [("AmazonEKSViewPolicy", ("default",))]),
    }
    assert "sso-viewer:{{SessionName}}, groups [], policies AmazonEKSViewPolicy on namespaces default" in out
    status, user, answers = sso_session_review(sandbox_env, readonly_arn, sandbox_env["EKS_API_CLUSTER_NAME"], [
        "/api/v1/namespaces/default/pods", "/api/v1/namespaces/kube-system/pods", "/api/v1/nodes"])
    assert (status, user.get("username"), answers) == (201, "sso-viewer:alice", [200, 403, 403])

    # 3. Again: nothing to do.
    resource_version = cm.metadata.resource_version
    out, changed = site(sandbox_env, "-e", "eks_access_hosts=" + DEMO_HOSTS)
    assert changed == 0 and api_changed(out) == 0, out[-20000:]
    assert fresh_cluster["aws_auth"]().metadata.resource_version == resource_version


def test_sso_sample_runs_first_and_then_quietly(sandbox_env, fresh_cluster):
    """eks.access.sso on the sample inventory needs no other playbook first, and an unchanged run warns nothing."""
    out, changed = site(sandbox_env, playbook="eks.access.sso")
    assert changed > 0
    bindings = {obj.metadata.name: obj for obj in fresh_cluster["rbac"]() if obj is not None}
    assert set(bindings) == {"eks-sso-cluster-admins", "eks-sso-viewers"}
    assert [(b.role_ref.name, [s.name for s in b.subjects]) for b in
            (bindings["eks-sso-cluster-admins"], bindings["eks-sso-viewers"])] == [
        ("cluster-admin", ["eks-sso-cluster-admins"]), ("view", ["eks-sso-viewers"])]
    mapped = {m["rolearn"]: m["groups"] for m in yaml.safe_load(fresh_cluster["aws_auth"]().data["mapRoles"])}
    account = sandbox_env["AWS_ACCOUNT_ID"]
    assert mapped["arn:aws:iam::%s:role/%s" % (account, SSO_ADMIN)] == ["eks-sso-cluster-admins"]
    assert mapped["arn:aws:iam::%s:role/%s" % (account, SSO_READONLY)] == ["eks-sso-viewers"]

    out, changed = site(sandbox_env, playbook="eks.access.sso")
    assert changed == 0, out[-20000:]
    assert "WARNING" not in out, out[-20000:]
