# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers of the reliability suite (`make reliability`, docs/reliability.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "bench"))

import apicount  # noqa: E402  pylint: disable=wrong-import-position,import-error
# NODE_USERNAME is re-exported for the tests, which import their helpers from conftest.
from aws_auth_state import NODE_USERNAME, AwsAuthState  # noqa: E402,F401  pylint: disable=wrong-import-position,import-error,unused-import


def figure(text):
    """Print a result line that `make reliability` shows (run with -s)."""
    print("\n[figure] %s" % text, flush=True)


@pytest.fixture(scope="session")
def env():
    if os.environ.get("KUBECONFIG") and os.environ.get("SANDBOX_AUDIT_LOG"):
        return dict(os.environ)
    try:
        return apicount.load_sandbox_env(REPO)
    except OSError:
        pytest.fail("the sandbox is not up: run `make reliability` (or `make sandbox`)")


@pytest.fixture(scope="session")
def core(env):
    from kubernetes import client, config

    return client.CoreV1Api(config.new_client_from_config(config_file=os.path.join(env["EKS_SANDBOX_DIR"],
                                                                                   "kubeconfig")))


@pytest.fixture
def aws_auth(env, core):
    state = AwsAuthState(env, core)
    state.reset()
    yield state
    state.delete()


def module_env(env):
    collections = os.path.join(env["EKS_SANDBOX_DIR"], "collections")
    return dict(env, PYTHONPATH=collections + os.pathsep + env.get("PYTHONPATH", ""),
                ANSIBLE_COLLECTIONS_PATH=collections)


def run_module(env, name, args, tmp_path, extra_env=None, timeout=600):
    """Run eks.access.<name> directly with ``args`` (no Jinja in between); returns (rc, result dict)."""
    args_file = tmp_path / ("%s-args.json" % name)
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    proc = subprocess.run([sys.executable, "-m", "ansible_collections.eks.access.plugins.modules." + name,
                           str(args_file)], env=dict(module_env(env), **(extra_env or {})),
                          capture_output=True, text=True, check=False, timeout=timeout)
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        result = {"failed": True, "msg": "not JSON", "stdout": proc.stdout[-3000:], "stderr": proc.stderr[-3000:]}
    return proc.returncode, result


def playbook_env(env):
    return dict(module_env(env), ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
                ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")


def playbook_text(tasks):
    return textwrap.dedent("""\
        - hosts: localhost
          connection: local
          gather_facts: false
          vars:
            ansible_python_interpreter: "{python}"
          tasks:
        """).format(python=sys.executable) + textwrap.indent(textwrap.dedent(tasks), "    ")


def start_playbook(env, text, work, extra_vars=None):
    """Popen of ansible-playbook on ``text`` written to ``work``; output in work/out.log."""
    playbook = work / "playbook.yml"
    playbook.write_text(text)
    argv = [env.get("ANSIBLE_PLAYBOOK", "ansible-playbook"), "-i", "localhost,", str(playbook)]
    if extra_vars is not None:
        (work / "vars.json").write_text(json.dumps(extra_vars))
        argv += ["-e", "@" + str(work / "vars.json")]
    log = open(work / "out.log", "w")
    return subprocess.Popen(argv, env=playbook_env(env), stdout=log, stderr=subprocess.STDOUT, text=True)


def role_mappings(account, prefix, count):
    return [{"rolearn": "arn:aws:iam::%s:role/%s-%02d" % (account, prefix, n), "username": "%s-%02d" % (prefix, n),
             "groups": ["%s" % prefix]} for n in range(count)]
