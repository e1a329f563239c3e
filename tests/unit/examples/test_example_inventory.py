# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The example fleet inventory parses, and its group variables add up as documented."""

from __future__ import annotations

import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
INVENTORY = os.path.join(REPO, "examples", "inventory", "fleet.yml")
ANSIBLE_INVENTORY = os.path.join(os.path.dirname(sys.executable), "ansible-inventory")


def _unsafe_as_text(value):
    """ansible-core before 2.19 prints an !unsafe value as {"__ansible_unsafe": text}; 2.19 prints the text."""
    if isinstance(value, dict) and set(value) == {"__ansible_unsafe"}:
        return value["__ansible_unsafe"]
    return value


def host_vars(host):
    out = subprocess.run([ANSIBLE_INVENTORY, "-i", INVENTORY, "--host", host],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out, object_hook=_unsafe_as_text)


def test_every_cluster_gets_the_shared_mappings_and_prod_adds_its_own():
    prod = host_vars("prod-eu")
    staging = host_vars("staging-eu")
    assert prod["eks_cluster_name"] == "prod-eu" and prod["eks_region"] == "eu-west-1"
    assert prod["aws_auth_access_roles__platform"] == staging["aws_auth_access_roles__platform"]
    assert prod["aws_auth_access_roles__oncall"][0]["username"] == "oncall:{{SessionName}}"
    assert "aws_auth_access_roles__oncall" not in staging


def test_fleet_lists_three_clusters_in_eks_clusters():
    out = subprocess.run([ANSIBLE_INVENTORY, "-i", INVENTORY, "--list"], capture_output=True, text=True, check=True).stdout
    groups = json.loads(out)
    hosts = set(groups["prod"]["hosts"]) | set(groups["staging"]["hosts"])
    assert hosts == {"prod-eu", "prod-us", "staging-eu"}
    assert set(groups["eks_clusters"]["children"]) == {"prod", "staging"}
