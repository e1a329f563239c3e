# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/reference is what antsibull-docs makes of the plugins' and roles' own documentation, and current."""

from __future__ import annotations

import filecmp
import os
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PAGES = os.path.join("collections", "eks", "access")


def _names(folder, suffix):
    return sorted(f[:-3] for f in os.listdir(os.path.join(REPO, folder)) if f.endswith(suffix) and not f.startswith("_"))


def test_reference_pages_are_generated_for_everything_and_up_to_date(tmp_path):
    result = subprocess.run(["bash", os.path.join(REPO, "tests", "run.sh"), "docs", str(tmp_path)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    generated = set(os.listdir(tmp_path / PAGES))
    expected = {"%s_module.rst" % m for m in _names("plugins/modules", ".py")}
    expected |= {"%s_inventory.rst" % p for p in _names("plugins/inventory", ".py")}
    expected |= {"%s_role.rst" % r for r in os.listdir(os.path.join(REPO, "roles"))}
    assert expected <= generated, "no page for %s" % sorted(expected - generated)

    committed = os.path.join(REPO, "docs", "reference")
    comparison = filecmp.dircmp(committed, str(tmp_path))
    stale = []

    def walk(cmp, prefix=""):
        stale.extend(prefix + n for n in cmp.diff_files + cmp.left_only + cmp.right_only)
        for name, sub in cmp.subdirs.items():
            walk(sub, prefix + name + "/")
    walk(comparison)
    assert not stale, "docs/reference is stale (run `make docs`): %s" % stale
