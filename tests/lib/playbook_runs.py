# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-playbook and module runs as the test suites start them on the sandbox, and what they read back.

Shared by tests/integration, tests/reliability and tests/bench (docs/testing.md, "Shared test helpers").
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SANDBOX_INVENTORY = os.path.join(REPO, "playbooks", "inventory", "sandbox.yml")
# plain output, no retry files, no warning about the implicit localhost or an inventory string
QUIET = {"ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0",
         "ANSIBLE_LOCALHOST_WARNING": "0", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0"}


def playbook_env(env, **extra):
    """Environment for an ansible-playbook run in tests: ``env`` with plain output, no retry files, and ``extra``."""
    return dict(env, **QUIET, **extra)


def eks_token_env(env, **extra):
    """playbook_env without a kubeconfig: the clusters are reached by name (DescribeCluster and an EKS token)."""
    return {k: v for k, v in playbook_env(env, ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED="1", **extra).items()
            if k != "KUBECONFIG" and not k.startswith("K8S_AUTH_")}


def ansible_playbook(env):
    return env.get("ANSIBLE_PLAYBOOK", "ansible-playbook")


def run_sandbox_playbook(env, argv, timeout=900):
    """Run ``argv`` (an ansible-playbook command) with playbook_env; it must succeed. Returns its output."""
    result = subprocess.run(argv, env=playbook_env(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            check=False, timeout=timeout)
    assert result.returncode == 0, result.stdout[-15000:]
    return result.stdout


def start_killable(env, argv, **extra_env):
    """Popen of ``argv`` in its own session (to SIGKILL its whole process group), output piped, from the checkout."""
    return subprocess.Popen(argv, env=playbook_env(env, **extra_env), cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


RECAP_LINE = r"^(%s)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)"


def recaps(output):
    """{host: {ok, changed, unreachable, failed}} from the PLAY RECAP of ``output``."""
    return {match.group(1): dict(zip(("ok", "changed", "unreachable", "failed"), map(int, match.groups()[1:])))
            for match in re.finditer(RECAP_LINE % r"\S+", output.split("PLAY RECAP", 1)[-1], re.M)}


def recap(output, host="sandbox"):
    """The PLAY RECAP counts of ``host``: ok, changed, unreachable, failed."""
    match = re.search(RECAP_LINE % re.escape(host), output, re.M)
    assert match, output[-3000:]
    return dict(zip(("ok", "changed", "unreachable", "failed"), map(int, match.groups()[1:])))


def localhost_play(tasks, python=sys.executable):
    """A play on localhost (local connection, no facts, this Python) running ``tasks`` (YAML text)."""
    return textwrap.dedent("""\
        - hosts: localhost
          connection: local
          gather_facts: false
          vars:
            ansible_python_interpreter: "{python}"
          tasks:
        """).format(python=python) + textwrap.indent(textwrap.dedent(tasks), "    ")


def eks_clusters_inventory(clusters, python=sys.executable):
    """An eks_clusters inventory source for ``clusters`` [(name, region)] only, hosts in the clusters' order."""
    return textwrap.dedent("""\
        plugin: eks.access.eks_clusters
        regions: %s
        include_clusters: %s
        compose:
          ansible_python_interpreter: "'%s'"
        """) % (json.dumps(list(dict.fromkeys(region for _name, region in clusters))),
                json.dumps([name for name, _region in clusters]), python)


def start_playbook(env, text, work, extra_vars=None):
    """Popen of ansible-playbook on ``text`` written to ``work`` (a pathlib folder); output in work/out.log."""
    playbook = work / "playbook.yml"
    playbook.write_text(text)
    argv = [ansible_playbook(env), "-i", "localhost,", str(playbook)]
    if extra_vars is not None:
        (work / "vars.json").write_text(json.dumps(extra_vars))
        argv += ["-e", "@" + str(work / "vars.json")]
    log = open(work / "out.log", "w")  # pylint: disable=consider-using-with
    return subprocess.Popen(argv, env=playbook_env(collections_env(env)), stdout=log, stderr=subprocess.STDOUT,
                            text=True)


def collections_env(env):
    """``env`` seeing the collection under test through the sandbox's collections folder."""
    collections = os.path.join(env["EKS_SANDBOX_DIR"], "collections")
    return dict(env, PYTHONPATH=collections + os.pathsep + env.get("PYTHONPATH", ""),
                ANSIBLE_COLLECTIONS_PATH=collections)


def run_module(env, name, args, tmp_path, extra_env=None, timeout=600):
    """Run eks.access.<name> directly with ``args`` (no Jinja in between); returns (rc, result dict)."""
    args_file = tmp_path / ("%s-args.json" % name)
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    proc = subprocess.run([sys.executable, "-m", "ansible_collections.eks.access.plugins.modules." + name,
                           str(args_file)], env=dict(collections_env(env), **(extra_env or {})),
                          capture_output=True, text=True, check=False, timeout=timeout)
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        result = {"failed": True, "msg": "not JSON", "stdout": proc.stdout[-3000:], "stderr": proc.stderr[-3000:]}
    return proc.returncode, result
