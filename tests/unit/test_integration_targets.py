# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The integration targets run under ``ansible-test integration``, which hands them no environment.

So a target reads the sandbox from variables (``sandbox_*``, from
tests/integration/integration_config.yml), never ``lookup('env', ...)``, and
gives its tasks ``environment: "{{ sandbox_environment }}"`` (AWS endpoint and
keys, kubeconfig) on each top-level block or task of ``tasks/main.yml``.
"""

from __future__ import annotations

import glob
import os
import re

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGETS = os.path.join(REPO, "tests", "integration", "targets")
ENV_LOOKUP = re.compile(r"""lookup\(\s*['"](ansible\.builtin\.)?env['"]|query\(\s*['"](ansible\.builtin\.)?env['"]""")
CONTROLLER_ONLY = {"ansible.builtin.assert", "ansible.builtin.debug", "ansible.builtin.set_fact", "ansible.builtin.fail",
                   "ansible.builtin.meta"}


class _Loader(yaml.SafeLoader):
    """SafeLoader that reads Ansible's !unsafe (text never templated) as a plain string."""


_Loader.add_constructor("!unsafe", yaml.SafeLoader.construct_scalar)


def _files():
    return sorted(p for p in glob.glob(os.path.join(TARGETS, "**", "*"), recursive=True)
                  if os.path.isfile(p) and p.endswith((".yml", ".yaml", ".j2")))


@pytest.mark.parametrize("path", _files(), ids=lambda p: os.path.relpath(p, TARGETS))
def test_no_environment_lookups(path):
    with open(path) as f:
        assert not ENV_LOOKUP.search(f.read()), "use the sandbox_* variables (docs/testing.md), not lookup('env')"


@pytest.mark.parametrize("path", _files(), ids=lambda p: os.path.relpath(p, TARGETS))
def test_kubernetes_lookups_name_the_kubeconfig(path):
    # Lookups run in ansible-playbook's own process, which `environment:` does not reach.
    with open(path) as f:
        calls = re.findall(r"""(?:lookup|query)\(\s*['"]kubernetes\.core\.k8s['"][^)]*\)""", f.read())
    assert all("kubeconfig=sandbox_kubeconfig" in call for call in calls), calls


@pytest.mark.parametrize("target", sorted(t for t in os.listdir(TARGETS) if not t.startswith("setup_")))
def test_top_level_tasks_carry_the_sandbox_environment(target):
    with open(os.path.join(TARGETS, target, "tasks", "main.yml")) as f:
        tasks = yaml.load(f, Loader=_Loader)  # nosec - a SafeLoader
    for task in tasks:
        if CONTROLLER_ONLY & set(task):
            continue
        assert task.get("environment") == "{{ sandbox_environment }}", task.get("name")


def test_sandbox_writes_every_variable_the_targets_read():
    used = set()
    for path in _files():
        with open(path) as f:
            used |= set(re.findall(r"\bsandbox_[a-z0-9_]+", f.read()))
    with open(os.path.join(REPO, "tests", "sandbox", "sandbox.py")) as f:
        source = f.read()
    written = {"sandbox_" + key.lower() for key in re.findall(r'^\s+"([A-Z][A-Z0-9_]+)": ', source, re.M)}
    written |= {"sandbox_" + key.lower() for key in re.findall(r'"(AWS_[A-Z_]+)": ', source)}
    written.add("sandbox_environment")
    assert used <= written, sorted(used - written)


def test_no_target_is_named_like_a_role_of_the_collection():
    # ansible-test runs a target as a role of its name, and inside the collection
    # that name resolves to the collection's own role first.
    roles = set(os.listdir(os.path.join(REPO, "roles")))
    targets = set(os.listdir(os.path.join(REPO, "tests", "integration", "targets")))
    assert not roles & targets
