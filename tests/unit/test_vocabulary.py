# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One name per idea across the modules (docs/vocabulary.md), and attributes that tell the truth.

Every module of plugins/modules is imported and its ``main()`` run up to the
construction of its module object, which hands over the real argument spec
(the one Ansible validates against, not the documentation). Its RETURN and
DOCUMENTATION are YAML-loaded. The table below names each idea once: a second
name for it, or the right name with another shape, fails the test with the
name to use.
"""

from __future__ import annotations

import glob
import importlib
import os

import pytest
import yaml

from ansible_collections.eks.access.plugins.module_utils import module as module_core

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(REPO, "plugins", "modules", "*.py"))
                 if not p.endswith("__init__.py"))

# Options: the one name of an idea -> (its type, the names it must never have).
OPTIONS = {
    "concurrency": ("int", {"max_concurrency", "parallelism", "max_workers", "workers", "threads",
                            "max_parallel", "batch_concurrency"}),
    "backup_dir": ("path", {"backup_path", "backup_file", "backup_folder", "backup_directory", "backup_location"}),
    "purge": ("bool", {"purge_mode", "purge_unlisted", "exclusive", "prune"}),
}
# purge_scope says where a purge reaches; never a second on/off switch.
PURGE_SCOPE_CHOICES = {"namespace", "cluster"}
# purge_tags and purge_policies: amazon.aws's names for the same idea on IAM tags and policies. Any other purge_*
# bool would be an opt-in that lets a purge delete more, which is an allow_* option.
PURGE_SUB_ITEMS = {"purge", "purge_scope", "purge_tags", "purge_policies"}

# Return values: the one name -> (its type, its elements, the names it must never have).
RETURNS = {
    "created": ("list", "str", {"added", "created_items", "new"}),
    "updated": ("list", "str", {"changed_items", "modified"}),
    "deleted": ("list", "str", {"removed", "deleted_items"}),
    "applied": ("list", "dict", {"done", "applied_changes"}),
    "failed": ("list", "dict", {"not_applied", "failures_half_way", "errors", "pending"}),
    "backup_file": ("str", None, {"backup_path", "backup"}),
}
# The element of applied and failed: the item's identifier, what was done to it, and (failed) why not.
HALF_WAY_KEYS = {"applied": {"name", "action"}, "failed": {"name", "action", "msg"}}

SUPPORT_VALUES = {"full", "partial", "none", "N/A"}


class _Built(Exception):
    pass


def _module_kwargs(monkeypatch, name):
    """The keyword arguments the module builds its module object with (argument_spec, supports_check_mode...)."""
    captured = {}

    def capture(self, **kwargs):
        captured.update(kwargs)
        raise _Built()

    monkeypatch.setattr(module_core.AnsibleEKSAccessModule, "__init__", capture)
    module = importlib.import_module("ansible_collections.eks.access.plugins.modules." + name)
    with pytest.raises(_Built):
        module.main()
    return module, captured


def _options(spec, prefix=""):
    for key, option in (spec or {}).items():
        yield prefix + key, key, option
        yield from _options(option.get("options"), prefix + key + ".")


def _returns(values, prefix=""):
    for key, value in (values or {}).items():
        yield prefix + key, key, value
        yield from _returns(value.get("contains"), prefix + key + ".")


@pytest.fixture(params=MODULES)
def loaded(request, monkeypatch):
    module, kwargs = _module_kwargs(monkeypatch, request.param)
    documentation = yaml.safe_load(module.DOCUMENTATION)
    returns = yaml.safe_load(module.RETURN) or {}
    return request.param, kwargs, documentation, returns


def test_options_use_one_name_per_idea(loaded):
    name, kwargs, _documentation, _returns_ = loaded
    problems = []
    for path, key, option in _options(kwargs["argument_spec"]):
        for canonical, (kind, others) in OPTIONS.items():
            if key in others:
                problems.append("option %s: call it %s (docs/vocabulary.md)" % (path, canonical))
            if key == canonical and option.get("type", "str") != kind:
                problems.append("option %s must be of type %s, not %s" % (path, kind, option.get("type", "str")))
        if key.startswith("allow_") and (option.get("type") != "bool" or option.get("default") is not False):
            problems.append("option %s: an allow_* opt-in is a bool that defaults to false" % path)
        if key.startswith("purge_") and key not in PURGE_SUB_ITEMS:
            problems.append("option %s: an opt-in that lets a purge delete more is allow_* (docs/vocabulary.md)" % path)
        if key == "purge_scope" and set(option.get("choices") or ()) - PURGE_SCOPE_CHOICES:
            problems.append("option %s: its choices are %s; the on/off switch is purge" % (path, PURGE_SCOPE_CHOICES))
        if key == "purge_scope" and "purge" not in kwargs["argument_spec"]:
            problems.append("option %s without a purge bool beside it" % path)
    assert not problems, "%s: %s" % (name, "; ".join(problems))


def test_return_values_use_one_name_and_one_shape_per_idea(loaded):
    name, _kwargs, _documentation, returns = loaded
    problems = []
    for path, key, value in _returns(returns):
        for canonical, (kind, elements, others) in RETURNS.items():
            if key in others and "." not in path:
                problems.append("return value %s: call it %s (docs/vocabulary.md)" % (path, canonical))
            if key == canonical and "." not in path:
                if value.get("type") != kind or (elements and value.get("elements") != elements):
                    problems.append("return value %s must be a %s%s, not %s %s" % (
                        path, kind, " of %s" % elements if elements else "", value.get("type"),
                        value.get("elements", "")))
        if key in HALF_WAY_KEYS and "." not in path:
            contains = set(value.get("contains") or ())
            if contains != HALF_WAY_KEYS[key]:
                problems.append("return value %s: each element holds exactly %s, not %s" % (
                    path, sorted(HALF_WAY_KEYS[key]), sorted(contains)))
    assert not problems, "%s: %s" % (name, "; ".join(problems))


def test_attributes_declare_check_and_diff_mode_truthfully(loaded):
    name, kwargs, documentation, _returns_ = loaded
    attributes = documentation.get("attributes") or {}
    problems = []
    for attribute in ("check_mode", "diff_mode"):
        support = (attributes.get(attribute) or {}).get("support")
        if support not in SUPPORT_VALUES:
            problems.append("attributes.%s.support is %r; declare one of %s" % (
                attribute, support, sorted(SUPPORT_VALUES)))
    check = (attributes.get("check_mode") or {}).get("support")
    if bool(kwargs.get("supports_check_mode")) != (check in ("full", "partial")):
        problems.append("supports_check_mode=%s but attributes.check_mode.support is %r" % (
            kwargs.get("supports_check_mode"), check))
    if name.endswith("_info"):
        # An info module only reads: check mode is the same run, and there is never a change to diff.
        if check != "full":
            problems.append("an _info module reads only, so attributes.check_mode.support is full")
        if (attributes.get("diff_mode") or {}).get("support") not in ("N/A", "none"):
            problems.append("an _info module changes nothing, so attributes.diff_mode.support is N/A")
    assert not problems, "%s: %s" % (name, "; ".join(problems))


def test_role_variables_use_the_same_names():
    problems = []
    for spec_file in sorted(glob.glob(os.path.join(REPO, "roles", "*", "meta", "argument_specs.yml"))):
        role = spec_file.split(os.sep)[-3]
        with open(spec_file) as f:
            specs = yaml.safe_load(f)["argument_specs"]
        for entry_point in specs.values():
            for variable in entry_point.get("options") or {}:
                for canonical, (_kind, others) in OPTIONS.items():
                    for other in others:
                        if variable.endswith("_" + other):
                            problems.append("role %s: variable %s names %s; use ..._%s" % (
                                role, variable, other, canonical))
    assert not problems, "; ".join(problems)


def test_the_table_is_the_one_in_the_docs():
    with open(os.path.join(REPO, "docs", "vocabulary.md")) as f:
        page = f.read()
    for canonical in list(OPTIONS) + list(RETURNS) + ["purge_scope", "allow_*"]:
        assert "`%s`" % canonical in page, "docs/vocabulary.md does not name %s" % canonical
