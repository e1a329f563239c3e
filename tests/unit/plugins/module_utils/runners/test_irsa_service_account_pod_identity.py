# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""runners/irsa_service_account_pod_identity.py: the options it refuses and the trust it leaves behind."""

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils import errors


def test_irsa_only_options_are_refused_with_pod_identity():
    from ansible_collections.eks.access.plugins.module_utils.runners import irsa_service_account as base
    from ansible_collections.eks.access.plugins.module_utils.runners import irsa_service_account_pod_identity as pi

    options = base.Options(cluster_name="prod", name="reports", role_name="reports", credential_method="pod_identity",
                           token_expiration=3600, audience="other")
    with pytest.raises(errors.InvalidInput) as refused:
        pi.check_options(options)
    assert str(refused.value).startswith("token_expiration, audience only apply to IRSA")
    pi.check_options(base.Options(cluster_name="prod", name="reports", role_name="reports",
                                  credential_method="pod_identity"))


def test_the_trust_left_without_the_pod_identity_statement():
    from ansible_collections.eks.access.plugins.module_utils.model import trust_policy
    from ansible_collections.eks.access.plugins.module_utils.runners import irsa_service_account_pod_identity as pi

    irsa = {"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/x"},
            "Action": "sts:AssumeRoleWithWebIdentity"}
    listed = {"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com", trust_policy.POD_IDENTITY_SERVICE]},
              "Action": "sts:AssumeRole"}
    trust = {"Version": "2012-10-17", "Statement": [trust_policy.pod_identity_statement(), irsa, listed]}
    assert pi._without_pod_identity(trust) == [irsa]  # pylint: disable=protected-access
    assert pi._without_pod_identity({"Statement": trust_policy.pod_identity_statement()}) == []  # pylint: disable=protected-access
