# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read -> plan -> write of the aws-auth ConfigMap, safe against concurrent editors.

The planner is a pure function of the current :class:`AwsAuth`; this layer
only reads, re-plans after a conflict, and writes with
``metadata.resourceVersion`` so that the API server refuses a write based on
a stale read (409) instead of silently dropping another editor's entries.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional, Union

from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import errors as aws_auth_errors
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import parse as aws_auth_parse
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import plan as aws_auth_plan
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import render as aws_auth_render
from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.clients import kube
from ansible_collections.eks.access.plugins.module_utils.model import access_entry
from ansible_collections.eks.access.plugins.module_utils.model import arn
from ansible_collections.eks.access.plugins.module_utils.services import eks_cluster

# Enough for a handful of playbooks editing at once; each retry re-reads.
DEFAULT_MAX_ATTEMPTS = 8
_BASE_DELAY = 0.2
_MAX_DELAY = 3.0


class ConflictRetriesExhausted(errors.Conflict):
    """Every attempt lost the race against another writer (409)."""


@dataclass
class WriteOutcome:
    before: aws_auth_parse.AwsAuth
    plan: aws_auth_plan.Plan
    existed: bool
    before_data: dict
    after_data: dict
    before_resource_version: Optional[str]
    resource_version: Optional[str]
    written: bool
    attempts: int
    # Sections that did not parse and were replaced (apply(repair_kinds=...)).
    repaired: tuple = ()


def configmap_path(namespace, name=None):
    return kube.api_path("v1", "configmaps", namespace, name)


def read_configmap(api, name=aws_auth_parse.AWS_AUTH_NAME, namespace=aws_auth_parse.AWS_AUTH_NAMESPACE):
    """The ConfigMap as a JSON-shaped dict, or None when it does not exist."""
    return api.get_optional(configmap_path(namespace, name))


def read_aws_auth(api):
    """The cluster's aws-auth as the authenticator reads it (``AwsAuth``); None when there is none.

    ``AwsAuthError`` when it does not parse."""
    current = read_configmap(api)
    if current is None:
        return None
    return aws_auth_parse.parse_aws_auth(current.get("data") or {})


def _backoff(attempt):
    # Full jitter keeps racing writers from retrying in lock step.
    return random.uniform(0, min(_MAX_DELAY, _BASE_DELAY * (2 ** attempt)))


