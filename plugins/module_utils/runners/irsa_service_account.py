# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What irsa_service_account runs: the IAM and Kubernetes I/O around the pure IRSA planners.

The decisions live in trust_policy.py and irsa.py; the IAM role I/O in
services/iam_role.py.  Order, so that whatever can be refused is refused
before anything is written:

1. read: caller, EKS issuer, OIDC provider, the role, the ServiceAccount;
2. plan the ServiceAccount and send its create/patch as a server dry run
   (a missing namespace, an admission refusal, a missing permission fail
   here, with IAM untouched);
3. write IAM (provider, role, policies), then the ServiceAccount; when that
   last write still fails, :class:`errors.PartiallyApplied` says what was
   written and that a re-run converges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ansible_collections.eks.access.plugins.module_utils.services import eks_cluster
from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model import irsa
from ansible_collections.eks.access.plugins.module_utils.clients import kube
from ansible_collections.eks.access.plugins.module_utils.model import trust_policy
from ansible_collections.eks.access.plugins.module_utils.services import iam_role
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
    credential_method=dict(type="str", default="irsa", choices=list(workloads.CREDENTIAL_METHODS)),
    require_agent=dict(type="bool", default=True),
)


@dataclass
class Options:
    """irsa_service_account's parameters."""

    cluster_name: str
    name: str
    role_name: str
    namespace: str = "default"
    role_path: str = "/"
    permissions_boundary: Optional[str] = None
    description: Optional[str] = None
    tags: Optional[dict] = None
    purge_tags: bool = True
    max_session_duration: Optional[int] = None
    managed_policies: Optional[list] = None
    inline_policies: Optional[dict] = None
    purge_policies: bool = True
    state: str = "present"
    create_oidc_provider: bool = False
    create_service_account: bool = True
    override_existing_annotation: bool = False
    role_only: bool = False
    keep_role: bool = False
    sts_regional_endpoints: Optional[bool] = None
    token_expiration: Optional[int] = None
    audience: str = trust_policy.DEFAULT_AUDIENCE
    credential_method: str = "irsa"
    require_agent: bool = True

    @property
    def sa_label(self):
        return "%s/%s" % (self.namespace, self.name)

    def role_settings(self):
        return dict(description=self.description, max_session_duration=self.max_session_duration,
                    permissions_boundary=self.permissions_boundary)


# ---------------------------------------------------------------------------
# Kubernetes
# ---------------------------------------------------------------------------


def service_account_path(namespace, name=None):
    return kube.api_path("v1", "serviceaccounts", namespace, name)


def write_service_account(api, plan, namespace, name, dry_run):
    if plan["action"] == "create":
        body = {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": name, "namespace": namespace, "annotations": plan["after_annotations"]},
        }
        api.create(service_account_path(namespace), body, dry_run=dry_run)
    elif plan["action"] == "patch":
        api.merge_patch(service_account_path(namespace, name), plan["patch"], dry_run=dry_run)


def check_service_account_write(api, plan, options, cluster_name):
    """Send the ServiceAccount write as a server dry run; refuse, with nothing written, when it would fail."""
    try:
        write_service_account(api, plan, options.namespace, options.name, dry_run=True)
    except errors.KubeApiError as e:
        if e.status == 404 and plan["action"] == "create":
            raise errors.NotFound(
                "namespace %s does not exist in cluster %s, so service account %s cannot be created; create the "
                "namespace first (nothing was written, IAM included)" % (options.namespace, cluster_name,
                                                                         options.sa_label)) from None
        if e.status in (400, 409, 422):
            raise errors.Refused(
                "the API server refuses to %s service account %s: %s (nothing was written, IAM included)"
                % (plan["action"], options.sa_label, e.api_message)) from None
        raise


# ---------------------------------------------------------------------------
# main flow
# ---------------------------------------------------------------------------


