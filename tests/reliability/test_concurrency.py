# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""20 playbooks at once, 10 distinct role mappings each: all 200 land, none lost."""

from __future__ import annotations

import time

import apicount
from aws_auth_state import role_mappings
from figures import figure
from playbook_runs import localhost_play, start_playbook

PLAYBOOKS = 20
EACH = 10

TASKS = """\
- name: This playbook's mappings
  eks.access.aws_auth_mapping:
    kubeconfig: "{{ lookup('env', 'KUBECONFIG') }}"
    roles: "{{ mappings }}"
"""


def test_twenty_parallel_playbooks_lose_nothing(env, aws_auth, tmp_path):
    window = apicount.Window(env["SANDBOX_AUDIT_LOG"]).start()
    t0 = time.monotonic()
    procs = []
    for index in range(PLAYBOOKS):
        work = tmp_path / ("p%02d" % index)
        work.mkdir()
        mappings = role_mappings(aws_auth.account, "race%02d" % index, EACH)
        procs.append((work, start_playbook(env, localhost_play(TASKS), work, {"mappings": mappings})))
    failed = []
    for work, proc in procs:
        if proc.wait(timeout=900) != 0:
            failed.append((work.name, (work / "out.log").read_text()[-3000:]))
    elapsed = time.monotonic() - t0
    window.stop()
    conflicts = sum(1 for e in window.events if (e.get("objectRef") or {}).get("resource") == "configmaps"
                    and e.get("verb") in ("update", "create") and e.get("responseStatus", {}).get("code") == 409)
    writes = sum(1 for e in window.events if (e.get("objectRef") or {}).get("resource") == "configmaps"
                 and e.get("verb") in ("update", "create") and e.get("responseStatus", {}).get("code") in (200, 201))

    view = aws_auth.authenticator_view()
    arns = [m["rolearn"] for m in view["mapRoles"]]
    expected = {m["rolearn"] for i in range(PLAYBOOKS)
                for m in role_mappings(aws_auth.account, "race%02d" % i, EACH)}
    present = expected & set(arns)
    lost = expected - set(arns)
    figure("concurrency: %d playbooks x %d mappings in %.1fs: %d/%d present, %d lost, %d duplicates, "
           "node mappings kept: %s; %d successful writes, %d conflicts (409) re-read and retried; %d playbooks failed"
           % (PLAYBOOKS, EACH, elapsed, len(present), len(expected), len(lost), len(arns) - len(set(arns)),
              all(n in arns for n in aws_auth.node_roles), writes, conflicts, len(failed)))
    assert not failed, failed[0]
    assert not lost
    assert len(arns) == len(set(arns)) == len(expected) + len(aws_auth.node_roles)
    assert all(n in arns for n in aws_auth.node_roles)
