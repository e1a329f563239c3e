# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which way in a module takes to the Kubernetes API."""

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils.clients.connection import KubernetesConnectionError
from ansible_collections.eks.access.plugins.module_utils.clients.connection import choose_auth
from ansible_collections.eks.access.plugins.module_utils.clients.connection import kubernetes_settings_given


@pytest.mark.parametrize(
    "params, environ, expected",
    [
        ({"cluster_name": "prod"}, {}, "eks_token"),
        ({"cluster_name": "prod", "kubeconfig": "/k"}, {}, "kubernetes"),
        ({"cluster_name": "prod", "host": "https://h", "api_key": "t"}, {}, "kubernetes"),
        ({"cluster_name": "prod"}, {"KUBECONFIG": "/k"}, "kubernetes"),
        ({"cluster_name": "prod"}, {"K8S_AUTH_KUBECONFIG": "/k"}, "kubernetes"),
        ({"cluster_name": "prod"}, {"K8S_AUTH_HOST": "https://h"}, "kubernetes"),
        ({}, {}, "kubernetes"),
        ({"cluster_name": "prod", "kubeconfig": "/k", "k8s_auth": "eks_token"}, {}, "eks_token"),
        ({"cluster_name": "prod", "k8s_auth": "kubernetes"}, {}, "kubernetes"),
    ],
)
def test_choose_auth(params, environ, expected):
    assert choose_auth(params, environ) == expected


def test_eks_token_without_cluster_name_is_an_error():
    with pytest.raises(KubernetesConnectionError, match="needs cluster_name"):
        choose_auth({"k8s_auth": "eks_token"}, {})


def test_empty_environment_values_do_not_count():
    assert not kubernetes_settings_given({"context": None}, {"KUBECONFIG": "", "K8S_AUTH_CONTEXT": ""})


def test_ca_data_must_be_base64_pem():
    import base64

    from ansible_collections.eks.access.plugins.module_utils.clients.connection import decode_ca_data

    pem = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    assert decode_ca_data("c", base64.b64encode(pem).decode()) == pem
    for bad in ("not base64 at all!", base64.b64encode(b"\x91random bytes").decode()):
        with pytest.raises(KubernetesConnectionError, match="not a base64-encoded PEM"):
            decode_ca_data("c", bad)
