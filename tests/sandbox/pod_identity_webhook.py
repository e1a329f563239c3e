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

EKS Pod Identity: when an EKS cluster served by this API server (moto's
``endpoint`` of the cluster) runs the Pod Identity agent (it has the
``eks-pod-identity-agent`` add-on, or it is an EKS Auto Mode cluster,
``computeConfig.enabled``, whose nodes run the agent without the add-on) and a
Pod Identity association for the pod's namespace and service account, the pod
gets, instead of the IRSA variables (Pod Identity wins, as in EKS's webhook):

* ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` (the agent's link-local address),
  ``AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE``, ``AWS_REGION``,
  ``AWS_DEFAULT_REGION`` and ``AWS_STS_REGIONAL_ENDPOINTS=regional``;
* a projected service-account token of audience ``pods.eks.amazonaws.com``
  mounted at ``/var/run/secrets/pods.eks.amazonaws.com/serviceaccount``.

The associations and add-ons are read through the EKS API (boto3, the
sandbox's moto; ``--aws-endpoint``), like any EKS client.

Service accounts are read from the API server at admission time (the real
webhook keeps an informer cache; the outcome for a new pod is the same).
"""

import argparse
import base64
import json
import ssl
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"
AUDIENCE_ANNOTATION = "eks.amazonaws.com/audience"
REGIONAL_ANNOTATION = "eks.amazonaws.com/sts-regional-endpoints"
EXPIRATION_ANNOTATION = "eks.amazonaws.com/token-expiration"
TOKEN_DIR = "/var/run/secrets/eks.amazonaws.com/serviceaccount"
VOLUME_NAME = "aws-iam-token"

POD_IDENTITY_AGENT_ADDON = "eks-pod-identity-agent"
POD_IDENTITY_AUDIENCE = "pods.eks.amazonaws.com"
POD_IDENTITY_CREDENTIALS_URI = "http://169.254.170.23/v1/credentials"
POD_IDENTITY_TOKEN_DIR = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount"
POD_IDENTITY_TOKEN_PATH = "eks-pod-identity-token"
POD_IDENTITY_VOLUME_NAME = "eks-pod-identity-token"
POD_IDENTITY_EXPIRATION = 86400


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
    return _inject(spec, wanted_env, VOLUME_NAME, TOKEN_DIR, audience, expiration, "token")


def pod_identity_patch(pod, region):
    """The JSONPatch operations giving ``pod`` EKS Pod Identity credentials (its service account has an association)."""
    spec = pod.get("spec") or {}
    if any(v.get("name") == POD_IDENTITY_VOLUME_NAME for v in spec.get("volumes") or []):
        return []  # already mutated (re-invocation)
    wanted_env = [
        {"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"},
        {"name": "AWS_DEFAULT_REGION", "value": region},
        {"name": "AWS_REGION", "value": region},
        {"name": "AWS_CONTAINER_CREDENTIALS_FULL_URI", "value": POD_IDENTITY_CREDENTIALS_URI},
        {"name": "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
         "value": POD_IDENTITY_TOKEN_DIR + "/" + POD_IDENTITY_TOKEN_PATH},
    ]
    return _inject(spec, wanted_env, POD_IDENTITY_VOLUME_NAME, POD_IDENTITY_TOKEN_DIR, POD_IDENTITY_AUDIENCE,
                   POD_IDENTITY_EXPIRATION, POD_IDENTITY_TOKEN_PATH)


def _inject(spec, wanted_env, volume_name, token_dir, audience, expiration, token_path):
    """Env (where a container does not set it), a read-only mount in every container, and the token volume."""
    volumes = spec.get("volumes") or []
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
            mount = {"name": volume_name, "mountPath": token_dir, "readOnly": True}
            if container.get("volumeMounts"):
                ops.append({"op": "add", "path": base + "/volumeMounts/-", "value": mount})
            else:
                ops.append({"op": "add", "path": base + "/volumeMounts", "value": [mount]})
    volume = {
        "name": volume_name,
        "projected": {
            "sources": [
                {
                    "serviceAccountToken": {
                        "audience": audience,
                        "expirationSeconds": expiration,
                        "path": token_path,
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


class ClustersOf:
    """The EKS clusters whose endpoint is an API server, re-read every ``ttl`` seconds.

    Endpoints are set once when the sandbox starts, so a short cache saves a
    ListClusters and a DescribeCluster per cluster on every admission.
    """

    def __init__(self, eks, ttl=10.0):
        self.eks = eks
        self.ttl = ttl
        self.lock = threading.Lock()
        self.read_at = None
        self.endpoints = {}
        self.auto_mode = set()

    def __call__(self, apiserver):
        with self.lock:
            if self.read_at is None or time.monotonic() - self.read_at > self.ttl:
                names = self.eks.get_paginator("list_clusters").paginate().build_full_result().get("clusters", [])
                clusters = {name: self.eks.describe_cluster(name=name)["cluster"] for name in names}
                self.endpoints = {name: c.get("endpoint") for name, c in clusters.items()}
                self.auto_mode = {name for name, c in clusters.items() if (c.get("computeConfig") or {}).get("enabled")}
                self.read_at = time.monotonic()
            return [name for name, endpoint in sorted(self.endpoints.items()) if endpoint == apiserver]


def find_pod_identity(eks, apiserver, namespace, service_account, clusters_of=None):
    """The Pod Identity association of that service account on an EKS cluster served by ``apiserver``
    that runs the Pod Identity agent (the add-on, or Auto Mode) (a summary dict), else None."""
    clusters_of = clusters_of or ClustersOf(eks, ttl=0)
    names = clusters_of(apiserver)
    for name in names:
        try:
            found = eks.list_pod_identity_associations(clusterName=name, namespace=namespace,
                                                       serviceAccount=service_account).get("associations", [])
        except eks.exceptions.ResourceNotFoundException:
            continue  # the cluster was deleted since the endpoints were read
        if found and (name in clusters_of.auto_mode
                      or POD_IDENTITY_AGENT_ADDON in eks.list_addons(clusterName=name).get("addons", [])):
            return found[0]
    return None


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
            ops = []
            eks = self.server.eks
            if eks is not None and find_pod_identity(eks, self.server.cfg.apiserver, namespace, sa_name,
                                                     self.server.clusters_of):
                ops = pod_identity_patch(pod, self.server.cfg.region)
            else:
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
    parser.add_argument("--aws-endpoint", help="EKS API (the sandbox's moto) to read Pod Identity from; "
                                               "credentials from the environment")
    cfg = parser.parse_args(argv)
    with open(cfg.token_file) as f:
        cfg.token = f.read().strip()
    host, port = cfg.listen.rsplit(":", 1)
    server = ThreadingHTTPServer((host, int(port)), Webhook)
    server.cfg = cfg
    server.eks = None
    if cfg.aws_endpoint:
        import boto3

        server.eks = boto3.client("eks", endpoint_url=cfg.aws_endpoint, region_name=cfg.region)
        server.clusters_of = ClustersOf(server.eks)
    server.client_ctx = ssl.create_default_context(cafile=cfg.apiserver_ca)
    serving = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    serving.load_cert_chain(cfg.tls_cert, cfg.tls_key)
    server.socket = serving.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
