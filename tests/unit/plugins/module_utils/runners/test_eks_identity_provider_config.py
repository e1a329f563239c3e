# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""runners/eks_identity_provider_config.py over a stubbed EKS client: check mode, the association it waits for."""

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.runners import eks_identity_provider_config as runner

from ..services.test_identity_providers import queue_configs

WANTED = dict(cluster_name="prod", name="okta", issuer_url="https://issuer.example.com", client_id="kubernetes",
              tags={"team": "a"})


def test_check_mode_plans_the_association_and_writes_nothing(context):
    context.check_mode = context.diff_mode = True
    queue_configs(context.stub("eks"), [])
    result = runner.run(context, runner.Options(**WANTED))
    assert result["changed"] and result["action"] == "associate" and result["update_ids"] == []
    assert result["identity_provider_config"]["name"] == "okta" and "diff" in result


def test_an_association_is_made_waited_for_and_read_back(context):
    stub = context.stub("eks")
    queue_configs(stub, [])
    stub.add_response("associate_identity_provider_config", {"update": {"id": "u-1", "status": "InProgress"}})
    stub.add_response("describe_update", {"update": {"id": "u-1", "status": "Successful"}},
                      {"name": "prod", "updateId": "u-1"})
    queue_configs(stub, [("oidc", "okta")])
    result = runner.run(context, runner.Options(poll_seconds=0, **WANTED))
    assert result["changed"] and result["update_ids"] == ["u-1"] and result["disassociated"] == []
    assert result["identity_provider_config"]["name"] == "okta"


def test_the_same_config_again_changes_nothing(context):
    queue_configs(context.stub("eks"), [("oidc", "okta")])
    result = runner.run(context, runner.Options(**WANTED))
    assert not result["changed"] and result["action"] == "none" and result["update_ids"] == []


def test_a_bad_name_is_refused_before_any_call(context):
    with pytest.raises(errors.InvalidInput, match="must start with a letter or digit"):
        runner.run(context, runner.Options("prod", "-okta", "https://issuer.example.com", "kubernetes"))
