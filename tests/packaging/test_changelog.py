# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The release notes antsibull-changelog makes of changelogs/: one summary, new roles and playbooks, nothing for
developers only (sandbox, benchmarks, internals stay in ``trivial``, which is not rendered).

Released changes live in changelogs/changelog.yaml, which also names the fragments each release took
(``keep_fragments: true``: the fragment files stay, and ``antsibull-changelog release --refresh-fragments`` reads an
edited one again); a fragment no release names is a change since the last release.
"""

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
    for name in sorted(os.listdir(FRAGMENTS)) if os.path.isdir(FRAGMENTS) else ():
        if name.endswith((".yml", ".yaml")):
            with open(os.path.join(FRAGMENTS, name)) as f:
                yield name, yaml.safe_load(f)


def _releases():
    with open(os.path.join(REPO, "changelogs", "changelog.yaml")) as f:
        return (yaml.safe_load(f) or {}).get("releases") or {}


def _galaxy_version():
    with open(os.path.join(REPO, "galaxy.yml")) as f:
        return yaml.safe_load(f)["version"]


def _released_fragments():
    return {name for release in _releases().values() for name in release.get("fragments") or ()}


def _announced(kind):
    names = {e["name"] for _n, data in _fragments() for e in data.get("add object.%s" % kind, [])}
    for release in _releases().values():
        names |= {e["name"] for e in (release.get("objects") or {}).get(kind, [])}
    return names


def test_lint():
    for command in (["lint"], ["lint-changelog-yaml", os.path.join("changelogs", "changelog.yaml")]):
        result = subprocess.run([os.path.join(BIN, "antsibull-changelog")] + command, cwd=REPO, capture_output=True,
                                text=True, check=False)
        assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_one_release_summary_per_release_and_every_role_and_playbook_announced():
    released = _released_fragments()
    pending = [name for name, data in _fragments() if "release_summary" in data and name not in released]
    releases = _releases()
    current = _galaxy_version()
    # The summary of the version in galaxy.yml is a fragment until it is released, then it is in changelog.yaml.
    summarized = current in releases and "release_summary" in (releases[current].get("changes") or {})
    assert len(pending) + summarized == 1, (pending, summarized)
    for version, release in releases.items():
        assert "release_summary" in (release.get("changes") or {}), "release %s has no summary" % version
    assert _announced("role") == set(os.listdir(os.path.join(REPO, "roles")))
    assert _announced("playbook") == {f[:-4] for f in os.listdir(os.path.join(REPO, "playbooks")) if f.endswith(".yml")}


def test_committed_release_notes_are_those_of_changelog_yaml():
    # CHANGELOG.md and CHANGELOG.rst are generated: `antsibull-changelog generate` must not change them.
    releases = _releases()
    if not releases:
        return
    for name in ("CHANGELOG.md", "CHANGELOG.rst"):
        assert os.path.isfile(os.path.join(REPO, name)), "%s is missing: run antsibull-changelog release" % name
    assert _galaxy_version() in releases or all(
        tuple(map(int, v.split("."))) < tuple(map(int, _galaxy_version().split("."))) for v in releases)


def test_rendered_release_notes(tmp_path):
    top = tmp_path / "ansible_collections" / "eks" / "access"
    shutil.copytree(REPO, top, ignore=shutil.ignore_patterns(".git", ".venv", ".sandbox", "tests"), symlinks=True)
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    # The version in galaxy.yml: released already (the pending fragments join it) or not yet.
    result = subprocess.run([os.path.join(BIN, "antsibull-changelog"), "release", "--reload-plugins",
                             "--date", "2026-12-05"],
                            cwd=top, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("CHANGELOG.rst", "CHANGELOG.md"):
        notes = (top / name).read_text()
        if name.endswith(".md"):
            notes = notes.replace("\\", "")  # Markdown escapes _ . - and others with a backslash
        if name.endswith(".rst"):
            sections = re.findall(r"^(.+)\n-+\n", notes, re.M)
        else:
            sections = re.findall(r"^### (.+)$", notes, re.M)
        assert sections and sections[0] == "Release Summary", (name, sections[:3])
        assert {"New Modules", "New Plugins", "New Roles", "New Playbooks"} <= set(sections), (name, sections)
        for role in os.listdir(os.path.join(REPO, "roles")):
            assert "eks.access.%s" % role in notes, (name, role)
        for module in os.listdir(os.path.join(REPO, "plugins", "modules")):
            if module.endswith(".py"):
                assert "eks.access.%s" % module[:-3] in notes, (name, module)
        developer_only = re.findall(r"(?i)sandbox|make (?:test|demo|bench|reliability|docs)|\bbench|plain JSON|moto|"
                                    r"ansible-lint|ansible-builder", notes)
        assert not developer_only, (name, developer_only)
