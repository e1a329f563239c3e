# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet access report's documents: JSON, Markdown and the self-contained HTML page."""

from __future__ import annotations

import json
import re

from ansible_collections.eks.access.plugins.filter.access_report_documents import access_report_documents
from ansible_collections.eks.access.plugins.module_utils.model import access_report_render as render

ADMIN = "arn:aws:iam::111122223333:role/admin"
VIEWER = "arn:aws:iam::111122223333:role/viewer"


def report(rows, findings=(), mode="API"):
    return {"cluster": {"name": "x", "authentication_mode": mode}, "principals": rows, "findings": list(findings),
            "summary": {"principals": len(rows), "levels": {"cluster-admin": 1}, "findings": len(findings),
                        "confirmed": 1}, "drift": {"undeclared": [VIEWER], "not_live": []}}


def row(arn, level, levels=None, **extra):
    return dict({"principal_arn": arn, "level": level, "levels": levels or {"cluster": level},
                 "sources": ["access-entry"], "effective_source": "access-entry", "username": "<b>u</b>",
                 "groups": [], "access_policies": [], "bindings": [], "flags": {},
                 "verified": {"status": "confirmed"}}, **extra)


REPORTS = {
    "prod": report([row(ADMIN, "cluster-admin", flags={"system_masters": ["cluster"]}),
                    row(VIEWER, "read", {"cluster": "none", "team-a": "read"})],
                   [{"code": "map_accounts", "principal_arn": "444455556666", "severity": "warning",
                     "message": "mapAccounts <script>"}]),
    "dev": report([row(VIEWER, "none")], mode="CONFIG_MAP"),
}


def test_documents_hold_the_matrix_findings_drift_and_the_scan():
    docs = access_report_documents(REPORTS, "2026-12-05T08:00:00Z", "arn:aws:iam::111122223333:user/auditor",
                                   {"broken": "AccessDenied"})
    document = json.loads(docs["json"])
    assert document["matrix"][ADMIN] == {"prod": document["matrix"][ADMIN]["prod"]}
    assert document["matrix"][VIEWER]["dev"]["level"] == "none"
    assert document["matrix"][VIEWER]["prod"]["levels"] == {"cluster": "none", "team-a": "read"}
    assert [f["cluster"] for f in document["findings"]] == ["prod"]
    assert document["failed"] == {"broken": "AccessDenied"}
    assert document["scanned_by"].endswith(":user/auditor")
    assert "| `%s` | none | read (team-a) |" % VIEWER in docs["markdown"]
    assert "broken | failed: AccessDenied" in docs["markdown"]


def test_html_page_is_self_contained_escaped_and_coloured():
    page = access_report_documents(REPORTS, "t", "me")["html"]
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # loads nothing
    assert "<script>" in page and "<style>" in page
    assert "mapAccounts &lt;script&gt;" in page and "&lt;b&gt;u&lt;/b&gt;" in page
    assert page.count('data-cluster="prod"') == 2 and 'data-level="cluster-admin"' in page
    assert render.COLOURS["cluster-admin"] in page
    assert '<details><summary style="background:%s">read (team-a)</summary>' % render.COLOURS["read"] in page


def test_no_findings_says_so():
    page = access_report_documents({"dev": report([row(VIEWER, "none")])})["html"]
    assert 'id="no-findings"' in page
