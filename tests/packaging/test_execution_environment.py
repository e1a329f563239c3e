# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""meta/execution-environment.yml against ansible-builder's own schema and introspection.

No image is built (no container engine here): ``ansible-builder create`` validates
the definition and writes the build context, and ``introspect`` shows what an
execution environment that lists eks.access would install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILDER = os.path.join(os.path.dirname(sys.executable), "ansible-builder")


def builder(*args, cwd):
    return subprocess.run([BUILDER] + list(args), cwd=cwd, capture_output=True, text=True, check=False)


def collection_root_copy(tmp_path, definition=None):
    """The definition beside the files it names, as the README tells AWX users to build it."""
    for name in ("requirements.txt", "bindep.txt"):
        shutil.copy(os.path.join(REPO, name), tmp_path / name)
    source = os.path.join(REPO, "meta", "execution-environment.yml")
    if definition is None:
        shutil.copy(source, tmp_path / "execution-environment.yml")
    else:
        (tmp_path / "execution-environment.yml").write_text(yaml.safe_dump(definition))
    return tmp_path


def test_definition_builds_a_context_with_our_dependencies(tmp_path):
    root = collection_root_copy(tmp_path)
    result = builder("create", "-f", "execution-environment.yml", "--context", "context", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    build = root / "context" / "_build"
    python = (build / "requirements.txt").read_text()
    for package in ("boto3", "botocore", "kubernetes"):
        assert package in python
    collections = yaml.safe_load((build / "requirements.yml").read_text())["collections"]
    assert {c["name"] for c in collections} == {"amazon.aws", "kubernetes.core"}
    assert "ca-certificates" in (build / "bindep.txt").read_text()


def test_schema_errors_are_caught(tmp_path):
    with open(os.path.join(REPO, "meta", "execution-environment.yml")) as f:
        definition = yaml.safe_load(f)
    definition["dependencies"]["ansible_core"] = {"package": "ansible-core"}  # not a schema 3 key
    root = collection_root_copy(tmp_path, definition)
    result = builder("create", "-f", "execution-environment.yml", "--context", "context", cwd=root)
    assert result.returncode != 0
    assert "package" in result.stdout + result.stderr


def test_introspection_of_an_ee_listing_the_collection(tmp_path):
    namespace = tmp_path / "collections" / "ansible_collections" / "eks"
    namespace.mkdir(parents=True)
    os.symlink(REPO, namespace / "access")
    result = builder("introspect", str(tmp_path / "collections"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = yaml.safe_load(result.stdout)
    python = " ".join(data["python"])
    assert "from collection eks.access" in python
    for package in ("boto3", "botocore", "kubernetes"):
        assert package in python
    assert any(line.startswith("ca-certificates") for line in data["system"])
