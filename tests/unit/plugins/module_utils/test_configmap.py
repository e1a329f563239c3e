# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils import configmap
from ansible_collections.eks.access.plugins.module_utils.aws_auth import AwsAuthError

BROKEN = {"mapRoles": "mapRoles: invalid YAML: ...", "mapUsers": "mapUsers: must be a YAML list"}


@pytest.mark.parametrize("repair_kinds, fragments", [
    (None, ["does not parse", "mapRoles, mapUsers should hold", "repair=true", "Nothing was written"]),
    (("mapRoles",), ["lists none for mapUsers", "Nothing was written"]),
    (("mapAccounts",), ["lists none for mapRoles, mapUsers"]),
])
def test_refuse_malformed(repair_kinds, fragments):
    with pytest.raises(AwsAuthError) as exc:
        configmap._refuse_malformed("kube-system", "aws-auth", BROKEN, repair_kinds)
    for fragment in fragments:
        assert fragment in str(exc.value)


def test_repair_allowed_when_every_broken_section_is_listed():
    assert configmap._refuse_malformed("kube-system", "aws-auth", BROKEN, ("mapRoles", "mapUsers")) is None


def test_a_broken_key_we_do_not_manage_is_never_repaired():
    with pytest.raises(AwsAuthError) as exc:
        configmap._refuse_malformed("kube-system", "aws-auth", {"other": "bad"}, ("mapRoles", "mapUsers"))
    assert "lists none for other" in str(exc.value)
