# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who can do what on one EKS cluster: IAM, aws-auth, access entries and RBAC joined, as plain data.

Pure: the runner (runners/eks_access_report.py) reads the cluster, aws-auth,
the access entries, IAM and the RBAC objects, and hands them here.  This
module decides, as EKS and Kubernetes decide:

* which IAM principals get in and how (``collect_principals``): aws-auth
  (read in ``CONFIG_MAP`` and ``API_AND_CONFIG_MAP``), access entries (read in
  ``API_AND_CONFIG_MAP`` and ``API``; an access entry wins over an aws-auth
  mapping of the same principal), the cluster creator's bootstrap admin and
  ``mapAccounts``;
* what their Kubernetes username and groups reach (``Rbac.grants``): the
  RBAC bindings naming them (templates such as ``{{SessionName}}`` match any
  value), ``system:masters``, and the access policies expanded with
  model/access_policies.py;
* a level per scope (``evaluate``): cluster-admin, namespace-admin, write,
  read, none; and the dangerous rights;
* findings, drift against what the inventory declares, and the
  SubjectAccessReviews that let the API server confirm a row (``checks``).
"""

from __future__ import annotations

import fnmatch
import functools
import re

from ansible_collections.eks.access.plugins.module_utils.model import arn as arns
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import parse as aws_auth_parse
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import plan as aws_auth_plan
from ansible_collections.eks.access.plugins.module_utils.model import access_entry
from ansible_collections.eks.access.plugins.module_utils.model import access_policies

LEVELS = ("none", "read", "write", "namespace-admin", "cluster-admin")
CLUSTER_SCOPE = "cluster"
MASTERS_GROUP = aws_auth_plan.MASTERS_GROUP
AUTHENTICATED_GROUP = "system:authenticated"
NODES_GROUP = "system:nodes"
NODE_USERNAME_PREFIX = "system:node:"
NODE_ROLE = "system:node"
# What the API server gives every authenticated user beside its own groups.
IMPLICIT_GROUPS = (AUTHENTICATED_GROUP,)
# The identity EKS gives the cluster creator when aws-auth and access entries say nothing of it.
CREATOR_USERNAME = "kubernetes-admin"
SOURCES = ("access-entry", "aws-auth", "creator", "map-accounts")
# A session name used where a username or group template must be filled in to ask the API server.
SAMPLE_SESSION = "eks-access-report"
_TEMPLATE_RE = re.compile(r"\{\{[A-Za-z0-9]+\}\}")
_SSO_ROLE_RE = re.compile(r"^%s(?P<permission_set>[\w+=,.@-]+?)_(?P<hash>[0-9a-f]+)\Z" % re.escape(arns.SSO_ROLE_PREFIX))

RBAC_GROUP = "rbac.authorization.k8s.io"
# The requests that decide a level, strongest first: (level, [attributes]) - any allowed request gives the level.
LEVEL_PROBES = (
    ("cluster-admin", [{"verb": "*", "group": "*", "resource": "*"}]),
    ("namespace-admin", [{"verb": "create", "group": RBAC_GROUP, "resource": "rolebindings"}]),
    ("write", [{"verb": "create", "group": "", "resource": "pods"},
               {"verb": "create", "group": "apps", "resource": "deployments"},
               {"verb": "update", "group": "", "resource": "configmaps"}]),
    ("read", [{"verb": "list", "group": "", "resource": "pods"},
              {"verb": "list", "group": "apps", "resource": "deployments"},
              {"verb": "list", "group": "", "resource": "configmaps"}]),
)
# Dangerous rights: flag -> (cluster-scoped only?, [attributes]); any allowed request raises the flag.
FLAG_PROBES = {
    "read_secrets": (False, [{"verb": "get", "group": "", "resource": "secrets"},
                             {"verb": "list", "group": "", "resource": "secrets"}]),
    "exec": (False, [{"verb": "create", "group": "", "resource": "pods", "subresource": "exec"}]),
    "attach": (False, [{"verb": "create", "group": "", "resource": "pods", "subresource": "attach"}]),
    "escalate": (False, [{"verb": "escalate", "group": RBAC_GROUP, "resource": "roles"},
                         {"verb": "escalate", "group": RBAC_GROUP, "resource": "clusterroles"}]),
    "bind": (False, [{"verb": "bind", "group": RBAC_GROUP, "resource": "roles"},
                     {"verb": "bind", "group": RBAC_GROUP, "resource": "clusterroles"}]),
    "impersonate": (True, [{"verb": "impersonate", "group": "", "resource": resource}
                           for resource in ("users", "groups", "serviceaccounts")]),
    "node_write": (True, [{"verb": verb, "group": "", "resource": "nodes"} for verb in ("update", "patch", "delete")]),
    "webhook_write": (True, [{"verb": verb, "group": "admissionregistration.k8s.io", "resource": resource}
                             for verb in ("create", "update", "patch")
                             for resource in ("mutatingwebhookconfigurations", "validatingwebhookconfigurations")]),
}


def level_rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else 0


def has_template(text) -> bool:
    return bool(_TEMPLATE_RE.search(text or ""))


@functools.lru_cache(maxsize=1024)
def template_regex(text: str):
    """A regex matching every value ``text`` can take once its templates are filled in."""
    parts = _TEMPLATE_RE.split(text)
    return re.compile("^" + ".+".join(re.escape(part) for part in parts) + r"\Z")


def fill_templates(text: str, account_id: str = "") -> str:
    """``text`` with its templates filled in with sample values (to ask the API server about it)."""
    text = (text or "").replace("{{AccountID}}", account_id or "000000000000")
    text = text.replace("{{EC2PrivateDNSName}}", "ip-10-0-0-1.ec2.internal")
    return _TEMPLATE_RE.sub(SAMPLE_SESSION, text)


def sso_permission_set(principal_arn):
    """The IAM Identity Center permission set name of an ``AWSReservedSSO_<set>_<hash>`` role ARN, else None."""
    try:
        parsed = arns.parse_iam_arn(principal_arn)
    except arns.ArnError:
        return None
    if parsed.resource_type != "role":
        return None
    match = _SSO_ROLE_RE.match(parsed.name)
    return match.group("permission_set") if match else None


# --------------------------------------------------------------------------- who gets in


def _has_role_path(role_arn) -> bool:
    try:
        return arns.strip_role_path(role_arn)[1]
    except arns.ArnError:
        return False


def _principal(principal_arn, kind, source):
    return {"principal_arn": principal_arn, "kind": kind, "sources": [source], "effective_source": source,
            "creator": False, "username": None, "groups": [], "access_policies": [], "entry_type": None,
            "aws_auth": None, "access_entry": None, "permission_set": sso_permission_set(principal_arn)}


def _aws_auth_identity(kind, entry):
    """(username, groups) an aws-auth mapping gives, as the authenticator renders it (templates kept)."""
    return entry.get("username") or entry.get(aws_auth_parse.ARN_KEY[kind]), list(entry.get("groups") or [])


def collect_principals(mode: str, parsed_aws_auth=None, entries: dict = None, creator_arn: str = None,
                       account_id: str = "", partition: str = "aws") -> list:
    """Every IAM principal that can get into the cluster, with how and as whom.

    ``parsed_aws_auth``: aws_auth.parse_aws_auth's answer (None: no aws-auth);
    ``entries``: principal ARN -> access_entry.AccessEntry (the cluster's);
    ``creator_arn``: who created the cluster, when known.  In
    ``API_AND_CONFIG_MAP`` an access entry wins over the aws-auth mapping of
    the same principal (matched by account and name, path dropped, as EKS
    matches the principal's unique ID); in ``API`` aws-auth is not read.
    """
    mode = mode or "CONFIG_MAP"
    entries = entries or {}
    by_key = {}
    order = []

    def add(principal):
        key = access_entry.principal_key(principal["principal_arn"]) if principal["kind"] != "account" else \
            ("account", principal["principal_arn"])
        if key in by_key:
            return by_key[key], False
        by_key[key] = principal
        order.append(principal)
        return principal, True

    if mode != "CONFIG_MAP":
        for principal_arn in sorted(entries):
            entry = entries[principal_arn]
            principal, _new = add(_principal(principal_arn, "user" if ":user/" in principal_arn else "role",
                                             "access-entry"))
            principal["username"] = entry.username
            principal["groups"] = list(entry.kubernetes_groups or ())
            principal["entry_type"] = entry.type
            principal["access_entry"] = entry.to_result()
            principal["access_policies"] = [
                {"policy": access_entry.policy_name(policy_arn), "policy_arn": policy_arn,
                 "access_scope": scope.to_result()}
                for policy_arn, scope in sorted((entry.policies or {}).items())]
    if mode != "API" and parsed_aws_auth is not None:
        for kind, resource in (("mapRoles", "role"), ("mapUsers", "user")):
            section = parsed_aws_auth.section(kind)
            winners = aws_auth_plan.authenticator_winners(kind, section)
            for index, entry in enumerate(section):
                mapped_arn = entry.get(aws_auth_parse.ARN_KEY[kind])
                if winners[index] != index or not mapped_arn:
                    continue  # overridden by a later entry of the same ARN (the authenticator keeps the last)
                if kind == "mapRoles" and _has_role_path(mapped_arn):
                    continue  # a session's ARN never carries the path: nobody gets in (aws-auth lint: role_path)
                username, groups = _aws_auth_identity(kind, entry)
                principal, new = add(_principal(mapped_arn, resource, "aws-auth"))
                principal["aws_auth"] = {"kind": kind, "username": username, "groups": groups}
                if new:
                    principal["username"], principal["groups"] = username, groups
                else:
                    principal["sources"].append("aws-auth")
        for account in parsed_aws_auth.map_accounts:
            principal, _new = add(_principal(str(account), "account", "map-accounts"))
            # The authenticator names such a caller by its own ARN and gives it no group.
            principal["username"] = "{{ARN}}"
            principal["groups"] = []
    if creator_arn:
        found = by_key.get(access_entry.principal_key(creator_arn))
        if found is not None:
            found["creator"] = True
        elif mode == "CONFIG_MAP":
            # EKS makes the creator system:masters without writing it anywhere the cluster shows.
            principal, _new = add(_principal(creator_arn, "user" if ":user/" in creator_arn else "role", "creator"))
            principal["creator"] = True
            principal["username"] = CREATOR_USERNAME
            principal["groups"] = [MASTERS_GROUP]
    for principal in order:
        principal["sources"] = sorted(set(principal["sources"]), key=SOURCES.index)
    return order


# --------------------------------------------------------------------------- RBAC


def _scope_covers(scope: str, namespace: str) -> bool:
    """Whether a grant of ``scope`` (cluster, a namespace or a namespace pattern) applies in ``namespace``."""
    if scope == CLUSTER_SCOPE:
        return True
    if not namespace:
        return False
    return fnmatch.fnmatchcase(namespace, scope) if scope.endswith("*") else namespace == scope


class Rbac:
    """The cluster's ClusterRoles, Roles, ClusterRoleBindings and RoleBindings (the API's list items)."""

    def __init__(self, cluster_roles=(), roles=(), cluster_role_bindings=(), role_bindings=()):
        self.cluster_roles = {item["metadata"]["name"]: item for item in cluster_roles or ()}
        self.roles = {(item["metadata"].get("namespace"), item["metadata"]["name"]): item for item in roles or ()}
        self.bindings = [("ClusterRoleBinding", item) for item in cluster_role_bindings or ()] + \
                        [("RoleBinding", item) for item in role_bindings or ()]

    def cluster_role_rules(self, name: str) -> list:
        role = self.cluster_roles.get(name)
        if role is None and name == "cluster-admin":
            return list(access_policies.CLUSTER_ADMIN_RULES)
        return list((role or {}).get("rules") or [])

    def role_rules(self, binding_kind: str, binding: dict):
        """(role reference text, rules) of a binding's roleRef; rules [] when the role does not exist."""
        ref = binding.get("roleRef") or {}
        name = ref.get("name", "")
        if ref.get("kind") == "Role" and binding_kind == "RoleBinding":
            role = self.roles.get((binding["metadata"].get("namespace"), name))
            return "Role/%s" % name, list((role or {}).get("rules") or [])
        return "ClusterRole/%s" % name, self.cluster_role_rules(name)

    @staticmethod
    def subject_matches(subject: dict, username: str, groups) -> bool:
        kind, name = subject.get("kind"), subject.get("name") or ""
        if kind == "Group":
            return name in groups
        if kind == "User" and username:
            return template_regex(username).match(name) is not None if has_template(username) else name == username
        return False

    def bindings_of(self, username: str, groups) -> list:
        """The bindings naming ``username`` or one of ``groups`` (implicit groups included), with their rules."""
        groups = set(groups or ()) | set(IMPLICIT_GROUPS)
        found = []
        for binding_kind, binding in self.bindings:
            subjects = [s for s in binding.get("subjects") or () if self.subject_matches(s, username, groups)]
            if not subjects:
                continue
            role, rules = self.role_rules(binding_kind, binding)
            namespace = binding["metadata"].get("namespace") if binding_kind == "RoleBinding" else None
            found.append({
                "kind": binding_kind, "name": binding["metadata"]["name"], "namespace": namespace, "role": role,
                "scope": namespace or CLUSTER_SCOPE,
                "subjects": ["%s/%s" % (s.get("kind"), s.get("name")) for s in subjects],
                "everyone": all(s.get("kind") == "Group" and s.get("name") in IMPLICIT_GROUPS for s in subjects),
                "rules": rules,
            })
        return found

    def bound_groups(self) -> set:
        return {s.get("name") for _kind, b in self.bindings for s in b.get("subjects") or () if s.get("kind") == "Group"}


def is_node_identity(principal: dict) -> bool:
    """Whether the API server's Node authorizer decides for this principal (a kubelet's identity)."""
    return NODES_GROUP in principal["groups"] and (principal["username"] or "").startswith(NODE_USERNAME_PREFIX)


def grants_of(principal: dict, rbac: Rbac) -> list:
    """[(scope, rules, via)] of a principal: its RBAC bindings and its access policies.

    A node identity gets the rules the Node authorizer applies (ClusterRole
    ``system:node``'s), which it further limits to the node's own objects.
    """
    grants = []
    if is_node_identity(principal):
        grants.append((CLUSTER_SCOPE, rbac.cluster_role_rules(NODE_ROLE), "Node authorizer"))
    if MASTERS_GROUP in principal["groups"]:
        grants.append((CLUSTER_SCOPE, list(access_policies.CLUSTER_ADMIN_RULES), "group %s" % MASTERS_GROUP))
    for binding in principal.get("bindings") or ():
        grants.append((binding["scope"], binding["rules"], "%s %s" % (binding["kind"], binding["name"])))
    for policy in principal["access_policies"]:
        rules = access_policies.policy_rules(policy["policy_arn"], rbac.cluster_role_rules)
        scope = policy["access_scope"]
        if scope["type"] == "cluster":
            grants.append((CLUSTER_SCOPE, rules, "access policy %s" % policy["policy"]))
        else:
            for namespace in scope.get("namespaces") or ():
                grants.append((namespace, rules, "access policy %s" % policy["policy"]))
    return grants


def allowed(grants, attributes: dict, namespace: str = "") -> list:
    """What grants ``attributes`` in ``namespace`` ('' = cluster-wide / every namespace): the grants' ``via``."""
    request = dict(attributes, kind="resource", namespace=namespace)
    via = []
    for scope, rules, how in grants:
        if not namespace and scope != CLUSTER_SCOPE:
            continue
        if namespace and not _scope_covers(scope, namespace):
            continue
        if any(access_policies.rule_allows(rule, request) for rule in rules):
            via.append(how)
    return via


def level_in(grants, namespace: str = "") -> tuple:
    """(level, the probe that gave it or None) in ``namespace`` ('' = cluster scope)."""
    for level, probes in LEVEL_PROBES:
        for probe in probes:
            if allowed(grants, probe, namespace):
                if level == "cluster-admin" and namespace:
                    level = "namespace-admin"  # every right, but within one namespace
                return level, probe
    return "none", None


def evaluate(principal: dict, grants) -> dict:
    """``levels`` per scope (the cluster, then each namespace where it reaches higher), ``level``, ``flags``."""
    cluster_level, cluster_probe = level_in(grants)
    levels = {CLUSTER_SCOPE: cluster_level}
    probes = {CLUSTER_SCOPE: cluster_probe}
    namespaces = sorted({scope for scope, _rules, _via in grants if scope != CLUSTER_SCOPE})
    for namespace in namespaces:
        level, probe = level_in(grants, namespace)
        if level_rank(level) > level_rank(cluster_level):
            levels[namespace], probes[namespace] = level, probe
    flags = {}
    for flag, (cluster_only, attempts) in FLAG_PROBES.items():
        scopes = []
        for namespace in [""] + ([] if cluster_only else namespaces):
            if any(allowed(grants, attempt, namespace) for attempt in attempts):
                scopes.append(namespace or CLUSTER_SCOPE)
        if scopes:
            flags[flag] = scopes
    if MASTERS_GROUP in principal["groups"]:
        flags["system_masters"] = [CLUSTER_SCOPE]
    top = max(levels.values(), key=level_rank)
    return {"levels": levels, "level": top,
            "level_scopes": sorted(scope for scope, level in levels.items() if level == top),
            "flags": flags, "_probes": probes}


# --------------------------------------------------------------------------- the API server's opinion


def _next_probe(level: str):
    """The first request of the level above ``level`` (what the principal must be refused)."""
    rank = level_rank(level)
    for candidate, attempts in reversed(LEVEL_PROBES):
        if level_rank(candidate) == rank + 1:
            return attempts[0]
    return None


def checks(principal: dict, evaluation: dict) -> list:
    """The SubjectAccessReviews that confirm a principal's levels: [{scope, attributes, expected}].

    None for a node identity: the Node authorizer answers per node object,
    which a request without a node's objects cannot show.
    """
    found = []
    if is_node_identity(principal):
        return found
    for scope, level in evaluation["levels"].items():
        namespace = "" if scope == CLUSTER_SCOPE else scope
        if "*" in namespace:
            continue  # a namespace pattern: no single namespace to ask about
        probe = evaluation["_probes"].get(scope)
        if probe is not None:
            found.append({"scope": scope, "attributes": dict(probe, namespace=namespace), "expected": True})
        higher = _next_probe("namespace-admin" if namespace and level == "namespace-admin" else level)
        if level == "namespace-admin" and namespace:
            higher = None  # nothing above within one namespace
        if higher is not None:
            found.append({"scope": scope, "attributes": dict(higher, namespace=namespace), "expected": False})
    return found


def review_user(principal: dict, account_id: str = "", principal_id: str = None) -> dict:
    """The user part of a SubjectAccessReview spec for a principal (templates filled in with sample values).

    Access entry principals carry what EKS's authenticator puts on a token's
    user (uid and extra: canonicalArn, principalId, sessionName), which EKS's
    authorizer reads to apply access policies.
    """
    username = principal["username"] or ""
    if username == "{{ARN}}":
        username = "arn:aws:iam::%s:user/%s" % (principal["principal_arn"], SAMPLE_SESSION)
    spec = {"user": fill_templates(username, account_id),
            "groups": sorted({fill_templates(g, account_id) for g in principal["groups"]} | set(IMPLICIT_GROUPS))}
    if principal["effective_source"] == "access-entry":
        canonical = principal["principal_arn"]
        try:
            parsed = arns.parse_iam_arn(canonical)
            if parsed.resource_type == "role":
                canonical = "arn:%s:iam::%s:role/%s" % (parsed.partition, parsed.account_id, parsed.name)
        except arns.ArnError:
            pass
        extra = {"canonicalArn": [canonical], "sessionName": [SAMPLE_SESSION], "arn": [canonical]}
        if principal_id:
            extra["principalId"] = [principal_id]
        spec["uid"] = "aws-iam-authenticator:%s:%s" % (account_id, principal_id or "")
        spec["extra"] = extra
    return spec


def verification(principal_checks: list, answers: list) -> dict:
    """``{status: confirmed|disagrees|not_checked, checks}`` from the checks and the API server's allowed answers."""
    if not principal_checks:
        return {"status": "not_checked", "checks": []}
    rows = []
    agree = True
    for check, answer in zip(principal_checks, answers):
        rows.append(dict(check, allowed=answer))
        agree = agree and answer == check["expected"]
    return {"status": "confirmed" if agree else "disagrees", "checks": rows}


# --------------------------------------------------------------------------- findings


def _finding(code, principal_arn, message, severity="warning"):
    return {"code": code, "principal_arn": principal_arn, "severity": severity, "message": message}


def findings(mode: str, principals: list, rbac: Rbac, iam_missing=(), sso_recreated=None, parsed_aws_auth=None,
             entry_findings=(), aws_auth_findings=()) -> list:
    """Everything a reviewer should look at, each ``{code, principal_arn, severity, message}``.

    ``iam_missing``: principal ARNs IAM does not know; ``sso_recreated``:
    mapped SSO role ARN -> the ARN of the role its permission set has now;
    ``entry_findings``/``aws_auth_findings``: the access entry and aws-auth
    lint findings (access_entry.lint, aws_auth.lint), kept as they are.
    """
    found = []
    missing = {arns.match_key(a) for a in iam_missing}
    for principal in principals:
        principal_arn = principal["principal_arn"]
        if arns.match_key(principal_arn) in missing:
            if principal["permission_set"]:
                replacement = (sso_recreated or {}).get(principal_arn)
                if replacement:
                    found.append(_finding("sso_permission_set_recreated", principal_arn, (
                        "IAM Identity Center role %s no longer exists, and permission set %s now has the role %s "
                        "(it was deleted and provisioned again): map the new role and remove this one"
                        % (principal_arn, principal["permission_set"], replacement))))
                else:
                    found.append(_finding("sso_permission_set_gone", principal_arn, (
                        "IAM Identity Center role %s no longer exists and no role of permission set %s is left in "
                        "the account (the permission set was deleted or unassigned): remove its access"
                        % (principal_arn, principal["permission_set"]))))
            elif principal["effective_source"] == "aws-auth" or "aws-auth" in principal["sources"]:
                found.append(_finding("missing_iam_principal", principal_arn, (
                    "IAM does not know %s, which aws-auth still maps: remove the mapping, or a principal created "
                    "again with that name gets its access" % principal_arn)))
        if principal["kind"] == "account":
            found.append(_finding("map_accounts", principal_arn, (
                "mapAccounts lets every IAM user and role of account %s in, each named by its own ARN; map the "
                "roles that need access instead" % principal_arn)))
        if principal["creator"] and principal["effective_source"] == "creator":
            found.append(_finding("creator_admin", principal_arn, (
                "%s created the cluster and is system:masters through EKS's bootstrap, which neither aws-auth nor an "
                "access entry shows; move the cluster to API_AND_CONFIG_MAP to see and manage it" % principal_arn),
                "info"))
        if MASTERS_GROUP in principal["groups"]:
            found.append(_finding("system_masters", principal_arn, (
                "%s is in group system:masters, which no RBAC rule can restrict or revoke; bind cluster-admin or "
                "use AmazonEKSClusterAdminPolicy instead" % principal_arn)))
        if mode == "API_AND_CONFIG_MAP" and principal["aws_auth"] and principal["access_entry"]:
            mapped = principal["aws_auth"]
            entry_user = principal["access_entry"]["username"]
            if sorted(mapped["groups"]) != sorted(principal["groups"]) or mapped["username"] != entry_user:
                found.append(_finding("granted_differently", principal_arn, (
                    "%s is in aws-auth as %s with groups [%s] and has an access entry as %s with groups [%s]; EKS "
                    "uses the access entry, so the aws-auth mapping grants nothing: make them agree or remove the "
                    "mapping" % (principal_arn, mapped["username"], ", ".join(mapped["groups"]), entry_user,
                                 ", ".join(principal["groups"])))))
        for binding in principal.get("bindings") or ():
            if binding["everyone"]:
                continue
            name = binding["role"].split("/", 1)[1]
            if name == "cluster-admin" or name.startswith("system:"):
                continue
            if any("*" in (rule.get("verbs") or ()) or "*" in (rule.get("resources") or ())
                   for rule in binding["rules"]):
                found.append(_finding("wildcard_rule", principal_arn, (
                    "%s %s grants %s, whose rules use '*' (every verb or resource, present and future): list the "
                    "verbs and resources needed" % (binding["kind"], binding["name"], binding["role"]))))
    given = {}
    for principal in principals:
        for group in principal["groups"]:
            given.setdefault(group, []).append(principal["principal_arn"])
    bound = rbac.bound_groups()
    for group in sorted(set(given) - bound):
        if group.startswith("system:") or has_template(group):
            continue
        for principal_arn in given[group]:
            found.append(_finding("group_not_bound", principal_arn, (
                "group %s is given to %s but no RoleBinding or ClusterRoleBinding names it, so it grants nothing"
                % (group, principal_arn)), "info"))
    patterns = [template_regex(g) for g in given if has_template(g)]
    for group in sorted(g for g in bound if g and not g.startswith("system:") and g not in given):
        if any(p.match(group) for p in patterns):
            continue
        found.append(_finding("group_not_given", "", (
            "group %s is bound in RBAC but no principal of aws-auth or the access entries receives it: remove the "
            "binding or give the group" % group), "info"))
    if mode == "API" and parsed_aws_auth is not None and (parsed_aws_auth.map_roles or parsed_aws_auth.map_users or
                                                          parsed_aws_auth.map_accounts):
        found.append(_finding("aws_auth_ignored", "", (
            "the cluster's authentication mode is API, so EKS ignores the aws-auth ConfigMap it still has: delete "
            "it so that nobody takes its mappings for access"), "info"))
    seen = {(f["code"], f["principal_arn"]) for f in found}
    for finding in list(entry_findings) + list(aws_auth_findings):
        principal_arn = finding.get("principal_arn") or finding.get("arn") or ""
        code = finding.get("code")
        if code in ("missing_principal",) and ("missing_iam_principal", principal_arn) in seen:
            continue
        if code == "aws_auth_groups_differ" and ("granted_differently", principal_arn) in seen:
            continue
        if code == "system_masters":
            continue  # reported above for every source
        found.append(_finding(code, principal_arn, finding.get("message", ""),
                              "info" if code in ("unbound_group",) else "warning"))
    return found


def sso_replacements(principals: list, sso_roles: list, iam_missing=()) -> dict:
    """mapped SSO role ARN IAM does not know -> ARN of the role its permission set has now (``sso_roles``: ARNs)."""
    missing = {arns.match_key(a) for a in iam_missing}
    by_set = {}
    for role_arn in sso_roles:
        permission_set = sso_permission_set(role_arn)
        if permission_set:
            by_set.setdefault(permission_set.lower(), []).append(role_arn)
    replacements = {}
    for principal in principals:
        permission_set = principal["permission_set"]
        if permission_set and arns.match_key(principal["principal_arn"]) in missing:
            now = by_set.get(permission_set.lower())
            if now:
                replacements[principal["principal_arn"]] = now[0]
    return replacements


# --------------------------------------------------------------------------- drift


def drift(principals: list, declared: dict) -> dict:
    """Live but not declared, declared but not live, from what the inventory asks the access roles to apply.

    ``declared``: ``{aws_auth_roles, aws_auth_users, aws_auth_accounts,
    access_entries, sso_permission_sets}`` (ARNs, account IDs, permission
    set names).  A principal is declared when one of them names it (an SSO
    role through its permission set).
    """
    declared = declared or {}
    wanted = {}
    for source, key in (("aws-auth", "aws_auth_roles"), ("aws-auth", "aws_auth_users"),
                        ("access-entry", "access_entries")):
        for principal_arn in declared.get(key) or ():
            wanted.setdefault(access_entry.principal_key(principal_arn), (principal_arn, set()))[1].add(source)
    accounts = {str(a) for a in declared.get("aws_auth_accounts") or ()}
    sets = {str(s).lower() for s in declared.get("sso_permission_sets") or ()}
    live_keys = set()
    undeclared = []
    for principal in principals:
        if principal["kind"] == "account":
            if principal["principal_arn"] not in accounts:
                undeclared.append(principal["principal_arn"])
            continue
        if principal["effective_source"] == "creator":
            continue
        key = access_entry.principal_key(principal["principal_arn"])
        live_keys.add(key)
        permission_set = (principal["permission_set"] or "").lower()
        if key not in wanted and permission_set not in sets:
            undeclared.append(principal["principal_arn"])
    not_live = [principal_arn for key, (principal_arn, _sources) in sorted(wanted.items(), key=lambda kv: kv[1][0])
                if key not in live_keys]
    live_accounts = {p["principal_arn"] for p in principals if p["kind"] == "account"}
    not_live += sorted(accounts - live_accounts)
    live_sets = {(p["permission_set"] or "").lower() for p in principals if p["permission_set"]}
    not_live += sorted("permission set %s" % s for s in sets - live_sets)
    return {"undeclared": sorted(undeclared), "not_live": not_live}


# --------------------------------------------------------------------------- the report


def principal_row(principal: dict, rbac: Rbac) -> dict:
    """A principal with its bindings, grants, levels and flags (what the report lists)."""
    row = dict(principal)
    row["bindings"] = rbac.bindings_of(principal["username"] if principal["username"] != "{{ARN}}" else "",
                                       principal["groups"])
    evaluation = evaluate(row, grants_of(row, rbac))
    row.update({k: v for k, v in evaluation.items() if not k.startswith("_")})
    row["_evaluation"] = evaluation
    return row


def public(row: dict, roles: dict = None) -> dict:
    """A row as the report returns it: no private keys, no everyone-bindings, each role's rules once.

    The rules of the roles its bindings grant go into ``roles`` (``ClusterRole/view`` or
    ``Role/<namespace>/<name>`` -> rules), shared by every row, instead of a copy per binding.
    """
    result = {k: v for k, v in row.items() if not k.startswith("_") and k != "access_entry"}
    bindings = []
    for binding in row.get("bindings") or ():
        if binding["everyone"]:
            continue
        binding = {k: v for k, v in binding.items() if k not in ("rules", "everyone")}
        if roles is not None:
            key = binding["role"] if binding["role"].startswith("ClusterRole/") else "Role/%s/%s" % (
                binding["namespace"], binding["role"].split("/", 1)[1])
            binding["role_key"] = key
            roles.setdefault(key, [b for b in row["bindings"] if b["name"] == binding["name"]
                                   and b["namespace"] == binding["namespace"]][0]["rules"])
        bindings.append(binding)
    result["bindings"] = bindings
    return result


def summary(rows: list, found: list) -> dict:
    counts = {level: 0 for level in LEVELS}
    for row in rows:
        counts[row["level"]] += 1
    return {"principals": len(rows), "levels": counts, "findings": len(found),
            "confirmed": sum(1 for r in rows if (r.get("verified") or {}).get("status") == "confirmed"),
            "disagrees": sum(1 for r in rows if (r.get("verified") or {}).get("status") == "disagrees")}
