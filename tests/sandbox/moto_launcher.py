# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""moto in server mode, seeded like a fresh EKS account, in one process.

The seeding goes through moto's own HTTP API with boto3 like any client.  One
thing no AWS API can do: give the emulated cluster a real endpoint.  So after
seeding, the ``sandbox`` cluster's endpoint and CA are set in moto's backend
to the sandbox kube-apiserver and its CA, which lets DescribeCluster-based
connections (``cluster_name`` + credentials) reach a real API server.
"""

import argparse
import base64
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--facts", required=True, help="where to write what was seeded (JSON)")
    parser.add_argument("--apiserver", required=True)
    parser.add_argument("--ca", required=True)
    args = parser.parse_args(argv)

    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    from moto.eks.models import eks_backends
    from moto.server import ThreadedMotoServer

    import sandbox

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    facts = sandbox.seed_aws()
    with open(args.ca, "rb") as f:
        ca_data = base64.b64encode(f.read()).decode()
    cluster = eks_backends[sandbox.ACCOUNT_ID][sandbox.REGION].clusters[sandbox.CLUSTER_NAME]
    cluster.endpoint = args.apiserver
    cluster.certificate_authority = {"data": ca_data}
    facts["endpoint"] = args.apiserver
    tmp = args.facts + ".tmp"
    with open(tmp, "w") as f:
        json.dump(facts, f, indent=2)
    os.rename(tmp, args.facts)
    print("moto seeded and serving on 127.0.0.1:%d" % args.port, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
