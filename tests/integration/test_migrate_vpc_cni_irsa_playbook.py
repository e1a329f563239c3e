# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``ansible-playbook eks.access.migrate_vpc_cni_irsa`` itself, as an operator runs it.

Against the sandbox inventory (one cluster, the IPv4 ``sandbox``): ``--check
--diff`` prints the plan and changes nothing; a run migrates; a second run
reports no change in the PLAY RECAP; a rollback with role deletion puts the
sandbox back as seeded.
"""

from __future__ import annotations


import pytest

from playbook_runs import SANDBOX_INVENTORY, recap, run_sandbox_playbook

CNI_POLICY = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"


def run(env, *args):
    argv = [env.get("ANSIBLE_PLAYBOOK", "ansible-playbook"), "eks.access.migrate_vpc_cni_irsa", "-i", SANDBOX_INVENTORY,
            "-e", "vpc_cni_irsa_restart_timeout=180"] + list(args)
    return run_sandbox_playbook(env, argv)


@pytest.fixture
def clients(sandbox_env):
    import boto3
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=sandbox_env["KUBECONFIG"])
    return boto3.client("iam"), client.CoreV1Api(api)


def state(iam, core, node_roles):
    sa = core.read_namespaced_service_account("aws-node", "kube-system")
    pods = [p for p in core.list_namespaced_pod("kube-system", label_selector="k8s-app=aws-node").items
            if not p.metadata.deletion_timestamp]
    return {
        "annotation": (sa.metadata.annotations or {}).get("eks.amazonaws.com/role-arn"),
        "pods": sorted(p.metadata.name for p in pods),
        "role_env": sorted({e.value for p in pods for c in p.spec.containers for e in c.env or []
                            if e.name == "AWS_ROLE_ARN"}),
        "cni_on": sorted(r for r in node_roles
                         if CNI_POLICY in [a["PolicyArn"] for a in
                                           iam.list_attached_role_policies(RoleName=r)["AttachedPolicies"]]),
    }


def test_playbook_check_run_rerun_rollback(sandbox_env, clients):
    iam, core = clients
    node_roles = [arn.split("/")[-1] for arn in sandbox_env["EKS_NODE_ROLE_ARNS"].split(",")]
    role_arn = "arn:aws:iam::%s:role/AmazonEKSVPCCNIRole" % sandbox_env["AWS_ACCOUNT_ID"]
    before = state(iam, core, node_roles)
    assert before["annotation"] is None and before["role_env"] == [] and before["cni_on"] == sorted(node_roles)
    try:
        out = run(sandbox_env, "--check", "--diff")
        assert "Plan (check mode: nothing was changed) for sandbox" in out
        for needle in (role_arn, "eks.amazonaws.com/role-arn", "rolling restart", CNI_POLICY, node_roles[0]):
            assert needle in out
        assert "-        \"%s\"" % CNI_POLICY in out  # the node role diff
        assert state(iam, core, node_roles) == before

        out = run(sandbox_env)
        assert recap(out)["changed"] > 0
        migrated = state(iam, core, node_roles)
        assert migrated["annotation"] == role_arn
        assert migrated["role_env"] == [role_arn]
        assert not set(migrated["pods"]) & set(before["pods"])
        assert migrated["cni_on"] == []

        out = run(sandbox_env)
        assert recap(out)["changed"] == 0
        assert state(iam, core, node_roles) == migrated
    finally:
        run(sandbox_env, "-e", "vpc_cni_irsa_rollback=true", "-e", "vpc_cni_irsa_rollback_delete_role=true")
        issuer = sandbox_env["EKS_OIDC_ISSUER"].replace("https://", "")
        for provider in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
            if provider["Arn"].endswith("oidc-provider/" + issuer):
                iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=provider["Arn"])
    after = state(iam, core, node_roles)
    assert after["annotation"] is None and after["role_env"] == [] and after["cni_on"] == sorted(node_roles)
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName="AmazonEKSVPCCNIRole")
