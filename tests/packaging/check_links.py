# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Relative links of the Markdown files under a folder: every target file exists, every #anchor is a heading.

    python tests/packaging/check_links.py <folder>     # exit 1 and one line per broken link

tests/packaging/test_galaxy_build.py runs it over the collection as
``ansible-galaxy collection install`` lays it out, so a link to a file the
tarball leaves out (build_ignore) fails there even when it works in the
repository. Links to other sites (http:, https:, mailto:) are not followed.
"""

from __future__ import annotations

import os
import re
import sys

LINK = re.compile(r"(?<!!)\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
IMAGE = re.compile(r"!\[[^\]]*\]\(\s*([^)\s]+)\s*\)")
FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, markup and punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading keeps its text
    text = text.replace("`", "").lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _lines_outside_code(text: str):
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, re.sub(r"`[^`]*`", "", line)


def anchors(path: str) -> set:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    found, seen = set(), {}
    for _number, line in _lines_outside_code(text):
        match = HEADING.match(line)
        if not match:
            continue
        slug = _slug(HEADING.match(line).group(1))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else "%s-%d" % (slug, count))
    # Headings hold code spans, which _lines_outside_code blanked: read those headings again, whole.
    for line in text.splitlines():
        match = HEADING.match(line)
        if match:
            found.add(_slug(match.group(1)))
    return found


def broken_links(root: str) -> list:
    problems = []
    cache = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.endswith(".md"):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            for number, line in _lines_outside_code(text):
                for target in LINK.findall(line) + IMAGE.findall(line):
                    if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
                        continue  # http:, https:, mailto:
                    file_part, anchor = (target.split("#", 1) + [""])[:2]
                    destination = os.path.normpath(os.path.join(folder, file_part)) if file_part else path
                    where = "%s:%d: %s" % (os.path.relpath(path, root), number, target)
                    if not os.path.exists(destination):
                        problems.append("%s (no %s)" % (where, os.path.relpath(destination, root)))
                        continue
                    if anchor and destination.endswith(".md"):
                        if destination not in cache:
                            cache[destination] = anchors(destination)
                        if anchor.lower() not in cache[destination]:
                            problems.append("%s (no heading #%s in %s)" % (where, anchor,
                                                                           os.path.relpath(destination, root)))
    return problems


def main(argv):
    if len(argv) != 2 or not os.path.isdir(argv[1]):
        sys.stderr.write("usage: check_links.py <folder>\n")
        return 2
    problems = broken_links(argv[1])
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
