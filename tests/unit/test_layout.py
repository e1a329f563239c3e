# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tests/unit/plugins mirrors plugins/ file for file.

A test of ``plugins/<folder>/<stem>.py`` is ``tests/unit/plugins/<folder>/test_<stem>.py``,
or ``test_<stem>_<aspect>.py`` beside it for a second file about the same plugin file.
Every file of plugins/module_utils, plugins/inventory, plugins/lookup and plugins/filter
(``__init__.py`` aside) has at least one.  plugins/modules is left out of the mirror:
a module is documentation, an argument spec and one ``module.main`` call, covered by
ansible-test sanity and the integration targets; its logic is its runner's, tested here.
Helpers (``fakes.py``, ``conftest.py``, ``__init__.py``) are not test files.
"""

from __future__ import annotations

import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MIRRORED = ("module_utils", "inventory", "lookup", "filter")


def _files(top, keep):
    for folder, _dirs, names in os.walk(os.path.join(ROOT, top)):
        for name in names:
            if keep(name):
                yield os.path.relpath(os.path.join(folder, name), ROOT)


def _plugin_files():
    return sorted(path for path in _files("plugins", lambda n: n.endswith(".py") and n != "__init__.py")
                  if path.split(os.sep)[1] in MIRRORED)


def _test_files():
    return sorted(_files(os.path.join("tests", "unit", "plugins"), lambda n: n.startswith("test_") and n.endswith(".py")))


def _tested_file(test_path, plugin_files):
    """The plugin file a test file mirrors (the longest stem that fits: access_entry_migration before access_entry)."""
    folder, name = os.path.split(os.path.relpath(test_path, os.path.join("tests", "unit")))
    stem = name[len("test_"):-len(".py")]
    fitting = [p for p in plugin_files if os.path.dirname(p) == folder
               and (stem == _stem(p) or stem.startswith(_stem(p) + "_"))]
    return max(fitting, key=lambda p: len(_stem(p)), default=None)


def _stem(plugin_path):
    return os.path.basename(plugin_path)[:-len(".py")]


def test_every_test_file_mirrors_a_plugin_file():
    plugin_files = _plugin_files()
    strays = [path for path in _test_files() if _tested_file(path, plugin_files) is None]
    assert strays == [], ("test files that mirror no plugins/ file (name them test_<stem>.py or "
                          "test_<stem>_<aspect>.py in the folder mirroring the plugin's): %s" % strays)


def test_every_plugin_file_has_a_test_file():
    tested = {_tested_file(path, _plugin_files()) for path in _test_files()}
    untested = [path for path in _plugin_files() if path not in tested]
    assert untested == [], "plugins/ files without a test file in tests/unit/plugins: %s" % untested


def test_the_mirror_check_itself():
    plugins = [os.path.join("plugins", "module_utils", "model", "arn.py"),
               os.path.join("plugins", "module_utils", "model", "aws_auth", "parse.py")]
    unit = os.path.join("tests", "unit", "plugins", "module_utils")
    assert _tested_file(os.path.join(unit, "model", "test_arn.py"), plugins) == plugins[0]
    assert _tested_file(os.path.join(unit, "model", "test_arn_facts.py"), plugins) == plugins[0]
    assert _tested_file(os.path.join(unit, "model", "aws_auth", "test_parse_parity.py"), plugins) == plugins[1]
    assert _tested_file(os.path.join(unit, "test_arn.py"), plugins) is None  # not in the mirrored folder
    assert _tested_file(os.path.join(unit, "model", "test_arnold.py"), plugins) is None
    assert _tested_file(os.path.join(unit, "runners", "test_arn.py"), plugins) is None
    longer = plugins + [os.path.join("plugins", "module_utils", "model", "arn_facts.py")]
    assert _tested_file(os.path.join(unit, "model", "test_arn_facts.py"), longer) == longer[-1]
