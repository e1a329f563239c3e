# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render an access report page in headless Chromium; print what the browser made of it as JSON.

``render_check.py PAGE PROFILE_DIR``: runs ``chromium --headless --dump-dom`` (no network, a profile of its own),
then reads the DOM the browser produced: every matrix cell's principal, cluster and level, whether the page's
script ran (it marks ``<body data-ready="1">``), whether the findings table is there, and every console message
logged at error level (Chromium logs them on stderr with ``--enable-logging=stderr``).
"""

import html.parser
import json
import os
import shutil
import subprocess
import sys

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0"]


class Cells(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.cells = {}
        self.principal = None
        self.script_ran = False
        self.findings_table = False
        self.no_findings = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body" and attrs.get("data-ready") == "1":
            self.script_ran = True
        if tag == "tr" and "data-principal" in attrs:
            self.principal = attrs["data-principal"]
        if tag == "td" and "data-cluster" in attrs and self.principal:
            self.cells["%s %s" % (self.principal, attrs["data-cluster"])] = attrs.get("data-level") or "-"
        if tag == "table" and attrs.get("id") == "findings":
            self.findings_table = True
        if tag == "p" and attrs.get("id") == "no-findings":
            self.no_findings = True


def main(page, profile):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        sys.exit("chromium is not installed: `make chromium` (or apt-get install -y chromium) installs it")
    os.makedirs(profile, exist_ok=True)
    run = subprocess.run([browser] + FLAGS + ["--user-data-dir=" + profile, "--dump-dom",
                                              "file://" + os.path.abspath(page)],
                         capture_output=True, text=True, timeout=120, check=False)
    if run.returncode != 0 or "<html" not in run.stdout:
        sys.exit("chromium failed (%d): %s" % (run.returncode, run.stderr[-2000:]))
    errors = [line for line in run.stderr.splitlines()
              if ":CONSOLE" in line and ("ERROR:CONSOLE" in line or "Uncaught" in line)]
    parser = Cells()
    parser.feed(run.stdout)
    print(json.dumps({"cells": parser.cells, "script_ran": parser.script_ran, "console_errors": errors,
                      "findings_table": parser.findings_table, "no_findings": parser.no_findings}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
