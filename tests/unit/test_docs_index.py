# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The docs match the tree: docs/README.md lists every page, every module has its page, versions agree."""

from __future__ import annotations

import ast
import glob
import os
import re

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _galaxy():
    with open(os.path.join(REPO, "galaxy.yml")) as f:
        return yaml.safe_load(f)


def _documentation(path):
    # A filter or test plugin may keep its documentation in a sidecar YAML file beside it.
    sidecar = os.path.splitext(path)[0] + ".yml"
    if os.path.isfile(sidecar):
        with open(sidecar) as f:
            return next(iter((yaml.safe_load(f) or {}).values()), {})
    with open(path) as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["DOCUMENTATION"]:
            return yaml.safe_load(node.value.value)
    raise AssertionError("%s has no DOCUMENTATION" % path)


def _version(text):
    return tuple(int(part) for part in str(text).split("."))


def test_the_index_links_every_page_and_every_role_readme():
    with open(os.path.join(REPO, "docs", "README.md")) as f:
        index = f.read()
    linked = {os.path.normpath(os.path.join(REPO, "docs", target)) for target in LINK.findall(index)}
    pages = set()
    for pattern in ("docs/*.md", "docs/modules/*.md", "docs/roles/*.md", "roles/*/README.md"):
        pages |= {os.path.normpath(p) for p in glob.glob(os.path.join(REPO, pattern))}
    pages.discard(os.path.join(REPO, "docs", "README.md"))
    missing = sorted(os.path.relpath(p, REPO) for p in pages - linked)
    assert not missing, "docs/README.md does not link %s" % missing


def test_every_module_has_its_page_and_the_readme_links_it():
    # The page ships in the tarball (docs/reference does not), so links to a module go there.
    with open(os.path.join(REPO, "README.md")) as f:
        readme = f.read()
    problems = []
    for path in sorted(glob.glob(os.path.join(REPO, "plugins", "modules", "*.py"))):
        name = os.path.basename(path)[:-3]
        page = os.path.join("docs", "modules", name + ".md")
        if not os.path.isfile(os.path.join(REPO, page)):
            problems.append("%s has no %s" % (name, page))
        elif "](%s)" % page not in readme:
            problems.append("README.md does not link %s" % page)
    assert not problems, "; ".join(problems)


def test_version_added_is_the_collection_version_or_an_earlier_release():
    galaxy = _galaxy()
    with open(os.path.join(REPO, "changelogs", "changelog.yaml")) as f:
        released = set((yaml.safe_load(f) or {}).get("releases") or {})
    allowed = released | {galaxy["version"]}
    problems = []
    for path in sorted(glob.glob(os.path.join(REPO, "plugins", "*", "*.py"))):
        if "/module_utils/" in path or "/doc_fragments/" in path or path.endswith("__init__.py"):
            continue
        added = str(_documentation(path).get("version_added"))
        if added not in allowed or _version(added) > _version(galaxy["version"]):
            problems.append("%s: version_added %s is neither %s nor a release in changelogs/changelog.yaml" % (
                os.path.relpath(path, REPO), added, galaxy["version"]))
    assert not problems, "; ".join(problems)


def test_the_user_agent_carries_the_collection_version():
    from ansible_collections.eks.access.plugins.module_utils import module as module_core

    assert module_core.EKS_ACCESS_COLLECTION_VERSION == _galaxy()["version"]


def test_galaxy_description_names_what_the_collection_manages():
    description = _galaxy()["description"].lower()
    for topic in ("aws-auth", "access entries", "pod identity", "irsa", "identity center", "vpc cni"):
        assert topic in description, "galaxy.yml's description does not mention %s" % topic


def test_every_playbook_takes_the_fleet_variables_and_is_documented():
    with open(os.path.join(REPO, "docs", "playbooks.md")) as f:
        page = f.read()
    problems = []
    for path in sorted(glob.glob(os.path.join(REPO, "playbooks", "*.yml"))):
        name = os.path.basename(path)[:-4]
        if "`eks.access.%s`" % name not in page:
            problems.append("docs/playbooks.md's table does not list eks.access.%s" % name)
        with open(path) as f:
            plays = yaml.safe_load(f)
        for play in plays:
            if "ansible.builtin.import_playbook" in play or "hosts" not in play:
                continue
            if "eks_access_hosts" not in play["hosts"]:
                problems.append("%s: play %r does not target eks_access_hosts" % (name, play.get("name")))
            if name == "site":
                continue  # site.yml sets eks_access_exclude itself, per authentication mode
            if "eks_access_exclude" not in play["hosts"]:
                problems.append("%s: play %r does not take eks_access_exclude" % (name, play.get("name")))
            # access_report writes one document over every host of the play: batches would each overwrite it
            if name != "access_report" and "eks_access_serial" not in str(play.get("serial")):
                problems.append("%s: play %r does not take eks_access_serial" % (name, play.get("name")))
            if "eks_access_max_fail_percentage" not in str(play.get("max_fail_percentage")):
                problems.append("%s: play %r does not take eks_access_max_fail_percentage" % (name, play.get("name")))
    assert not problems, "; ".join(problems)
