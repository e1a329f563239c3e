# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sandbox state the migrate_pod_identity target sets up and reads, through the EKS and IAM APIs.

  migration_state.py CLUSTER reset NAMESPACE ROLE...   no associations in NAMESPACE, no agent add-on, no roles,
                                                       no OIDC provider for the cluster's issuer (as seeded)
  migration_state.py CLUSTER agent present|absent      the eks-pod-identity-agent add-on
  migration_state.py CLUSTER show NAMESPACE ROLE...    JSON: associations of NAMESPACE (role, tags) by
                                                       namespace/service account, trust policy of each role
  migration_state.py CLUSTER addon NAME ROLE_ARN|none  the add-on's serviceAccountRoleArn (none: removed), its
                                                       podIdentityAssociations removed
  migration_state.py CLUSTER issuer                    the cluster's OIDC issuer, without https://
  migration_state.py CLUSTER addon-show NAME           JSON: the add-on's serviceAccountRoleArn and associations
"""

import json
import sys
from urllib.parse import unquote

import boto3

AGENT = "eks-pod-identity-agent"


def associations(eks, cluster, namespace):
    found = eks.get_paginator("list_pod_identity_associations").paginate(
        clusterName=cluster, namespace=namespace).build_full_result()["associations"]
    result = {}
    for summary in found:
        described = eks.describe_pod_identity_association(
            clusterName=cluster, associationId=summary["associationId"])["association"]
        result["%s/%s" % (described["namespace"], described["serviceAccount"])] = {
            "associationId": described["associationId"], "roleArn": described["roleArn"],
            "tags": described.get("tags") or {}}
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
        for association in associations(eks, cluster, namespace).values():
            eks.delete_pod_identity_association(clusterName=cluster, associationId=association["associationId"])
        if AGENT in eks.list_addons(clusterName=cluster)["addons"]:
            eks.delete_addon(clusterName=cluster, addonName=AGENT)
        for name in roles:
            if trust(iam, name) is not None:
                for policy in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
                    iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
                iam.delete_role(RoleName=name)
        issuer = eks.describe_cluster(name=cluster)["cluster"]["identity"]["oidc"]["issuer"].replace("https://", "")
        for provider in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
            if provider["Arn"].endswith("oidc-provider/" + issuer):
                iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=provider["Arn"])
    elif command == "agent":
        installed = AGENT in eks.list_addons(clusterName=cluster)["addons"]
        if args[0] == "present" and not installed:
            eks.create_addon(clusterName=cluster, addonName=AGENT)
        elif args[0] == "absent" and installed:
            eks.delete_addon(clusterName=cluster, addonName=AGENT)
    elif command == "show":
        namespace, roles = args[0], args[1:]
        print(json.dumps({"associations": associations(eks, cluster, namespace),
                          "trust": {name: trust(iam, name) for name in roles}}, default=str))
    elif command == "addon":
        name, role = args
        params = dict(clusterName=cluster, addonName=name, podIdentityAssociations=[])
        if role != "none":
            params["serviceAccountRoleArn"] = role
        eks.update_addon(**params)
    elif command == "issuer":
        print(eks.describe_cluster(name=cluster)["cluster"]["identity"]["oidc"]["issuer"].replace("https://", ""))
    elif command == "addon-show":
        addon = eks.describe_addon(clusterName=cluster, addonName=args[0])["addon"]
        print(json.dumps({"serviceAccountRoleArn": addon.get("serviceAccountRoleArn"),
                          "associations": associations(eks, cluster, "kube-system")}))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(*sys.argv[1:])
