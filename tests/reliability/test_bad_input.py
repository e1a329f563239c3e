# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every malformed input gives a clear error and leaves aws-auth exactly as it was.

The corpus (bad_inputs.py) covers ARNs, role paths, usernames (templates,
control characters, YAML injection), groups, option types, duplicates, huge
lists and non-ASCII text.  Each input goes to the module as it is (no Jinja on
the way), against an aws-auth holding the node mappings.
"""

from __future__ import annotations

import re
import time

import bad_inputs  # pylint: disable=import-error
from figures import figure
from playbook_runs import run_module

MAX_MESSAGE = 2000  # a clear error is short; a dump of the input is not


def test_corpus_is_big_enough():
    cases = bad_inputs.cases()
    figure("bad input: corpus of %d malformed inputs" % len(cases))
    assert len(cases) >= 100
    assert len({c[0] for c in cases}) == len(cases)


def test_every_malformed_input_is_refused_and_writes_nothing(env, aws_auth, tmp_path):
    cases = bad_inputs.cases()
    before_data, before_version = aws_auth.read()
    problems = []
    t0 = time.monotonic()
    for case_id, args, pattern in cases:
        rc, result = run_module(env, "aws_auth_mapping", dict(args), tmp_path)
        msg = str(result.get("msg", ""))
        data, version = aws_auth.read()
        if rc == 0 or not result.get("failed"):
            problems.append("%s: accepted (changed=%s)" % (case_id, result.get("changed")))
        elif not re.search(pattern, msg, re.IGNORECASE):
            problems.append("%s: message %r does not match %r" % (case_id, msg[:300], pattern))
        elif len(msg) > MAX_MESSAGE or "Traceback" in msg or "exception" in result:
            problems.append("%s: unclear message (%d chars, traceback: %s)" % (case_id, len(msg), "exception" in result))
        if version != before_version or data != before_data:
            problems.append("%s: aws-auth changed (resourceVersion %s -> %s)" % (case_id, before_version, version))
            before_data, before_version = data, version  # judge the next case on its own
    figure("bad input: %d/%d malformed inputs refused with a clear error, resourceVersion unchanged (%s) "
           "in %.0fs" % (len(cases) - len({p.split(':')[0] for p in problems}), len(cases), before_version,
                         time.monotonic() - t0))
    for problem in problems:
        print("  " + problem)
    assert not problems
