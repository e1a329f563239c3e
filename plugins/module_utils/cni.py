# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers for moving the Amazon VPC CNI plugin (aws-node) to IRSA.

Follows the EKS user guide "configure the Amazon VPC CNI plugin to use IAM
roles for service accounts": a role trusted by ``kube-system/aws-node``
with ``AmazonEKS_CNI_Policy`` (IPv4) or a customer-managed
``AmazonEKS_CNI_IPv6_Policy`` (IPv6); annotate aws-node; restart its pods;
check ``AWS_ROLE_ARN`` and ``AWS_WEB_IDENTITY_TOKEN_FILE`` in the pods; only
then detach the CNI policy from the node role.
"""

from __future__ import annotations

import copy
import re

from ansible_collections.eks.access.plugins.module_utils.kube import ENV_ROLE_ARN
from ansible_collections.eks.access.plugins.module_utils.kube import ENV_TOKEN_FILE

CNI_NAMESPACE = "kube-system"
CNI_SERVICE_ACCOUNT = "aws-node"
CNI_CONTAINER = "aws-node"
CNI_POD_LABEL_SELECTOR = "k8s-app=aws-node"
DEFAULT_ROLE_NAME = "AmazonEKSVPCCNIRole"

IPV4_POLICY_NAME = "AmazonEKS_CNI_Policy"
IPV6_POLICY_NAME = "AmazonEKS_CNI_IPv6_Policy"


_PARTITION_RE = re.compile(r"^aws(-[a-z]+)*$")
_ACCOUNT_RE = re.compile(r"^[0-9]{12}$")

# vpc-cni-ipv6-policy.json from the guide; "arn:aws:" is replaced by the
# cluster's partition.
_IPV6_POLICY_DOCUMENT = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "ec2:AssignIpv6Addresses",
                "ec2:DescribeInstances",
                "ec2:DescribeTags",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeInstanceTypes",
            ],
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Action": ["ec2:CreateTags"],
            "Resource": ["arn:%s:ec2:*:*:network-interface/*"],
        },
    ],
}


class CniError(ValueError):
    """Invalid input for the VPC CNI helpers."""


def _check_partition(partition):
    if not isinstance(partition, str) or not _PARTITION_RE.match(partition):
        raise CniError("invalid AWS partition %r" % (partition,))
    return partition


def ipv6_policy_document(partition="aws"):
    """The guide's IPv6 CNI policy document for ``partition`` (a fresh dict)."""
    _check_partition(partition)
    document = copy.deepcopy(_IPV6_POLICY_DOCUMENT)
    statement = document["Statement"][1]
    statement["Resource"] = [r % partition for r in statement["Resource"]]
    return document


def cni_policy_for_ip_family(ip_family, partition="aws", account_id=None):
    """What the CNI role needs for a cluster IP family.

    Returns ``{"ip_family", "aws_managed", "policy_name", "policy_arn", "policy_document"}``:

    * ipv4: the AWS managed ``arn:PARTITION:iam::aws:policy/AmazonEKS_CNI_Policy``,
      no document;
    * ipv6: the guide's document and name ``AmazonEKS_CNI_IPv6_Policy``, to be
      created as a customer managed policy; ``policy_arn`` is filled in when
      ``account_id`` is given, else None.

    ``ip_family`` is what DescribeCluster reports
    (``kubernetesNetworkConfig.ipFamily``), case-insensitive.
    """
    _check_partition(partition)
    family = ip_family.strip().lower() if isinstance(ip_family, str) else ip_family
    if family == "ipv4":
        return {
            "ip_family": "ipv4",
            "aws_managed": True,
            "policy_name": IPV4_POLICY_NAME,
            "policy_arn": "arn:%s:iam::aws:policy/%s" % (partition, IPV4_POLICY_NAME),
            "policy_document": None,
        }
    if family == "ipv6":
        policy_arn = None
        if account_id is not None:
            account_id = str(account_id)
            if not _ACCOUNT_RE.match(account_id):
                raise CniError("AWS account ID must be exactly 12 digits, got %r" % (account_id,))
            policy_arn = "arn:%s:iam::%s:policy/%s" % (partition, account_id, IPV6_POLICY_NAME)
        return {
            "ip_family": "ipv6",
            "aws_managed": False,
            "policy_name": IPV6_POLICY_NAME,
            "policy_arn": policy_arn,
            "policy_document": ipv6_policy_document(partition),
        }
    raise CniError("unknown cluster IP family %r (expected ipv4 or ipv6)" % (ip_family,))


def _env(container):
    result = {}
    for item in container.get("env") or []:
        if isinstance(item, dict) and item.get("name"):
            result[item["name"]] = item.get("value")
    return result


