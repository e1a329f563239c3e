# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What eks_access_report runs: read EKS, aws-auth, IAM and RBAC of one cluster, join them, ask the API server.

Reads only, in a bounded number of requests: DescribeCluster and
ListAccessEntries side by side, then each entry (two requests, at most
``concurrency`` at once); one read of aws-auth; four RBAC lists; IAM lookups
side by side (one paged listing instead once there are many); one listing of
the Identity Center roles when an SSO role is gone; and two
SubjectAccessReviews per scope of the ``verify_sample`` principals.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model import arn as arns
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import errors as aws_auth_errors
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import parse as aws_auth_parse
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import plan as aws_auth_plan
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import render as aws_auth_render
from ansible_collections.eks.access.plugins.module_utils.clients.aws import DEFAULT_CONCURRENCY
from ansible_collections.eks.access.plugins.module_utils.clients.aws import map_bounded
from ansible_collections.eks.access.plugins.module_utils.model import access_entry as entry_model
from ansible_collections.eks.access.plugins.module_utils.model import access_report as model
from ansible_collections.eks.access.plugins.module_utils.services.access_entries import AccessEntries
from ansible_collections.eks.access.plugins.module_utils.services.access_entries import IamPrincipals
from ansible_collections.eks.access.plugins.module_utils.services import configmap
from ansible_collections.eks.access.plugins.module_utils.services.rbac import RbacReader


@dataclass
class Options:
    cluster_name: str
    creator_arn: str = None
    check_iam: bool = True
    verify_sample: int = 10
    declared: dict = None
    concurrency: int = DEFAULT_CONCURRENCY


def _iam_lookups(principals, account_id):
    """(principal ARN, (type, name)) of the principals IAM of ``account_id`` can be asked about."""
    found = []
    for principal in principals:
        if principal["kind"] == "account":
            continue
        try:
            parsed = arns.parse_iam_arn(principal["principal_arn"])
        except arns.ArnError:
            continue
        if parsed.account_id == account_id and parsed.service == "iam" and parsed.resource_type in ("role", "user"):
            found.append((principal["principal_arn"], (parsed.resource_type, parsed.name)))
    return found


def _recreated(entries, described):
    """Principal ARNs whose IAM principal was created after their access entry (EKS no longer matches them)."""
    found = []
    for principal_arn, found_iam in described.items():
        entry = entries.get(principal_arn)
        if entry is None or not found_iam or entry.created_at is None or found_iam.get("created") is None:
            continue
        created, entry_created = found_iam["created"], entry.created_at
        if isinstance(created, datetime.datetime) and isinstance(entry_created, datetime.datetime) \
                and created > entry_created:
            found.append(principal_arn)
    return found


def run(context, options: Options) -> dict:
    if options.verify_sample < 0:
        raise errors.InvalidInput("verify_sample must be 0 or more (how many principals to confirm with "
                                  "SubjectAccessReviews); got %d" % options.verify_sample)
    concurrency = max(1, int(options.concurrency or 1))
    service = AccessEntries(context.aws("eks"), options.cluster_name, concurrency)
    api = context.kube()
    rbac_reader = RbacReader(api, concurrency)

    # EKS (cluster, entries), aws-auth and RBAC are independent: read them side by side.
    def read_eks():
        cluster, listed = service.cluster_and_listing()
        entries = service.read(listed=listed) if listed is not None else {}
        return cluster, entries

    reads = map_bounded(lambda read: read(), [read_eks, lambda: configmap.read_configmap(api), rbac_reader.read],
                        min(3, concurrency))
    (cluster, entries), current, rbac_lists = reads
    mode = cluster.authentication_mode
    account_id = cluster.account_id

    parsed = None
    parse_error = None
    if current is not None:
        try:
            parsed = aws_auth_parse.parse_aws_auth(current.get("data") or {})
        except aws_auth_errors.AwsAuthError as e:
            parse_error = str(e)
            context.warn("aws-auth does not parse, so its mappings are not in the report: %s" % e)
    rbac = model.Rbac(rbac_lists["clusterroles"], rbac_lists["roles"], rbac_lists["clusterrolebindings"],
                      rbac_lists["rolebindings"])
    principals = model.collect_principals(mode, parsed if mode != "API" else None, entries, options.creator_arn,
                                          account_id, cluster.partition)

    described = {}
    missing = []
    sso_now = {}
    if options.check_iam:
        lookups = _iam_lookups(principals, account_id)
        iam = IamPrincipals(context.aws("iam"), concurrency)
        answers = iam.describe_all([pair for _arn, pair in lookups])
        described = {principal_arn: answer for (principal_arn, _pair), answer in zip(lookups, answers)}
        missing = [principal_arn for principal_arn, answer in described.items() if answer is None]
        if any(model.sso_permission_set(a) for a in missing):
            try:
                sso_now = model.sso_replacements(principals, iam.role_arns_under(arns.SSO_PATH_PREFIX), missing)
            except errors.EksAccessError as e:
                context.warn("Could not list the IAM Identity Center roles, so a re-created permission set is reported "
                             "as gone: %s" % e)

    rows = [model.principal_row(principal, rbac) for principal in principals]
    for row in rows:
        answer = described.get(row["principal_arn"])
        row["iam"] = ({"exists": answer is not None, "arn": (answer or {}).get("arn"),
                       "id": (answer or {}).get("id")} if row["principal_arn"] in described else None)

    # The API server's own answer for a sample: the principals with the most rights first.
    checkable = [row for row in rows if model.checks(row, row["_evaluation"])]
    sample = sorted(checkable, key=lambda r: (-model.level_rank(r["level"]), r["principal_arn"]))
    requests, owners = [], []
    for row in sample[:options.verify_sample]:
        user = model.review_user(row, account_id, (row["iam"] or {}).get("id"))
        row["_checks"] = model.checks(row, row["_evaluation"])
        for check in row["_checks"]:
            requests.append((user, check["attributes"]))
            owners.append(row)
    answers = rbac_reader.reviews(requests) if requests else []
    by_row = {}
    for row, answer in zip(owners, answers):
        by_row.setdefault(id(row), []).append(answer)
    for row in rows:
        if "_checks" in row:
            row["verified"] = model.verification(row["_checks"], by_row.get(id(row), []))
        else:
            row["verified"] = {"status": "not_checked", "checks": []}

    mappings = aws_auth_render.to_result(parsed) if parsed is not None and mode == "API_AND_CONFIG_MAP" else None
    entry_findings = entry_model.lint(entries, mappings, [a for a in missing if a in entries],
                                      _recreated(entries, described)) if entries else []
    aws_auth_findings = aws_auth_plan.lint(parsed) if parsed is not None and mode != "API" else []
    found = model.findings(mode, rows, rbac, missing, sso_now, parsed, entry_findings, aws_auth_findings)
    roles = {}
    result_rows = [model.public(row, roles) for row in rows]
    result = dict(
        changed=False,
        cluster={"name": options.cluster_name, "authentication_mode": mode, "account_id": account_id,
                 "partition": cluster.partition, "region": context.region},
        principals=result_rows,
        roles=roles,
        findings=found,
        summary=model.summary(rows, found),
        scanned_by=context.caller_identity().get("Arn"),
        scanned_at=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    if parse_error:
        result["aws_auth_parse_error"] = parse_error
    if options.declared is not None:
        result["drift"] = model.drift(principals, options.declared)
    return result
