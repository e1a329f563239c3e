# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Several playbooks editing aws-auth at the same moment lose nothing.

Each playbook adds its own role mappings; they start together against a
cluster without aws-auth, so they race both on the create and on the
resourceVersion-guarded replaces.  Afterwards every entry must be there, and
aws-iam-authenticator's own parser must read the result.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from aws_auth_state import authenticator_view, delete_aws_auth
from playbook_runs import localhost_play, playbook_env

PLAYBOOKS = 4
ROLES_EACH = 5


@pytest.fixture
def core_api(sandbox_env):
    from kubernetes import client, config

    api = client.CoreV1Api(config.new_client_from_config(config_file=sandbox_env["KUBECONFIG"]))
    delete_aws_auth(api)
    yield api
    delete_aws_auth(api)


def playbook(index, account, python):
    roles = [{"rolearn": "arn:aws:iam::%s:role/race-%d-%d" % (account, index, n), "groups": ["team-%d" % index]}
             for n in range(ROLES_EACH)]
    return localhost_play("""\
        - eks.access.aws_auth_mapping:
            kubeconfig: "{{ lookup('env', 'KUBECONFIG') }}"
            roles: %s
        """ % json.dumps(roles), python)


def test_parallel_playbooks_keep_every_entry(sandbox_env, core_api, tmp_path):
    import sys

    account = sandbox_env["AWS_ACCOUNT_ID"]
    procs = []
    for index in range(PLAYBOOKS):
        work = tmp_path / ("p%d" % index)
        work.mkdir()
        (work / "playbook.yml").write_text(playbook(index, account, sys.executable))
        env = playbook_env(sandbox_env)
        procs.append(subprocess.Popen(
            [sandbox_env.get("ANSIBLE_PLAYBOOK", "ansible-playbook"), "-i", "localhost,", str(work / "playbook.yml")],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    for proc, out in zip(procs, outputs):
        assert proc.returncode == 0, out[-5000:]

    data = core_api.read_namespaced_config_map("aws-auth", "kube-system").data
    arns = [m["rolearn"] for m in authenticator_view(sandbox_env, data)["mapRoles"]]
    expected = {"arn:aws:iam::%s:role/race-%d-%d" % (account, i, n) for i in range(PLAYBOOKS) for n in range(ROLES_EACH)}
    assert set(arns) == expected
    assert len(arns) == len(expected)  # no duplicates either
