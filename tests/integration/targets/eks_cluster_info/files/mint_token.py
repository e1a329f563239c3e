# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Print an EKS token for the cluster name given, minted by the collection's eks_token.

Uses the AWS_* environment (endpoint, region, credentials) like any boto3
client; the collection must be importable (PYTHONPATH = a collections path).
"""

import sys

import boto3

from ansible_collections.eks.access.plugins.module_utils.clients.eks_token import mint_token

if __name__ == "__main__":
    print(mint_token(boto3.client("sts"), sys.argv[1]))
