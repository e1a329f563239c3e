# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/architecture.md matches the tree: every file its tables name exists, every file and folder of
plugins/module_utils is described there."""

from __future__ import annotations

import os
import re

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULE_UTILS = os.path.join(REPO, "plugins", "module_utils")
LAYERS = ("clients", "model", "services", "runners")


def _table_paths():
    """Every ``module_utils/...`` or ``<layer>/...`` path named in a table row of the document."""
    with open(os.path.join(REPO, "docs", "architecture.md")) as handle:
        rows = [line for line in handle if line.startswith("| `")]
    paths = set()
    for row in rows:
        first_cell = row.split("|")[1]
        for name in re.findall(r"`([^`]+)`", first_cell):
            name = name[len("module_utils/"):] if name.startswith("module_utils/") else name
            if name.endswith(".py") or name.endswith("/"):
                paths.add(name)
    return paths


def _tree():
    files, folders = set(), set()
    for top, dirs, names in os.walk(MODULE_UTILS):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        relative = os.path.relpath(top, MODULE_UTILS)
        if relative != ".":
            folders.add(relative.replace(os.sep, "/") + "/")
        for name in names:
            if name.endswith(".py") and name != "__init__.py":
                files.add(os.path.normpath(os.path.join(relative, name)).replace(os.sep, "/"))
    return files, folders


def test_every_file_the_document_names_exists():
    files, folders = _tree()
    missing = sorted(p for p in _table_paths() if p not in files and p not in folders)
    assert not missing, "docs/architecture.md names files that do not exist: %s" % missing


def test_every_file_and_folder_of_module_utils_is_described():
    files, folders = _tree()
    named = _table_paths()
    undescribed = sorted(f for f in files if f not in named)
    assert not undescribed, "docs/architecture.md does not describe: %s" % undescribed
    named_folders = {p.split("/", 1)[0] + "/" for p in named if "/" in p} | {p for p in named if p.endswith("/")}
    assert not sorted(f for f in folders if f.split("/")[0] + "/" not in named_folders)


def test_the_top_of_module_utils_is_module_errors_and_the_four_layers():
    top = sorted(n for n in os.listdir(MODULE_UTILS) if n not in ("__init__.py", "__pycache__"))
    assert top == sorted(("module.py", "errors.py") + LAYERS)
