# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``ansible-playbook eks.access.migrate_to_access_entries`` itself, as an operator runs it.

Against the sandbox inventory (the CONFIG_MAP cluster ``sandbox`` with an
aws-auth mapping its node roles and an admin role): ``--check --diff`` prints
the plan and changes nothing; a run migrates; a second run reports no change
in the PLAY RECAP; a rollback deletes the migration's entries. The
scenarios (SSO paths, duplicates, finalize...) are the integration target
migrate_access_entries; the cluster is put back to CONFIG_MAP without aws-auth.
"""

from __future__ import annotations

import json
import urllib.request

from playbook_runs import SANDBOX_INVENTORY, recap, run_sandbox_playbook

TRUST = {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}


def run(env, *args):
    argv = [env.get("ANSIBLE_PLAYBOOK", "ansible-playbook"), "eks.access.migrate_to_access_entries", "-i", SANDBOX_INVENTORY,
            "-e", "eks_cluster_name=%s" % env["EKS_CONFIG_MAP_CLUSTER_NAME"],
            "-e", "access_entry_migration_k8s_auth=eks_token"] + list(args)
    return run_sandbox_playbook(env, argv)


def reset(env, core):
    from kubernetes import client

    url = "%s/_sandbox/eks/access/%s/%s/reset" % (env["AWS_ENDPOINT_URL"], env["AWS_REGION"],
                                                  env["EKS_CONFIG_MAP_CLUSTER_NAME"])
    request = urllib.request.Request(url, data=json.dumps({"authenticationMode": "CONFIG_MAP"}).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=20):
        pass
    try:
        core.delete_namespaced_config_map("aws-auth", "kube-system")
    except client.exceptions.ApiException as e:
        if e.status != 404:
            raise


def test_playbook_check_run_rerun_rollback(sandbox_env):
    import boto3
    from kubernetes import client, config

    core = client.CoreV1Api(config.new_client_from_config(config_file=sandbox_env["KUBECONFIG"]))
    eks, iam = boto3.client("eks"), boto3.client("iam")
    cluster = sandbox_env["EKS_CONFIG_MAP_CLUSTER_NAME"]
    node_roles = sandbox_env["EKS_NODE_ROLE_ARNS"].split(",")
    try:
        admin = iam.get_role(RoleName="mig-pb-admin")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        admin = iam.create_role(RoleName="mig-pb-admin", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    map_roles = "".join("- rolearn: %s\n  username: system:node:{{EC2PrivateDNSName}}\n"
                        "  groups: [system:bootstrappers, system:nodes]\n" % arn for arn in node_roles)
    map_roles += "- rolearn: %s\n  username: admin\n  groups: [system:masters, platform]\n" % admin

    def mode():
        return eks.describe_cluster(name=cluster)["cluster"]["accessConfig"]["authenticationMode"]

    reset(sandbox_env, core)
    core.create_namespaced_config_map("kube-system", client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="aws-auth", namespace="kube-system"), data={"mapRoles": map_roles}))
    try:
        out = run(sandbox_env, "--check", "--diff")
        assert admin in out and '"create": 3' in out and "Step 1 - the plan" in out, out[-5000:]
        assert mode() == "CONFIG_MAP"

        out = run(sandbox_env)
        assert recap(out)["changed"] > 0
        assert mode() == "API_AND_CONFIG_MAP"
        entries = eks.list_access_entries(clusterName=cluster)["accessEntries"]
        assert admin in entries and all(arn in entries for arn in node_roles)
        entry = eks.describe_access_entry(clusterName=cluster, principalArn=admin)["accessEntry"]
        assert entry["kubernetesGroups"] == ["platform"] and entry["username"] == "admin"
        assert entry["tags"] == {"eks.access/migrated-from": "aws-auth"}

        out = run(sandbox_env)
        assert recap(out)["changed"] == 0, out[-5000:]

        out = run(sandbox_env, "-e", "access_entry_migration_rollback=true")
        assert recap(out)["changed"] == 1
        entries = eks.list_access_entries(clusterName=cluster)["accessEntries"]
        assert admin not in entries and all(arn in entries for arn in node_roles)
        assert core.read_namespaced_config_map("aws-auth", "kube-system").data == {"mapRoles": map_roles}
    finally:
        reset(sandbox_env, core)


# --------------------------------------------------------------------------- one operation at a time, and the nodes

GUARD_PLAY = """
- name: The switch to API on a cluster whose self-managed node role has no node entry
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Switch to API
      eks.access.eks_authentication_mode:
        cluster_name: "{{ cluster }}"
        mode: API
        k8s_auth: eks_token
        wait_timeout: 120
      register: switched
      ignore_errors: true

    - name: Refused, naming the node role and the opt-in
      ansible.builtin.assert:
        that:
          - switched is failed
          - ('node role ' ~ node_role ~ ' (aws-auth mapRoles[1]) has no access entry of a node type') in switched.msg
          - switched.msg is search('allow_node_lockout')
          - switched.node_lockouts | map(attribute='principal_arn') | list == [node_role]
        fail_msg: "{{ switched | to_json }}"
