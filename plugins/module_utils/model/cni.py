# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers for moving the Amazon VPC CNI plugin (aws-node) to IRSA.

Follows the EKS user guide "configure the Amazon VPC CNI plugin to use IAM
roles for service accounts": a role trusted by ``kube-system/aws-node``
with ``AmazonEKS_CNI_Policy`` (IPv4) or a customer-managed
``AmazonEKS_CNI_IPv6_Policy`` (IPv6); annotate aws-node; restart its pods;
check that every pod carries the role's credentials (model/workloads.py);
only then detach the CNI policy from the node role.
"""

from __future__ import annotations

import copy

from ansible_collections.eks.access.plugins.module_utils.model import arn as arn_rules
from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model import workloads
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth.plan import is_node_mapping
from ansible_collections.eks.access.plugins.module_utils.model.trust_policy import policies_equal

CNI_NAMESPACE = "kube-system"
CNI_SERVICE_ACCOUNT = "aws-node"
DEFAULT_ROLE_NAME = "AmazonEKSVPCCNIRole"

IPV4_POLICY_NAME = "AmazonEKS_CNI_Policy"
IPV6_POLICY_NAME = "AmazonEKS_CNI_IPv6_Policy"

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


class CniError(errors.InvalidInput, ValueError):
    """Invalid input for the VPC CNI helpers."""

    def __init__(self, message):
        super().__init__(message)


class CniRefused(errors.Refused):
    """The change cannot be made as asked (the message says why)."""


def _require_role_arn(role_arn):
    """The parsed role ARN; CniError when it is none."""
    try:
        return arn_rules.require_role_arn(role_arn)
    except arn_rules.ArnError as e:
        raise CniError(str(e))


def _check_partition(partition):
    try:
        return arn_rules.validate_partition(partition)
    except arn_rules.ArnError as e:
        raise CniError(str(e))


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
            try:
                account_id = arn_rules.validate_account_id(account_id)
            except arn_rules.ArnError as e:
                raise CniError(str(e))
            policy_arn = "arn:%s:iam::%s:policy/%s" % (partition, account_id, IPV6_POLICY_NAME)
        return {
            "ip_family": "ipv6",
            "aws_managed": False,
            "policy_name": IPV6_POLICY_NAME,
            "policy_arn": policy_arn,
            "policy_document": ipv6_policy_document(partition),
        }
    raise CniError("unknown cluster IP family %r (expected ipv4 or ipv6)" % (ip_family,))


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
    if existing_document is None:
        return {"action": "create", "matches_guide": True}
    return {"action": "none", "matches_guide": policies_equal(existing_document, wanted_document)}


# ---------------------------------------------------------------------------
# Verifying the aws-node pods
# ---------------------------------------------------------------------------


def verify_pods(pods, role_arn, desired=None, expect_irsa=True, audience=workloads.DEFAULT_AUDIENCE,
                credential_method="irsa"):
    """Check every aws-node pod; returns the report the verify module prints.

    ``{"ok", "checked", "desired", "pods": [...], "failures": [...], "terminating": [...]}``.
    Each pod entry is ``{"name", "node", "phase", "ok", "containers": [{"name", "kind",
    "role_arn", "token_file", "problems"}]}``; ``failures`` lists ``{"pod", "container",
    "problem"}`` for every miss. A pod passes when it carries IRSA credentials as
    model/workloads.py defines it (the webhook's variables and its projected
    token, of ``role_arn``). Pods being deleted are listed in ``terminating``
    and not checked (they are going away). With ``desired`` (the DaemonSet's
    ``desiredNumberScheduled``) fewer live pods than desired is a failure too,
    since an unchecked node is not verified. With ``expect_irsa=False`` (after a
    rollback) the variables must be absent instead. ``credential_method``
    ``pod_identity`` checks the EKS Pod Identity variables and token instead
    (the role is then the association's, not the pod's: ``role_arn`` is not
    looked for in the pod).
    """
    if credential_method not in workloads.CREDENTIAL_METHODS:
        raise CniError("credential method must be one of %s, got %r"
                       % (", ".join(workloads.CREDENTIAL_METHODS), credential_method))
    if expect_irsa and role_arn is not None and not isinstance(role_arn, str):
        raise CniError("role ARN must be a string, got %r" % (role_arn,))
    report = {"ok": True, "checked": 0, "desired": desired, "pods": [], "failures": [], "terminating": []}
    for pod in pods or []:
        name = workloads.metadata(pod).get("name")
        if workloads.metadata(pod).get("deletionTimestamp"):
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
        containers = workloads.mutated_containers(pod)
        if not containers:
            entry["ok"] = False
            report["failures"].append({"pod": name, "container": None, "problem": "the pod has no containers"})
        for kind, container in containers:
            env = workloads.container_env(container)
            if expect_irsa:
                problems = workloads.credential_problems(pod, container, credential_method, role_arn, audience)
            else:
                problems = workloads.without_credentials_problems(container, credential_method)
            entry["containers"].append({
                "name": container.get("name"),
                "kind": kind,
                "role_arn": env.get(workloads.ENV_ROLE_ARN),
                "token_file": env.get(workloads.ENV_TOKEN_FILE),
                "credentials_uri": env.get(workloads.ENV_CREDENTIALS_FULL_URI),
                "authorization_token_file": env.get(workloads.ENV_AUTHORIZATION_TOKEN_FILE),
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


def node_role(role, default_account=None, default_partition="aws"):
    """A node role given as a name or a role ARN: ``{"role_arn", "role_name", "account"}``.

    The account is kept: a role ARN of another account is another role than
    the same name in the caller's account. A bare name is taken to be in
    ``default_account`` (the caller's).
    """
    if not isinstance(role, str) or not role.strip():
        raise CniError("node role must be a role name or ARN, got %r" % (role,))
    role = role.strip()
    if role.startswith("arn:"):
        parsed = _require_role_arn(role)
        return {"role_arn": role, "role_name": parsed.name, "account": parsed.account_id}
    if "/" in role or ":" in role:
        raise CniError("node role %r is neither a role name nor a role ARN" % (role,))
    arn = None
    if default_account:
        arn = "arn:%s:iam::%s:role/%s" % (default_partition, default_account, role)
    return {"role_arn": arn, "role_name": role, "account": default_account}


def _role_key(role):
    # IAM role names are unique case-insensitively within an account.
    return (role["account"], role["role_name"].lower())


def aws_auth_node_role_arns(aws_auth_model):
    """Role ARNs of the aws-auth mapRoles entries that map nodes (group ``system:nodes``)."""
    arns = []
    for entry in (aws_auth_model.map_roles if aws_auth_model is not None else []):
        if is_node_mapping(entry) and entry.get("rolearn") and entry["rolearn"] not in arns:
            arns.append(entry["rolearn"])
    return arns


def collect_node_roles(nodegroup_roles=(), aws_auth_roles=(), explicit_roles=(), account=None, partition="aws"):
    """Unique node roles in discovery order, each ``{"role_name", "role_arn", "account", "sources"}``.

    Sources are ``nodegroup`` (managed node groups' ``nodeRole``), ``aws-auth``
    (node mappings) and ``explicit``; a role found several ways lists each.
    Names given without an ARN are in ``account`` (the caller's).
    """
    roles = {}
    for source, items in (("nodegroup", nodegroup_roles), ("aws-auth", aws_auth_roles),
                          ("explicit", explicit_roles)):
        for item in items or []:
            role = node_role(item, account, partition)
            entry = roles.setdefault(_role_key(role), dict(role, sources=[]))
            if source not in entry["sources"]:
                entry["sources"].append(source)
    return list(roles.values())


def plan_node_role_policy(roles, attached_by_role, policy_arn, state, exceptions=(), account=None):
    """Per node role, what to do with exactly one policy.

    ``roles`` is collect_node_roles() output; ``attached_by_role`` maps role
    name to its attached policy ARNs, or None when the role does not exist.
    ``state`` ``absent`` detaches ``policy_arn`` where attached, ``present``
    attaches it where missing. Roles of another account than ``account`` (the
    caller's) are skipped: the caller's IAM cannot see them, and a same-named
    role of its own account is not theirs. Roles in ``exceptions`` (names or
    ARNs) are skipped with a reason when the state would change them. Returns
    entries ``{"role_name", "role_arn", "account", "sources", "action",
    "reason", "before", "after"}`` with action ``detach``, ``attach``,
    ``none`` or ``skip``; only ``policy_arn`` ever differs between before and after.
    """
    if state not in ("present", "absent"):
        raise CniError("state must be present or absent, got %r" % (state,))
    if not isinstance(policy_arn, str) or not policy_arn.startswith("arn:") or ":policy/" not in policy_arn:
        raise CniError("policy must be a managed policy ARN, got %r" % (policy_arn,))
    excepted = set(_role_key(node_role(e, account)) for e in exceptions or [])
    plan = []
    for role in roles or []:
        name = role["role_name"]
        entry = {"role_name": name, "role_arn": role.get("role_arn"), "account": role.get("account"),
                 "sources": list(role.get("sources") or []), "before": None, "after": None}
        if account is not None and role.get("account") not in (None, account):
            entry.update(action="skip", reason="the role belongs to account %s, not to the caller's account %s; run "
                                               "with credentials of account %s to change it" % (
                                                   role["account"], account, role["account"]))
            plan.append(entry)
            continue
        attached = attached_by_role.get(name)
        if attached is None:
            entry.update(action="skip", reason="the IAM role does not exist")
            plan.append(entry)
            continue
        entry["before"] = list(attached)
        entry["after"] = list(attached)
        has = policy_arn in attached
        if (state == "absent" and not has) or (state == "present" and has):
            entry.update(action="none", reason="already %s" % ("detached" if state == "absent" else "attached"))
        elif _role_key(dict(role, account=role.get("account") or account)) in excepted:
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


def other_users_of_roles(nodegroups, role_arns, cluster_name, migrated_clusters=()):
    """Node groups of other clusters that use one of ``role_arns`` and whose cluster is not declared migrated.

    ``nodegroups`` lists ``{"cluster", "nodegroup", "role_arn", "region"}``
    for every managed node group seen. Returns ``{role_arn: [nodegroup, ...]}``
    holding only roles that have such users. ARNs compare case-insensitively
    in the role name, as IAM does.
    """
    wanted = dict((arn_rules.match_key(arn), arn) for arn in role_arns if arn)
    migrated = set(migrated_clusters or ())
    others = {}
    for group in nodegroups or []:
        arn = wanted.get(arn_rules.match_key(group.get("role_arn") or ""))
        if arn is None or group["cluster"] == cluster_name or group["cluster"] in migrated:
            continue
        others.setdefault(arn, []).append(group)
    return others


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
        _require_role_arn(role_arn)
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


def addon_summary(addon, pod_identity_associations=None):
    """What the add-on module returns about an add-on (``{"exists": False}`` when absent).

    ``pod_identity_associations`` are the add-on's associations as
    ``[{"service_account", "role_arn"}]`` when they were read.
    """
    if addon is None:
        return {"exists": False, "name": ADDON_NAME}
    summary = {
        "exists": True,
        "name": addon.get("addonName"),
        "version": addon.get("addonVersion"),
        "status": addon.get("status"),
        "service_account_role_arn": addon.get("serviceAccountRoleArn") or None,
        "arn": addon.get("addonArn"),
    }
    if pod_identity_associations is not None:
        summary["pod_identity_associations"] = list(pod_identity_associations)
    return summary


def plan_addon_pod_identity(addon, current, service_account, role_arn):
    """Bring the add-on's Pod Identity association of ``service_account`` to ``role_arn`` (None: remove it).

    ``current`` lists the add-on's associations as ``[{"service_account",
    "role_arn"}]``. UpdateAddon's ``podIdentityAssociations`` replaces all
    of them, so the update repeats every other association unchanged, in
    order. Returns ``{"action", "reason", "update", "before", "after"}``:
    action ``none``, ``update`` or ``absent`` (no managed add-on).
    """
    if addon is None:
        return {"action": "absent", "reason": "%s is not an EKS managed add-on of this cluster" % ADDON_NAME,
                "update": None, "before": [], "after": []}
    if role_arn is not None:
        _require_role_arn(role_arn)
    before = [dict(a) for a in current or []]
    others = [a for a in before if a["service_account"] != service_account]
    mine = [a for a in before if a["service_account"] == service_account]
    had = mine[0]["role_arn"] if mine else None
    after = list(others)
    if role_arn is not None:
        # The service account keeps its place in the list; a new one goes last.
        after = [dict(a, role_arn=role_arn) if a["service_account"] == service_account else a for a in before] \
            if mine else before + [{"service_account": service_account, "role_arn": role_arn}]
    if had == role_arn:
        return {"action": "none", "reason": "the add-on's Pod Identity association of %s already %s" % (
            service_account, "uses %s" % role_arn if role_arn else "does not exist"),
            "update": None, "before": before, "after": before}
    update = {"podIdentityAssociations": [{"serviceAccount": a["service_account"], "roleArn": a["role_arn"]}
                                          for a in after]}
    if addon.get("configurationValues"):
        update["configurationValues"] = addon["configurationValues"]
    reason = "Pod Identity association of %s: %s -> %s (%d other association(s) of the add-on kept)" % (
        service_account, had or "(none)", role_arn or "(none)", len(others))
    return {"action": "update", "reason": reason, "update": update, "before": before, "after": after}
