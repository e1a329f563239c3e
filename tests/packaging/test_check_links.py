# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""check_links.py finds a missing file and a missing heading, and leaves code and other sites alone."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import check_links  # noqa: E402  pylint: disable=wrong-import-position


def test_broken_file_and_anchor_are_reported_and_nothing_else(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.md").write_text("# Guide\n\n## The `eks_token` lookup\n\ntext\n")
    (tmp_path / "README.md").write_text(
        "[ok](docs/guide.md) [anchor](docs/guide.md#the-eks_token-lookup) [self](#readme)\n"
        "[gone](docs/reference/x.rst) [bad anchor](docs/guide.md#nothing-here)\n"
        "[site](https://example.org/missing) `[code](nowhere.md)`\n\n"
        "```\n[fenced](nowhere.md)\n```\n\n# README\n")
    problems = check_links.broken_links(str(tmp_path))
    assert problems == ["README.md:2: docs/reference/x.rst (no docs/reference/x.rst)",
                        "README.md:2: docs/guide.md#nothing-here (no heading #nothing-here in docs/guide.md)"]
    assert check_links.main(["check_links.py", str(tmp_path)]) == 1
    (tmp_path / "README.md").write_text("[ok](docs/guide.md)\n")
    assert check_links.main(["check_links.py", str(tmp_path)]) == 0
