# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""aws-auth -> access entries, killed at each step and re-run to completion, nobody locked out.

``ansible-playbook eks.access.migrate_to_access_entries`` (target mode API,
aws-auth backed up and removed) is started on the sandbox's CONFIG_MAP
cluster and killed with SIGKILL to its whole process group (a lost CI runner,
a cancelled AWX job) shortly after it starts each step - plan, apply (the mode
switch and the writes), verify, finalize (backup, switch to API, removal) -
then run again.  After every kill, the test's own judge asks the API server,
with a token of an STS session of each mapped role and of the play's own
identity, who they are: the same username and groups as aws-auth gave
(``system:masters`` may only have become the admin policy, still admin), and
the node roles keep an entry once aws-auth no longer counts.  A last run
without a kill must finish with the cluster in API, aws-auth gone and
everyone still in.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import time
import urllib.request

import pytest

from figures import figure
from playbook_runs import REPO, SANDBOX_INVENTORY, start_killable

NODE_USERNAME = "system:node:{{EC2PrivateDNSName}}"
# (step task name prefix, seconds after its header appears): where each run is killed.
KILL_POINTS = [("Step 1", 0.5), ("Step 2", 0.2), ("Step 2", 2.0), ("Step 3", 0.5), ("Step 4", 0.2),
               ("Step 4", 2.0), ("Step 4", 4.0)]
