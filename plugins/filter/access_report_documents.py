# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The access_report_documents filter: eks_access_report results -> JSON, Markdown and HTML texts."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.eks.access.plugins.module_utils.model import access_report_render


def access_report_documents(reports, scanned_at="", scanned_by="", failed=None):
    if not isinstance(reports, dict):
        raise AnsibleFilterError("access_report_documents expects a dict of cluster name -> eks_access_report result, "
                                 "got %s" % type(reports).__name__)
    return access_report_render.documents(dict(reports), str(scanned_at or ""), str(scanned_by or ""),
                                          dict(failed or {}))


class FilterModule:
    def filters(self):
        return {"access_report_documents": access_report_documents}
