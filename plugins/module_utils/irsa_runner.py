# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What irsa_service_account runs: the IAM and Kubernetes I/O around the pure IRSA planners.

The decisions live in trust_policy.py and irsa.py; this file reads the
current state (EKS issuer, IAM OIDC provider, role, policies, ServiceAccount,
pods), asks the planners what to change, and writes it (nothing in check
mode). The Kubernetes refusal check runs before any IAM write, so a refused
ServiceAccount leaves IAM untouched too.
"""

from __future__ import annotations

import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.eks.access.plugins.module_utils import arn
from ansible_collections.eks.access.plugins.module_utils import connection
from ansible_collections.eks.access.plugins.module_utils import eks
from ansible_collections.eks.access.plugins.module_utils import irsa
from ansible_collections.eks.access.plugins.module_utils import kube
from ansible_collections.eks.access.plugins.module_utils import trust_policy
from ansible_collections.eks.access.plugins.module_utils.services import workloads

IRSA_ARG_SPEC = dict(
    cluster_name=dict(type="str", required=True),
    namespace=dict(type="str", default="default"),
    name=dict(type="str", required=True),
    role_name=dict(type="str", required=True),
    role_path=dict(type="str", default="/"),
    permissions_boundary=dict(type="str"),
    description=dict(type="str"),
    tags=dict(type="dict"),
    purge_tags=dict(type="bool", default=True),
    max_session_duration=dict(type="int"),
    managed_policies=dict(type="list", elements="str"),
    inline_policies=dict(type="dict"),
    purge_policies=dict(type="bool", default=True),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    create_oidc_provider=dict(type="bool", default=False),
    create_service_account=dict(type="bool", default=True),
    override_existing_annotation=dict(type="bool", default=False),
    role_only=dict(type="bool", default=False),
    keep_role=dict(type="bool", default=False),
    sts_regional_endpoints=dict(type="bool"),
    token_expiration=dict(type="int", no_log=False),
    audience=dict(type="str", default=trust_policy.DEFAULT_AUDIENCE),
)

# EKS issuers are trusted through AWS's own root CAs; IAM no longer uses the
# thumbprint for them, but CreateOpenIDConnectProvider may still want one.
PLACEHOLDER_THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"

# Right after CreateRole/CreatePolicy, IAM may briefly answer NoSuchEntity.
RETRY = AWSRetry.jittered_backoff(catch_extra_error_codes=["NoSuchEntity", "MalformedPolicyDocument"])
# Throttling and 5xx only, for reads where NoSuchEntity is an answer.
READ_RETRY = AWSRetry.jittered_backoff()


class IrsaRefused(Exception):
    """The ServiceAccount cannot be changed as asked (message says why)."""


# ---------------------------------------------------------------------------
# IAM reads
# ---------------------------------------------------------------------------


def find_oidc_provider(iam, provider_arn):
    providers = iam.list_open_id_connect_providers(aws_retry=True)["OpenIDConnectProviderList"]
    return any(p.get("Arn") == provider_arn for p in providers)


def get_role(iam, role_name):
    try:
        return READ_RETRY(iam.get_role)(RoleName=role_name)["Role"]
    except is_boto3_error_code("NoSuchEntity"):
        return None


@RETRY
def _paginate(iam, operation, **kwargs):
    """A whole listing, retried as one call (a throttled page restarts it)."""
    return iam.get_paginator(operation).paginate(**kwargs).build_full_result()


def attached_policies(iam, role_name):
    result = _paginate(iam, "list_attached_role_policies", RoleName=role_name)
    return [p["PolicyArn"] for p in result.get("AttachedPolicies", [])]


def inline_policies(iam, role_name):
    names = _paginate(iam, "list_role_policies", RoleName=role_name).get("PolicyNames", [])
    return dict(
        (name, trust_policy.load_policy(
            iam.get_role_policy(aws_retry=True, RoleName=role_name, PolicyName=name)["PolicyDocument"]))
        for name in names
    )


def role_tags(iam, role_name):
    return boto3_tag_list_to_ansible_dict(_paginate(iam, "list_role_tags", RoleName=role_name).get("Tags", []))


# ---------------------------------------------------------------------------
# IAM writes (shared with the SSO cluster-creator role)
# ---------------------------------------------------------------------------


def apply_role_changes(iam, role_name, changes, trust_policy_doc, path="/", create_tags=None, description=None,
                       max_session_duration=None, permissions_boundary=None):
    """Carry out an irsa.plan_role_changes plan; returns the ARN when the role was created, else None.

    ``trust_policy_doc`` is the trust policy after the caller's merge;
    ``create_tags`` (dict) and the other settings are only used on creation.
    The caller skips this in check mode.
    """
    created_arn = None
    if changes["create"]:
        kwargs = dict(
            RoleName=role_name,
            Path=normalize_path(path),
            AssumeRolePolicyDocument=json.dumps(trust_policy_doc),
            Tags=ansible_dict_to_boto3_tag_list(create_tags or {}),
        )
        if description is not None:
            kwargs["Description"] = description
        if max_session_duration is not None:
            kwargs["MaxSessionDuration"] = max_session_duration
        if permissions_boundary:
            kwargs["PermissionsBoundary"] = permissions_boundary
        created_arn = iam.create_role(aws_retry=True, **kwargs)["Role"]["Arn"]
    else:
        if changes["trust_changed"]:
            iam.update_assume_role_policy(aws_retry=True, RoleName=role_name, PolicyDocument=json.dumps(trust_policy_doc))
        if changes["role_updates"]:
            iam.update_role(aws_retry=True, RoleName=role_name, **changes["role_updates"])
        if changes["tags_to_add"]:
            iam.tag_role(aws_retry=True, RoleName=role_name, Tags=ansible_dict_to_boto3_tag_list(changes["tags_to_add"]))
        if changes["tags_to_remove"]:
            iam.untag_role(aws_retry=True, RoleName=role_name, TagKeys=changes["tags_to_remove"])
        if changes["permissions_boundary"]:
            iam.put_role_permissions_boundary(
                aws_retry=True, RoleName=role_name, PermissionsBoundary=changes["permissions_boundary"])
    for policy_arn in changes["to_attach"]:
        iam.attach_role_policy(aws_retry=True, RoleName=role_name, PolicyArn=policy_arn)
    for policy_arn in changes["to_detach"]:
        iam.detach_role_policy(aws_retry=True, RoleName=role_name, PolicyArn=policy_arn)
    for policy_name, document in changes["to_put"].items():
        iam.put_role_policy(aws_retry=True, RoleName=role_name, PolicyName=policy_name, PolicyDocument=json.dumps(document))
    for policy_name in changes["to_delete"]:
        iam.delete_role_policy(aws_retry=True, RoleName=role_name, PolicyName=policy_name)
    return created_arn


def delete_role(iam, role_name, attached, inline):
    """Detach the managed policies, delete the inline ones, then the role."""
    for policy_arn in attached:
        iam.detach_role_policy(aws_retry=True, RoleName=role_name, PolicyArn=policy_arn)
    for policy_name in inline:
        iam.delete_role_policy(aws_retry=True, RoleName=role_name, PolicyName=policy_name)
    iam.delete_role(aws_retry=True, RoleName=role_name)


# ---------------------------------------------------------------------------
# Kubernetes
# ---------------------------------------------------------------------------


def write_service_account(api, plan, namespace, name, check_mode):
    if plan["action"] == "create":
        body = {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": name, "namespace": namespace, "annotations": plan["after_annotations"]},
        }
        api.create(kube.api_path("v1", "serviceaccounts", namespace), body, dry_run=check_mode)
    elif plan["action"] == "patch":
        api.merge_patch(kube.api_path("v1", "serviceaccounts", namespace, name), plan["patch"], dry_run=check_mode)


# ---------------------------------------------------------------------------
# main flow
# ---------------------------------------------------------------------------


def normalize_path(path):
    """An IAM path as IAM wants it: ``/``, or ``/a/b/``."""
    path = path or "/"
    if not path.startswith("/"):
        path = "/" + path
    if not path.endswith("/"):
        path += "/"
    return path


class _Context:
    """What both states need: identity, issuer, provider and the role."""

    def __init__(self, module):
        params = module.params
        self.module = module
        self.params = params
        self.iam = module.client("iam", retry_decorator=RETRY)
        identity = module.client("sts", retry_decorator=READ_RETRY).get_caller_identity(aws_retry=True)
        self.account = identity["Account"]
        self.partition = identity["Arn"].split(":")[1]
        facts = eks.describe_cluster(module.client("eks"), params["cluster_name"])
        self.issuer = facts.get("oidc_issuer")
        if not self.issuer:
            raise trust_policy.TrustPolicyError(
                "EKS cluster %r has no OIDC issuer; IRSA needs one" % params["cluster_name"]
            )
        self.provider_arn = trust_policy.oidc_provider_arn(self.partition, self.account, self.issuer)
        self.role = get_role(self.iam, params["role_name"])
        if self.role:
            self.role_arn = self.role["Arn"]
            self.trust = trust_policy.load_policy(self.role.get("AssumeRolePolicyDocument"))
            self.attached = attached_policies(self.iam, params["role_name"])
            self.inline = inline_policies(self.iam, params["role_name"])
            self.tags = role_tags(self.iam, params["role_name"])
        else:
            self.role_arn = arn.role_arn(self.partition, self.account, params["role_name"],
                                         normalize_path(params["role_path"]))
            self.trust = None
            self.attached = []
            self.inline = {}
            self.tags = {}
        self.kube = None
        self.sa = None
        if not params["role_only"]:
            self.kube = connection.kube_api(module)
            self.sa = workloads.service_account(self.kube, params["namespace"], params["name"])


def _result(ctx, changed, trust_after, attached_after, sa_plan, before_annotations):
    after_annotations = sa_plan["after_annotations"] if sa_plan else before_annotations
    result = dict(
        changed=changed,
        role_arn=ctx.role_arn,
        trust_policy=trust_after,
        attached_policies=attached_after,
        service_account=None if ctx.params["role_only"] else dict(
            namespace=ctx.params["namespace"], name=ctx.params["name"], annotations=after_annotations),
        restart_required=[],
        oidc_provider_arn=ctx.provider_arn,
    )
    if ctx.module._diff:
        result["diff"] = dict(
            before=dict(trust_policy=ctx.trust, attached_policies=ctx.attached, annotations=before_annotations),
            after=dict(trust_policy=trust_after, attached_policies=attached_after, annotations=after_annotations),
        )
    return result


def _ensure_provider(ctx):
    """Return True when the provider is (or in check mode would be) created."""
    if find_oidc_provider(ctx.iam, ctx.provider_arn):
        return False
    if not ctx.params["create_oidc_provider"]:
        raise IrsaRefused(
            "no IAM OIDC identity provider exists for the issuer %s of cluster %s (%s); set "
            "create_oidc_provider=true to create it (like eksctl utils associate-iam-oidc-provider)"
            % (ctx.issuer, ctx.params["cluster_name"], ctx.provider_arn)
        )
    if not ctx.module.check_mode:
        ctx.iam.create_open_id_connect_provider(
            aws_retry=True,
            Url="https://" + trust_policy.issuer_host_path(ctx.issuer),
            ClientIDList=[trust_policy.DEFAULT_AUDIENCE],
            ThumbprintList=[PLACEHOLDER_THUMBPRINT],
        )
    return True


def run_present(ctx):
    params = ctx.params
    module = ctx.module
    iam = ctx.iam
    role_name = params["role_name"]

    # Kubernetes refusal first: nothing is written when the ServiceAccount cannot be annotated.
    sa_plan = None
    before_annotations = irsa.annotations_of(ctx.sa)
    if not params["role_only"]:
        audience = params["audience"] if params["audience"] != trust_policy.DEFAULT_AUDIENCE else None
        wanted = irsa.service_account_annotations(
            ctx.role_arn, params["sts_regional_endpoints"], params["token_expiration"], audience)
        sa_plan = irsa.plan_service_account(
            ctx.sa, wanted, params["override_existing_annotation"], params["create_service_account"])
        if sa_plan["action"] == "refuse":
            raise IrsaRefused("refusing to change service account %s/%s: %s"
                              % (params["namespace"], params["name"], sa_plan["reason"]))

    changed = _ensure_provider(ctx)

    statement = trust_policy.irsa_statement(
        ctx.provider_arn, ctx.issuer, params["namespace"], params["name"], params["audience"])
    trust_after, trust_changed = trust_policy.merge_statement(ctx.trust, statement)
    settings = dict(
        description=params["description"],
        max_session_duration=params["max_session_duration"],
        permissions_boundary=params["permissions_boundary"],
    )
    changes = irsa.plan_role_changes(
        ctx.role, ctx.tags, ctx.attached, ctx.inline, trust_changed, tags=params["tags"],
        purge_tags=params["purge_tags"],
        managed_policies=params["managed_policies"], inline_policies=params["inline_policies"],
        purge_policies=params["purge_policies"], **settings)
    attached_after = changes["attached_after"]
    changed = changed or changes["changed"]

    if not module.check_mode:
        create_tags = dict(params["tags"] or {})
        create_tags.update(irsa.ownership_tags(params["cluster_name"], params["namespace"], params["name"]))
        created_arn = apply_role_changes(iam, role_name, changes, trust_after, path=params["role_path"],
                                         create_tags=create_tags, **settings)
        if created_arn:
            ctx.role_arn = created_arn

    result = _result(ctx, changed, trust_after, attached_after, sa_plan, before_annotations)
    if sa_plan is not None:
        if sa_plan["action"] in ("create", "patch"):
            result["changed"] = True
            write_service_account(ctx.kube, sa_plan, params["namespace"], params["name"], module.check_mode)
        pods = workloads.namespace_pods(ctx.kube, params["namespace"])
        result["restart_required"] = irsa.pods_needing_restart(pods, params["name"], params["namespace"])
    return result


def run_absent(ctx):
    params = ctx.params
    module = ctx.module
    iam = ctx.iam
    role_name = params["role_name"]

    sa_plan = None
    before_annotations = irsa.annotations_of(ctx.sa)
    if not params["role_only"]:
        sa_plan = irsa.plan_remove_annotations(ctx.sa, ctx.role_arn)

    changed = False
    trust_after = None
    attached_after = []
    if ctx.role and params["keep_role"]:
        # Only the annotations go (e.g. to restart pods before the role stops trusting them).
        trust_after = ctx.trust
        attached_after = list(ctx.attached)
    elif ctx.role:
        trust_after, trust_changed, remaining = trust_policy.remove_service_account(
            ctx.trust, ctx.provider_arn, ctx.issuer, params["namespace"], params["name"])
        owned_alone = irsa.created_for_only(
            ctx.tags, remaining, params["cluster_name"], params["namespace"], params["name"])
        if owned_alone:
            changed = True
            trust_after = None
            if not module.check_mode:
                delete_role(iam, role_name, ctx.attached, ctx.inline)
        else:
            attached_after = list(ctx.attached)
            if trust_changed:
                changed = True
                if not remaining:
                    # IAM refuses an empty trust policy; close the role instead.
                    trust_after = trust_policy.closed_policy(ctx.provider_arn)
                    module.warn("role %s no longer trusts anything and was not created by eks.access for %s/%s "
                                "only, so it is kept with a deny-only trust policy"
                                % (role_name, params["namespace"], params["name"]))
                if not module.check_mode:
                    iam.update_assume_role_policy(
                        aws_retry=True, RoleName=role_name, PolicyDocument=json.dumps(trust_after))

    result = _result(ctx, changed, trust_after, attached_after, sa_plan, before_annotations)
    if sa_plan is not None and sa_plan["action"] == "patch":
        result["changed"] = True
        write_service_account(ctx.kube, sa_plan, params["namespace"], params["name"], module.check_mode)
    return result


def run(module):
    ctx = _Context(module)
    if module.params["state"] == "absent":
        return run_absent(ctx)
    return run_present(ctx)
