# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""100 000 generated aws-auth ConfigMaps: the module's reading and writing against the authenticator's parser.

The same grammar and invariants as the unit session's 3 000 cases
(tests/fuzz/aws_auth_fuzz.py), with other seeds: (a) what the module reads is
the authenticator's reading, and "the authenticator cannot read" is said only
when it cannot; (b) what a simulated task writes, the authenticator reads as
the module reports, and no entry the task does not name changes meaning; (c)
no exception but the collection's own.  AWS_AUTH_FUZZ_CASES changes the count.
"""

from __future__ import annotations

import os
import time

import pytest

import aws_auth_fuzz
from figures import figure

CASES = int(os.environ.get("AWS_AUTH_FUZZ_CASES", "100000"))
CHUNK = 5000  # cases per seed, so that memory stays flat


def test_aws_auth_reading_and_writing_match_the_authenticator():
    checker, why = aws_auth_fuzz.find_checker()
    if checker is None:
        pytest.fail(why)
    totals = aws_auth_fuzz.Report(seed=1)
    violations = []
    started = time.time()
    for index, begin in enumerate(range(0, CASES, CHUNK)):
        report = aws_auth_fuzz.run(1000 + index, min(CHUNK, CASES - begin), checker)
        for name in ("cases", "sections", "read_same", "cannot_read", "not_understood", "writes", "writes_refused"):
            setattr(totals, name, getattr(totals, name) + getattr(report, name))
        violations.extend(report.violations)
    totals.violations = violations
    figure("aws-auth differential fuzzing, seeds 1000..%d: %s, in %.0fs"
           % (1000 + (CASES - 1) // CHUNK, totals.summary().split(": ", 1)[1], time.time() - started))
    assert violations == [], "\n".join(repr(v) for v in violations[:5])
