# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def sandbox_env():
    """The environment .sandbox/env exports; integration tests need the sandbox up."""
    if not os.environ.get("KUBECONFIG") or not os.environ.get("AWS_ENDPOINT_URL"):
        pytest.fail("the sandbox environment is not loaded: run `make sandbox` and source .sandbox/env")
    return dict(os.environ)


def playbook_env(env):
    """Environment for an ansible-playbook run in tests: plain output, no retry files."""
    return dict(env, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
                ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