def aws_node_env_ok(pod, role_arn=None):
    """Whether every ``aws-node`` container of the pod has the IRSA env vars.

    Both ``AWS_ROLE_ARN`` and ``AWS_WEB_IDENTITY_TOKEN_FILE`` must be set;
    with ``role_arn``, ``AWS_ROLE_ARN`` must also equal it. A pod with no
    ``aws-node`` container is not OK (nothing was verified).
    """
    containers = [c for c in ((pod or {}).get("spec") or {}).get("containers") or [] if c.get("name") == CNI_CONTAINER]
    if not containers:
        return False
    for container in containers:
        env = _env(container)
        if not env.get(ENV_ROLE_ARN) or not env.get(ENV_TOKEN_FILE):
            return False
        if role_arn is not None and env.get(ENV_ROLE_ARN) != role_arn:
            return False
    return True


def aws_node_pods_not_ok(pods, role_arn=None):
    """Names of aws-node pods failing aws_node_env_ok (empty list: all fine)."""
    return [((p or {}).get("metadata") or {}).get("name") for p in pods or [] if not aws_node_env_ok(p, role_arn)]


def plan_node_role_detach(node_roles_attached, cni_policy_arn, verified):
    """Detach calls to make: ``[{"role_name": ..., "policy_arn": ...}]``.

    ``node_roles_attached`` maps node role name to its attached policy ARNs.
    Nothing is planned unless ``verified`` (aws-node pods were checked to
    carry the IRSA env vars); otherwise the nodes would lose pod networking
    permissions. Roles without the policy are skipped; input order is kept.
    """
    if not verified:
        return []
    if not isinstance(cni_policy_arn, str) or not cni_policy_arn.startswith("arn:"):
        raise CniError("CNI policy ARN must be an ARN, got %r" % (cni_policy_arn,))
    plan = []
    for role_name, attached in (node_roles_attached or {}).items():
        if cni_policy_arn in (attached or []):
            plan.append({"role_name": role_name, "policy_arn": cni_policy_arn})
    return plan


# ---------------------------------------------------------------------------
# The customer managed IPv6 policy
# ---------------------------------------------------------------------------


def plan_ipv6_policy(existing_document, wanted_document):
    """What to do about the IPv6 CNI policy: ``{"action", "matches_guide"}``.

    ``existing_document`` is the default version's document of the policy
    with the wanted name, or None when no such policy exists. A missing
    policy is created (action ``create``); an existing one is used as it is
    (action ``none``) even when its document differs from the guide's (the
    operator may have tightened it); ``matches_guide`` says whether it does.
    """
    from ansible_collections.eks.access.plugins.module_utils.trust_policy import policies_equal

    if existing_document is None:
        return {"action": "create", "matches_guide": True}
    return {"action": "none", "matches_guide": policies_equal(existing_document, wanted_document)}


# ---------------------------------------------------------------------------
# Verifying the aws-node pods
# ---------------------------------------------------------------------------

SKIP_CONTAINERS_ANNOTATION = "eks.amazonaws.com/skip-containers"


def mutated_containers(pod):
    """The containers the pod identity webhook mutates: init and regular, minus skip-containers.

    Returns ``[(kind, container dict)]`` with kind ``initContainers`` or ``containers``.
    """
    pod = pod or {}
    spec = pod.get("spec") or {}
    annotations = ((pod.get("metadata") or {}).get("annotations")) or {}
    skip = set(s.strip() for s in (annotations.get(SKIP_CONTAINERS_ANNOTATION) or "").split(",") if s.strip())
    result = []
    for kind in ("initContainers", "containers"):
        for container in spec.get(kind) or []:
            if container.get("name") not in skip:
                result.append((kind, container))
    return result


def container_irsa_problems(container, role_arn):
    """What is wrong with one container's IRSA environment (empty list: nothing)."""
    env = _env(container)
    problems = []
    if not env.get(ENV_ROLE_ARN):
        problems.append("%s is not set" % ENV_ROLE_ARN)
    elif role_arn is not None and env.get(ENV_ROLE_ARN) != role_arn:
        problems.append("%s is %s, not %s" % (ENV_ROLE_ARN, env.get(ENV_ROLE_ARN), role_arn))
    if not env.get(ENV_TOKEN_FILE):
        problems.append("%s is not set" % ENV_TOKEN_FILE)
    return problems


def container_without_irsa_problems(container):
    """For a rollback: the container must no longer carry the IRSA variables."""
    env = _env(container)
    return ["%s is still set (%s)" % (name, env[name]) for name in (ENV_ROLE_ARN, ENV_TOKEN_FILE) if env.get(name)]


