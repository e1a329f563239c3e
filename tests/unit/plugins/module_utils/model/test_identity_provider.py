# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""model/identity_provider.py: EKS's rules for OIDC identity provider configs, the plan and its refusals."""

from __future__ import annotations

import dataclasses

import pytest

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model import identity_provider as model

ISSUER = "https://idp.example.com/oauth2"


def config(name="okta", **kw):
    values = dict(issuer_url=ISSUER, client_id="cluster", username_claim="email", username_prefix="oidc:",
                  groups_claim="groups", groups_prefix="oidc:", required_claims={}, tags={})
    values.update(kw)
    return model.ProviderConfig(name, **values)


def active(name="okta", **kw):
    c = config(name, **kw)
    return dataclasses.replace(c, arn="arn:aws:eks:us-west-2:1:identityproviderconfig/c/oidc/%s/x" % name,
                               status="ACTIVE")


@pytest.mark.parametrize("bad, words", [
    (dict(issuer_url="http://idp.example.com"), "https URL"),
    (dict(issuer_url="https://idp.example.com/?a=b"), "no query"),
    (dict(username_prefix="system:oidc"), "reserves"),
    (dict(groups_prefix="system:"), "reserves"),
    (dict(required_claims={"x" * 64: "v"}), "1 to 63"),
    (dict(client_id=""), "audience"),
])
def test_what_eks_refuses_is_refused_first(bad, words):
    with pytest.raises(errors.InvalidInput, match=words):
        model.check_wanted(config(**bad))


def test_associate_then_nothing_to_do():
    plan = model.plan([], config(), "present", "c")
    assert plan.action == "associate" and plan.associate == config()
    again = model.plan([active()], config(), "present", "c")
    assert again.action == "none" and not again.changed


def test_an_immutable_change_is_refused_unless_replace():
    with pytest.raises(errors.Refused, match="disassociating it and associating it again.*replace: true"):
        model.plan([active()], config(client_id="other"), "present", "c")
    plan = model.plan([active()], config(client_id="other"), "present", "c", replace=True)
    assert plan.action == "replace" and plan.disassociate == ["okta"] and plan.associate.client_id == "other"


def test_one_config_per_cluster():
    with pytest.raises(errors.Refused, match="allows one per cluster"):
        model.plan([active("dex")], config(), "present", "c")
    plan = model.plan([active("dex")], config(), "present", "c", replace=True)
    assert plan.disassociate == ["dex"] and plan.associate.name == "okta"


def test_tags_change_in_place():
    plan = model.plan([active(tags={"a": "1", "b": "2"})], config(tags={"a": "9"}), "present", "c")
    assert plan.action == "tag" and plan.tag == {"a": "9"} and plan.untag == ["b"]
    keep = model.plan([active(tags={"a": "1", "b": "2"})], config(tags={"a": "9"}), "present", "c", purge_tags=False)
    assert keep.untag == []


def test_fields_not_given_are_not_compared():
    wanted = model.ProviderConfig("okta", tags=None)
    assert model.plan([active()], wanted, "present", "c").action == "none"


def test_absent():
    assert model.plan([active()], model.ProviderConfig("okta"), "absent", "c").disassociate == ["okta"]
    assert model.plan([], model.ProviderConfig("okta"), "absent", "c").action == "none"
    deleting = dataclasses.replace(active(), status="DELETING")
    assert model.plan([deleting], model.ProviderConfig("okta"), "absent", "c").action == "none"
