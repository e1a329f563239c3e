# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's AWS module class: AnsibleAWSModule with our user agent."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.common import set_collection_info
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

EKS_ACCESS_COLLECTION_NAME = "eks.access"
EKS_ACCESS_COLLECTION_VERSION = "0.1.0"


class AnsibleEKSAccessModule(AnsibleAWSModule):
    """AnsibleAWSModule that reports itself as eks.access in the botocore user agent."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        set_collection_info(
            collection_name=EKS_ACCESS_COLLECTION_NAME,
            collection_version=EKS_ACCESS_COLLECTION_VERSION,
        )
