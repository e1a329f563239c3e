# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the reliability suite (`make reliability`, docs/reliability.md); helpers live in tests/lib."""

from __future__ import annotations

import os

import pytest

import apicount
from aws_auth_state import AwsAuthState
from playbook_runs import REPO


@pytest.fixture(scope="session")
def env():
    if os.environ.get("KUBECONFIG") and os.environ.get("SANDBOX_AUDIT_LOG"):
        return dict(os.environ)
    try:
        return apicount.load_sandbox_env(REPO)
    except OSError:
        pytest.fail("the sandbox is not up: run `make reliability` (or `make sandbox`)")


@pytest.fixture(scope="session")
def core(env):
    from kubernetes import client, config

    return client.CoreV1Api(config.new_client_from_config(config_file=os.path.join(env["EKS_SANDBOX_DIR"],
                                                                                   "kubeconfig")))


@pytest.fixture
def aws_auth(env, core):
    state = AwsAuthState(env, core)
    state.reset()
    yield state
    state.delete()
