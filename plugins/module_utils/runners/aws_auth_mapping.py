# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What aws_auth_mapping (and every other module that maps identities) runs.

One shared path for all aws-auth edits: resolve the caller's identity for
the lockout guard, plan with the pure model, write through configmap.apply,
and shape the Ansible result (diff, added/removed/updated, mappings).
"""

from __future__ import annotations

import datetime
import os

from ansible_collections.eks.access.plugins.module_utils import aws_auth
from ansible_collections.eks.access.plugins.module_utils import configmap
from ansible_collections.eks.access.plugins.module_utils import connection


def _entry_spec(arn_key):
    """One mapRoles/mapUsers entry: its ARN (alias ``arn``), username and groups.

    username and the group names are ``raw`` so that a list or a mapping given
    by mistake reaches aws_auth.normalize_entries and is refused there, instead
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
    roles=_entry_spec(aws_auth.ARN_KEY["mapRoles"]),
    users=_entry_spec(aws_auth.ARN_KEY["mapUsers"]),
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


def _entries(items):
    """Drop options the user left out, so the planner keeps the current values."""
    if items is None:
        return None
    return [{k: v for k, v in item.items() if v is not None} for item in items]


def caller_arn(module, api):
    """The IAM identity this run authenticates to Kubernetes as, when it can be known."""
    if connection.choose_auth(module.params, os.environ) == "eks_token":
        return module.client("sts").get_caller_identity()["Arn"]
    return configmap.authenticated_arn(api)


def write_backup(module, outcome):
    """Keep the previous ConfigMap data next to other Ansible backups; return the path."""
    import json

    directory = module.params.get("backup_dir") or os.path.expanduser("~/.ansible/backups/eks.access")
    os.makedirs(directory, mode=0o700, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")
    label = module.params.get("cluster_name") or "cluster"
    path = os.path.join(directory, "aws-auth.%s.%s.%d~" % (label, stamp, os.getpid()))
    with open(path, "w") as f:
        json.dump({"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": aws_auth.AWS_AUTH_NAME, "namespace": aws_auth.AWS_AUTH_NAMESPACE,
                                "resourceVersion": outcome.before_resource_version},
                   "data": outcome.before_data}, f, indent=2, sort_keys=True)
    os.chmod(path, 0o600)
    return path


def run_mapping(module, roles, users, accounts, state, purge=False, append_groups=False, update_existing=True):
    """Apply one batched aws-auth change for ``module``; return the result dict.

    ``roles`` is a list of mapRoles entries, or a function of the current
    :class:`aws_auth.AwsAuth` returning one (called again on every attempt,
    so it sees what a concurrent editor wrote), e.g. to remove entries that
    can only be recognised in the current data.
    """
    params = module.params
    api = connection.kube_api(module)
    protected = ()
    if not params.get("allow_self_lockout"):
        arn = caller_arn(module, api)
        protected = (arn,) if arn else ()

    warnings = []

    def planner(current):
        wanted_roles = roles(current) if callable(roles) else roles
        result = aws_auth.plan(
            current, roles=_entries(wanted_roles), users=_entries(users), accounts=accounts, state=state,
            purge=purge, append_groups=append_groups,
            allow_node_mapping_changes=params.get("allow_node_mapping_changes", False),
            protected_arns=protected, update_existing=update_existing,
        )
        warnings[:] = result.warnings
        return result

    backups = []

    def keep_backup(outcome):
        if (params.get("backup") or outcome.repaired) and outcome.existed:
            backups.append(write_backup(module, outcome))

    repair_kinds = None
    if params.get("repair"):
        given = (("mapRoles", roles), ("mapUsers", users), ("mapAccounts", accounts))
        repair_kinds = tuple(kind for kind, items in given if items is not None)
    outcome = configmap.apply(api, planner, module.check_mode, before_write=keep_backup,
                              repair_kinds=repair_kinds)
    for warning in dict.fromkeys(warnings):
        module.warn(warning)
    plan = outcome.plan
    result = dict(
        changed=plan.changed,
        added=plan.added,
        removed=plan.removed,
        updated=plan.updated,
        mappings=aws_auth.to_result(plan.after),
        resource_version=outcome.resource_version,
        created=plan.changed and not outcome.existed,
        protected_arns=list(protected),
        repaired=list(outcome.repaired),
    )
    if backups:
        result["backup_file"] = backups[-1]  # one per attempt; the last one was written over
    if module._diff:
        result["diff"] = dict(
            before_header="%s/%s" % (aws_auth.AWS_AUTH_NAMESPACE, aws_auth.AWS_AUTH_NAME),
            after_header="%s/%s" % (aws_auth.AWS_AUTH_NAMESPACE, aws_auth.AWS_AUTH_NAME),
            before=aws_auth.diff_text(outcome.before) if outcome.existed else "",
            after=aws_auth.diff_text(plan.after),
        )
    return result