TRUST = {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
SESSION = "reliability"


def playbook(env, *args):
    return start_killable(env, [env["ANSIBLE_PLAYBOOK"], "eks.access.migrate_to_access_entries", "-i",
                                SANDBOX_INVENTORY] + list(args))


def run_until(env, args, step, delay):
    """Run the playbook and SIGKILL it ``delay`` s after the task header of ``step``; (killed, output)."""
    process = playbook(env, *args)
    lines = []
    marker = "TASK [eks.access.access_entry_migration : %s" % step
    for line in process.stdout:
        lines.append(line)
        if line.startswith(marker):
            time.sleep(delay)
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:  # it finished within the delay
                pass
            process.communicate()
            return process.returncode == -signal.SIGKILL, "".join(lines)
    process.wait()
    return False, "".join(lines) + "\nrc=%d" % process.returncode


@pytest.fixture(scope="module")
def eks_token():
    sys.path.insert(0, os.path.join(REPO, ".sandbox", "collections"))
    from ansible_collections.eks.access.plugins.module_utils.clients.eks_token import mint_token

    return mint_token


class Judge:
    """Who each principal is on the cluster, asked with its own token."""

    def __init__(self, env, cluster, mint_token):
        import boto3

        self.env = env
        self.cluster = cluster
        self.mint_token = mint_token
        self.sts = boto3.client("sts")
        self.eks = boto3.client("eks")
        described = self.eks.describe_cluster(name=cluster)["cluster"]
        self.endpoint = described["endpoint"]
        import base64

        handle, self.ca_path = tempfile.mkstemp(suffix=".crt")
        with os.fdopen(handle, "wb") as f:
            f.write(base64.b64decode(described["certificateAuthority"]["data"]))

    def _client(self, credentials=None):
        import boto3

        if credentials is None:
            return self.sts
        return boto3.client("sts", aws_access_key_id=credentials["AccessKeyId"],
                            aws_secret_access_key=credentials["SecretAccessKey"],
                            aws_session_token=credentials["SessionToken"])

    def _post(self, token, path, body):
        import ssl

        request = urllib.request.Request(self.endpoint + path, data=json.dumps(body).encode(), method="POST",
                                         headers={"Authorization": "Bearer " + token,
                                                  "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=self.ca_path),
                                        timeout=20) as response:
                return json.load(response)
        except urllib.error.HTTPError as e:
            return {"error": e.code}

    def who(self, role_arn=None):
        credentials = None
        if role_arn:
            credentials = self.sts.assume_role(RoleArn=role_arn, RoleSessionName=SESSION)["Credentials"]
        token = self.mint_token(self._client(credentials), self.cluster)
        review = self._post(token, "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                            {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
        if "error" in review:
            return {"error": review["error"]}
        user = review["status"]["userInfo"]
        access = self._post(token, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
            "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": {"verb": "*", "group": "*", "resource": "*"}}})
        return {"username": user.get("username"),
                "groups": sorted(set(user.get("groups") or []) - {"system:authenticated", "system:masters"}),
                "admin": bool((access.get("status") or {}).get("allowed"))}


def reset(env, cluster, core):
    url = "%s/_sandbox/eks/access/%s/%s/reset" % (env["AWS_ENDPOINT_URL"], env["AWS_REGION"], cluster)
    request = urllib.request.Request(url, data=json.dumps({"authenticationMode": "CONFIG_MAP"}).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=20):
        pass
    from kubernetes import client

    for name in ("aws-auth", "aws-auth-before-access-entries"):
        try:
            core.delete_namespaced_config_map(name, "kube-system")
        except client.exceptions.ApiException as e:
            if e.status != 404:
                raise


def test_migration_killed_at_each_step_converges_with_nobody_locked_out(env, core, eks_token):
    import boto3
    from kubernetes import client

    iam = boto3.client("iam")
    eks = boto3.client("eks")
    cluster = env["EKS_CONFIG_MAP_CLUSTER_NAME"]
    account = env["AWS_ACCOUNT_ID"]
    node_roles = env["EKS_NODE_ROLE_ARNS"].split(",")
    roles = {"ops": ("mig-rel-ops", "/"), "dev": ("mig-rel-dev", "/teams/")}
    real = {}
    for label, (name, path) in roles.items():
        try:
            real[label] = iam.get_role(RoleName=name)["Role"]["Arn"]
        except iam.exceptions.NoSuchEntityException:
            real[label] = iam.create_role(RoleName=name, Path=path,
                                          AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    expected = {"ops": {"username": "ops", "groups": ["oncall"], "admin": True},
                "dev": {"username": "dev:" + SESSION, "groups": ["developers"], "admin": False}}
    map_roles = "".join(
        "- rolearn: %s\n  username: %s\n  groups: [system:bootstrappers, system:nodes]\n" % (arn, NODE_USERNAME)
        for arn in node_roles)
    map_roles += ("- rolearn: arn:aws:iam::%s:role/mig-rel-ops\n  username: ops\n  groups: [system:masters, oncall]\n"
                  "- rolearn: arn:aws:iam::%s:role/mig-rel-dev\n  username: dev:{{SessionName}}\n"
                  "  groups: [developers]\n" % (account, account))
    reset(env, cluster, core)
    core.create_namespaced_config_map("kube-system", client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="aws-auth", namespace="kube-system"), data={"mapRoles": map_roles}))
    backup_dir = tempfile.mkdtemp(prefix="mig-rel-")
    args = ["-e", "eks_cluster_name=%s" % cluster, "-e", "access_entry_migration_target_mode=API",
            "-e", "access_entry_migration_k8s_auth=eks_token", "-e", "access_entry_migration_verify_tokens=true",
            "-e", "access_entry_migration_backup_dir=%s" % backup_dir,
            "-e", "access_entry_migration_backup_configmap=aws-auth-before-access-entries",
            "-e", "access_entry_migration_remove_aws_auth=true",
            # Every run of this test is the same operation resumed: a killed run's Lease is its own, so the next run
            # renews it at once instead of waiting for it to expire (as an operator resuming a run would).
            "-e", "access_entry_migration_lease_holder=reliability run of %s" % cluster]
    judge = Judge(env, cluster, eks_token)
    lockouts, kills, modes = [], 0, []

    def look(when):
        for label, arn in real.items():
            seen = judge.who(arn)
            if seen != expected[label]:
                lockouts.append((when, label, seen))
        caller = judge.who()
        if not caller.get("admin"):
            lockouts.append((when, "caller", caller))
        mode = eks.describe_cluster(name=cluster)["cluster"]["accessConfig"]["authenticationMode"]
        modes.append(mode)
        if mode == "API":
            entries = eks.list_access_entries(clusterName=cluster)["accessEntries"]
            missing = [arn for arn in node_roles if arn not in entries]
            if missing:
                lockouts.append((when, "node roles without an entry in API mode", missing))

    try:
        before = {label: judge.who(arn) for label, arn in real.items()}
        assert before["ops"]["admin"] and before["dev"] == expected["dev"], before
        for step, delay in KILL_POINTS:
            killed, out = run_until(env, args, step, delay)
            kills += killed
            time.sleep(1)  # let in-flight calls land before looking
            look("killed %.1f s into %s" % (delay, step) if killed else "run finished before %s" % step)
        finished, out = run_until(env, args, "no such step", 0)
        assert not finished and out.endswith("rc=0"), out[-15000:]
        look("final run")
        final_mode = eks.describe_cluster(name=cluster)["cluster"]["accessConfig"]["authenticationMode"]
        try:
            core.read_namespaced_config_map("aws-auth", "kube-system")
            aws_auth_left = True
        except client.exceptions.ApiException as e:
            assert e.status == 404
            aws_auth_left = False
        backup = json.load(open(os.path.join(backup_dir, "%s-aws-auth.json" % cluster)))
        figure("aws-auth -> access entries: killed %d times (each step, %d kill points), then finished; modes seen "
               "after the kills %s; lockouts %d; final mode %s, aws-auth removed: %s" % (
                   kills, len(KILL_POINTS), modes, len(lockouts), final_mode, not aws_auth_left))
        assert lockouts == [], lockouts
        assert final_mode == "API" and not aws_auth_left
        assert backup["data"]["mapRoles"] == map_roles
    finally:
        reset(env, cluster, core)