class _State:
    """What both states read before deciding: identity, issuer, provider, the role and the ServiceAccount."""

    def __init__(self, context, options: Options):
        self.context = context
        self.options = options
        self.roles = iam_role.IamRoles(context.aws("iam"))
        self.providers = iam_role.OidcProviders(context.aws("iam"))
        identity = context.caller_identity()
        partition = context.partition()
        facts = eks_cluster.describe_cluster(context.aws("eks"), options.cluster_name)
        self.issuer = facts.get("oidc_issuer")
        self.provider_arn = None
        if options.credential_method == "irsa":
            if not self.issuer:
                raise errors.Refused("EKS cluster %r has no OIDC issuer; IRSA needs one" % options.cluster_name)
            self.provider_arn = trust_policy.oidc_provider_arn(partition, identity["Account"], self.issuer)
        self.role = self.roles.get(options.role_name, partition, identity["Account"], options.role_path)
        self.kube = None
        self.sa = None
        if not options.role_only:
            self.kube = context.kube()
            self.sa = workloads.service_account(self.kube, options.namespace, options.name)


def _result(state, changed, trust_after, attached_after, sa_plan, provider_created=False):
    options = state.options
    before_annotations = irsa.annotations_of(state.sa)
    after_annotations = sa_plan["after_annotations"] if sa_plan else before_annotations
    result = dict(
        changed=changed,
        role_arn=state.role.arn,
        trust_policy=trust_after,
        attached_policies=attached_after,
        service_account=None if options.role_only else dict(
            namespace=options.namespace, name=options.name, annotations=after_annotations),
        restart_required=[],
        oidc_provider_arn=state.provider_arn,
        oidc_provider_created=provider_created,
    )
    if state.context.diff_mode:
        header = _diff_header(options)
        result["diff"] = dict(
            before_header=header,
            after_header=header,
            before=dict(trust_policy=state.role.trust, attached_policies=state.role.attached,
                        annotations=before_annotations),
            after=dict(trust_policy=trust_after, attached_policies=attached_after, annotations=after_annotations),
        )
        if provider_created:
            # The provider is account-wide (one per issuer), not part of this role: say so where it is seen.
            result["diff"]["before"]["oidc_provider"] = None
            result["diff"]["after"]["oidc_provider"] = state.provider_arn
    return result


def _diff_header(options):
    header = "IAM role %s" % options.role_name
    if not options.role_only:
        header += ", ServiceAccount %s/%s" % (options.namespace, options.name)
    return header + " (EKS cluster %s)" % options.cluster_name


def _provider_missing(state):
    """True when the provider must be created; refuses when that was not asked for."""
    if state.providers.exists(state.provider_arn):
        return False
    if not state.options.create_oidc_provider:
        raise errors.Refused(
            "no IAM OIDC identity provider exists for the issuer %s of cluster %s (%s); set "
            "create_oidc_provider=true to create it (like eksctl utils associate-iam-oidc-provider)"
            % (state.issuer, state.options.cluster_name, state.provider_arn))
    return True


def _written(changes, created_provider):
    """What the IAM writes of a plan did, in words, for a partial failure."""
    done = ["created IAM OIDC provider"] if created_provider else []
    if changes["create"]:
        done.append("created IAM role")
    elif changes["changed"]:
        done.append("updated IAM role")
    return done


