# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module_defaults groups of meta/runtime.yml, through ansible-playbook.

Each group gets a default option no module takes; a module in the group then
refuses it ("Unsupported parameters ... eks_access_group_probe"), a module
outside the group never sees it. No AWS or cluster is reached: modules are run
without credentials and stop at argument validation or at the first AWS call.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import yaml

from playbook_runs import REPO, playbook_env

MODULES = sorted(name[:-3] for name in os.listdir(os.path.join(REPO, "plugins", "modules")) if name.endswith(".py"))
PROBE = "eks_access_group_probe"
# Enough arguments for each module to pass its required / required_one_of checks.
ARGS = {
    "aws_auth_mapping": {"roles": []},
    "eks_sso_role": {"permission_set": "probe"},
    "irsa_service_account": {"name": "probe", "role_name": "probe"},
    "node_role_policy": {"policy_arn": "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"},
    "eks_authentication_mode": {"mode": "API_AND_CONFIG_MAP"},
    "eks_addon": {"name": "probe"},
    "eks_identity_provider_config": {"name": "probe"},
    "vpc_cni_lease": {"holder": "probe"},
}


def _runtime_groups():
    with open(os.path.join(REPO, "meta", "runtime.yml")) as f:
        groups = yaml.safe_load(f)["action_groups"]
    return {name: [m for m in members if isinstance(m, str)] for name, members in groups.items()}


def _takes_kubernetes_options(module):
    with open(os.path.join(REPO, "plugins", "modules", module + ".py")) as f:
        return "kubernetes.core.k8s_auth_options" in f.read()


def test_groups_hold_the_modules_that_share_their_options():
    groups = _runtime_groups()
    assert sorted(groups) == ["all", "aws", "kubernetes"]
    assert sorted(groups["all"]) == MODULES
    assert sorted(groups["aws"]) == MODULES
    assert sorted(groups["kubernetes"]) == [m for m in MODULES if _takes_kubernetes_options(m)]
    assert {"vpc_cni_policy", "vpc_cni_addon"} <= set(MODULES) - set(groups["kubernetes"])


def test_module_docs_name_the_groups_they_are_in():
    groups = _runtime_groups()
    for module in MODULES:
        expected = sorted("eks.access." + g for g, members in groups.items() if module in members)
        fragment = "kubernetes" if len(expected) == 3 else "aws"
        with open(os.path.join(REPO, "plugins", "modules", module + ".py")) as f:
            assert "  - eks.access.action_groups.%s\n" % fragment in f.read(), module
    from ansible_collections.eks.access.plugins.doc_fragments.action_groups import (  # pylint: disable=import-outside-toplevel
        ModuleDocFragment,
    )
    for name, fragment in (("kubernetes", ModuleDocFragment.KUBERNETES), ("aws", ModuleDocFragment.AWS)):
        membership = yaml.safe_load(fragment)["attributes"]["action_group"]["membership"]
        expected = sorted("eks.access." + g for g, members in groups.items()
                          if set(members) >= {m for m in MODULES if _takes_kubernetes_options(m) == (name == "kubernetes")})
        assert sorted(membership) == expected, name


def _playbook(group, modules):
    tasks = []
    for module in modules:
        tasks.append({
            "name": "%s %s" % (group, module),
            "eks.access." + module: dict(ARGS.get(module, {}), cluster_name="probe"),
            "module_defaults": {group: {PROBE: 1}},
            "ignore_errors": True,
            "register": "r",
        })
        tasks.append({"ansible.builtin.debug": {"msg": "RESULT %s %s {{ r.msg | default('') }}" % (group, module)}})
    return [{"hosts": "localhost", "connection": "local", "gather_facts": False,
             "vars": {"ansible_python_interpreter": sys.executable}, "tasks": tasks}]


@pytest.mark.parametrize("group", ["group/eks.access.all", "group/eks.access.aws", "group/eks.access.kubernetes",
                                   "group/aws", "group/amazon.aws.aws", "group/kubernetes.core.k8s"])
def test_module_defaults_reach_exactly_the_group(group, tmp_path):
    groups = _runtime_groups()
    name = group.rsplit(".", 1)[-1] if group.startswith("group/eks.access.") else None
    members = set(groups[name]) if name else set()
    playbook = tmp_path / "groups.yml"
    playbook.write_text(yaml.safe_dump(_playbook(group, MODULES), sort_keys=False))
    # No AWS credentials anywhere: a module that does not refuse the probe stops at its first AWS call.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "K8S_AUTH_", "KUBECONFIG"))}
    env.update(AWS_SHARED_CREDENTIALS_FILE="/nonexistent", AWS_CONFIG_FILE="/nonexistent",
               AWS_EC2_METADATA_DISABLED="true", AWS_REGION="us-east-1")
    ansible_playbook = env.get("ANSIBLE_PLAYBOOK") or os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    result = subprocess.run([ansible_playbook, "-i", "localhost,", str(playbook)],
                            env=playbook_env(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            check=False, timeout=600)
    seen = dict(re.findall(r'"RESULT %s (\w+) (.*)"' % re.escape(group), result.stdout))
    assert sorted(seen) == MODULES, result.stdout[-5000:]
    reached = {module for module, msg in seen.items() if "Unsupported parameters" in msg and PROBE in msg}
    assert reached == members, (group, sorted(seen.items()))
