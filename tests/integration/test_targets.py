# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run every integration target through ansible-playbook against the sandbox.

A target is a role under ``targets/`` (the ansible-test layout: ``aliases`` and
``tasks/main.yml``).  Each runs as its own playbook on localhost with the
sandbox environment (``.sandbox/env``); it passes when the playbook does, and
the playbooks assert what they check.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from conftest import playbook_env  # pylint: disable=import-error

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = os.path.join(HERE, "targets")


def _targets():
    names = []
    for name in sorted(os.listdir(TARGETS)):
        aliases = os.path.join(TARGETS, name, "aliases")
        if not os.path.isfile(aliases):
            continue
        with open(aliases) as f:
            if "disabled" in f.read().split():
                continue
        names.append(name)
    return names


def run_playbook(env, playbook_text, tmp_path, extra_args=()):
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(playbook_text)
    env = dict(playbook_env(env), ANSIBLE_ROLES_PATH=TARGETS)
    argv = [env.get("ANSIBLE_PLAYBOOK", "ansible-playbook"), "-i", "localhost,", str(playbook)]
    argv += list(extra_args)
    return subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)


def target_playbook(name):
    return textwrap.dedent("""\
        - hosts: localhost
          connection: local
          gather_facts: false
          vars:
            ansible_python_interpreter: "{python}"
          roles:
            - {name}
        """).format(name=name, python=sys.executable)


@pytest.mark.parametrize("target", _targets())
def test_target(target, sandbox_env, tmp_path):
    result = run_playbook(sandbox_env, target_playbook(target), tmp_path)
    if result.returncode != 0:
        pytest.fail("target %s failed (rc=%d):\n%s" % (target, result.returncode, result.stdout[-20000:]))
