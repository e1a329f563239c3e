# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What aws_auth_info runs: read aws-auth, parse and lint it, optionally check IAM."""

from __future__ import annotations

from dataclasses import dataclass


from ansible_collections.eks.access.plugins.module_utils.model import arn
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import errors as aws_auth_errors
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import parse as aws_auth_parse
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import plan as aws_auth_plan
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import render as aws_auth_render
from ansible_collections.eks.access.plugins.module_utils.services import configmap
from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.services import eks_cluster
from ansible_collections.eks.access.plugins.module_utils.services.access_entries import IamPrincipals


@dataclass
class Options:
    check_bindings: bool = True
    check_iam: bool = False


def _mapped(mappings):
    """``(kind, arn key, IAM resource type, entry)`` of every role and user mapping."""
    for kind, resource_type in (("mapRoles", "role"), ("mapUsers", "user")):
        for entry in mappings[kind]:
            yield kind, aws_auth_parse.ARN_KEY[kind], resource_type, entry


def foreign_partition_findings(mappings, partition):
    """Mapped ARNs of another partition than the cluster's: no caller of the cluster can match them."""
    findings = []
    if not partition:
        return findings
    for kind, key, _type, entry in _mapped(mappings):
        other = arn.partition_of(entry.get(key))
        if other and other != partition:
            findings.append({
                "code": "foreign_partition", "kind": kind, "arn": entry[key],
                "message": "%s is in partition %s but the cluster is in %s, so no caller can ever match it; map the "
                           "identity's %s ARN or remove the entry" % (entry[key], other, partition, partition)})
    return findings


def missing_iam_identities(iam: IamPrincipals, mappings, account_id):
    """Findings for mapped roles/users of ``account_id`` that IAM does not know."""
    findings = []
    for kind, key, resource_type, entry in _mapped(mappings):
        try:
            parsed = arn.parse_iam_arn(entry[key])
        except arn.ArnError:
            continue  # lint already reports it
        if parsed.resource_type != resource_type or parsed.account_id != account_id:
            continue
        if iam.describe(resource_type, parsed.name) is None:
            findings.append({
                "code": "missing_iam_identity", "kind": kind, "arn": entry[key],
                "message": "IAM %s %s does not exist; remove the mapping or recreate the %s"
                           % (resource_type, parsed.name, resource_type)})
    return findings


def run(context, options: Options) -> dict:
    api = context.kube()
    current = configmap.read_configmap(api)
    groups = None
    if options.check_bindings:
        try:
            groups = configmap.bound_groups(api)
        except errors.KubeApiError as e:
            if e.status != 403:
                raise
            raise errors.Forbidden(
                "%s may read aws-auth but not list RoleBindings and ClusterRoleBindings (403 Forbidden: %s); grant "
                "it list on them, or set check_bindings=false" % (context.kube_identity()[0], e.api_message)) from None

    data = dict((current or {}).get("data") or {})
    result = dict(changed=False, exists=current is not None, data=data, findings=[],
                  mappings={"mapRoles": [], "mapUsers": [], "mapAccounts": []})
    if groups is not None:
        result["bound_groups"] = sorted(groups)
    if current is not None:
        result["resource_version"] = current["metadata"]["resourceVersion"]
    mode = eks_cluster.authentication_mode(context)
    if mode:
        result["authentication_mode"] = mode
    if mode == "API":
        context.warn("Cluster %s uses authentication mode API: EKS ignores aws-auth there" % context.cluster_name)
    try:
        parsed = aws_auth_parse.parse_aws_auth(data if current is not None else None)
    except aws_auth_errors.AwsAuthError as e:
        result["parse_error"] = str(e)
        context.warn("aws-auth: %s" % e)
        return result

    result["mappings"] = aws_auth_render.to_result(parsed)
    result["findings"] = aws_auth_plan.lint(parsed, bound_groups=groups)
    result["findings"].extend(foreign_partition_findings(result["mappings"], context.cluster_partition()))
    if options.check_iam:
        account_id = context.caller_identity()["Account"]
        result["findings"].extend(missing_iam_identities(IamPrincipals(context.aws("iam")), result["mappings"], account_id))
    return result