"""


def _start(env, argv):
    import subprocess

    from playbook_runs import playbook_env

    return subprocess.Popen(argv, env=playbook_env(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_a_rollback_while_finalize_holds_the_lease_is_refused_and_nodes_keep_the_cluster(sandbox_env, tmp_path):
    """Two operators on one cluster: finalize (to API, aws-auth removed) is in its mode switch when a rollback
    starts. The rollback is refused by the Lease, naming the finalize; finalize ends; the admin role and the
    self-managed node role still get in with real tokens. Before that, the switch to API alone is refused while the
    node role has no node entry (it would turn the node's 201 into 401)."""
    import time

    import boto3
    from test_sandbox_access_entries import Kube, session_token  # pylint: disable=import-error

    env = sandbox_env
    cluster = env["EKS_API_AND_CONFIG_MAP_CLUSTER_NAME"]
    session = boto3.session.Session(region_name=env["AWS_REGION"])
    aws = {name: session.client(name, endpoint_url=env["AWS_ENDPOINT_URL"]) for name in ("eks", "iam", "sts", "ec2")}
    kube = Kube(env, cluster)
    roles = {}
    for name in ("mig-race-admin", "mig-race-node"):
        try:
            roles[name] = aws["iam"].get_role(RoleName=name)["Role"]["Arn"]
        except aws["iam"].exceptions.NoSuchEntityException:
            roles[name] = aws["iam"].create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))[
                "Role"]["Arn"]
    admin, node = roles["mig-race-admin"], roles["mig-race-node"]
    image = aws["ec2"].describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = aws["ec2"].run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    map_roles = ("- rolearn: %s\n  username: admin\n  groups: [system:masters]\n"
                 "- rolearn: %s\n  username: system:node:{{EC2PrivateDNSName}}\n"
                 "  groups: [system:bootstrappers, system:nodes]\n" % (admin, node))
    cm_path = "/api/v1/namespaces/kube-system/configmaps"
    lease_path = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/eks-access-access-entry-migration"

    def reset(seconds):
        url = "%s/_sandbox/eks/access/%s/%s/reset" % (env["AWS_ENDPOINT_URL"], env["AWS_REGION"], cluster)
        body = json.dumps({"authenticationMode": "API_AND_CONFIG_MAP", "modeUpdateSeconds": seconds}).encode()
        request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=20):
            pass
        for path in (cm_path + "/aws-auth", cm_path + "/aws-auth-race-backup", lease_path):
            kube.admin("DELETE", path, ok=(200, 404))

    def who(role, session_name):
        status, user = kube.whoami(session_token(aws, env, role, cluster, session=session_name))
        return status, (user or {}).get("username")

    def playbook(*extra):
        return [env.get("ANSIBLE_PLAYBOOK", "ansible-playbook"), "eks.access.migrate_to_access_entries", "-i",
                SANDBOX_INVENTORY, "-e", "eks_cluster_name=%s" % cluster, "-e", "access_entry_migration_k8s_auth=eks_token"
                ] + list(extra)

    # Each mode update takes 12 s here, as EKS's take minutes: the window in which the second run starts.
    reset(12)
    try:
        kube.admin("POST", cm_path, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
            "name": "aws-auth", "namespace": "kube-system"}, "data": {"mapRoles": map_roles}})
        assert who(admin, "ops") == (201, "admin")
        assert who(node, instance)[0] == 201

        # The switch to API alone: refused, the node role named (today: switched, and the node gets 401).
        play = tmp_path / "guard.yml"
        play.write_text(GUARD_PLAY)
        run_sandbox_playbook(env, [env.get("ANSIBLE_PLAYBOOK", "ansible-playbook"), str(play), "-e",
                                   "cluster=%s" % cluster, "-e", "node_role=%s" % node])
        cluster_now = aws["eks"].describe_cluster(name=cluster)["cluster"]
        assert (cluster_now["status"], cluster_now["accessConfig"]["authenticationMode"]) == (
            "ACTIVE", "API_AND_CONFIG_MAP")
        assert who(node, instance)[0] == 201

        # The whole migration to API in the background (apply gives the admin and the node their entries, then
        # finalize); once EKS is switching the mode (the run holds the Lease), a rollback starts.
        first = _start(env, playbook("-e", "access_entry_migration_target_mode=API", "-e",
                                     "access_entry_migration_backup_dir=%s" % tmp_path, "-e",
                                     "access_entry_migration_backup_configmap=aws-auth-race-backup", "-e",
                                     "access_entry_migration_remove_aws_auth=true"))
        try:
            deadline = time.monotonic() + 300
            while aws["eks"].describe_cluster(name=cluster)["cluster"]["status"] != "UPDATING":
                assert first.poll() is None and time.monotonic() < deadline, first.stdout.read()[-5000:]
                time.sleep(0.2)
            holder = kube.admin("GET", lease_path)["spec"]["holderIdentity"]
            assert holder.startswith("migration to API of %s by " % cluster)
            second = _start(env, playbook("-e", "access_entry_migration_rollback=true"))
            out_second = second.communicate(timeout=300)[0]
        finally:
            out_first = first.communicate(timeout=300)[0]
        assert second.returncode != 0, out_second[-5000:]
        assert "Refusing the rollback step on cluster %s, nothing was changed: another run holds Lease " \
               "kube-system/eks-access-access-entry-migration: %s" % (cluster, holder) in out_second, out_second[-5000:]
        assert "delete the Lease or wait until it expires" in out_second
        assert first.returncode == 0 and recap(out_first)["failed"] == 0, out_first[-8000:]

        # API, aws-auth gone (kept in the backups), the entries there: the admin and the node still get in.
        assert aws["eks"].describe_cluster(name=cluster)["cluster"]["accessConfig"]["authenticationMode"] == "API"
        assert kube.request("GET", cm_path + "/aws-auth", kube.admin_token)[0] == 404
        entries = aws["eks"].list_access_entries(clusterName=cluster)["accessEntries"]
        assert admin in entries and node in entries
        assert who(admin, "ops") == (201, "admin")
        status, username = who(node, instance)
        assert status == 201 and username.startswith("system:node:"), (status, username)
        assert kube.request("GET", lease_path, kube.admin_token)[1]["spec"].get("holderIdentity") is None
    finally:
        reset(0)
        aws["ec2"].terminate_instances(InstanceIds=[instance])
        for name in roles:
            aws["iam"].delete_role(RoleName=name)
