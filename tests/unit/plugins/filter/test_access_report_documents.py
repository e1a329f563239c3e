# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The access_report_documents filter: registered under its name, the renderer's documents, bad input refused."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.eks.access.plugins.filter import access_report_documents as plugin
from ansible_collections.eks.access.plugins.module_utils.model import access_report_render


def test_the_filter_is_registered_under_its_name():
    assert plugin.FilterModule().filters() == {"access_report_documents": plugin.access_report_documents}


def test_it_renders_what_the_model_renders_with_text_stamps_and_no_failures_by_default():
    assert plugin.access_report_documents({}, None, None) == access_report_render.documents({}, "", "", {})
    failed = {"prod": "AccessDenied"}
    assert plugin.access_report_documents({}, "t", "me", failed) == access_report_render.documents({}, "t", "me", failed)


@pytest.mark.parametrize("reports", [[], "prod", None])
def test_anything_but_a_dict_of_reports_is_refused_in_one_sentence(reports):
    with pytest.raises(AnsibleFilterError, match="expects a dict of cluster name -> eks_access_report result, got"):
        plugin.access_report_documents(reports)