def run_present(state: _State) -> dict:
    options, context, role = state.options, state.context, state.role
    sa_plan = None
    if not options.role_only:
        audience = options.audience if options.audience != trust_policy.DEFAULT_AUDIENCE else None
        wanted = irsa.service_account_annotations(
            role.arn, options.sts_regional_endpoints, options.token_expiration, audience)
        sa_plan = irsa.plan_service_account(
            state.sa, wanted, options.override_existing_annotation, options.create_service_account)
        if sa_plan["action"] == "refuse":
            raise errors.Refused("refusing to change service account %s: %s" % (options.sa_label, sa_plan["reason"]))
        if sa_plan["action"] in ("create", "patch"):
            # In check mode this dry run is the whole write.
            check_service_account_write(state.kube, sa_plan, options, options.cluster_name)

    create_provider = _provider_missing(state)
    statement = trust_policy.irsa_statement(
        state.provider_arn, state.issuer, options.namespace, options.name, options.audience)
    trust_after, trust_changed = trust_policy.merge_statement(role.trust, statement)
    changes = irsa.plan_role_changes(
        role.role, role.tags, role.attached, role.inline, trust_changed, tags=options.tags,
        purge_tags=options.purge_tags, managed_policies=options.managed_policies,
        inline_policies=options.inline_policies, purge_policies=options.purge_policies, **options.role_settings())
    changed = create_provider or changes["changed"]

    if not context.check_mode:
        if create_provider:
            state.providers.create(state.issuer)
        apply_role(state, role, changes, trust_after, options)

    result = _result(state, changed, trust_after, changes["attached_after"], sa_plan, provider_created=create_provider)
    if sa_plan is not None:
        if sa_plan["action"] in ("create", "patch"):
            result["changed"] = True
            if not context.check_mode:
                try:
                    write_service_account(state.kube, sa_plan, options.namespace, options.name, dry_run=False)
                except errors.KubeApiError as e:
                    done = _written(changes, create_provider)
                    if not done:
                        raise
                    raise errors.PartiallyApplied(
                        "%s %s, but writing service account %s then failed (%s); fix that and re-run the task, "
                        "which converges" % (" and ".join(done), role.arn, options.sa_label, e),
                        written=done, role_arn=role.arn) from None
        pods = workloads.namespace_pods(state.kube, options.namespace)
        result["restart_required"] = irsa.pods_needing_restart(pods, options.name, options.namespace)
    return result


def run_absent(state: _State) -> dict:
    options, context, role = state.options, state.context, state.role
    sa_plan = None
    if not options.role_only:
        sa_plan = irsa.plan_remove_annotations(state.sa, role.arn)

    changed = False
    trust_after = None
    attached_after = []
    if role.exists and options.keep_role:
        # Only the annotations go (e.g. to restart pods before the role stops trusting them).
        trust_after = role.trust
        attached_after = list(role.attached)
    elif role.exists:
        trust_after, trust_changed, remaining = trust_policy.remove_service_account(
            role.trust, state.provider_arn, state.issuer, options.namespace, options.name)
        if irsa.created_for_only(role.tags, remaining, options.cluster_name, options.namespace, options.name):
            changed = True
            trust_after = None
            if not context.check_mode:
                state.roles.delete(role)
        else:
            attached_after = list(role.attached)
            if trust_changed:
                changed = True
                if not remaining:
                    # IAM refuses an empty trust policy; close the role instead.
                    trust_after = trust_policy.closed_policy(state.provider_arn)
                    context.warn("role %s no longer trusts anything and was not created by eks.access for %s "
                                 "only, so it is kept with a deny-only trust policy" % (role.name, options.sa_label))
                if not context.check_mode:
                    state.roles.update_trust(role.name, trust_after)

    result = _result(state, changed, trust_after, attached_after, sa_plan)
    if sa_plan is not None and sa_plan["action"] == "patch":
        result["changed"] = True
        write_service_account(state.kube, sa_plan, options.namespace, options.name, dry_run=context.check_mode)
    return result


def apply_role(state, role, changes, trust_after, options) -> None:
    """Create or update the service account's role; a new role carries the ownership tags of this account."""
    create_tags = dict(options.tags or {})
    create_tags.update(irsa.ownership_tags(options.cluster_name, options.namespace, options.name))
    created_arn = state.roles.apply(role, changes, trust_after, path=options.role_path,
                                    create_tags=create_tags, **options.role_settings())
    if created_arn:
        role.arn = created_arn


def run(context, options: Options) -> dict:
    if options.credential_method == "pod_identity":
        from ansible_collections.eks.access.plugins.module_utils.runners import irsa_service_account_pod_identity

        irsa_service_account_pod_identity.check_options(options)
        state = _State(context, options)
        return irsa_service_account_pod_identity.run(state)
    state = _State(context, options)
    if options.state == "absent":
        return run_absent(state)
    return run_present(state)
