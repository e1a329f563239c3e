# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWS and Kubernetes I/O of the VPC CNI modules around the pure planners in cni.py.

vpc_cni_policy, vpc_cni_addon, node_role_policy and aws_node_irsa_info each
call one ``run_*`` function here: read the current state, ask cni.py what
to do, write it (nothing in check mode) and shape the result.
"""

from __future__ import annotations

import json
import time

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.eks.access.plugins.module_utils import cni
from ansible_collections.eks.access.plugins.module_utils import eks
from ansible_collections.eks.access.plugins.module_utils import irsa
from ansible_collections.eks.access.plugins.module_utils import kube
from ansible_collections.eks.access.plugins.module_utils import trust_policy

# Right after CreatePolicy, IAM may briefly answer NoSuchEntity.
RETRY = AWSRetry.jittered_backoff(catch_extra_error_codes=["NoSuchEntity"])


class CniRefused(Exception):
    """The change cannot be made as asked (the message says why)."""


def _identity(module):
    identity = module.client("sts").get_caller_identity()
    return identity["Account"], identity["Arn"].split(":")[1]


# ---------------------------------------------------------------------------
# vpc_cni_policy
# ---------------------------------------------------------------------------


def get_policy_document(iam, policy_arn):
    """The default version's document of a managed policy, or None when it does not exist."""
    try:
        # no aws_retry here: RETRY retries NoSuchEntity, which is the answer for a missing policy
        policy = iam.get_policy(PolicyArn=policy_arn)["Policy"]
    except is_boto3_error_code("NoSuchEntity"):
        return None
    version = iam.get_policy_version(aws_retry=True, PolicyArn=policy_arn,
                                     VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    return trust_policy.load_policy(version["Document"])


def run_policy(module):
    params = module.params
    account, partition = _identity(module)
    family = params.get("ip_family")
    if not family:
        if not params.get("cluster_name"):
            raise CniRefused("give cluster_name (to read the IP family from EKS) or ip_family")
        family = eks.describe_cluster(module.client("eks"), params["cluster_name"])["ip_family"]
    wanted = cni.cni_policy_for_ip_family(family, partition, account)
    result = dict(changed=False, ip_family=wanted["ip_family"], aws_managed=wanted["aws_managed"],
                  policy_name=wanted["policy_name"], policy_arn=wanted["policy_arn"], created=False,
                  matches_guide=None)
    if wanted["aws_managed"]:
        return result

    name = params["ipv6_policy_name"]
    policy_arn = "arn:%s:iam::%s:policy%s%s" % (partition, account, params["ipv6_policy_path"], name)
    result.update(policy_name=name, policy_arn=policy_arn, policy_document=wanted["policy_document"])
    iam = module.client("iam", retry_decorator=RETRY)
    existing = get_policy_document(iam, policy_arn)
    plan = cni.plan_ipv6_policy(existing, wanted["policy_document"])
    result["matches_guide"] = plan["matches_guide"]
    if plan["action"] == "create":
        if not params["create"]:
            raise CniRefused("the IPv6 CNI policy %s does not exist; set create=true to create it from the EKS "
                             "user guide's document" % policy_arn)
        result.update(changed=True, created=True)
        if not module.check_mode:
            iam.create_policy(aws_retry=True, PolicyName=name, Path=params["ipv6_policy_path"],
                              PolicyDocument=json.dumps(wanted["policy_document"]),
                              Description="IPv6 permissions of the Amazon VPC CNI plugin (EKS user guide)")
    elif not plan["matches_guide"]:
        module.warn("the IPv6 CNI policy %s exists with a document that differs from the EKS user guide's; it is "
                    "used as it is" % policy_arn)
    if module._diff:
        result["diff"] = dict(
            before=dict(policy_arn=policy_arn if existing is not None else None, policy_document=existing),
            after=dict(policy_arn=policy_arn, policy_document=existing if existing is not None
                       else wanted["policy_document"]),
        )
    return result


# ---------------------------------------------------------------------------
# vpc_cni_addon
# ---------------------------------------------------------------------------


@AWSRetry.jittered_backoff()
def _describe_addon(client, cluster, name):
    return client.describe_addon(clusterName=cluster, addonName=name)["addon"]


def describe_addon(client, cluster, name=cni.ADDON_NAME):
    """DescribeAddon's ``addon``, or None when the add-on is not installed."""
    try:
        return _describe_addon(client, cluster, name)
    except is_boto3_error_code("ResourceNotFoundException"):
        return None


def wait_for_addon_update(client, cluster, name, update_id, timeout, sleep=time.sleep):
    """Poll DescribeUpdate until the add-on update ends; return the final update."""
    deadline = time.monotonic() + timeout
    while True:
        update = client.describe_update(name=cluster, updateId=update_id, addonName=name)["update"]
        if update["status"] == "Successful":
            return update
        if update["status"] in ("Failed", "Cancelled"):
            errors = "; ".join(e.get("errorMessage") or e.get("errorCode") or "?" for e in update.get("errors") or [])
            raise CniRefused("add-on update %s of %s/%s ended %s: %s"
                             % (update_id, cluster, name, update["status"], errors or "no error given"))
        if time.monotonic() >= deadline:
            raise CniRefused("add-on update %s of %s/%s still %s after %d s; run again to resume"
                             % (update_id, cluster, name, update["status"], timeout))
        sleep(3)


def run_addon(module):
    params = module.params
    client = module.client("eks")
    cluster = params["cluster_name"]
    eks.describe_cluster(client, cluster)  # a clear error for a missing cluster
    addon = describe_addon(client, cluster)
    result = dict(changed=False, addon=cni.addon_summary(addon), update=None)
    if params["state"] == "present" and not params.get("service_account_role_arn"):
        return result  # only report
    wanted = params.get("service_account_role_arn") if params["state"] == "present" else None
    plan = cni.plan_addon_role(addon, wanted)
    result["message"] = plan["reason"]
    if plan["action"] != "update":
        return result
    result["changed"] = True
    before = cni.addon_summary(addon)
    after = dict(before, service_account_role_arn=wanted)
    if module._diff:
        result["diff"] = dict(before=dict(service_account_role_arn=before["service_account_role_arn"]),
                              after=dict(service_account_role_arn=wanted))
    result["addon"] = after
    if module.check_mode:
        return result
    kwargs = dict(plan["update"])
    if params.get("resolve_conflicts"):
        kwargs["resolveConflicts"] = params["resolve_conflicts"]
    update = client.update_addon(clusterName=cluster, addonName=cni.ADDON_NAME, **kwargs)["update"]
    if params["wait"]:
        update = wait_for_addon_update(client, cluster, cni.ADDON_NAME, update["id"], params["wait_timeout"])
        result["addon"] = cni.addon_summary(describe_addon(client, cluster))
    result["update"] = {"id": update["id"], "status": update["status"]}
    return result


# ---------------------------------------------------------------------------
# node_role_policy
# ---------------------------------------------------------------------------


def attached_policies_or_none(iam, role_name):
    """ARNs of the managed policies attached to a role; None when the role does not exist."""
    try:
        paginator = iam.get_paginator("list_attached_role_policies")
        pages = paginator.paginate(RoleName=role_name).build_full_result()
    except is_boto3_error_code("NoSuchEntity"):
        return None
    return [p["PolicyArn"] for p in pages.get("AttachedPolicies", [])]


def aws_auth_node_roles(module):
    """Node role ARNs mapped in the cluster's aws-auth ConfigMap (empty when there is none)."""
    from ansible_collections.eks.access.plugins.module_utils import aws_auth
    from ansible_collections.eks.access.plugins.module_utils import configmap
    from ansible_collections.eks.access.plugins.module_utils import connection

    current = configmap.read_configmap(connection.kube_api(module))
    if current is None:
        return []
    return cni.aws_auth_node_role_arns(aws_auth.parse_aws_auth(current.get("data") or {}))


def run_node_role_policy(module):
    params = module.params
    discover = params["discover"] or []
    if "nodegroups" in discover and not params.get("cluster_name"):
        raise CniRefused("discovering node group roles needs cluster_name")
    nodegroup_roles = []
    if "nodegroups" in discover:
        nodegroup_roles = eks.managed_node_roles(module.client("eks"), params["cluster_name"])
    aws_auth_roles = aws_auth_node_roles(module) if "aws_auth" in discover else []
    roles = cni.collect_node_roles(nodegroup_roles, aws_auth_roles, params["node_roles"] or [])
    iam = module.client("iam", retry_decorator=RETRY)
    attached = dict((role["role_name"], attached_policies_or_none(iam, role["role_name"])) for role in roles)
    plan = cni.plan_node_role_policy(roles, attached, params["policy_arn"], params["state"],
                                     params["exceptions"] or [])
    changed = any(entry["action"] in ("attach", "detach") for entry in plan)
    for entry in plan:
        if entry["action"] == "skip":
            module.warn("node role %s skipped: %s" % (entry["role_name"], entry["reason"]))
        if module.check_mode:
            continue
        if entry["action"] == "detach":
            iam.detach_role_policy(aws_retry=True, RoleName=entry["role_name"], PolicyArn=params["policy_arn"])
        elif entry["action"] == "attach":
            iam.attach_role_policy(aws_retry=True, RoleName=entry["role_name"], PolicyArn=params["policy_arn"])
    result = dict(
        changed=changed,
        policy_arn=params["policy_arn"],
        roles=plan,
        detached=[e["role_name"] for e in plan if e["action"] == "detach"],
        attached=[e["role_name"] for e in plan if e["action"] == "attach"],
        skipped=[e["role_name"] for e in plan if e["action"] == "skip"],
    )
    if module._diff:
        result["diff"] = dict(
            before=dict((e["role_name"], e["before"]) for e in plan),
            after=dict((e["role_name"], e["after"]) for e in plan),
        )
    return result


# ---------------------------------------------------------------------------
# aws_node_irsa_info
# ---------------------------------------------------------------------------


def run_verify(module):
    from ansible_collections.eks.access.plugins.module_utils import connection

    params = module.params
    api = connection.kube_api(module)
    namespace, name = params["namespace"], params["daemonset"]
    ds = api.get_optional(kube.api_path("apps/v1", "daemonsets", namespace, name))
    if ds is None:
        raise CniRefused("DaemonSet %s/%s does not exist" % (namespace, name))
    sa_name = ds["spec"]["template"]["spec"].get("serviceAccountName") or "default"
    sa = api.get_optional(kube.api_path("v1", "serviceaccounts", namespace, sa_name))
    annotations = irsa.annotations_of(sa)
    role_arn = params.get("role_arn")
    if params["expect_irsa"] and not role_arn:
        role_arn = annotations.get(irsa.ROLE_ARN_ANNOTATION)
    pods = api.items(kube.api_path("v1", "pods", namespace),
                     label_selector=kube.label_selector(ds["spec"]["selector"].get("matchLabels")))
    desired = (ds.get("status") or {}).get("desiredNumberScheduled")
    report = cni.verify_pods(pods, role_arn, desired, params["expect_irsa"])
    if params["expect_irsa"] and not role_arn:
        problem = "no role ARN to expect: the service account %s/%s has no %s annotation" % (
            namespace, sa_name, irsa.ROLE_ARN_ANNOTATION)
        report["failures"].insert(0, {"pod": None, "container": None, "problem": problem})
        report["ok"] = False
    return dict(
        changed=False,
        ok=report["ok"],
        role_arn=role_arn,
        expect_irsa=params["expect_irsa"],
        service_account=dict(namespace=namespace, name=sa_name, exists=sa is not None, annotations=annotations),
        desired=desired,
        checked=report["checked"],
        pods=report["pods"],
        terminating=report["terminating"],
        failures=report["failures"],
        failure_lines=cni.failure_lines(report),
    )
