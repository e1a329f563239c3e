# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What aws_auth_mapping (and every other module that maps identities) runs.

One shared path for all aws-auth edits (:func:`run_mapping`): resolve the
caller's identity for the lockout guard, plan with the pure model, write
through configmap.apply, and shape the Ansible result (diff,
added/removed/updated, mappings).
"""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import dataclass
from typing import Callable, Optional, Union

from ansible_collections.eks.access.plugins.module_utils.model import arn
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import errors as aws_auth_errors
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import parse as aws_auth_parse
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import plan as aws_auth_plan
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import render as aws_auth_render
from ansible_collections.eks.access.plugins.module_utils.services import configmap
from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model import access_entry
from ansible_collections.eks.access.plugins.module_utils.services import access_entries


def _entry_spec(arn_key):
    """One mapRoles/mapUsers entry: its ARN (alias ``arn``), username and groups.

    username and the group names are ``raw`` so that a list or a mapping given
    by mistake reaches aws_auth_plan.normalize_entries and is refused there, instead
    of being turned into its Python text (``"['a', 'b']"``) and mapped.
    """
    return dict(
        type="list", elements="dict",
        options={
            arn_key: dict(type="str", required=True, aliases=["arn"]),
            "username": dict(type="raw"),
            "groups": dict(type="list", elements="raw"),
        },
    )


MAPPING_ARG_SPEC = dict(
    roles=_entry_spec(aws_auth_parse.ARN_KEY["mapRoles"]),
    users=_entry_spec(aws_auth_parse.ARN_KEY["mapUsers"]),
    accounts=dict(type="list", elements="str"),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    purge=dict(type="bool", default=False),
    append_groups=dict(type="bool", default=False),
    allow_node_mapping_changes=dict(type="bool", default=False),
    allow_self_lockout=dict(type="bool", default=False),
    backup=dict(type="bool", default=False),
    repair=dict(type="bool", default=False),
    backup_dir=dict(type="path"),
)


@dataclass
class Guards:
    """The safety options every aws-auth edit shares."""

    allow_node_mapping_changes: bool = False
    allow_self_lockout: bool = False
    backup: bool = False
    backup_dir: Optional[str] = None


@dataclass
class Options(Guards):
    """aws_auth_mapping's parameters."""

    roles: Optional[list] = None
    users: Optional[list] = None
    accounts: Optional[list] = None
    state: str = "present"
    purge: bool = False
    append_groups: bool = False
    repair: bool = False
    update_existing: bool = True


def run(context, options: Options) -> dict:
    """aws_auth_mapping: one batched aws-auth change."""
    return run_mapping(context, options, options.roles, options.users, options.accounts, options.state,
                       purge=options.purge, append_groups=options.append_groups,
                       update_existing=options.update_existing, repair=options.repair)


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


def _mapping_name(entry) -> str:
    """How a result names one mapping: its role or user ARN, or the account ID."""
    if isinstance(entry, dict):
        return entry.get("rolearn") or entry.get("userarn") or ""
    return str(entry)


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
    access_entry.require_aws_auth_honoured(context.cluster_name, access_entries.authentication_mode(context))
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
        outcome = configmap.apply(api, planner, context.check_mode, before_write=keep_backup,
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
