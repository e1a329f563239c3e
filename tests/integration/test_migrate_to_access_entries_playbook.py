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
import os
import urllib.request

from conftest import recap, run_sandbox_playbook  # pylint: disable=import-error

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INVENTORY = os.path.join(REPO, "playbooks", "inventory", "sandbox.yml")
TRUST = {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}


def run(env, *args):
    argv = [env.get("ANSIBLE_PLAYBOOK", "ansible-playbook"), "eks.access.migrate_to_access_entries", "-i", INVENTORY,
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
