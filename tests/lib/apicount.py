# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Count what reached the real kube-apiserver: its audit log and its metrics.

The sandbox's API server audits every request of the operator user
(``kubernetes-admin``) as one JSON line in ``$SANDBOX_AUDIT_LOG`` (see
docs/sandbox.md).  ``Window`` takes the lines written between ``start()``
and ``stop()``; ``metrics_configmap_requests()`` reads
``apiserver_request_total{resource="configmaps"}`` from ``/metrics`` as a
second, independent source.  Neither trusts a counter of ours.
"""

from __future__ import annotations

import collections
import json
import os
import re
import ssl
import time
import urllib.request

WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")
AUDIT_USER = "kubernetes-admin"


def load_sandbox_env(repo):
    """The variables .sandbox/env exports, merged over os.environ."""
    env = dict(os.environ)
    state = os.environ.get("EKS_SANDBOX_DIR", os.path.join(repo, ".sandbox"))
    with open(os.path.join(state, "env")) as f:
        for line in f:
            line = line.strip()
            if line.startswith("export "):
                key, _sep, value = line[len("export "):].partition("=")
                env[key] = value.strip("'")
    return env


class Counts(dict):
    """verb/resource tallies of one window, plus the derived figures."""

    @property
    def requests(self):
        return self["requests"]

    @property
    def writes(self):
        return self["aws_auth_writes"]


class Window:
    """Audit events of the operator between start() and stop()."""

    def __init__(self, audit_log, user=AUDIT_USER):
        self.audit_log = audit_log
        self.user = user
        self.offset = 0
        self.events = []

    def _size(self):
        try:
            return os.path.getsize(self.audit_log)
        except OSError:
            return 0

    def start(self):
        time.sleep(0.3)  # let earlier requests' events land first
        self.offset = self._size()
        return self

    def stop(self):
        time.sleep(0.5)  # events are written as the response completes
        with open(self.audit_log, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        self.events = []
        for line in data.decode("utf-8", "replace").splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("user", {}).get("username") != self.user:
                continue
            if event.get("requestURI", "").startswith("/metrics"):
                continue  # our own reading of the metrics, not the case's
            self.events.append(event)
        return self.counts()

    def counts(self):
        by = collections.Counter()
        cm_requests = cm_writes = aws_auth_writes = 0
        for event in self.events:
            ref = event.get("objectRef") or {}
            verb = event.get("verb", "")
            by["%s %s" % (verb, ref.get("resource", event.get("requestURI", "").split("?")[0]))] += 1
            if ref.get("resource") == "configmaps":
                cm_requests += 1
                if verb in WRITE_VERBS:
                    cm_writes += 1
                    if ref.get("name") == "aws-auth" or (verb == "create" and ref.get("namespace") == "kube-system"):
                        # dry runs are writes the server validates but does not store
                        if "dryRun" not in event.get("requestURI", ""):
                            aws_auth_writes += 1
        return Counts(requests=len(self.events), configmap_requests=cm_requests, configmap_writes=cm_writes,
                      aws_auth_writes=aws_auth_writes, by=dict(by))


_METRIC_RE = re.compile(r'^apiserver_request_total\{([^}]*)\} ([0-9.e+]+)$')


def metrics_configmap_requests(env):
    """{verb: count} of apiserver_request_total for configmaps, all codes summed."""
    state = env["EKS_SANDBOX_DIR"]
    with open(os.path.join(state, "kubeconfig")) as f:
        config = json.load(f)
    token = config["users"][0]["user"]["token"]
    ctx = ssl.create_default_context(cafile=os.path.join(state, "pki", "ca.crt"))
    request = urllib.request.Request(env["SANDBOX_APISERVER_URL"] + "/metrics",
                                     headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(request, context=ctx, timeout=10) as response:
        text = response.read().decode()
    totals = collections.Counter()
    for line in text.splitlines():
        match = _METRIC_RE.match(line)
        if not match:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
        if labels.get("resource") == "configmaps" and labels.get("dry_run", "") == "":
            totals[labels.get("verb", "")] += int(float(match.group(2)))
    return totals


def metrics_delta(before, after):
    verbs = set(before) | set(after)
    delta = {v: after.get(v, 0) - before.get(v, 0) for v in verbs}
    return {v: n for v, n in delta.items() if n}


def metrics_writes(delta):
    return sum(n for v, n in delta.items() if v in ("POST", "PUT", "PATCH", "DELETE"))
