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

TOKEN_PREFIX = "k8s-aws-v1."
CLUSTER_ID_HEADER = "x-k8s-aws-id"
# The authenticator refuses URLs older than 15 minutes whatever X-Amz-Expires
# says; 60 seconds is what aws-cli asks for, enough for one module run.
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
