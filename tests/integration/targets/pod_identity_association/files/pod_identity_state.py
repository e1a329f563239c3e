# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sandbox state the pod_identity_association target sets up and reads, through the EKS and IAM APIs.

  pod_identity_state.py CLUSTER reset NAMESPACE ROLE...   no associations in NAMESPACE, no agent add-on nor
                                                          the CSI driver add-ons, the roles deleted
  pod_identity_state.py CLUSTER agent present|absent      the eks-pod-identity-agent add-on
  pod_identity_state.py CLUSTER show NAMESPACE ROLE...    JSON: associations of NAMESPACE (described, by
                                                          namespace/service account), trust policy of each role,
                                                          the cluster's add-ons
"""

import json
import sys
from urllib.parse import unquote

import boto3

AGENT = "eks-pod-identity-agent"
# add-ons the target installs with eks_addon (reset deletes them, and so their associations)
TEST_ADDONS = ("aws-ebs-csi-driver", "aws-efs-csi-driver")


def associations(eks, cluster, namespace):
    found = eks.get_paginator("list_pod_identity_associations").paginate(
        clusterName=cluster, namespace=namespace).build_full_result()["associations"]
    result = {}
    for summary in found:
        described = eks.describe_pod_identity_association(
            clusterName=cluster, associationId=summary["associationId"])["association"]
        result["%s/%s" % (described["namespace"], described["serviceAccount"])] = {
            k: v for k, v in described.items() if k not in ("createdAt", "modifiedAt")}
    return result


def trust(iam, name):
    try:
        document = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
    except iam.exceptions.NoSuchEntityException:
        return None
    return json.loads(unquote(document)) if isinstance(document, str) else document


def main(cluster, command, *args):
    eks = boto3.client("eks")
    iam = boto3.client("iam")
    if command == "reset":
        namespace, roles = args[0], args[1:]
        for name, association in associations(eks, cluster, namespace).items():
            eks.delete_pod_identity_association(clusterName=cluster, associationId=association["associationId"])
        for addon in eks.list_addons(clusterName=cluster)["addons"]:
            if addon in (AGENT,) + TEST_ADDONS:
                eks.delete_addon(clusterName=cluster, addonName=addon)
        for name in roles:
            if trust(iam, name) is not None:
                iam.delete_role(RoleName=name)
    elif command == "agent":
        installed = AGENT in eks.list_addons(clusterName=cluster)["addons"]
        if args[0] == "present" and not installed:
            eks.create_addon(clusterName=cluster, addonName=AGENT)
        elif args[0] == "absent" and installed:
            eks.delete_addon(clusterName=cluster, addonName=AGENT)
    elif command == "show":
        namespace, roles = args[0], args[1:]
        addons = {}
        for name in eks.list_addons(clusterName=cluster)["addons"]:
            addon = eks.describe_addon(clusterName=cluster, addonName=name)["addon"]
            addons[name] = {k: addon.get(k) for k in ("addonVersion", "status", "configurationValues",
                                                      "serviceAccountRoleArn", "podIdentityAssociations", "addonArn")}
        print(json.dumps({"associations": associations(eks, cluster, namespace),
                          "trust": {name: trust(iam, name) for name in roles}, "addons": addons}, default=str))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(*sys.argv[1:])