def _is_terminating(pod):
    return bool(((pod or {}).get("metadata") or {}).get("deletionTimestamp"))


def verify_pods(pods, role_arn, desired=None, expect_irsa=True):
    """Check every aws-node pod; returns the report the verify module prints.

    ``{"ok", "checked", "desired", "pods": [...], "failures": [...], "terminating": [...]}``.
    Each pod entry is ``{"name", "node", "phase", "ok", "containers": [{"name", "kind",
    "role_arn", "token_file", "problems"}]}``; ``failures`` lists ``{"pod", "container",
    "problem"}`` for every miss. Pods being deleted are listed in ``terminating``
    and not checked (they are going away). With ``desired`` (the DaemonSet's
    ``desiredNumberScheduled``) fewer live pods than desired is a failure too,
    since an unchecked node is not verified. With ``expect_irsa=False`` (after a
    rollback) the variables must be absent instead.
    """
    if expect_irsa and role_arn is not None and not isinstance(role_arn, str):
        raise CniError("role ARN must be a string, got %r" % (role_arn,))
    report = {"ok": True, "checked": 0, "desired": desired, "pods": [], "failures": [], "terminating": []}
    for pod in pods or []:
        meta = (pod or {}).get("metadata") or {}
        name = meta.get("name")
        if _is_terminating(pod):
            report["terminating"].append(name)
            continue
        report["checked"] += 1
        entry = {
            "name": name,
            "node": ((pod.get("spec") or {}).get("nodeName")),
            "phase": ((pod.get("status") or {}).get("phase")),
            "ok": True,
            "containers": [],
        }
        containers = mutated_containers(pod)
        if not containers:
            entry["ok"] = False
            report["failures"].append({"pod": name, "container": None, "problem": "the pod has no containers"})
        for kind, container in containers:
            env = _env(container)
            if expect_irsa:
                problems = container_irsa_problems(container, role_arn)
            else:
                problems = container_without_irsa_problems(container)
            entry["containers"].append({
                "name": container.get("name"),
                "kind": kind,
                "role_arn": env.get(ENV_ROLE_ARN),
                "token_file": env.get(ENV_TOKEN_FILE),
                "problems": problems,
            })
            for problem in problems:
                entry["ok"] = False
                report["failures"].append({"pod": name, "container": container.get("name"), "problem": problem})
        report["pods"].append(entry)
    if desired is not None and report["checked"] < desired:
        report["failures"].append({
            "pod": None, "container": None,
            "problem": "%d pods checked but the DaemonSet wants %d: the other nodes were not verified"
                       % (report["checked"], desired),
        })
    report["ok"] = not report["failures"]
    return report


def failure_lines(report):
    """One human-readable line per failure of a verify_pods report."""
    lines = []
    for failure in report.get("failures") or []:
        where = failure["pod"] or "DaemonSet"
        if failure.get("container"):
            where += "/" + failure["container"]
        lines.append("%s: %s" % (where, failure["problem"]))
    return lines


# ---------------------------------------------------------------------------
# Node roles
# ---------------------------------------------------------------------------


def node_role_name(role):
    """The IAM role name of a node role given as a name or a role ARN (path dropped)."""
    if not isinstance(role, str) or not role.strip():
        raise CniError("node role must be a role name or ARN, got %r" % (role,))
    role = role.strip()
    if role.startswith("arn:"):
        from ansible_collections.eks.access.plugins.module_utils.arn import ArnError, require_role_arn

        try:
            return require_role_arn(role).name
        except ArnError as e:
            raise CniError(str(e))
    if "/" in role or ":" in role:
        raise CniError("node role %r is neither a role name nor a role ARN" % (role,))
    return role


def aws_auth_node_role_arns(aws_auth_model):
    """Role ARNs of the aws-auth mapRoles entries that map nodes (group ``system:nodes``)."""
    from ansible_collections.eks.access.plugins.module_utils.aws_auth import is_node_mapping

    arns = []
    for entry in (aws_auth_model.map_roles if aws_auth_model is not None else []):
        if is_node_mapping(entry) and entry.get("rolearn") and entry["rolearn"] not in arns:
            arns.append(entry["rolearn"])
    return arns


def collect_node_roles(nodegroup_roles=(), aws_auth_roles=(), explicit_roles=()):
    """Unique node roles in discovery order, each ``{"role_name", "sources"}``.

    Sources are ``nodegroup`` (managed node groups' ``nodeRole``), ``aws-auth``
    (node mappings) and ``explicit``; a role found several ways lists each.
    """
    roles = {}
    for source, items in (("nodegroup", nodegroup_roles), ("aws-auth", aws_auth_roles),
                          ("explicit", explicit_roles)):
        for item in items or []:
            name = node_role_name(item)
            entry = roles.setdefault(name, {"role_name": name, "sources": []})
            if source not in entry["sources"]:
                entry["sources"].append(source)
    return list(roles.values())