def apply(
    api,
    planner: Callable[[aws_auth_parse.AwsAuth], aws_auth_plan.Plan],
    check_mode: bool,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    sleep: Callable[[float], Any] = time.sleep,
    name: str = aws_auth_parse.AWS_AUTH_NAME,
    namespace: str = aws_auth_parse.AWS_AUTH_NAMESPACE,
    create_missing: bool = True,
    before_write: Optional[Callable[[WriteOutcome], Any]] = None,
    repair_kinds: Optional[tuple] = None,
    repair_hint: str = "re-run with repair=true",
) -> WriteOutcome:
    """Read, plan with ``planner`` and write when the plan changes something.

    One read and at most one write per attempt; a 409 (stale resourceVersion,
    or a create that lost the race) re-reads and re-plans.  In check mode the
    write is sent with ``dryRun=All``: the API server validates it (admission
    included) and persists nothing.  The rendered data is re-parsed with the
    authenticator's rules before any write; ``before_write`` (not called in
    check mode) sees the outcome just before it, e.g. to keep a backup.

    An existing ConfigMap with a section that cannot be read exactly as the
    authenticator reads it (or that the authenticator cannot read) is never
    written, unless ``repair_kinds`` names every such section (the kinds the
    caller lists entries for): those sections are then planned as if they were
    missing, so the listed entries replace them, and the plan counts as a change.
    ``repair_hint`` says how the caller's user asks for that, in the refusal.
    """
    for attempt in range(1, max_attempts + 1):
        current = read_configmap(api, name, namespace)
        before_data = dict((current or {}).get("data") or {})
        before, broken = aws_auth_parse.parse_sections(before_data if current is not None else None)
        if broken:
            # Never overwrite what we cannot read, unless told how: the entries in it are unknown.
            _refuse_malformed(namespace, name, broken, repair_kinds, repair_hint)
        result = planner(before)
        if broken:
            result.changed = True  # the broken text goes, even when the listed entries were all there
        version = (current or {}).get("metadata", {}).get("resourceVersion")
        after_data = aws_auth_render.render_aws_auth(result.after) if result.changed else before_data
        outcome = WriteOutcome(before, result, current is not None, before_data, after_data, version, version, False,
                               attempt, tuple(sorted(broken)))
        if not result.changed or (current is None and not create_missing):
            return outcome
        aws_auth_render.validate_rendered(after_data)
        if before_write is not None and not check_mode:
            before_write(outcome)
        try:
            if current is None:
                body = {"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": name, "namespace": namespace}, "data": after_data}
                written = api.create(configmap_path(namespace), body, dry_run=check_mode)
            else:
                body = dict(current)
                body["data"] = after_data  # metadata (labels, annotations, resourceVersion) kept
                written = api.replace(configmap_path(namespace, name), body, dry_run=check_mode)
        except errors.KubeApiError as e:  # a 409 is a lost race
            if e.status == 409 and attempt < max_attempts:
                sleep(_backoff(attempt))
                continue
            if e.status == 409:
                raise ConflictRetriesExhausted(
                    "%s/%s kept changing under us: %d attempts ended in 409 Conflict"
                    % (namespace, name, max_attempts))
            raise
        outcome.written = not check_mode
        if not check_mode:  # a dry run's resourceVersion was never stored
            outcome.resource_version = written["metadata"]["resourceVersion"]
        return outcome
    raise ConflictRetriesExhausted("unreachable")  # pragma: no cover - loop always returns or raises


def read_json(api, namespace: str, name: str, key: str) -> dict:
    """The JSON object under ``key`` of a ConfigMap; {} when the ConfigMap or the key is missing."""
    return _json_of(read_configmap(api, name, namespace), namespace, name, key)


def _json_of(found, namespace: str, name: str, key: str) -> dict:
    text = ((found or {}).get("data") or {}).get(key)
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as e:
        raise errors.EksAccessError("ConfigMap %s/%s holds no JSON under %s (%s); it is this collection's record, "
                                    "restore it from the cluster's backups or delete it" % (namespace, name, key, e))
    return value if isinstance(value, dict) else {}


def update_json(api, namespace: str, name: str, key: str, update: Callable[[dict], dict],
                max_attempts: int = DEFAULT_MAX_ATTEMPTS, sleep: Callable[[float], Any] = time.sleep) -> dict:
    """Read -> ``update`` -> write of a JSON object kept under ``key`` of a ConfigMap of this collection.

    Written with the resourceVersion read, re-read after a 409; created when
    missing and deleted (in the version read) when ``update`` leaves it
    empty.  Returns what was written.
    """
    path = configmap_path(namespace, name)
    for attempt in range(1, max_attempts + 1):
        found = read_configmap(api, name, namespace)
        current = _json_of(found, namespace, name, key)
        wanted = update(dict(current))
        if wanted == current and (found is not None or not wanted):
            return wanted
        try:
            if not wanted:
                api.request("DELETE", path, body={"preconditions": {
                    "resourceVersion": found["metadata"]["resourceVersion"]}})
            elif found is None:
                api.create(configmap_path(namespace), {
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": name, "namespace": namespace,
                                 "labels": {"app.kubernetes.io/managed-by": "eks.access"}},
                    "data": {key: json.dumps(wanted, indent=1, sort_keys=True)}})
            else:
                body = dict(found)
                body["data"] = dict(found.get("data") or {}, **{key: json.dumps(wanted, indent=1, sort_keys=True)})
                api.replace(path, body)
        except errors.KubeApiError as e:
            if e.status in (404, 409) and attempt < max_attempts:  # lost a race: read again
                sleep(_backoff(attempt))
                continue
            if e.status == 409:
                raise ConflictRetriesExhausted("%s/%s kept changing under us: %d attempts ended in 409 Conflict"
                                               % (namespace, name, max_attempts))
            raise
        return wanted
    raise ConflictRetriesExhausted("unreachable")  # pragma: no cover - loop always returns or raises


