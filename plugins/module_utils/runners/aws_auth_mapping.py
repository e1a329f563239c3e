# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What aws_auth_mapping (and every other module that maps identities) runs.

The one shared path for all aws-auth edits is services/configmap.py's
:func:`run_mapping` (also used by eks_sso_role).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ansible_collections.eks.access.plugins.module_utils.services import configmap


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
