# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The EKS bearer token: a presigned STS GetCallerIdentity URL, base64url-encoded.

This is what `aws eks get-token` and aws-iam-authenticator produce.  The API
server's authenticator replays the URL against STS, and only accepts it when
the signed headers include ``x-k8s-aws-id: <cluster name>``; that header binds
the token to one cluster.  Presigning is local (no network), so minting a
token needs no aws CLI and no kubeconfig.
"""

from __future__ import annotations

import base64
import threading
import time

TOKEN_PREFIX = "k8s-aws-v1."
CLUSTER_ID_HEADER = "x-k8s-aws-id"
# The authenticator refuses URLs older than 15 minutes whatever X-Amz-Expires
# says; 60 seconds is what aws-cli asks for. A client that outlives its token
# mints another (TokenSource).
DEFAULT_EXPIRES_SECONDS = 60


def token_from_presigned_url(url: str) -> str:
    """Encode a presigned GetCallerIdentity URL as an EKS bearer token (no padding)."""
    encoded = base64.urlsafe_b64encode(url.encode("utf-8")).decode("ascii")
    return TOKEN_PREFIX + encoded.rstrip("=")


def presigned_url_from_token(token: str) -> str:
    """Decode an EKS bearer token back to the presigned URL (for checks and tests)."""
    if not token.startswith(TOKEN_PREFIX):
        raise ValueError("an EKS token starts with %r" % TOKEN_PREFIX)
    body = token[len(TOKEN_PREFIX):]
    body += "=" * (-len(body) % 4)
    return base64.urlsafe_b64decode(body.encode("ascii")).decode("utf-8")


def presign_get_caller_identity(sts_client, cluster_name: str, expires: int = DEFAULT_EXPIRES_SECONDS) -> str:
    """Presign GET sts:GetCallerIdentity with the cluster id header signed in.

    ``sts_client`` is a botocore STS client; nothing is sent over the network.
    """
    if not cluster_name:
        raise ValueError("cluster_name is required to mint an EKS token")

    def _sign_cluster_header(request, **kwargs):
        request.headers[CLUSTER_ID_HEADER] = cluster_name

    events = sts_client.meta.events
    event_name = "before-sign.sts.GetCallerIdentity"
    events.register(event_name, _sign_cluster_header)
    try:
        return sts_client.generate_presigned_url(
            "get_caller_identity", Params={}, ExpiresIn=expires, HttpMethod="GET"
        )
    finally:
        events.unregister(event_name, _sign_cluster_header)


def mint_token(sts_client, cluster_name: str, expires: int = DEFAULT_EXPIRES_SECONDS) -> str:
    """Return a ``k8s-aws-v1.`` bearer token for ``cluster_name``."""
    return token_from_presigned_url(presign_get_caller_identity(sts_client, cluster_name, expires))


# EKS accepts a token for 15 minutes after its X-Amz-Date (whatever X-Amz-Expires says). A client that lives
# longer than one request keeps its token in a TokenSource, which mints a new one once the old one is
# REFRESH_AFTER_SECONDS old (well before EKS's limit, so a request never carries a token about to expire) and
# whenever the API server answers 401 (a clock off, a shorter lifetime than EKS's): see clients/kube.py.
TOKEN_LIFETIME_SECONDS = 900
REFRESH_AFTER_SECONDS = 600


class TokenSource:
    """The EKS token of one client: minted on first use, again when REFRESH_AFTER_SECONDS old or on refresh().

    ``mint`` returns a new token (a closure over an STS client and the cluster name). The token itself never
    appears in repr() or in any message.
    """

    def __init__(self, mint, refresh_after: float = REFRESH_AFTER_SECONDS, clock=time.monotonic):
        self._mint = mint
        self._clock = clock
        self.refresh_after = refresh_after
        self._token = None
        self._minted_at = None
        self._lock = threading.Lock()
        self.minted = 0

    def __repr__(self):
        return "<TokenSource: minted %d time(s)>" % self.minted

    def age(self):
        """Seconds since the current token was minted (None before the first)."""
        return None if self._minted_at is None else self._clock() - self._minted_at

    def token(self) -> str:
        """The current token, minted again first when there is none or it is REFRESH_AFTER_SECONDS old."""
        with self._lock:
            if self._token is None or self._clock() - self._minted_at >= self.refresh_after:
                self._renew()
            return self._token

    def refresh(self, refused: str = None) -> str:
        """A new token, after the API server refused ``refused`` (401); when another thread already replaced
        that token, its successor is kept rather than minting again."""
        with self._lock:
            if refused is None or refused == self._token or self._token is None:
                self._renew()
            return self._token

    def _renew(self):
        self._token = self._mint()
        self._minted_at = self._clock()
        self.minted += 1
