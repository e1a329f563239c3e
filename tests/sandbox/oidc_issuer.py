# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A tiny OpenID Connect identity provider on loopback, for the sandbox (Okta, Entra ID or Dex in EKS).

It serves, over https with a certificate of the sandbox CA:

* ``GET /.well-known/openid-configuration``: the discovery document (issuer,
  ``jwks_uri``, RS256);
* ``GET /keys``: the JWKS with the public half of its one signing key;
* ``POST /_sandbox/token`` (sandbox only, no real provider has it): a JSON
  object of claims in, ``{"id_token": ...}`` out - an RS256 ID token signed
  with that key, with ``iss`` set to this issuer, ``iat`` now and ``exp`` in
  ``expires_in`` seconds (default 600) unless the claims say otherwise.  This
  is how tests play a user who signed in (``sub``, ``aud`` = the client ID,
  ``email``, ``groups`` ...).

A cluster's API server trusts these tokens only while an OIDC identity
provider config with this issuer is associated with the cluster (see
moto_eks_identity_providers.py, which writes the API server's
``--authentication-config``).
"""

import argparse
import base64
import hashlib
import json
import ssl
import sys
import time
from http.server import ThreadingHTTPServer

from json_http import JSONRequestHandler


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_bytes(value):
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


class Issuer:
    def __init__(self, url, signing_key_file):
        from cryptography.hazmat.primitives import serialization

        self.url = url
        with open(signing_key_file, "rb") as f:
            self.key = serialization.load_pem_private_key(f.read(), password=None)
        numbers = self.key.public_key().public_numbers()
        self.jwk = {"kty": "RSA", "alg": "RS256", "use": "sig", "n": b64url(_int_bytes(numbers.n)),
                    "e": b64url(_int_bytes(numbers.e))}
        self.jwk["kid"] = hashlib.sha256(json.dumps(self.jwk, sort_keys=True).encode()).hexdigest()[:16]

    def discovery(self):
        return {"issuer": self.url, "jwks_uri": self.url + "/keys", "response_types_supported": ["id_token"],
                "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"],
                "claims_supported": ["sub", "aud", "email", "email_verified", "groups"]}

    def mint(self, claims):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        now = int(time.time())
        claims = dict(claims)
        expires_in = int(claims.pop("expires_in", 600))
        body = {"iss": self.url, "iat": now, "exp": now + expires_in}
        body.update(claims)
        header = {"alg": "RS256", "typ": "JWT", "kid": self.jwk["kid"]}
        signing_input = "%s.%s" % (b64url(json.dumps(header).encode()), b64url(json.dumps(body).encode()))
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + b64url(signature)


def handler_for(issuer):
    class Handler(JSONRequestHandler):
        def log_message(self, fmt, *args):
            sys.stdout.write("%s %s\n" % (self.address_string(), fmt % args))
            sys.stdout.flush()

        def do_GET(self):
            if self.path == "/.well-known/openid-configuration":
                return self._reply(200, issuer.discovery())
            if self.path == "/keys":
                return self._reply(200, {"keys": [issuer.jwk]})
            if self.path == "/healthz":
                return self._reply(200, {"ok": True})
            return self._reply(404, {"error": "not found"})

        def do_POST(self):
            if self.path != "/_sandbox/token":
                return self._reply(404, {"error": "not found"})
            try:
                claims = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                if not isinstance(claims, dict):
                    raise ValueError("the body must be a JSON object of claims")
                return self._reply(200, {"id_token": issuer.mint(claims)})
            except ValueError as e:
                return self._reply(400, {"error": str(e)})

    return Handler


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", required=True, help="127.0.0.1:PORT")
    parser.add_argument("--tls-cert", required=True)
    parser.add_argument("--tls-key", required=True)
    parser.add_argument("--signing-key", required=True, help="PEM RSA key the ID tokens are signed with")
    args = parser.parse_args(argv)
    host, port = args.listen.rsplit(":", 1)
    issuer = Issuer("https://%s:%s" % (host, port), args.signing_key)
    server = ThreadingHTTPServer((host, int(port)), handler_for(issuer))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.tls_cert, args.tls_key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print("OIDC issuer %s serving" % issuer.url, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
