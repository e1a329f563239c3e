# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""moto in server mode, seeded like a fresh EKS account, in one process.

The seeding goes through moto's own HTTP API with boto3 like any client.  A few
things no AWS API can do are done on moto's backend directly:

* the sandbox's access key (``AKIAIOSFODNN7SANDBOX``) belongs to the IAM user
  ``sandbox-admin`` (with AdministratorAccess), so GetCallerIdentity names a
  real IAM identity, the one that creates the clusters;
* each sandbox cluster's endpoint and CA are set to its kube-apiserver and the
  sandbox CA, which lets DescribeCluster-based connections (``cluster_name`` +
  credentials) reach a real API server;
* presigned STS requests (EKS tokens) are verified as STS verifies them and
  answered as the identity that signed them (sts_query_auth.py);
* moto has no EKS add-on API: ``moto_eks_addons.py`` adds the calls the
  collection uses, wired here to act like EKS's add-on manager on the sandbox
  API server (see ``add_on_manager``); the ``sandbox-addon`` cluster shares
  the ``sandbox`` cluster's endpoint, and so does ``sandbox-auto`` (an EKS
  Auto Mode cluster, moto_eks_compute.py);
* moto has no EKS access entries or authentication modes either:
  ``moto_eks_access.py`` adds them, and this process serves each cluster's
  mode and entries to the token authenticator on
  ``GET /_sandbox/eks/access/<region>/<cluster>`` (JSON; 404 for an unknown
  cluster), a path no AWS API uses;
* moto's STS lets anyone assume a role that does not exist, or a role by an
  ARN without its path: ``moto_sts_roles.py`` refuses both with
  ``AccessDenied`` as STS does;
* moto answers EKS ``DescribeClusterVersions`` (which eksctl calls when it
  starts) with 404: ``moto_eks_versions.py`` adds it;
* with ``--request-log FILE``, every AWS API request is appended to FILE as
  one JSON line naming its action (aws_request_log.py), so tests can prove
  that a run made no mutating AWS call.
"""

import argparse
import base64
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def create_sandbox_user(sandbox):
    """The IAM user behind the sandbox's fixed access key."""
    from moto.iam.models import iam_backends

    iam = iam_backends[sandbox.ACCOUNT_ID]["aws"]
    iam.create_user(region_name=sandbox.REGION, user_name=sandbox.SANDBOX_USER, path="/", tags=[])
    iam.attach_user_policy("arn:aws:iam::aws:policy/AdministratorAccess", sandbox.SANDBOX_USER)
    key = iam.create_access_key(sandbox.SANDBOX_USER)
    del iam.access_keys[key.access_key_id]
    key.access_key_id = sandbox.aws_env()["AWS_ACCESS_KEY_ID"]
    key.secret_access_key = sandbox.aws_env()["AWS_SECRET_ACCESS_KEY"]
    iam.access_keys[key.access_key_id] = key


