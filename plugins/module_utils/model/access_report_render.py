# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet access report as documents: one JSON document, a Markdown summary, one self-contained HTML page.

Pure: takes the eks_access_report results of the clusters (cluster name ->
result) and what the scan was (time, identity) and returns text.  The HTML
page needs no network: its CSS and its few lines of JavaScript (a filter box)
are inline, and each matrix cell opens (``<details>``) to how the access is
granted.
"""

from __future__ import annotations

import html
import json

LEVELS = ("none", "read", "write", "namespace-admin", "cluster-admin")
COLOURS = {"cluster-admin": "#c62828", "namespace-admin": "#ef6c00", "write": "#f9a825", "read": "#2e7d32",
           "none": "#9e9e9e"}
FLAG_NAMES = {"read_secrets": "reads secrets", "exec": "exec", "attach": "attach", "escalate": "escalate",
              "bind": "bind", "impersonate": "impersonate", "node_write": "changes nodes",
              "webhook_write": "changes webhooks", "system_masters": "system:masters"}


def fleet_document(reports: dict, scanned_at: str = "", scanned_by: str = "", failed: dict = None) -> dict:
    """The one JSON document: per cluster its report, the principals x clusters matrix, every finding."""
    clusters = sorted(reports)
    matrix = {}
    findings = []
    for cluster in clusters:
        report = reports[cluster] or {}
        for row in report.get("principals") or ():
            matrix.setdefault(row["principal_arn"], {})[cluster] = {
                "level": row.get("level", "none"), "levels": row.get("levels") or {},
                "sources": row.get("sources") or [], "effective_source": row.get("effective_source"),
                "username": row.get("username"), "groups": row.get("groups") or [],
                "access_policies": row.get("access_policies") or [],
                "bindings": [{"kind": b.get("kind"), "name": b.get("name"), "namespace": b.get("namespace"),
                              "role": b.get("role"), "subjects": b.get("subjects")} for b in row.get("bindings") or ()],
                "flags": row.get("flags") or {},
                "verified": (row.get("verified") or {}).get("status", "not_checked"),
                "creator": bool(row.get("creator")),
            }
        for finding in report.get("findings") or ():
            findings.append(dict(finding, cluster=cluster))
    drift = {c: reports[c]["drift"] for c in clusters if (reports[c] or {}).get("drift") is not None}
    return {
        "scanned_at": scanned_at, "scanned_by": scanned_by,
        "clusters": [dict((reports[c] or {}).get("cluster") or {"name": c}, name=c,
                          summary=(reports[c] or {}).get("summary") or {}) for c in clusters],
        "failed": dict(failed or {}),
        "matrix": {arn: matrix[arn] for arn in sorted(matrix)},
        "findings": findings,
        "drift": drift,
        "reports": {c: reports[c] for c in clusters},
    }


def _cell_text(cell) -> str:
    if cell is None:
        return "-"
    scopes = [s for s, level in (cell.get("levels") or {}).items() if level == cell["level"] and s != "cluster"]
    return cell["level"] + (" (%s)" % ", ".join(scopes) if scopes and cell["level"] != "none" else "")


def markdown(document: dict) -> str:
    clusters = [c["name"] for c in document["clusters"]]
    lines = ["# EKS access report", "",
             "Scanned at %s by `%s`." % (document.get("scanned_at") or "?", document.get("scanned_by") or "?"), ""]
    lines += ["| Cluster | Mode | Principals | cluster-admin | namespace-admin | write | read | none | Findings | "
              "Confirmed |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for cluster in document["clusters"]:
        summary = cluster.get("summary") or {}
        levels = summary.get("levels") or {}
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            cluster["name"], cluster.get("authentication_mode", "?"), summary.get("principals", 0),
            *[levels.get(level, 0) for level in reversed(LEVELS)], summary.get("findings", 0),
            summary.get("confirmed", 0)))
    for name, error in sorted((document.get("failed") or {}).items()):
        lines.append("| %s | failed: %s | | | | | | | | |" % (name, str(error).replace("|", "\\|")))
    lines += ["", "## Principals x clusters", "", "| Principal | " + " | ".join(clusters) + " |",
              "| --- |" + " --- |" * len(clusters)]
    for principal, cells in document["matrix"].items():
        lines.append("| `%s` | %s |" % (principal, " | ".join(_cell_text(cells.get(c)) for c in clusters)))
    lines += ["", "## Findings", ""]
    if not document["findings"]:
        lines.append("None.")
    for finding in document["findings"]:
        lines.append("- **%s** `%s` on %s: %s" % (finding["code"], finding.get("principal_arn") or "-",
                                                  finding["cluster"], finding["message"]))
    if document.get("drift"):
        lines += ["", "## Drift against the inventory", ""]
        for cluster, drift in sorted(document["drift"].items()):
            lines.append("- %s: live but not declared: %s; declared but not live: %s" % (
                cluster, ", ".join("`%s`" % a for a in drift.get("undeclared") or ()) or "none",
                ", ".join("`%s`" % a for a in drift.get("not_live") or ()) or "none"))
    return "\n".join(lines) + "\n"


_CSS = """
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#f3f3f3;position:sticky;top:0}
td.cell{min-width:9em}td.cell summary{cursor:pointer;font-weight:600;color:#fff;padding:2px 6px;border-radius:3px}
td.cell details[open] summary{margin-bottom:4px}
td.principal{font-family:ui-monospace,monospace;font-size:12px;max-width:34em;word-break:break-all}
.flag{display:inline-block;background:#fde0dc;color:#8a1c10;border-radius:3px;padding:0 4px;margin:1px;font-size:11px}
.ok{color:#2e7d32}.bad{color:#c62828}.muted{color:#777}
.legend span{display:inline-block;color:#fff;padding:2px 8px;margin-right:4px;border-radius:3px}
ul.how{margin:0;padding-left:1.1em;font-size:12px}code{font-size:12px}
#filter{margin:0.5em 0;padding:4px;width:24em}
"""

_JS = """
document.getElementById('filter').addEventListener('input', function (event) {
  var wanted = event.target.value.toLowerCase();
  var rows = document.querySelectorAll('#matrix tbody tr');
  for (var i = 0; i < rows.length; i++) {
    rows[i].style.display = rows[i].textContent.toLowerCase().indexOf(wanted) >= 0 ? '' : 'none';
  }
});
document.body.setAttribute('data-ready', '1');
"""


def _e(value) -> str:
    return html.escape(str(value if value is not None else ""), quote=True)


def _how(cell) -> str:
    items = ["<li>source: <b>%s</b>%s%s</li>" % (
        _e(cell.get("effective_source")),
        " (also %s, not used)" % _e(", ".join(s for s in cell["sources"] if s != cell.get("effective_source")))
        if len(cell.get("sources") or ()) > 1 else "",
        " - cluster creator" if cell.get("creator") else "")]
    items.append("<li>user <code>%s</code>, groups <code>%s</code></li>" % (
        _e(cell.get("username")), _e(", ".join(cell.get("groups") or ()) or "none")))
    for policy in cell.get("access_policies") or ():
        scope = policy.get("access_scope") or {}
        items.append("<li>access policy %s on %s</li>" % (_e(policy.get("policy")), _e(
            "the cluster" if scope.get("type") == "cluster" else ", ".join(scope.get("namespaces") or ()))))
    for binding in cell.get("bindings") or ():
        items.append("<li>%s %s%s &rarr; %s</li>" % (
            _e(binding.get("kind")), _e(binding.get("name")),
            " in %s" % _e(binding["namespace"]) if binding.get("namespace") else "", _e(binding.get("role"))))
    levels = ", ".join("%s: %s" % (scope, level) for scope, level in (cell.get("levels") or {}).items())
    items.append("<li>levels: %s</li>" % _e(levels))
    verified = cell.get("verified")
    items.append('<li>API server: <span class="%s">%s</span></li>' % (
        {"confirmed": "ok", "disagrees": "bad"}.get(verified, "muted"), _e(verified)))
    return '<ul class="how">%s</ul>' % "".join(items)


def html_page(document: dict) -> str:
    clusters = [c["name"] for c in document["clusters"]]
    scan = ('<p id="scan">Scanned at <b id="scanned-at">%s</b> by <code id="scanned-by">%s</code>; %d cluster(s), '
            '%d principal(s), %d finding(s).</p>')
    scan %= (_e(document.get("scanned_at")), _e(document.get("scanned_by")), len(clusters), len(document["matrix"]),
             len(document["findings"]))
    legend = "".join('<span style="background:%s">%s</span>' % (COLOURS[level], level) for level in reversed(LEVELS))
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           "<title>EKS access report</title><style>%s</style></head><body>" % _CSS,
           "<h1>EKS access report</h1>", scan, '<p class="legend">%s</p>' % legend]
    if document.get("failed"):
        out.append('<p class="bad">Not scanned: %s</p>' % _e("; ".join(
            "%s (%s)" % kv for kv in sorted(document["failed"].items()))))
    out.append("<h2>Principals &times; clusters</h2>")
    out.append('<input id="filter" type="search" placeholder="Filter principals, levels, groups">')
    out.append('<table id="matrix"><thead><tr><th>Principal</th>%s</tr></thead><tbody>' % "".join(
        "<th>%s</th>" % _e(c) for c in clusters))
    for principal, cells in document["matrix"].items():
        row = ['<tr data-principal="%s"><td class="principal">%s</td>' % (_e(principal), _e(principal))]
        for cluster in clusters:
            cell = cells.get(cluster)
            if cell is None:
                row.append('<td class="cell empty" data-cluster="%s" data-level="">-</td>' % _e(cluster))
                continue
            flags = "".join('<span class="flag">%s</span>' % _e(FLAG_NAMES.get(f, f)) for f in sorted(cell["flags"]))
            row.append('<td class="cell" data-cluster="%s" data-level="%s"><details><summary style="background:%s">'
                       '%s</summary>%s</details>%s</td>' % (
                           _e(cluster), _e(cell["level"]), COLOURS.get(cell["level"], "#9e9e9e"),
                           _e(_cell_text(cell)), _how(cell), flags))
        out.append("".join(row) + "</tr>")
    out.append("</tbody></table>")
    out.append("<h2>Findings</h2>")
    if document["findings"]:
        out.append('<table id="findings"><thead><tr><th>Cluster</th><th>Code</th><th>Principal</th><th>Message</th>'
                   "</tr></thead><tbody>")
        for finding in document["findings"]:
            out.append('<tr class="%s"><td>%s</td><td>%s</td><td class="principal">%s</td><td>%s</td></tr>' % (
                _e(finding.get("severity")), _e(finding["cluster"]), _e(finding["code"]),
                _e(finding.get("principal_arn")), _e(finding["message"])))
        out.append("</tbody></table>")
    else:
        out.append('<p id="no-findings">None.</p>')
    if document.get("drift"):
        out.append('<h2>Drift against the inventory</h2><table id="drift"><thead><tr><th>Cluster</th>'
                   "<th>Live, not declared</th><th>Declared, not live</th></tr></thead><tbody>")
        for cluster, drift in sorted(document["drift"].items()):
            out.append("<tr><td>%s</td><td>%s</td><td>%s</td></tr>" % (
                _e(cluster), "<br>".join(_e(a) for a in drift.get("undeclared") or ()) or "none",
                "<br>".join(_e(a) for a in drift.get("not_live") or ()) or "none"))
        out.append("</tbody></table>")
    out.append("<script>%s</script></body></html>" % _JS)
    return "\n".join(out) + "\n"


def documents(reports: dict, scanned_at: str = "", scanned_by: str = "", failed: dict = None) -> dict:
    """``{json, markdown, html}``: the three texts of a fleet report."""
    document = fleet_document(reports, scanned_at, scanned_by, failed)
    return {"json": json.dumps(document, indent=2, sort_keys=True, default=str) + "\n",
            "markdown": markdown(document), "html": html_page(document)}