def _refuse_malformed(namespace, name, broken, repair_kinds, repair_hint="re-run with repair=true"):
    """Raise AwsAuthError unless repair_kinds covers every section that cannot be edited safely."""
    # Each problem says whether the authenticator cannot read the section or
    # this collection cannot read it exactly (aws_auth_errors.SectionError).
    problems = "; ".join(broken[key] for key in sorted(broken))
    unparsed = ", ".join(sorted(broken))
    if repair_kinds is None:
        raise aws_auth_errors.AwsAuthError(
            "the existing %s/%s cannot be edited safely: %s. Nothing was written. Fix it by hand, or %s "
            "and list every entry that %s should hold: they replace that text, and the old content is "
            "kept as a backup" % (namespace, name, problems, repair_hint, unparsed))
    unmanaged = [key for key in sorted(broken) if key not in aws_auth_parse.MAP_KEYS]
    missing = [key for key in sorted(broken) if key in aws_auth_parse.MAP_KEYS and key not in repair_kinds]
    if unmanaged or missing:
        raise aws_auth_errors.AwsAuthError(
            "the existing %s/%s cannot be edited safely (%s); repair=true replaces such a section only with entries "
            "the task lists, and this task lists none for %s. Nothing was written"
            % (namespace, name, problems, ", ".join(unmanaged + missing)))


def bound_groups(api) -> set:
    """Every Group subject of any RoleBinding or ClusterRoleBinding."""
    rbac = "rbac.authorization.k8s.io/v1"
    groups = set()
    for binding in api.items(kube.api_path(rbac, "clusterrolebindings")) + api.items(kube.api_path(rbac, "rolebindings")):
        for subject in binding.get("subjects") or []:
            if subject.get("kind") == "Group":
                groups.add(subject.get("name"))
    return groups


# --------------------------------------------------------------------------- the one aws-auth editor
# (aws_auth_mapping, eks_sso_role): caller guard, plan, write, the Ansible result


@dataclass
class Guards:
    """The safety options every aws-auth edit shares."""

    allow_node_mapping_changes: bool = False
    allow_self_lockout: bool = False
    backup: bool = False
    backup_dir: Optional[str] = None


def _mapping_name(entry) -> str:
    """How a result names one mapping: its role or user ARN, or the account ID."""
    if isinstance(entry, dict):
        return entry.get("rolearn") or entry.get("userarn") or ""
    return str(entry)


def _entries(items):
    """Drop options the user left out, so the planner keeps the current values."""
    if items is None:
        return None
    return [{k: v for k, v in item.items() if v is not None} for item in items]


def write_backup(context, guards: Guards, outcome):
    """Keep the previous ConfigMap data next to other Ansible backups; return the path."""
    directory = guards.backup_dir or os.path.expanduser("~/.ansible/backups/eks.access")
    os.makedirs(directory, mode=0o700, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")
    label = context.cluster_name or "cluster"
    path = os.path.join(directory, "aws-auth.%s.%s.%d~" % (label, stamp, os.getpid()))
    with open(path, "w") as f:
        json.dump({"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": aws_auth_parse.AWS_AUTH_NAME, "namespace": aws_auth_parse.AWS_AUTH_NAMESPACE,
                                "resourceVersion": outcome.before_resource_version},
                   "data": outcome.before_data}, f, indent=2, sort_keys=True)
    os.chmod(path, 0o600)
    return path


