# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every plugin's EXAMPLES is YAML a user can paste: no key twice in one mapping.

Inventory examples are whole configuration files, so several of them are
separate YAML documents (``---``), each with its own ``plugin`` key.
"""

from __future__ import annotations

import ast
import glob
import os

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGINS = sorted(glob.glob(os.path.join(REPO, "plugins", "modules", "*.py"))
                 + glob.glob(os.path.join(REPO, "plugins", "inventory", "*.py")))


class _NoDuplicateKeysLoader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        keys = [self.construct_object(key_node, deep=deep) for key_node, _value_node in node.value]
        duplicates = sorted(set(k for k in keys if keys.count(k) > 1), key=str)
        if duplicates:
            raise yaml.constructor.ConstructorError(None, None, "duplicate key(s) %s" % duplicates, node.start_mark)
        return super().construct_mapping(node, deep=deep)


# Ansible's tag for text that is never templated (aws-auth's {{SessionName}}).
_NoDuplicateKeysLoader.add_constructor("!unsafe", yaml.SafeLoader.construct_scalar)


def _examples(path):
    with open(path) as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["EXAMPLES"]:
            return node.value.value
    raise AssertionError("%s has no EXAMPLES" % path)


@pytest.mark.parametrize("path", PLUGINS, ids=lambda p: os.path.relpath(p, REPO))
def test_examples_parse_without_duplicate_keys(path):
    documents = list(yaml.load_all(_examples(path), Loader=_NoDuplicateKeysLoader))  # nosec - SafeLoader subclass
    assert documents and all(documents)
    if "/inventory/" in path:
        assert len(documents) >= 2
        for document in documents:
            assert document["plugin"] == "eks.access.eks_clusters"