def plan_node_role_policy(roles, attached_by_role, policy_arn, state, exceptions=()):
    """Per node role, what to do with exactly one policy.

    ``roles`` is collect_node_roles() output; ``attached_by_role`` maps role
    name to its attached policy ARNs, or None when the role does not exist.
    ``state`` ``absent`` detaches ``policy_arn`` where attached, ``present``
    attaches it where missing. Roles in ``exceptions`` (names or ARNs) are
    skipped with a reason when the state would change them. Returns entries
    ``{"role_name", "sources", "action", "reason", "before", "after"}`` with
    action ``detach``, ``attach``, ``none`` or ``skip``; only ``policy_arn``
    ever differs between before and after.
    """
    if state not in ("present", "absent"):
        raise CniError("state must be present or absent, got %r" % (state,))
    if not isinstance(policy_arn, str) or not policy_arn.startswith("arn:") or ":policy/" not in policy_arn:
        raise CniError("policy must be a managed policy ARN, got %r" % (policy_arn,))
    excepted = set(node_role_name(e) for e in exceptions or [])
    plan = []
    for role in roles or []:
        name = role["role_name"]
        attached = attached_by_role.get(name)
        entry = {"role_name": name, "sources": list(role.get("sources") or []), "before": None, "after": None}
        if attached is None:
            entry.update(action="skip", reason="the IAM role does not exist")
            plan.append(entry)
            continue
        entry["before"] = list(attached)
        entry["after"] = list(attached)
        has = policy_arn in attached
        if (state == "absent" and not has) or (state == "present" and has):
            entry.update(action="none", reason="already %s" % ("detached" if state == "absent" else "attached"))
        elif name in excepted:
            entry.update(action="skip", reason="declared as still needing %s; left %s" % (
                policy_arn, "attached" if state == "absent" else "without it"))
        elif state == "absent":
            entry.update(action="detach", reason="aws-node pods use IRSA now")
            entry["after"] = [a for a in attached if a != policy_arn]
        else:
            entry.update(action="attach", reason="rollback: the node role carries the CNI permissions again")
            entry["after"] = list(attached) + [policy_arn]
        plan.append(entry)
    return plan


# ---------------------------------------------------------------------------
# The vpc-cni EKS managed add-on
# ---------------------------------------------------------------------------

ADDON_NAME = "vpc-cni"


def plan_addon_role(addon, role_arn):
    """Bring a managed add-on's ``serviceAccountRoleArn`` to ``role_arn`` (None: the node role).

    ``addon`` is DescribeAddon's ``addon`` or None when the add-on is not
    installed. Returns ``{"action", "reason", "update"}``: action ``none``,
    ``update`` or ``absent``; ``update`` holds the UpdateAddon arguments
    besides cluster and add-on name. UpdateAddon replaces the role with what
    it is given (the API refuses an empty string), so removing it means an
    update without ``serviceAccountRoleArn``. The add-on's current
    ``configurationValues`` are repeated so that they are kept.
    """
    if addon is None:
        return {"action": "absent", "reason": "%s is not an EKS managed add-on of this cluster" % ADDON_NAME,
                "update": None}
    if role_arn is not None:
        from ansible_collections.eks.access.plugins.module_utils.arn import ArnError, require_role_arn

        try:
            require_role_arn(role_arn)
        except ArnError as e:
            raise CniError(str(e))
    current = addon.get("serviceAccountRoleArn") or None
    if current == role_arn:
        return {"action": "none", "reason": "the add-on already uses %s" % (role_arn or "the node role"),
                "update": None}
    update = {}
    if role_arn is not None:
        update["serviceAccountRoleArn"] = role_arn
    if addon.get("configurationValues"):
        update["configurationValues"] = addon["configurationValues"]
    reason = "serviceAccountRoleArn %s -> %s" % (current or "(node role)", role_arn or "(node role)")
    return {"action": "update", "reason": reason, "update": update}


def addon_summary(addon):
    """What the add-on module returns about an add-on (``{"exists": False}`` when absent)."""
    if addon is None:
        return {"exists": False, "name": ADDON_NAME}
    return {
        "exists": True,
        "name": addon.get("addonName"),
        "version": addon.get("addonVersion"),
        "status": addon.get("status"),
        "service_account_role_arn": addon.get("serviceAccountRoleArn") or None,
        "arn": addon.get("addonArn"),
    }
