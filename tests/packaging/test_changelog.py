# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The release notes antsibull-changelog makes of changelogs/: one summary, new roles and playbooks, nothing for
developers only (sandbox, benchmarks, internals stay in ``trivial``, which is not rendered)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
FRAGMENTS = os.path.join(REPO, "changelogs", "fragments")


def _fragments():
    for name in sorted(os.listdir(FRAGMENTS)):
        with open(os.path.join(FRAGMENTS, name)) as f:
            yield name, yaml.safe_load(f)


def test_lint():
    result = subprocess.run([os.path.join(BIN, "antsibull-changelog"), "lint"], cwd=REPO, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_one_release_summary_and_every_role_and_playbook_announced():
    summaries = [name for name, data in _fragments() if "release_summary" in data]
    assert len(summaries) == 1, summaries
    roles = {e["name"] for _n, data in _fragments() for e in data.get("add object.role", [])}
    playbooks = {e["name"] for _n, data in _fragments() for e in data.get("add object.playbook", [])}
    assert roles == set(os.listdir(os.path.join(REPO, "roles")))
    assert playbooks == {f[:-4] for f in os.listdir(os.path.join(REPO, "playbooks")) if f.endswith(".yml")}


def test_rendered_release_notes(tmp_path):
    top = tmp_path / "ansible_collections" / "eks" / "access"
    shutil.copytree(REPO, top, ignore=shutil.ignore_patterns(".git", ".venv", ".sandbox", "tests"), symlinks=True)
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    result = subprocess.run([os.path.join(BIN, "antsibull-changelog"), "release", "--version", "0.1.0",
                             "--date", "2026-12-01"], cwd=top, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    notes = (top / "CHANGELOG.rst").read_text()
    sections = re.findall(r"^(.+)\n-+\n", notes, re.M)
    assert sections[0] == "Release Summary"
    assert {"New Modules", "New Plugins", "New Roles", "New Playbooks"} <= set(sections)
    for role in os.listdir(os.path.join(REPO, "roles")):
        assert "eks.access.%s - " % role in notes
    developer_only = re.findall(r"(?i)sandbox|make (?:test|demo|bench|reliability|docs)|\bbench|plain JSON|moto|"
                                r"ansible-lint|ansible-builder", notes)
    assert not developer_only, developer_only