def secret_for(access_key_id):
    """The secret of an active IAM or STS access key known to moto, else None."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    for account in list(iam_backends.values()):
        for backend in list(account.values()):
            key = backend.access_keys.get(access_key_id)
            if key is not None and key.status == "Active":
                return key.secret_access_key
    for account in list(sts_backends.values()):
        for backend in list(account.values()):
            role = backend.get_assumed_role_from_access_key(access_key_id)
            if role is not None:
                return role.secret_access_key
    return None


ACCESS_STATE_PATH = "/_sandbox/eks/access/"
ENDPOINT_PATH = "/_sandbox/eks/endpoint/"


class AccessStateEndpoint:
    """WSGI, sandbox only (no AWS API has these paths); everything else goes on to moto.

    * ``GET /_sandbox/eks/access/<region>/<cluster>``: moto_eks_access.access_state
      (what the token authenticator and authorizer read);
    * ``POST /_sandbox/eks/access/<region>/<cluster>/reset`` with an optional JSON
      body ``{"authenticationMode": ..., "modeUpdateSeconds": ...}``:
      moto_eks_access.reset_cluster, for tests that must take a cluster through
      the one-way mode switch again (slowly, with modeUpdateSeconds);
    * ``POST /_sandbox/eks/endpoint/<region>/<cluster>`` with a JSON body
      ``{"endpoint": "https://..."}``: the API server URL DescribeCluster reports
      from now on (the bench points it at a delaying relay for the tools that
      find the API server through EKS, as eksctl does); answers the previous one.
    """

    def __init__(self, app, account):
        self.app = app
        self.account = account

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD")
        if path.startswith(ENDPOINT_PATH) and method == "POST":
            return self.set_endpoint(environ, start_response, path[len(ENDPOINT_PATH):].split("/"))
        if not path.startswith(ACCESS_STATE_PATH) or method not in ("GET", "POST"):
            return self.app(environ, start_response)
        import eks_access_rules
        import moto_eks_access
        from urllib.parse import unquote

        parts = path[len(ACCESS_STATE_PATH):].split("/")
        status, state = "404 Not Found", None
        try:
            if method == "GET" and len(parts) == 2:
                state = moto_eks_access.access_state(self.account, parts[0], unquote(parts[1]))
            elif method == "POST" and len(parts) == 3 and parts[2] == "reset":
                length = int(environ.get("CONTENT_LENGTH") or 0)
                wanted = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
                state = moto_eks_access.reset_cluster(self.account, parts[0], unquote(parts[1]),
                                                      wanted.get("authenticationMode"),
                                                      wanted.get("modeUpdateSeconds") or 0)
            answer = state if state is not None else {"error": "no such cluster"}
            status = "200 OK" if state is not None else status
        except (ValueError, eks_access_rules.EksRefusal) as e:
            status, answer = "400 Bad Request", {"error": str(e)}
        return self.answer(start_response, status, answer)

    @staticmethod
    def answer(start_response, status, answer):
        body = json.dumps(answer).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    def set_endpoint(self, environ, start_response, parts):
        from urllib.parse import unquote

        from moto.eks.models import eks_backends

        length = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            endpoint = json.loads(environ["wsgi.input"].read(length) or b"{}").get("endpoint", "")
        except ValueError:
            endpoint = ""
        if not str(endpoint).startswith("https://"):
            return self.answer(start_response, "400 Bad Request", {"error": "endpoint must be an https:// URL"})
        cluster = None
        if len(parts) == 2:
            cluster = eks_backends[self.account][parts[0]].clusters.get(unquote(parts[1]))
        if cluster is None:
            return self.answer(start_response, "404 Not Found", {"error": "no such cluster"})
        previous, cluster.endpoint = cluster.endpoint, endpoint
        return self.answer(start_response, "200 OK", {"endpoint": endpoint, "previous": previous})


def dispatcher_remembering_backends():
    """moto's DomainDispatcherApplication, remembering which backend serves a host name.

    moto works that out again for every request, twice here (the ``127.0.0.1:port``
    host first, then the host it infers from the signature), each time listing
    moto's package directory (one ``isdir`` per service) under the dispatcher's
    lock: a fifth of moto's time per request, and the one part that threads
    cannot share.  The answer depends on the host name alone.
    """
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    class RememberingDispatcher(DomainDispatcherApplication):
        def __init__(self, create_app):
            super().__init__(create_app)
            self.backend_of_host = {}

        def get_backend_for_host(self, host):
            # Called with the dispatcher's lock held, so the dict needs no lock of its own.
            if host not in self.backend_of_host:
                self.backend_of_host[host] = super().get_backend_for_host(host)
            return self.backend_of_host[host]

    return RememberingDispatcher(create_backend_app)


def keep_alive_handler():
    """moto's request handler, keeping HTTP/1.1 connections open between requests as AWS endpoints do.

    werkzeug's development server closes every connection after its response
    (http.server cannot skip a request body the app left unread), so every
    request would pay a new connection, and the server a new thread, which no
    AWS endpoint makes a client pay.  Here the body is read before the app
    runs, so nothing is left on the connection; a chunked request, or a client
    asking for it, still closes.  Idle connections close after IDLE_SECONDS.
    """
    import io

    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class KeepAliveRequestHandler(MotoRequestHandler):
        timeout = IDLE_SECONDS
        keep_open = False
        # Headers and body go out in separate writes: without TCP_NODELAY the body of every response but a
        # connection's first waits for the client's delayed ACK (40 ms).
        disable_nagle_algorithm = True

        def make_environ(self):
            environ = super().make_environ()
            self.keep_open = "wsgi.input_terminated" not in environ
            if self.keep_open:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                environ["wsgi.input"] = io.BytesIO(self.rfile.read(length) if length > 0 else b"")
                # After the response werkzeug discards whatever the socket still holds, which on a kept
                # connection is the client's next request: let it find nothing to discard.
                self.rfile = io.BytesIO(b"")
            return environ

        def run_wsgi(self):
            connection_reader = self.rfile
            try:
                super().run_wsgi()
            finally:
                self.rfile = connection_reader

        def send_header(self, keyword, value):
            # http.server set close_connection from the request: only the client's own "Connection: close" closes.
            if keyword.lower() == "connection" and value.lower() == "close" and self.keep_open and \
                    not self.close_connection:
                return
            super().send_header(keyword, value)

    return KeepAliveRequestHandler


# Seconds an idle kept-open connection waits for its next request.
IDLE_SECONDS = 120


def serve(port, account, request_log=None):
    """moto's WSGI app behind the presigned-STS check, on 127.0.0.1:port, in a thread.

    ``request_log``: a file every AWS request is appended to (aws_request_log.py).
    """
    from werkzeug.serving import make_server

    from aws_request_log import RequestLog
    from sts_query_auth import QueryAuthMiddleware

    app = QueryAuthMiddleware(AccessStateEndpoint(dispatcher_remembering_backends(), account),
                              secret_for, log=lambda msg: print(msg, flush=True))
    if request_log:
        app = RequestLog(app, request_log)
    server = make_server("127.0.0.1", port, app, True, request_handler=keep_alive_handler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def add_on_manager(apiserver, kubeconfig):
    """What EKS's add-on manager does when an add-on's ``serviceAccountRoleArn`` changes.

    It owns the add-on's service account: it writes (or, when the role is
    removed, deletes) the ``eks.amazonaws.com/role-arn`` annotation. Only for
    clusters whose endpoint is the sandbox API server.
    """
    def on_role_change(account, region, cluster_name, addon, old, new):
        import moto_eks_addons
        from kubernetes import client, config
        from moto.eks.models import eks_backends

        cluster = eks_backends[account][region].clusters.get(cluster_name)
        target = moto_eks_addons.ADDON_SERVICE_ACCOUNTS.get(addon)
        if cluster is None or cluster.endpoint != apiserver or target is None:
            return
        namespace, name = target
        key = "eks.amazonaws.com/role-arn"
        try:
            core = client.CoreV1Api(config.new_client_from_config(config_file=kubeconfig))
            current = core.read_namespaced_service_account(name, namespace).metadata.annotations or {}
            if new:
                value = new
            elif old and current.get(key) == old:
                value = None
            else:
                return
            core.patch_namespaced_service_account(name, namespace, {"metadata": {"annotations": {key: value}}},
                                                  field_manager="eks")
        except Exception as e:  # like EKS, a failed reconcile does not fail the API call
            print("add-on manager: %s %s/%s not reconciled: %r" % (cluster_name, namespace, name, e), flush=True)
            return
        print("add-on manager: %s %s/%s %s=%s" % (cluster_name, namespace, name, key, value), flush=True)

    return on_role_change


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--facts", required=True, help="where to write what was seeded (JSON)")
    parser.add_argument("--clusters", required=True,
                        help="JSON list of {name, region, endpoint}: the clusters with a real API server")
    parser.add_argument("--ca", required=True)
    parser.add_argument("--addon-manager-kubeconfig", required=True,
                        help="kubeconfig of the add-on manager identity (written after moto starts)")
    parser.add_argument("--request-log", help="append every AWS request (JSON line: service, action...) to this file")
    args = parser.parse_args(argv)
    clusters = json.loads(args.clusters)
    t0 = time.time()

    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    from moto.eks.models import eks_backends

    import moto_eks_access
    import moto_eks_addons
    import moto_eks_compute
    import moto_eks_identity_providers
    import moto_eks_pod_identity
    import moto_eks_versions
    import moto_sts_roles
    import sandbox

    moto_eks_addons.install(add_on_manager(clusters[0]["endpoint"], args.addon_manager_kubeconfig))
    moto_eks_access.install()
    moto_eks_pod_identity.install()
    moto_eks_versions.install()
    moto_sts_roles.install()
    moto_eks_compute.install()
    moto_eks_identity_providers.install(
        {(spec["region"], spec["name"]): spec["authentication_config"] for spec in clusters
         if spec.get("authentication_config")}, args.ca)
    serve(args.port, sandbox.ACCOUNT_ID, args.request_log)
    create_sandbox_user(sandbox)
    facts = sandbox.seed_aws(clusters)
    with open(args.ca, "rb") as f:
        ca_data = base64.b64encode(f.read()).decode()
    for spec in clusters:
        cluster = eks_backends[sandbox.ACCOUNT_ID][spec["region"]].clusters[spec["name"]]
        cluster.endpoint = spec["endpoint"]
        cluster.certificate_authority = {"data": ca_data}
    for shared in (sandbox.ADDON_CLUSTER_NAME, sandbox.AUTO_MODE_CLUSTER_NAME):
        addon = eks_backends[sandbox.ACCOUNT_ID][sandbox.REGION].clusters[shared]
        addon.endpoint = clusters[0]["endpoint"]
        addon.certificate_authority = {"data": ca_data}
    sandbox.seed_addons()
    facts["endpoint"] = clusters[0]["endpoint"]
    tmp = args.facts + ".tmp"
    with open(tmp, "w") as f:
        json.dump(facts, f, indent=2)
    os.rename(tmp, args.facts)
    print("moto seeded in %.1fs and serving on 127.0.0.1:%d" % (time.time() - t0, args.port), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
