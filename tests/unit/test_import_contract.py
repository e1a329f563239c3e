# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The layering contract (.importlinter) holds for the tree, and a wrong import breaks it.

A copy of plugins/ under a temporary ansible_collections/eks/access gets one
import that points upwards (a model file importing a service), and one runner
importing botocore: lint-imports must fail on both, naming them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LINT_IMPORTS = os.path.join(os.path.dirname(sys.executable), "lint-imports")

pytestmark = pytest.mark.skipif(not os.path.exists(LINT_IMPORTS), reason="import-linter is not installed")


def _lint(collections_path, cwd):
    env = dict(os.environ, PYTHONPATH=collections_path)
    return subprocess.run([LINT_IMPORTS, "--no-cache", os.path.join(REPO, ".importlinter")], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def _copy(tmp_path):
    top = tmp_path / "collections"
    dest = top / "ansible_collections" / "eks" / "access"
    shutil.copytree(os.path.join(REPO, "plugins"), str(dest / "plugins"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    return top, dest


def _append(path, line):
    with open(str(path), "a") as handle:
        handle.write("\n" + line + "\n")


def test_the_tree_keeps_the_contract(tmp_path):
    top, _dest = _copy(tmp_path)
    answer = _lint(str(top), str(tmp_path))
    assert answer.returncode == 0, answer.stdout + answer.stderr
    assert "0 broken" in answer.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    top, dest = _copy(tmp_path)
    _append(dest / "plugins" / "module_utils" / "model" / "arn.py",
            "from ansible_collections.eks.access.plugins.module_utils.services import workloads  # noqa")
    answer = _lint(str(top), str(tmp_path))
    assert answer.returncode != 0
    assert "model.arn -> " in answer.stdout.replace("\n", "") and "services.workloads" in answer.stdout


def test_botocore_in_a_runner_breaks_the_contract(tmp_path):
    top, dest = _copy(tmp_path)
    _append(dest / "plugins" / "module_utils" / "runners" / "eks_cluster_info.py", "import botocore  # noqa")
    answer = _lint(str(top), str(tmp_path))
    assert answer.returncode != 0
    assert "is not allowed to" in answer.stdout and "botocore" in answer.stdout
