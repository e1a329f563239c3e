# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The aws-auth reading against aws-iam-authenticator's own parser, on generated ConfigMaps.

A few thousand cases, seeded (tests/fuzz/aws_auth_fuzz.py; `make reliability`
runs 100 000).  Needs the aws-auth-check binary the sandbox build makes.
"""

from __future__ import annotations

import os

import pytest

from ansible_collections.eks.access.tests.fuzz import aws_auth_fuzz

CASES = int(os.environ.get("AWS_AUTH_FUZZ_CASES", "3000"))


@pytest.fixture(scope="module")
def checker():
    binary, why = aws_auth_fuzz.find_checker()
    if binary is None:
        pytest.skip(why)
    return binary


@pytest.mark.parametrize("seed", [20261130])
def test_reading_and_writing_match_the_authenticator(checker, seed):
    report = aws_auth_fuzz.run(seed, CASES, checker)
    print(report.summary())
    assert report.violations == [], report.summary() + "\n" + "\n".join(repr(v) for v in report.violations[:5])
    # The grammar must reach all three outcomes, or the test proves little.
    assert report.read_same > CASES // 5 and report.cannot_read > CASES // 20 and report.not_understood > CASES // 20
    assert report.writes - report.writes_refused > CASES // 2


def test_checker_reports_each_section_on_its_own(checker):
    data = {"mapRoles": "- rolearn: x\n- rolearn: 5\n", "mapUsers": "- userarn: u\n", "mapAccounts": "%YAML 1.2\n---\n- 1"}
    out = aws_auth_fuzz.check_batch(checker, [data, {}])
    assert set(out[0]["errors"]) == {"mapRoles", "mapAccounts"}
    assert out[0]["sections"]["mapUsers"] == [{"userarn": "u", "username": "", "groups": []}]
    assert out[1] == {"sections": {"mapRoles": [], "mapUsers": [], "mapAccounts": []}}
