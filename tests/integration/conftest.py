# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os
import re
import subprocess

import pytest


@pytest.fixture(scope="session")
def sandbox_env():
    """The environment .sandbox/env exports; integration tests need the sandbox up."""
    if not os.environ.get("KUBECONFIG") or not os.environ.get("AWS_ENDPOINT_URL"):
        pytest.fail("the sandbox environment is not loaded: run `make sandbox` and source .sandbox/env")
    return dict(os.environ)


def playbook_env(env):
    """Environment for an ansible-playbook run in tests: plain output, no retry files."""
    return dict(env, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
                ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")


def run_sandbox_playbook(env, argv, timeout=900):
    """Run ``argv`` (an ansible-playbook command) with playbook_env; it must succeed. Returns its output."""
    result = subprocess.run(argv, env=playbook_env(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            check=False, timeout=timeout)
    assert result.returncode == 0, result.stdout[-15000:]
    return result.stdout


def recap(output, host="sandbox"):
    """The PLAY RECAP counts of ``host``: ok, changed, unreachable, failed."""
    match = re.search(r"^%s\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)" % re.escape(host),
                      output, re.M)
    assert match, output[-3000:]
    return dict(zip(("ok", "changed", "unreachable", "failed"), map(int, match.groups())))
