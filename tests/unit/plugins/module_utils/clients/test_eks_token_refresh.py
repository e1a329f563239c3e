# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""EKS tokens that outlive a run: TokenSource mints again when a token is old or refused, and KubeApi puts
the current token on every request and answers a 401 once with a new token.

The stand-in for DynamicClient reads the bearer token the way kubernetes' ApiClient does for each request
(Configuration.get_api_key_with_prefix, which calls refresh_api_key_hook first) and plays an API server that
refuses tokens older than its lifetime.
"""

from __future__ import annotations

import json
import threading

import pytest
from kubernetes.client import Configuration
from kubernetes.client.exceptions import ApiException

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.clients import eks_token
from ansible_collections.eks.access.plugins.module_utils.clients import kube


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class Minter:
    """Tokens tok-1, tok-2 ... and when each was minted."""

    def __init__(self, clock):
        self.clock = clock
        self.minted = {}

    def __call__(self):
        token = "k8s-aws-v1.tok-%d" % (len(self.minted) + 1)
        self.minted[token] = self.clock()
        return token


class _Response:
    def __init__(self, data):
        self.data = data


class ApiServer:
    """A DynamicClient stand-in: 401 for a token older than ``lifetime``, else 200 {"ok": token}."""

    def __init__(self, minter, clock, lifetime, api_key=None):
        self.client = type("ApiClient", (), {})()
        self.client.configuration = Configuration()
        self.client.configuration.api_key = {"authorization": "Bearer " + api_key} if api_key else {}
        self.minter, self.clock, self.lifetime = minter, clock, lifetime
        self.seen = []

    def request(self, method, path, body=None, **params):
        header = self.client.configuration.get_api_key_with_prefix("authorization")
        token = header[len("Bearer "):]
        self.seen.append(token)
        if self.clock() - self.minter.minted[token] > self.lifetime:
            error = ApiException(status=401, reason="Unauthorized")
            error.body = json.dumps({"kind": "Status", "message": "Unauthorized", "reason": "Unauthorized"})
            raise error
        return _Response(json.dumps({"ok": token}).encode())


def setup(lifetime=900, refresh_after=eks_token.REFRESH_AFTER_SECONDS):
    clock = Clock()
    minter = Minter(clock)
    source = eks_token.TokenSource(minter, refresh_after=refresh_after, clock=clock)
    server = ApiServer(minter, clock, lifetime, api_key=source.token())
    return clock, source, server, kube.KubeApi(server, source)


def test_the_token_is_minted_once_and_kept_while_young():
    clock, source, server, api = setup()
    for _request in range(3):
        api.get("/api")
        clock.now += 60
    assert server.seen == ["k8s-aws-v1.tok-1"] * 3 and source.minted == 1


def test_a_token_is_replaced_before_eks_refuses_it():
    """EKS's 15 minutes: REFRESH_AFTER_SECONDS (10 minutes) is well before, so no request ever sees a 401."""
    assert eks_token.REFRESH_AFTER_SECONDS < eks_token.TOKEN_LIFETIME_SECONDS - 60
    clock, source, server, api = setup(lifetime=eks_token.TOKEN_LIFETIME_SECONDS)
    for _minute in range(40):  # 40 minutes, one request a minute
        assert api.get("/api")["ok"] == server.seen[-1]
        clock.now += 60
    assert source.minted == 4 and len(set(server.seen)) == 4


def test_a_401_is_answered_once_by_a_new_token_and_the_same_request():
    """An API server with a shorter lifetime than the refresh age (the sandbox's 10 s): the 401 path."""
    clock, source, server, api = setup(lifetime=10)
    api.get("/api")
    clock.now += 25
    assert api.request("POST", "/apis/x", body={"a": 1}) == {"ok": "k8s-aws-v1.tok-2"}
    assert server.seen == ["k8s-aws-v1.tok-1", "k8s-aws-v1.tok-1", "k8s-aws-v1.tok-2"]
    # The header the client holds now is the new token's.
    assert server.client.configuration.api_key["authorization"] == "Bearer k8s-aws-v1.tok-2"


def test_a_second_401_is_reported_with_its_status_and_no_token():
    clock, source, server, api = setup(lifetime=-1)  # refuses every token, even a new one
    with pytest.raises(errors.KubeApiError) as caught:
        api.get("/api")
    assert caught.value.status == 401 and source.minted == 2
    assert "k8s-aws-v1." not in str(caught.value) and "k8s-aws-v1." not in repr(source)


def test_a_401_without_a_token_source_is_not_retried():
    clock = Clock()
    minter = Minter(clock)
    server = ApiServer(minter, clock, lifetime=10, api_key=minter())
    clock.now += 60
    with pytest.raises(errors.KubeApiError):
        kube.KubeApi(server).get("/api")
    assert len(server.seen) == 1 and len(minter.minted) == 1


def test_threads_refused_together_mint_one_new_token():
    clock = Clock()
    minter = Minter(clock)
    source = eks_token.TokenSource(minter, clock=clock)
    old = source.token()
    results = []
    threads = [threading.Thread(target=lambda: results.append(source.refresh(old))) for _thread in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(results) == {"k8s-aws-v1.tok-2"} and source.minted == 2
    assert source.refresh() == "k8s-aws-v1.tok-3"


def test_every_client_gets_its_own_source(monkeypatch):
    """kube_api and kube_api_as (the verification's other identities) both build a KubeApi with a TokenSource
    minting with their own STS client."""
    from ansible_collections.eks.access.plugins.module_utils.clients import connection
    from ansible_collections.eks.access.plugins.module_utils.model.eks_cluster import ClusterFacts

    built = []
    monkeypatch.setattr(connection, "_kube_api_with", lambda module, overrides, source=None: built.append(
        (overrides, source)) or "api")
    facts = ClusterFacts(name="prod", endpoint="https://x", certificate_authority_data="ca")
    monkeypatch.setattr(connection, "decode_ca_data", lambda name, data: b"pem")
    monkeypatch.setattr(connection, "_write_ca_file", lambda pem: "/tmp/ca")
    minted = []
    monkeypatch.setattr(connection, "mint_token", lambda sts, name: minted.append((sts, name)) or
                        "k8s-aws-v1.%s-%d" % (sts, len(minted)))

    class Module:
        params = {"cluster_name": "prod", "k8s_auth": "eks_token"}

        def client(self, name, **kw):
            return "assumed" if kw else "own"

        def add_cleanup_file(self, path):
            pass

    connection.kube_api(Module(), lambda name: facts)
    connection.kube_api_as(Module(), "prod", {"AccessKeyId": "a", "SecretAccessKey": "b", "SessionToken": "c"},
                           lambda name: facts)
    (own, own_source), (other, other_source) = built
    assert own["api_key"] == "k8s-aws-v1.own-1" and other["api_key"] == "k8s-aws-v1.assumed-2"
    assert own_source.refresh() == "k8s-aws-v1.own-3" and other_source.refresh() == "k8s-aws-v1.assumed-4"
