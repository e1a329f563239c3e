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
  answered as the identity that signed them (sts_query_auth.py).
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


def serve(port):
    """moto's WSGI app behind the presigned-STS check, on 127.0.0.1:port, in a thread."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    from sts_query_auth import QueryAuthMiddleware

    app = QueryAuthMiddleware(DomainDispatcherApplication(create_backend_app), secret_for,
                              log=lambda msg: print(msg, flush=True))
    server = make_server("127.0.0.1", port, app, True, request_handler=MotoRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--facts", required=True, help="where to write what was seeded (JSON)")
    parser.add_argument("--clusters", required=True,
                        help="JSON list of {name, region, endpoint}: the clusters with a real API server")
    parser.add_argument("--ca", required=True)
    args = parser.parse_args(argv)
    clusters = json.loads(args.clusters)
    t0 = time.time()

    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    from moto.eks.models import eks_backends

    import sandbox

    serve(args.port)
    create_sandbox_user(sandbox)
    facts = sandbox.seed_aws(clusters)
    with open(args.ca, "rb") as f:
        ca_data = base64.b64encode(f.read()).decode()
    for spec in clusters:
        cluster = eks_backends[sandbox.ACCOUNT_ID][spec["region"]].clusters[spec["name"]]
        cluster.endpoint = spec["endpoint"]
        cluster.certificate_authority = {"data": ca_data}
    facts["endpoint"] = clusters[0]["endpoint"]
    tmp = args.facts + ".tmp"
    with open(tmp, "w") as f:
        json.dump(facts, f, indent=2)
    os.rename(tmp, args.facts)
    print("moto seeded in %.1fs and serving on 127.0.0.1:%d" % (time.time() - t0, args.port), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
