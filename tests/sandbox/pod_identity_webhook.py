# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A mutating admission webhook with the contract of amazon-eks-pod-identity-webhook.

The real webhook's Go module is not served by the module proxy this machine
can reach, so the sandbox registers this stand-in with the real API server.
It does what EKS's webhook documents, and nothing more:

* for a pod whose service account carries ``eks.amazonaws.com/role-arn``, add
  ``AWS_ROLE_ARN``, ``AWS_WEB_IDENTITY_TOKEN_FILE``, ``AWS_REGION`` and
  ``AWS_DEFAULT_REGION`` (and ``AWS_STS_REGIONAL_ENDPOINTS=regional`` when the
  account asks for it) to every container that does not set them;
* mount a projected service-account token (audience from
  ``eks.amazonaws.com/audience``, default ``sts.amazonaws.com``; expiry from
  ``eks.amazonaws.com/token-expiration``, default 86400 s) at
  ``/var/run/secrets/eks.amazonaws.com/serviceaccount/token``.

Service accounts are read from the API server at admission time (the real
webhook keeps an informer cache; the outcome for a new pod is the same).
"""

import argparse
import base64
import json
import ssl
import sys
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"
AUDIENCE_ANNOTATION = "eks.amazonaws.com/audience"
REGIONAL_ANNOTATION = "eks.amazonaws.com/sts-regional-endpoints"
EXPIRATION_ANNOTATION = "eks.amazonaws.com/token-expiration"
TOKEN_DIR = "/var/run/secrets/eks.amazonaws.com/serviceaccount"
VOLUME_NAME = "aws-iam-token"


def _escape(segment):
    return segment.replace("~", "~0").replace("/", "~1")


def pod_patch(pod, service_account, region):
    """The JSONPatch operations for ``pod`` given its service account (a dict)."""
    annotations = (service_account.get("metadata") or {}).get("annotations") or {}
    role_arn = annotations.get(ROLE_ANNOTATION)
    if not role_arn:
        return []
    spec = pod.get("spec") or {}
    volumes = spec.get("volumes") or []
    if any(v.get("name") == VOLUME_NAME for v in volumes):
        return []  # already mutated (re-invocation)

    expiration = int(annotations.get(EXPIRATION_ANNOTATION, "86400"))
    audience = annotations.get(AUDIENCE_ANNOTATION, "sts.amazonaws.com")
    wanted_env = [
        {"name": "AWS_ROLE_ARN", "value": role_arn},
        {"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": TOKEN_DIR + "/token"},
        {"name": "AWS_REGION", "value": region},
        {"name": "AWS_DEFAULT_REGION", "value": region},
    ]
    if annotations.get(REGIONAL_ANNOTATION) == "true":
        wanted_env.append({"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"})

    ops = []
    for kind in ("initContainers", "containers"):
        for index, container in enumerate(spec.get(kind) or []):
            base = "/spec/%s/%d" % (kind, index)
            have = {e.get("name") for e in container.get("env") or []}
            env = [e for e in wanted_env if e["name"] not in have]
            if container.get("env"):
                ops.extend({"op": "add", "path": base + "/env/-", "value": e} for e in env)
            elif env:
                ops.append({"op": "add", "path": base + "/env", "value": env})
            mount = {"name": VOLUME_NAME, "mountPath": TOKEN_DIR, "readOnly": True}
            if container.get("volumeMounts"):
                ops.append({"op": "add", "path": base + "/volumeMounts/-", "value": mount})
            else:
                ops.append({"op": "add", "path": base + "/volumeMounts", "value": [mount]})
    volume = {
        "name": VOLUME_NAME,
        "projected": {
            "sources": [
                {
                    "serviceAccountToken": {
                        "audience": audience,
                        "expirationSeconds": expiration,
                        "path": "token",
                    }
                }
            ]
        },
    }
    if volumes:
        ops.append({"op": "add", "path": "/spec/volumes/-", "value": volume})
    else:
        ops.append({"op": "add", "path": "/spec/volumes", "value": [volume]})
    return ops


class Webhook(BaseHTTPRequestHandler):
    server_version = "sandbox-pod-identity-webhook"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s\n" % (fmt % args))

    def _get_service_account(self, namespace, name):
        cfg = self.server.cfg
        url = "%s/api/v1/namespaces/%s/serviceaccounts/%s" % (cfg.apiserver, namespace, name)
        req = urllib.request.Request(url, headers={"Authorization": "Bearer " + cfg.token})
        try:
            with urllib.request.urlopen(req, context=self.server.client_ctx, timeout=5) as resp:
                return json.load(resp)
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return {}
            raise

    def do_GET(self):
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        review = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        request = review.get("request") or {}
        response = {"uid": request.get("uid"), "allowed": True}
        try:
            pod = request.get("object") or {}
            namespace = request.get("namespace") or (pod.get("metadata") or {}).get("namespace") or "default"
            sa_name = (pod.get("spec") or {}).get("serviceAccountName") or "default"
            ops = pod_patch(pod, self._get_service_account(namespace, sa_name), self.server.cfg.region)
            if ops:
                response["patchType"] = "JSONPatch"
                response["patch"] = base64.b64encode(json.dumps(ops).encode()).decode()
        except Exception as e:  # admit unmutated, as failurePolicy Ignore would
            sys.stderr.write("mutation failed: %r\n" % (e,))
        body = json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response})
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1:16445")
    parser.add_argument("--tls-cert", required=True)
    parser.add_argument("--tls-key", required=True)
    parser.add_argument("--apiserver", required=True)
    parser.add_argument("--apiserver-ca", required=True)
    parser.add_argument("--token-file", required=True)
    parser.add_argument("--region", default="us-east-1")
    cfg = parser.parse_args(argv)
    with open(cfg.token_file) as f:
        cfg.token = f.read().strip()
    host, port = cfg.listen.rsplit(":", 1)
    server = ThreadingHTTPServer((host, int(port)), Webhook)
    server.cfg = cfg
    server.client_ctx = ssl.create_default_context(cafile=cfg.apiserver_ca)
    serving = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    serving.load_cert_chain(cfg.tls_cert, cfg.tls_key)
    server.socket = serving.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
