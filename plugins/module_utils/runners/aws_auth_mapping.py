# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What aws_auth_mapping (and every other module that maps identities) runs.

The one shared path for all aws-auth edits is services/configmap.py's
:func:`run_mapping` (also used by eks_sso_role).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import parse as aws_auth_parse
from ansible_collections.eks.access.plugins.module_utils.services import configmap


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
class Options(configmap.Guards):
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
    return configmap.run_mapping(context, options, options.roles, options.users, options.accounts, options.state,
                                 purge=options.purge, append_groups=options.append_groups,
                                 update_existing=options.update_existing, repair=options.repair)
