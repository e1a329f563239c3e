# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's AWS module class: AnsibleAWSModule with our user agent."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.common import set_collection_info
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

EKS_ACCESS_COLLECTION_NAME = "eks.access"
EKS_ACCESS_COLLECTION_VERSION = "1.0.0"


class AnsibleEKSAccessModule(AnsibleAWSModule):
    """AnsibleAWSModule that reports itself as eks.access in the botocore user agent."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        set_collection_info(
            collection_name=EKS_ACCESS_COLLECTION_NAME,
            collection_version=EKS_ACCESS_COLLECTION_VERSION,
        )

    def warn(self, *args, **kwargs):
        """Warn through AnsibleModule.warn only.

        AnsibleAWSModule.warn (amazon.aws 10.x) also keeps the message and, on
        ansible-core >= 2.19, passes the list to exit_json/fail_json as
        ``warnings=``, which ansible-core 2.19 reports as a DEPRECATION warning
        after every module warning. AnsibleModule.warn alone already puts the
        warning in the result, so nothing is lost.
        """
        return self._module.warn(*args, **kwargs)

    def add_cleanup_file(self, path):
        """AnsibleModule.add_cleanup_file (for the CA file of an EKS token connection).

        The AnsibleAWSModule of amazon.aws 10.1.2 hands unknown attributes on
        to the AnsibleModule it wraps; that of 9.0.0 does not, and the call
        would fail.
        """
        return self._module.add_cleanup_file(path)
