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
import os
import subprocess
import textwrap

import pytest

from conftest import playbook_env  # pylint: disable=import-error

PLAYBOOKS = 4
ROLES_EACH = 5


@pytest.fixture
def core_api(sandbox_env):
    from kubernetes import client, config

    api = client.CoreV1Api(config.new_client_from_config(config_file=sandbox_env["KUBECONFIG"]))

    def delete():
        try:
            api.delete_namespaced_config_map("aws-auth", "kube-system")
        except client.exceptions.ApiException as e:
            if e.status != 404:
                raise

    delete()
    yield api
    delete()


def playbook(index, account, python):
    roles = [{"rolearn": "arn:aws:iam::%s:role/race-%d-%d" % (account, index, n), "groups": ["team-%d" % index]}
             for n in range(ROLES_EACH)]
    return textwrap.dedent("""\
        - hosts: localhost
          connection: local
          gather_facts: false
          vars:
            ansible_python_interpreter: "{python}"
          tasks:
            - eks.access.aws_auth_mapping:
                kubeconfig: "{{{{ lookup('env', 'KUBECONFIG') }}}}"
                roles: {roles}
        """).format(python=python, roles=json.dumps(roles))


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
    checker = subprocess.run([os.path.join(sandbox_env["SANDBOX_BIN"], "aws-auth-check")],
                             input=json.dumps(data), capture_output=True, text=True, check=False)
    assert checker.returncode == 0, checker.stderr
    arns = [m["rolearn"] for m in json.loads(checker.stdout)["mapRoles"]]
    expected = {"arn:aws:iam::%s:role/race-%d-%d" % (account, i, n) for i in range(PLAYBOOKS) for n in range(ROLES_EACH)}
    assert set(arns) == expected
    assert len(arns) == len(expected)  # no duplicates either
