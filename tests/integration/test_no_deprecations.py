# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""No DEPRECATION warning from the collection's own code on ansible-core 2.19.

Module warnings: amazon.aws 10.x's AnsibleAWSModule hands the warnings it saw
to exit_json as ``warnings=``, which ansible-core 2.19 reports as deprecated
after every warning; AnsibleEKSAccessModule warns through AnsibleModule.warn
only. Inventory: amazon.aws 10.x templates options with ``disable_lookups``
(amazon.aws issue 2863); eks_clusters templates them without it.

Each module with a warning runs once so that it warns (in check mode where it
would write); the run must show every warning and no DEPRECATION line.
"""

from __future__ import annotations

import os
import re
import subprocess
import textwrap

import boto3
import pytest

from playbook_runs import playbook_env

PROBE_POLICY = "eks-access-deprecation-probe"


@pytest.fixture()
def odd_ipv6_policy(sandbox_env):
    """A customer managed policy whose document is not the EKS guide's IPv6 CNI policy."""
    iam = boto3.client("iam")
    arn = "arn:aws:iam::%s:policy/%s" % (sandbox_env["AWS_ACCOUNT_ID"], PROBE_POLICY)
    try:
        iam.delete_policy(PolicyArn=arn)
    except iam.exceptions.NoSuchEntityException:
        pass
    iam.create_policy(PolicyName=PROBE_POLICY, PolicyDocument='{"Version": "2012-10-17", "Statement": '
                      '[{"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"}]}')
    yield PROBE_POLICY
    iam.delete_policy(PolicyArn=arn)


def _run(argv, env):
    env = dict(playbook_env(env), ANSIBLE_DEPRECATION_WARNINGS="1", ANSIBLE_ACTION_WARNINGS="1")
    return subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)


def test_module_warnings_come_without_deprecation(sandbox_env, odd_ipv6_policy, tmp_path):
    account = sandbox_env["AWS_ACCOUNT_ID"]
    playbook = tmp_path / "warnings.yml"
    playbook.write_text(textwrap.dedent("""\
        - hosts: localhost
          connection: local
          gather_facts: false
          module_defaults:
            group/eks.access.all:
              cluster_name: "{cluster}"
            group/eks.access.kubernetes:
              kubeconfig: "{kubeconfig}"
          tasks:
            - name: aws_auth_mapping warns about the role path it strips
              eks.access.aws_auth_mapping:
                roles:
                  - rolearn: arn:aws:iam::{account}:role/teams/deprecation-probe
                    username: deprecation-probe
                    groups: [deprecation-probe]
              check_mode: true

            - name: eks_sso_role warns about system:masters
              eks.access.eks_sso_role:
                permission_set: EKSClusterAdminAccess
                username: "sso-admin:{{{{ '{{{{SessionName}}}}' }}}}"
                groups: [system:masters]
              check_mode: true

            - name: node_role_policy warns about a node role it skips
              eks.access.node_role_policy:
                policy_arn: arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy
                discover: []
                node_roles: [eks-access-no-such-node-role]
                state: absent
              check_mode: true

            - name: vpc_cni_policy warns about an IPv6 policy that differs from the guide's
              eks.access.vpc_cni_policy:
                ip_family: ipv6
                ipv6_policy_name: {policy}
        """).format(cluster=sandbox_env["EKS_CLUSTER_NAME"], kubeconfig=sandbox_env["KUBECONFIG"], account=account,
                    policy=odd_ipv6_policy))
    result = _run([sandbox_env["ANSIBLE_PLAYBOOK"], "-i", "localhost,", str(playbook)], sandbox_env)
    out = result.stdout
    assert result.returncode == 0, out[-20000:]
    warnings = re.findall(r"^\[WARNING\]: (.*)$", out, re.M)
    expected = [r"role path", r"system:masters", r"eks-access-no-such-node-role skipped",
                r"%s exists with a document that differs" % PROBE_POLICY]
    for pattern in expected:
        assert [w for w in warnings if re.search(pattern, w)], "no warning matching %r in:\n%s" % (pattern, out)
    deprecations = re.findall(r"^\[DEPRECATION WARNING\]:.*$", out, re.M)
    assert not deprecations, out


def test_inventory_plugin_parses_without_deprecation(sandbox_env, tmp_path):
    source = tmp_path / "probe.eks_clusters.yml"
    # regions is one of the options amazon.aws templates (with disable_lookups on 10.x).
    source.write_text("plugin: eks.access.eks_clusters\nregions: [\"{{ '%s' }}\"]\n" % sandbox_env["AWS_REGION"])
    argv = [os.path.join(os.path.dirname(sandbox_env["ANSIBLE_PLAYBOOK"]), "ansible-inventory"),
            "-i", str(source), "--list"]
    result = _run(argv, dict(sandbox_env, ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED="1"))
    assert result.returncode == 0, result.stdout
    assert sandbox_env["EKS_CLUSTER_NAME"] in result.stdout
    assert "DEPRECATION" not in result.stdout, result.stdout
