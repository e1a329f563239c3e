# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Presigned (query-string SigV4) STS requests for moto, checked like STS checks them.

An EKS token is a presigned ``GET /?Action=GetCallerIdentity`` URL.  The
authenticator replays it against STS with the header ``x-k8s-aws-id: <its own
cluster name>``, and STS answers only when the SigV4 signature over that
header (and everything else) matches: that is what binds a token to one
cluster and one identity.

moto 5.2.5 does not do this: it routes a request by its ``Authorization``
header (a presigned URL has none, so it lands on S3) and never checks a
signature.  ``QueryAuthMiddleware`` sits in front of moto's WSGI app and, for
presigned STS requests only, does what STS does: look the access key up (an
unknown key is ``InvalidClientTokenId``), recompute the signature from the
request as received (a mismatch is ``SignatureDoesNotMatch``), and then hand
the request to moto with an ``Authorization`` header carrying the same
credential, so moto answers as that identity.  Every other request passes
through untouched.

The signature code is plain SigV4 (no botocore), so the unit tests can check
it against botocore's own presigner.
"""

import hashlib
import hmac
import io
from urllib.parse import parse_qsl, quote

ALGORITHM = "AWS4-HMAC-SHA256"


class QueryAuthError(Exception):
    """The request is refused; ``code`` and ``status`` are what STS would answer."""

    def __init__(self, code, message, status=403):
        super().__init__(message)
        self.code = code
        self.status = status


def _uri_encode(text):
    return quote(text, safe="-_.~")


def canonical_query(pairs):
    """SigV4 canonical query string of (key, value) pairs, X-Amz-Signature left out."""
    encoded = sorted((_uri_encode(k), _uri_encode(v)) for k, v in pairs if k != "X-Amz-Signature")
    return "&".join("%s=%s" % kv for kv in encoded)


def _hmac(key, msg):
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret, date, region, service):
    k = _hmac(("AWS4" + secret).encode("utf-8"), date)
    k = _hmac(k, region)
    k = _hmac(k, service)
    return _hmac(k, "aws4_request")


def parse_query(query_string):
    """The query parameters as a dict; repeated keys are refused (SigV4 query auth has none)."""
    params = {}
    for key, value in parse_qsl(query_string, keep_blank_values=True):
        if key in params:
            raise QueryAuthError("MalformedQueryString", "duplicate query parameter %s" % key, 400)
        params[key] = value
    return params


def is_presigned(params):
    return "X-Amz-Signature" in params and "X-Amz-Credential" in params


def credential_scope(params):
    """(access key id, date, region, service) of X-Amz-Credential."""
    parts = params.get("X-Amz-Credential", "").split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not all(parts):
        raise QueryAuthError("IncompleteSignature", "malformed X-Amz-Credential", 400)
    return parts[0], parts[1], parts[2], parts[3]


def expected_signature(secret, method, path, params, headers, body=b""):
    """The SigV4 signature of a presigned request, as its signer computed it.

    ``headers`` maps lower-case header names to values as received; only the
    headers named in X-Amz-SignedHeaders count.
    """
    if params.get("X-Amz-Algorithm") != ALGORITHM:
        raise QueryAuthError("IncompleteSignature", "X-Amz-Algorithm must be %s" % ALGORITHM, 400)
    for name in ("X-Amz-Date", "X-Amz-SignedHeaders"):
        if not params.get(name):
            raise QueryAuthError("IncompleteSignature", "%s is missing" % name, 400)
    _key, date, region, service = credential_scope(params)
    signed = params["X-Amz-SignedHeaders"].split(";")
    canonical_headers = ""
    for name in signed:
        if name not in headers:
            raise QueryAuthError("SignatureDoesNotMatch", "signed header %s was not sent" % name)
        canonical_headers += "%s:%s\n" % (name, " ".join(headers[name].split()))
    canonical_request = "\n".join([
        method.upper(), path or "/", canonical_query(params.items()), canonical_headers,
        params["X-Amz-SignedHeaders"], hashlib.sha256(body).hexdigest()])
    scope = "/".join([date, region, service, "aws4_request"])
    string_to_sign = "\n".join([ALGORITHM, params["X-Amz-Date"], scope,
                                hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()])
    return hmac.new(signing_key(secret, date, region, service), string_to_sign.encode("utf-8"),
                    hashlib.sha256).hexdigest()


def verify(secret_for, method, path, params, headers, body=b""):
    """Check a presigned request; return its access key id or raise QueryAuthError.

    ``secret_for(access_key_id)`` returns the secret key, or None when the key
    is unknown.
    """
    access_key, _date, _region, _service = credential_scope(params)
    secret = secret_for(access_key)
    if secret is None:
        raise QueryAuthError("InvalidClientTokenId", "The security token included in the request is invalid.")
    want = expected_signature(secret, method, path, params, headers, body)
    if not hmac.compare_digest(want, params.get("X-Amz-Signature", "")):
        raise QueryAuthError("SignatureDoesNotMatch",
                             "The request signature we calculated does not match the signature you provided.")
    return access_key


def error_body(code, message):
    return ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
            '<Code>%s</Code><Message>%s</Message></Error><RequestId>sandbox</RequestId></ErrorResponse>'
            % (code, message)).encode("utf-8")


class QueryAuthMiddleware:
    """WSGI middleware: STS presigned requests are verified, then handed to moto as signed requests."""

    def __init__(self, app, secret_for, log=None):
        self.app = app
        self.secret_for = secret_for
        self.log = log or (lambda msg: None)

    def __call__(self, environ, start_response):
        if environ.get("HTTP_AUTHORIZATION") or "X-Amz-Signature" not in environ.get("QUERY_STRING", ""):
            return self.app(environ, start_response)
        try:
            params = parse_query(environ.get("QUERY_STRING", ""))
            if not is_presigned(params) or credential_scope(params)[3] != "sts":
                return self.app(environ, start_response)
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            headers = {"host": environ.get("HTTP_HOST", "")}
            for key, value in environ.items():
                if key.startswith("HTTP_"):
                    headers[key[5:].replace("_", "-").lower()] = value
            access_key = verify(self.secret_for, environ.get("REQUEST_METHOD", "GET"),
                                environ.get("PATH_INFO", "/"), params, headers, body)
        except QueryAuthError as e:
            self.log("presigned STS request refused: %s (%s)" % (e.code, e))
            data = error_body(e.code, str(e))
            start_response("%d %s" % (e.status, "Forbidden" if e.status == 403 else "Bad Request"),
                           [("Content-Type", "text/xml"), ("Content-Length", str(len(data)))])
            return [data]
        # moto reads the caller's access key (and routes to STS) from this header.
        environ["HTTP_AUTHORIZATION"] = "%s Credential=%s, SignedHeaders=%s, Signature=%s" % (
            ALGORITHM, params["X-Amz-Credential"], params["X-Amz-SignedHeaders"], params["X-Amz-Signature"])
        environ["wsgi.input"] = io.BytesIO(body)
        self.log("presigned STS request of %s verified" % access_key)
        return self.app(environ, start_response)
