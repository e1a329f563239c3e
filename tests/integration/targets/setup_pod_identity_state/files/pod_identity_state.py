# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sandbox state the Pod Identity targets set up and read, through the EKS and IAM APIs.

  pod_identity_state.py CLUSTER reset NAMESPACE ROLE... [--addon=NAME]... [--oidc-provider]
                     no associations in NAMESPACE, no agent add-on (nor the add-ons named), the roles deleted
                     (their managed policies detached first); --oidc-provider: no IAM OIDC provider for the
                     cluster's issuer either (as seeded)
  pod_identity_state.py CLUSTER agent present|absent      the eks-pod-identity-agent add-on
  pod_identity_state.py CLUSTER show NAMESPACE ROLE... [--addons]
                     JSON: associations of NAMESPACE (described, by namespace/service account), trust policy
                     of each role; --addons: the cluster's add-ons too
  pod_identity_state.py CLUSTER addon NAME ROLE_ARN|none  the add-on's serviceAccountRoleArn (none: removed), its
                                                          podIdentityAssociations removed
  pod_identity_state.py CLUSTER issuer                    the cluster's OIDC issuer, without https://
  pod_identity_state.py CLUSTER addon-show NAME           JSON: the add-on's serviceAccountRoleArn and the
                                                          associations of kube-system

Shared by the targets migrate_pod_identity and pod_identity_association, which
name this target in their aliases (needs/target/setup_pod_identity_state).
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
            k: v for k, v in described.items() if k not in ("createdAt", "modifiedAt")}
    return result


def trust(iam, name):
    try:
        document = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
    except iam.exceptions.NoSuchEntityException:
        return None
    return json.loads(unquote(document)) if isinstance(document, str) else document


def issuer(eks, cluster):
    return eks.describe_cluster(name=cluster)["cluster"]["identity"]["oidc"]["issuer"].replace("https://", "")


def reset(eks, iam, cluster, namespace, *args):
    roles = [a for a in args if not a.startswith("--")]
    addons = (AGENT,) + tuple(a[len("--addon="):] for a in args if a.startswith("--addon="))
    for association in associations(eks, cluster, namespace).values():
        eks.delete_pod_identity_association(clusterName=cluster, associationId=association["associationId"])
    for addon in eks.list_addons(clusterName=cluster)["addons"]:
        if addon in addons:
            eks.delete_addon(clusterName=cluster, addonName=addon)
    for name in roles:
        if trust(iam, name) is not None:
            for policy in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
                iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
            iam.delete_role(RoleName=name)
    if "--oidc-provider" in args:
        oidc = issuer(eks, cluster)
        for provider in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
            if provider["Arn"].endswith("oidc-provider/" + oidc):
                iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=provider["Arn"])


def main(cluster, command, *args):
    eks = boto3.client("eks")
    iam = boto3.client("iam")
    if command == "reset":
        reset(eks, iam, cluster, *args)
    elif command == "agent":
        installed = AGENT in eks.list_addons(clusterName=cluster)["addons"]
        if args[0] == "present" and not installed:
            eks.create_addon(clusterName=cluster, addonName=AGENT)
        elif args[0] == "absent" and installed:
            eks.delete_addon(clusterName=cluster, addonName=AGENT)
    elif command == "show":
        namespace, roles = args[0], [a for a in args[1:] if a != "--addons"]
        shown = {"associations": associations(eks, cluster, namespace),
                 "trust": {name: trust(iam, name) for name in roles}}
        if "--addons" in args:
            shown["addons"] = {}
            for name in eks.list_addons(clusterName=cluster)["addons"]:
                addon = eks.describe_addon(clusterName=cluster, addonName=name)["addon"]
                shown["addons"][name] = {k: addon.get(k) for k in (
                    "addonVersion", "status", "configurationValues", "serviceAccountRoleArn",
                    "podIdentityAssociations", "addonArn")}
        print(json.dumps(shown, default=str))
    elif command == "addon":
        name, role = args
        params = dict(clusterName=cluster, addonName=name, podIdentityAssociations=[])
        if role != "none":
            params["serviceAccountRoleArn"] = role
        eks.update_addon(**params)
    elif command == "issuer":
        print(issuer(eks, cluster))
    elif command == "addon-show":
        addon = eks.describe_addon(clusterName=cluster, addonName=args[0])["addon"]
        print(json.dumps({"serviceAccountRoleArn": addon.get("serviceAccountRoleArn"),
                          "associations": associations(eks, cluster, "kube-system")}, default=str))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(*sys.argv[1:])
