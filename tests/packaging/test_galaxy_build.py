# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`ansible-galaxy collection build` ships what a user needs and none of the developer tooling.

galaxy.yml's build_ignore decides; this builds the tarball from a copy of the
tracked files (what a clean checkout holds) and reads its member list.
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import tarfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    top = tmp_path_factory.mktemp("galaxy")
    source = top / "eks" / "access"
    source.mkdir(parents=True)
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout.split(b"\0")
    for name in filter(None, files):
        name = name.decode()
        if not os.path.isfile(os.path.join(REPO, name)):
            continue  # deleted in the work tree
        os.makedirs(os.path.dirname(source / name), exist_ok=True)
        with open(os.path.join(REPO, name), "rb") as src, open(source / name, "wb") as dst:
            dst.write(src.read())
    out = top / "out"
    result = subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(out),
                             str(source)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    (path,) = glob.glob(str(out / "eks-access-*.tar.gz"))
    with tarfile.open(path) as tar:
        members = {m.name.rstrip("/") for m in tar.getmembers() if m.isfile()}
    return path, members


def _repo_files(pattern):
    return {os.path.relpath(p, REPO) for p in glob.glob(os.path.join(REPO, pattern), recursive=True)
            if os.path.isfile(p) and "__pycache__" not in p}


def test_tarball_holds_what_a_user_needs(tarball):
    _path, members = tarball
    needed = {"README.md", "COPYING", "requirements.txt", "bindep.txt", "meta/runtime.yml",
              "meta/execution-environment.yml", "changelogs/changelog.yaml", "tests/config.yml",
              "CHANGELOG.md", "CHANGELOG.rst", "CONTRIBUTING.md", "CODE_OF_CONDUCT.md"}
    for pattern in ("plugins/**/*.py", "roles/**/*", "playbooks/**/*", "docs/*.md", "docs/modules/*.md",
                    "docs/roles/*.md", "examples/**/*", "tests/integration/targets/**/*"):
        found = _repo_files(pattern)
        assert found, pattern
        needed |= found
    assert not needed - members, "missing from the tarball: %s" % sorted(needed - members)
    targets = set(os.listdir(os.path.join(REPO, "tests", "integration", "targets")))
    assert {m.split("/")[3] for m in members if m.startswith("tests/integration/targets/")} == targets


def test_tarball_leaves_out_developer_tooling(tarball):
    _path, members = tarball
    left_out = ("tests/sandbox/", "tests/bench/", "tests/reliability/", "tests/lib/", "tests/unit/", "tests/packaging/",
                "docs/reference/", "changelogs/fragments/", "tests/output/", ".venv/", ".sandbox/")
    assert not [m for m in members if m.startswith(left_out)]
    # CHANGELOG.rst is the release notes (antsibull-changelog); no other reST page ships.
    assert not [m for m in members if m.endswith((".go", ".rst", ".pyc", "go.mod", "go.sum", ".tar.gz"))
                and m != "CHANGELOG.rst"]
    assert not [m for m in members if m.startswith("tests/integration/") and m.count("/") == 2]  # pytest drivers
    assert not {"Makefile", "pytest.ini", "tests/run.sh", "tests/matrix.sh", ".gitignore", ".ansible-lint"} & members


@pytest.fixture(scope="module")
def installed(tarball, tmp_path_factory):
    """The tarball as `ansible-galaxy collection install` lays it out, and the environment that sees only it."""
    path, _members = tarball
    install = tmp_path_factory.mktemp("installed") / "collections"
    # Only the installed copy, not the checkout (which the sandbox environment puts on the paths).
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(install), ANSIBLE_NOCOLOR="1")
    env.pop("PYTHONPATH", None)
    result = subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--no-deps", "--force",
                             "-p", str(install), path], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (install / "ansible_collections" / "eks" / "access" / "MANIFEST.json").is_file(), result.stdout
    return install / "ansible_collections" / "eks" / "access", env


def test_installed_collection_has_no_broken_link(installed):
    # tests/packaging/check_links.py: every relative link of every .md file, and its #anchor.
    root, _env = installed
    result = subprocess.run([sys.executable, os.path.join(REPO, "tests", "packaging", "check_links.py"), str(root)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, "broken links in the installed collection:\n" + result.stdout + result.stderr
    assert (root / "README.md").is_file() and (root / "docs" / "README.md").is_file()


def test_installed_tarball_documents_and_lists_its_plugins(installed):
    _root, env = installed
    listed = subprocess.run([os.path.join(BIN, "ansible-doc"), "-l", "eks.access"], env=env, capture_output=True,
                            text=True, check=False)
    assert listed.returncode == 0, listed.stderr
    modules = sorted(os.path.basename(p)[:-3] for p in _repo_files("plugins/modules/*.py"))
    assert sorted(line.split()[0] for line in listed.stdout.splitlines() if line.startswith("eks.access.")) == \
        ["eks.access." + m for m in modules]
