# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What eks_authentication_mode runs: the switch, its wait and, towards API, its lockout guards
(services/access_entries.py's ``switch_authentication_mode``, which the migration uses too)."""

from __future__ import annotations

from ansible_collections.eks.access.plugins.module_utils.services import access_entries

# The module's options are the switch's own (the migration builds them too).
Options = access_entries.ModeChange


def run(context, options: Options) -> dict:
    return access_entries.switch_authentication_mode(context, options)
