# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run every integration target with ``ansible-test integration`` against the sandbox.

A target is a role under ``targets/`` (the ansible-test layout: ``aliases`` and
``tasks/main.yml``). Each runs the way collection maintainers run it:
``ansible-test integration --local <target>`` in a copy of the collection
under ``ansible_collections/eks/access``, with the variables the sandbox wrote
to ``tests/integration/integration_config.yml`` and its
``cloud-config-aws.ini``. It passes when ansible-test does; the targets assert
what they check. docs/testing.md says how to run one by hand.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TARGETS = os.path.join(HERE, "targets")
SANDBOX_FILES = ("tests/integration/integration_config.yml", "tests/integration/cloud-config-aws.ini")


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


def collection_copy(dest):
    """The checkout's files (tracked and untracked, not ignored) plus the sandbox's two config files, under dest."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in [n for n in listed if n] + list(SANDBOX_FILES):
        source = os.path.join(REPO, name)
        if not os.path.isfile(source) or name.startswith(("tests/sandbox/aws-auth-check/", "tests/bench/upsert-driver/")):
            continue
        os.makedirs(os.path.dirname(os.path.join(dest, name)), exist_ok=True)
        with open(source, "rb") as src, open(os.path.join(dest, name), "wb") as dst:
            dst.write(src.read())
    return dest


@pytest.fixture(scope="session")
def collection_root(sandbox_env, tmp_path_factory):
    for name in SANDBOX_FILES:
        if not os.path.isfile(os.path.join(REPO, name)):
            pytest.fail("%s is missing: the sandbox writes it on `up`; run `make sandbox`" % name)
    return collection_copy(str(tmp_path_factory.mktemp("collections") / "ansible_collections" / "eks" / "access"))


def ansible_test(root, *args):
    bindir = os.path.dirname(sys.executable)
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
    return subprocess.run([os.path.join(bindir, "ansible-test"), "integration", "--local", "--python",
                           "%d.%d" % sys.version_info[:2], "--color", "no"] + list(args),
                          cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)


def test_ansible_test_lists_every_target(collection_root):
    result = ansible_test(collection_root, "--list-targets")
    assert result.returncode == 0, result.stdout
    listed = [line for line in result.stdout.splitlines() if line and not line.startswith("WARNING:")]
    assert listed == _targets(), result.stdout


@pytest.mark.parametrize("target", _targets())
def test_target(target, collection_root):
    result = ansible_test(collection_root, target)
    if result.returncode != 0:
        pytest.fail("ansible-test integration %s failed (rc=%d):\n%s"
                    % (target, result.returncode, result.stdout[-20000:]))
