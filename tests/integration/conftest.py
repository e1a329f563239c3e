# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the pytest drivers; their helpers live in tests/lib (docs/testing.md)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def sandbox_env():
    """The environment .sandbox/env exports; integration tests need the sandbox up."""
    if not os.environ.get("KUBECONFIG") or not os.environ.get("AWS_ENDPOINT_URL"):
        pytest.fail("the sandbox environment is not loaded: run `make sandbox` and source .sandbox/env")
    return dict(os.environ)
