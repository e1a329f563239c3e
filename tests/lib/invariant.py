# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Safety invariants checked while a migration runs: a sampler thread and the test's own judge of a pod's credentials.

Shared by the reliability tests of the VPC CNI and Pod Identity migrations.
"""

from __future__ import annotations

import datetime
import threading


class Sampler(threading.Thread):
    """Reads a snapshot with ``read()`` until stopped; counts samples and failed reads, keeps every unsafe snapshot.

    ``safe(snapshot)`` judges one; a read that raises (racing a restart) counts
    in ``read_errors``.  ``pause``: seconds between two samples.
    """

    def __init__(self, read, safe, pause=0.0):
        super().__init__(daemon=True)
        self.read, self.safe, self.pause = read, safe, pause
        self.samples = 0
        self.read_errors = 0
        self.violations = []
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            try:
                snapshot = self.read()
            except Exception:  # noqa: BLE001  pylint: disable=broad-except
                # a read racing a restart
                self.read_errors += 1
                continue
            self.samples += 1
            if not self.safe(snapshot):
                self.violations.append((datetime.datetime.now().isoformat(), snapshot))
            if self.pause:
                self.halt.wait(self.pause)

    def stop(self):
        self.halt.set()
        self.join(timeout=30)


def carries_token(pod, variables, token_dir, audience, path=None):
    """The test's own judge of a pod (API JSON): every container has ``variables`` ({name: value, or None for any
    non-empty value}) and a projected service account token of ``audience`` (and ``path``) mounted at ``token_dir``."""
    volumes = dict((v["name"], v) for v in pod["spec"].get("volumes") or [])
    for container in (pod["spec"].get("initContainers") or []) + pod["spec"]["containers"]:
        env = dict((e["name"], e.get("value")) for e in container.get("env") or [])
        if any(not env.get(name) if value is None else env.get(name) != value for name, value in variables.items()):
            return False
        mounted = [m["name"] for m in container.get("volumeMounts") or [] if m.get("mountPath") == token_dir]
        tokens = [s["serviceAccountToken"] for name in mounted
                  for s in ((volumes.get(name) or {}).get("projected") or {}).get("sources") or []
                  if s.get("serviceAccountToken")]
        if not any(t.get("audience") == audience and (path is None or t.get("path") == path) for t in tokens):
            return False
    return True
