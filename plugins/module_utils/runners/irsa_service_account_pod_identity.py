# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""irsa_service_account with credential_method=pod_identity: the role trusts EKS Pod Identity, an association grants it.

Same role handling as IRSA (services/iam_role.py, irsa.plan_role_changes,
ownership tags), but the trust statement is ``pods.eks.amazonaws.com`` with
``sts:AssumeRole`` and ``sts:TagSession`` (one statement for every cluster
and service account), and instead of the ``eks.amazonaws.com/role-arn``
annotation the service account gets a Pod Identity association
(services/pod_identity.py). Order, so that a refusal leaves everything as it
was: the agent add-on, the association (an add-on's is refused), the trust
(a Deny for Pod Identity is refused), the service account's server dry run;
then IAM, then the service account, then the association.
"""

from __future__ import annotations

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model import irsa
from ansible_collections.eks.access.plugins.module_utils.model import trust_policy
from ansible_collections.eks.access.plugins.module_utils.model import pod_identity as model
from ansible_collections.eks.access.plugins.module_utils.services import pod_identity as pod_identity_service
from ansible_collections.eks.access.plugins.module_utils.services import workloads

try:
    import botocore.exceptions

    _WRITE_ERRORS = (errors.KubeApiError, errors.EksAccessError, botocore.exceptions.ClientError,
                     botocore.exceptions.BotoCoreError)
except ImportError:  # AnsibleAWSModule reports a missing botocore itself
    _WRITE_ERRORS = (errors.KubeApiError, errors.EksAccessError)

# Options that only shape the IRSA annotation or the OIDC trust.
_IRSA_ONLY = ("sts_regional_endpoints", "token_expiration")


def check_options(options) -> None:
    """Refuse IRSA-only options with credential_method=pod_identity (before anything is read)."""
    given = [name for name in _IRSA_ONLY if getattr(options, name) is not None]
    if options.audience != trust_policy.DEFAULT_AUDIENCE:
        given.append("audience")
    if given:
        raise errors.InvalidInput("%s only apply to IRSA (the service account annotation); leave them out with "
                                  "credential_method=pod_identity" % ", ".join(given))


def _association_view(current):
    if current is None:
        return None
    return {"association_id": current.association_id, "role_arn": current.role_arn,
            "target_role_arn": current.target_role_arn, "disable_session_tags": current.disable_session_tags}


def _pods_without_credentials(api, namespace, name):
    """Live pods of the service account that do not carry Pod Identity credentials (the webhook mutates at creation)."""
    return [workloads.metadata(p).get("name") for p in workloads.namespace_pods(api, namespace)
            if irsa.pod_service_account(p) == name and workloads.is_live(p)
            and not workloads.carries_credentials(p, "pod_identity")]


def _without_pod_identity(trust):
    """The statements of ``trust`` that do not name EKS Pod Identity."""
    def names_it(statement):
        principal = statement.get("Principal") if isinstance(statement, dict) else None
        services = principal.get("Service") if isinstance(principal, dict) else None
        services = services if isinstance(services, list) else [services]
        return trust_policy.POD_IDENTITY_SERVICE in services

    return [s for s in trust_policy.statements(trust) if not names_it(s)]


class _PodIdentity:
    """The association of the service account, read before anything is decided."""

    def __init__(self, state):
        context, options = state.context, state.options
        self.service = pod_identity_service.PodIdentityService(context.aws("eks"), context.aws("iam"),
                                                               options.cluster_name)
        self.key = (options.namespace, options.name)
        self.summaries = self.service.associations()
        found = self.service.describe([a for a in self.summaries if a.key == self.key])
        self.current = found[0] if found else None

    def require_agent(self, cluster_name):
        if model.AGENT_ADDON not in self.service.addon_names():
            raise errors.Refused(
                "cluster %r has no %s add-on, so pods would not get Pod Identity credentials: install it first "
                "(aws eks create-addon --cluster-name %s --addon-name %s), or set require_agent: false if the agent "
                "runs another way; nothing was changed" % (cluster_name, model.AGENT_ADDON, cluster_name,
                                                           model.AGENT_ADDON))

    def plan(self, role_arn, state):
        """The one Change for the service account's association, or None when it is as wanted."""
        current = self.current
        wanted = model.Association(
            self.key[0], self.key[1], role_arn,
            target_role_arn=current.target_role_arn if current else None,
            disable_session_tags=current.disable_session_tags if current else False)
        the_plan = model.plan([wanted], [current] if current else [], state)
        return the_plan.changes[0] if the_plan.changes else None

    def role_used_elsewhere(self, role_arn):
        """Other associations of the cluster using ``role_arn`` (their namespace/service account)."""
        others = self.service.describe([a for a in self.summaries if a.key != self.key])
        return [model.key_name(a.key) for a in others if a.role_arn == role_arn]


def _result(state, changed, trust_after, attached_after, association_before, association_after, sa_after):
    options, role = state.options, state.role
    result = dict(
        changed=changed,
        credential_method="pod_identity",
        role_arn=role.arn,
        trust_policy=trust_after,
        attached_policies=attached_after,
        service_account=None if options.role_only else dict(
            namespace=options.namespace, name=options.name, annotations=irsa.annotations_of(sa_after)),
        pod_identity_association=association_after,
        restart_required=[],
        oidc_provider_arn=None,
        oidc_provider_created=False,
    )
    if state.context.diff_mode:
        header = "IAM role %s%s (EKS cluster %s, EKS Pod Identity)" % (
            options.role_name, "" if options.role_only else ", association %s" % options.sa_label,
            options.cluster_name)
        result["diff"] = dict(
            before_header=header, after_header=header,
            before=dict(trust_policy=role.trust, attached_policies=role.attached,
                        pod_identity_association=association_before),
            after=dict(trust_policy=trust_after, attached_policies=attached_after,
                       pod_identity_association=association_after),
        )
    return result


def run_present(state) -> dict:
    from ansible_collections.eks.access.plugins.module_utils.runners import irsa_service_account as base

    options, context, role = state.options, state.context, state.role
    association = None
    change = None
    sa_plan = None
    if not options.role_only:
        association = _PodIdentity(state)
        if options.require_agent:
            association.require_agent(options.cluster_name)
        change = association.plan(role.arn, "present")  # an add-on's association is refused here
        if state.sa is None and options.create_service_account:
            # No annotation: with Pod Identity the association carries the role.
            sa_plan = irsa.plan_service_account(None, {}, False, True)
            base.check_service_account_write(state.kube, sa_plan, options, options.cluster_name)
        if irsa.annotations_of(state.sa).get(irsa.ROLE_ARN_ANNOTATION):
            context.warn("service account %s still has the %s annotation; new pods get Pod Identity credentials "
                         "once the association exists, so remove the annotation (and the role's OIDC trust "
                         "statement) when they work" % (options.sa_label, irsa.ROLE_ARN_ANNOTATION))

    lacking, denied = trust_policy.pod_identity_trust_gaps(role.trust) if role.exists else (
        list(trust_policy.POD_IDENTITY_ACTIONS), [])
    if denied:
        raise errors.Refused("role %s denies %s to %s in its trust policy; remove that Deny first (nothing was "
                             "changed)" % (role.arn, " and ".join(denied), trust_policy.POD_IDENTITY_SERVICE))
    trust_after, trust_changed = role.trust, False
    if lacking:
        trust_after, trust_changed = trust_policy.merge_statement(role.trust, trust_policy.pod_identity_statement())
    changes = irsa.plan_role_changes(
        role.role, role.tags, role.attached, role.inline, trust_changed, tags=options.tags,
        purge_tags=options.purge_tags, managed_policies=options.managed_policies,
        inline_policies=options.inline_policies, purge_policies=options.purge_policies, **options.role_settings())
    changed = bool(changes["changed"] or change is not None or (sa_plan and sa_plan["action"] == "create"))

    association_before = _association_view(association.current) if association else None
    association_after = association_before
    if change is not None:
        association_after = dict(association_before or {}, role_arn=change.wanted.role_arn,
                                 target_role_arn=change.wanted.target_role_arn,
                                 disable_session_tags=change.wanted.disable_session_tags)
        association_after.setdefault("association_id", None)
    sa_after = state.sa
    if sa_plan is not None:
        sa_after = {"metadata": {"name": options.name, "namespace": options.namespace, "annotations": {}}}

    if not context.check_mode:
        base.apply_role(state, role, changes, trust_after, options)
        written = ["created IAM role" if changes["create"] else "updated IAM role"] if changes["changed"] else []
        try:
            if sa_plan is not None:
                base.write_service_account(state.kube, sa_plan, options.namespace, options.name, dry_run=False)
                written.append("created service account %s" % options.sa_label)
            if change is not None:
                answer = association.service.apply(change)
                association_after = _association_view(model.current_from_eks(answer)) if answer else association_after
        except _WRITE_ERRORS as e:
            if not written:
                raise
            raise errors.PartiallyApplied(
                "%s %s, but then %s failed (%s); fix that and re-run the task, which converges"
                % (" and ".join(written), role.arn, "the Pod Identity association of %s" % options.sa_label,
                   pod_identity_service.describe_error(e)), written=written, role_arn=role.arn) from None

    result = _result(state, changed, trust_after, changes["attached_after"], association_before, association_after,
                     sa_after)
    if not options.role_only:
        result["restart_required"] = _pods_without_credentials(state.kube, options.namespace, options.name)
    return result


def run_absent(state) -> dict:
    options, context, role = state.options, state.context, state.role
    changed = False
    association_before = association_after = None
    association = None
    if not options.role_only:
        association = _PodIdentity(state)
        association_before = _association_view(association.current)
        change = association.plan(role.arn, "absent")  # an add-on's association is refused here
        if change is not None and association.current.role_arn != role.arn:
            # Like the annotation of another role under IRSA: not this role's grant, left alone.
            context.warn("service account %s has a Pod Identity association with another role (%s); it is left "
                         "alone" % (options.sa_label, association.current.role_arn))
            change = None
        if change is not None:
            changed = True
            if not context.check_mode:
                association.service.apply(change)
        else:
            association_after = association_before
    trust_after = role.trust if role.exists else None
    attached_after = list(role.attached)
    if role.exists and not options.keep_role:
        remaining = _without_pod_identity(role.trust)
        if association is None:
            association = _PodIdentity(state)
        elsewhere = association.role_used_elsewhere(role.arn)
        if not elsewhere and irsa.created_for_only(role.tags, remaining, options.cluster_name, options.namespace,
                                                   options.name):
            changed = True
            trust_after, attached_after = None, []
            if not context.check_mode:
                state.roles.delete(role)
        elif elsewhere:
            context.warn("role %s is kept: other Pod Identity associations use it (%s)"
                         % (role.arn, ", ".join(elsewhere)))
    return _result(state, changed, trust_after, attached_after, association_before, association_after, state.sa)


def run(state) -> dict:
    if state.options.state == "absent":
        return run_absent(state)
    return run_present(state)
