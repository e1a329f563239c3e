# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What eks_access_entry_info runs: the cluster's entries (services/access_entries.py), its admins, and the
findings of model/access_entry.py's lint (IAM principals missing or recreated, aws-auth compared)."""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.eks.access.plugins.module_utils.model import access_entry as model
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import errors as aws_auth_errors
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import render as aws_auth_render
from ansible_collections.eks.access.plugins.module_utils.services import configmap
from ansible_collections.eks.access.plugins.module_utils.services.access_entries import DEFAULT_CONCURRENCY
from ansible_collections.eks.access.plugins.module_utils.services.access_entries import AccessEntries
from ansible_collections.eks.access.plugins.module_utils.services.access_entries import IamPrincipals


@dataclass
class Options:
    cluster_name: str
    principal_arns: list = None
    check_iam: bool = False
    check_aws_auth: bool = False
    concurrency: int = DEFAULT_CONCURRENCY


def _principal_problems(iam: IamPrincipals, entries: dict, account_id: str):
    """(missing, recreated): principals of ``account_id`` IAM does not know, or created after their entry."""
    principals = dict(model.principals_of_account(sorted(entries), account_id))
    by_parsed = {parsed: arn for arn, parsed in principals.items()}
    missing, recreated = [], []
    for parsed, created in iam.creation_dates(principals.values()):
        arn = by_parsed[parsed]
        entry_created = entries[arn].created_at
        if created is None:
            missing.append(arn)
        elif entry_created is not None and created > entry_created:
            recreated.append(arn)
    return missing, recreated


def run(context, options: Options) -> dict:
    service = AccessEntries(context.aws("eks"), options.cluster_name, options.concurrency)
    cluster, listed = service.cluster_and_listing()
    result = dict(changed=False, authentication_mode=cluster.authentication_mode, entries=[], findings=[],
                  cluster_admins=[])
    if cluster.authentication_mode == "CONFIG_MAP":
        return result  # EKS keeps no access entries in this mode
    entries = service.read(only=options.principal_arns, listed=listed)
    result["entries"] = [entries[arn].to_result() for arn in sorted(entries)]
    result["cluster_admins"] = model.cluster_admins(entries)
    missing = recreated = ()
    if options.check_iam:
        missing, recreated = _principal_problems(IamPrincipals(context.aws("iam"), options.concurrency), entries,
                                                 cluster.account_id)
    mappings = None
    if options.check_aws_auth and cluster.authentication_mode == "API_AND_CONFIG_MAP":
        try:
            found = configmap.read_aws_auth(context.kube())
        except aws_auth_errors.AwsAuthError as e:
            context.warn("aws-auth does not parse, so it was not compared with the access entries: %s" % e)
        else:
            mappings = aws_auth_render.to_result(found) if found is not None else None
    result["findings"] = model.lint(entries, mappings, missing, recreated)
    return result
