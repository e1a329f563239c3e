# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""moto in server mode, seeded like a fresh EKS account, in one process.

The seeding goes through moto's own HTTP API with boto3 like any client.  One
thing no AWS API can do: give the emulated cluster a real endpoint.  So after
seeding, the ``sandbox`` cluster's endpoint and CA are set in moto's backend
to the sandbox kube-apiserver and its CA, which lets DescribeCluster-based
connections (``cluster_name`` + credentials) reach a real API server; the
``sandbox-addon`` cluster gets the same endpoint.

moto has no EKS add-on API; ``moto_eks_addons.py`` adds the calls the
collection uses, and here it is wired to act like EKS's add-on manager on the
sandbox API server (see ``add_on_manager``).
"""

import argparse
import base64
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


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
    parser.add_argument("--apiserver", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--addon-manager-kubeconfig", required=True,
                        help="kubeconfig of the add-on manager identity (written after moto starts)")
    args = parser.parse_args(argv)

    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    from moto.eks.models import eks_backends
    from moto.server import ThreadedMotoServer

    import moto_eks_addons
    import sandbox

    moto_eks_addons.install(add_on_manager(args.apiserver, args.addon_manager_kubeconfig))
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    facts = sandbox.seed_aws()
    with open(args.ca, "rb") as f:
        ca_data = base64.b64encode(f.read()).decode()
    for name in (sandbox.CLUSTER_NAME, sandbox.ADDON_CLUSTER_NAME):
        cluster = eks_backends[sandbox.ACCOUNT_ID][sandbox.REGION].clusters[name]
        cluster.endpoint = args.apiserver
        cluster.certificate_authority = {"data": ca_data}
    sandbox.seed_addons()
    facts["endpoint"] = args.apiserver
    tmp = args.facts + ".tmp"
    with open(tmp, "w") as f:
        json.dump(facts, f, indent=2)
    os.rename(tmp, args.facts)
    print("moto seeded and serving on 127.0.0.1:%d" % args.port, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