def foreign_partition_warnings(roles, users, partition):
    """Warnings for mapped ARNs of another partition than the caller's: the cluster never sees such a caller."""
    warnings = []
    for kind, items in (("mapRoles", roles), ("mapUsers", users)):
        key = aws_auth_parse.ARN_KEY[kind]
        for item in items or []:
            other = arn.partition_of(item.get(key) if isinstance(item, dict) else None)
            if other and partition and other != partition:
                warnings.append(
                    "%s %s is in partition %s, but the cluster is in %s: no caller of the cluster can ever match it; "
                    "use the ARN of the identity in %s" % (kind, item[key], other, partition, partition))
    return warnings


def run_mapping(context, guards: Guards, roles: Union[list, Callable, None], users, accounts, state, purge=False,
                append_groups=False, update_existing=True, repair=False,
                repair_hint="re-run with repair=true") -> dict:
    """Apply one batched aws-auth change; return the result dict.

    ``roles`` is a list of mapRoles entries, or a function of the current
    :class:`aws_auth_parse.AwsAuth` returning one (called again on every attempt,
    so it sees what a concurrent editor wrote), e.g. to remove entries that
    can only be recognised in the current data.  ``repair_hint`` tells the
    user how to repair a broken aws-auth with the calling module.
    """
    access_entry.require_aws_auth_honoured(context.cluster_name, eks_cluster.authentication_mode(context))
    api = context.kube()
    caller = context.kube_caller_arn()
    protected = (caller,) if caller and not guards.allow_self_lockout else ()

    warnings = []
    if state == "present":
        warnings.extend(foreign_partition_warnings(None if callable(roles) else roles, users,
                                                   context.cluster_partition()))
    plan_warnings = []

    def planner(current):
        wanted_roles = roles(current) if callable(roles) else roles
        result = aws_auth_plan.plan(
            current, roles=_entries(wanted_roles), users=_entries(users), accounts=accounts, state=state,
            purge=purge, append_groups=append_groups,
            allow_node_mapping_changes=guards.allow_node_mapping_changes,
            protected_arns=protected, update_existing=update_existing,
        )
        plan_warnings[:] = result.warnings
        return result

    backups = []

    def keep_backup(outcome):
        if (guards.backup or outcome.repaired) and outcome.existed:
            backups.append(write_backup(context, guards, outcome))

    repair_kinds = None
    if repair:
        given = (("mapRoles", roles), ("mapUsers", users), ("mapAccounts", accounts))
        repair_kinds = tuple(kind for kind, items in given if items is not None)
    try:
        outcome = apply(api, planner, context.check_mode, before_write=keep_backup,
                        repair_kinds=repair_kinds, repair_hint=repair_hint)
    except aws_auth_errors.LockoutError as e:
        raise errors.Refused("Refusing to change aws-auth: %s" % e) from None
    except aws_auth_errors.AwsAuthError as e:
        raise errors.InvalidInput("aws-auth: %s" % e) from None
    for warning in dict.fromkeys(warnings + plan_warnings):
        context.warn(warning)
    plan = outcome.plan
    result = dict(
        changed=plan.changed,
        created=[_mapping_name(item["entry"]) for item in plan.added],
        updated=[_mapping_name(item["after"]) for item in plan.updated],
        deleted=[_mapping_name(item["entry"]) for item in plan.removed],
        mappings=aws_auth_render.to_result(plan.after),
        resource_version=outcome.resource_version,
        configmap_created=plan.changed and not outcome.existed,
        protected_arns=list(protected),
        repaired=list(outcome.repaired),
    )
    if backups:
        result["backup_file"] = backups[-1]  # one per attempt; the last one was written over
    if context.diff_mode:
        result["diff"] = dict(
            before_header="%s/%s" % (aws_auth_parse.AWS_AUTH_NAMESPACE, aws_auth_parse.AWS_AUTH_NAME),
            after_header="%s/%s" % (aws_auth_parse.AWS_AUTH_NAMESPACE, aws_auth_parse.AWS_AUTH_NAME),
            before=aws_auth_render.diff_text(outcome.before) if outcome.existed else "",
            after=aws_auth_render.diff_text(plan.after),
        )
    return result
