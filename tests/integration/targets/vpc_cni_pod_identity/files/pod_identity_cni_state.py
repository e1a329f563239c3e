# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The EKS side of the vpc_cni_pod_identity target, through the EKS API.

  pod_identity_cni_state.py CLUSTER agent present|absent   the eks-pod-identity-agent add-on
  pod_identity_cni_state.py CLUSTER version VERSION        the vpc-cni add-on's version
  pod_identity_cni_state.py CLUSTER show                   JSON: agent, vpc-cni add-on version, its associations
                                                           and every association of kube-system (described)
  pod_identity_cni_state.py CLUSTER reset                  no association in kube-system, none on the add-on
"""

import json
import sys

import boto3

AGENT = "eks-pod-identity-agent"
ADDON = "vpc-cni"


def described(eks, cluster):
    found = eks.get_paginator("list_pod_identity_associations").paginate(
        clusterName=cluster, namespace="kube-system").build_full_result()["associations"]
    result = {}
    for summary in found:
        association = eks.describe_pod_identity_association(
            clusterName=cluster, associationId=summary["associationId"])["association"]
        result["%s/%s" % (association["namespace"], association["serviceAccount"])] = {
            "role_arn": association["roleArn"], "owner_arn": association.get("ownerArn"),
            "association_id": association["associationId"]}
    return result


def main(cluster, command, *args):
    eks = boto3.client("eks")
    addons = eks.list_addons(clusterName=cluster)["addons"]
    if command == "agent":
        if args[0] == "present" and AGENT not in addons:
            eks.create_addon(clusterName=cluster, addonName=AGENT)
        elif args[0] == "absent" and AGENT in addons:
            eks.delete_addon(clusterName=cluster, addonName=AGENT)
    elif command == "version":
        if eks.describe_addon(clusterName=cluster, addonName=ADDON)["addon"]["addonVersion"] != args[0]:
            eks.update_addon(clusterName=cluster, addonName=ADDON, addonVersion=args[0])
    elif command == "show":
        addon = eks.describe_addon(clusterName=cluster, addonName=ADDON)["addon"] if ADDON in addons else {}
        associations = described(eks, cluster)
        owned = sorted(key for key, a in associations.items() if addon and a["owner_arn"] == addon["addonArn"])
        print(json.dumps({"agent": AGENT in addons, "addon_version": addon.get("addonVersion"),
                          "addon_associations": owned, "associations": associations}))
    elif command == "reset":
        if ADDON in addons and eks.describe_addon(clusterName=cluster, addonName=ADDON)["addon"].get(
                "podIdentityAssociations"):
            eks.update_addon(clusterName=cluster, addonName=ADDON, podIdentityAssociations=[])
        for association in described(eks, cluster).values():
            if not association["owner_arn"]:
                eks.delete_pod_identity_association(clusterName=cluster,
                                                    associationId=association["association_id"])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(*sys.argv[1:])
