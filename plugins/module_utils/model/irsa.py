# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning helpers for IAM roles for service accounts (IRSA).

Everything here decides *what* to change from plain data (lists of policy
ARNs, policy documents, ServiceAccount and Pod dicts); the modules do the
I/O. Annotation keys and accepted values follow the Amazon EKS Pod Identity
Webhook, which reads them from the ServiceAccount when pods are created.
"""

from __future__ import annotations


from ansible_collections.eks.access.plugins.module_utils.model.arn import ArnError
from ansible_collections.eks.access.plugins.module_utils.errors import InvalidInput
from ansible_collections.eks.access.plugins.module_utils.model.arn import require_role_arn
from ansible_collections.eks.access.plugins.module_utils.model.arn import same_arn
from ansible_collections.eks.access.plugins.module_utils.model.trust_policy import load_policy
from ansible_collections.eks.access.plugins.module_utils.model.trust_policy import policies_equal
from ansible_collections.eks.access.plugins.module_utils.services import workloads

ANNOTATION_PREFIX = "eks.amazonaws.com/"
ROLE_ARN_ANNOTATION = ANNOTATION_PREFIX + "role-arn"
STS_REGIONAL_ENDPOINTS_ANNOTATION = ANNOTATION_PREFIX + "sts-regional-endpoints"
TOKEN_EXPIRATION_ANNOTATION = ANNOTATION_PREFIX + "token-expiration"
AUDIENCE_ANNOTATION = ANNOTATION_PREFIX + "audience"
MANAGED_ANNOTATIONS = (
    ROLE_ARN_ANNOTATION,
    STS_REGIONAL_ENDPOINTS_ANNOTATION,
    TOKEN_EXPIRATION_ANNOTATION,
    AUDIENCE_ANNOTATION,
)

# The webhook raises anything below 3600 s to 3600 s (kube-apiserver minimum
# for projected tokens) and defaults to 86400 s, the EKS maximum.
MIN_TOKEN_EXPIRATION = 3600
MAX_TOKEN_EXPIRATION = 86400


OWNERSHIP_TAG_PREFIX = "eks.access/"
TAG_MANAGED_BY = OWNERSHIP_TAG_PREFIX + "managed-by"
TAG_CLUSTER = "eks.access/cluster"
TAG_SERVICE_ACCOUNT = "eks.access/service-account"
MANAGED_BY_VALUE = "eks.access"


class IrsaError(InvalidInput, ValueError):
    """Invalid input for an IRSA plan."""


# ---------------------------------------------------------------------------
# IAM policies on the role
# ---------------------------------------------------------------------------


def _unique(items):
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def plan_managed_policies(attached_arns, desired_arns, purge):
    """``(to_attach, to_detach)`` for managed policies, in input order.

    ``desired_arns=None`` means "not managed": nothing is attached or
    detached even with ``purge``. With ``purge`` false nothing is detached.
    """
    attached = _unique(attached_arns or [])
    if desired_arns is None:
        return [], []
    desired = _unique(desired_arns)
    to_attach = [arn for arn in desired if arn not in attached]
    to_detach = [arn for arn in attached if arn not in desired] if purge else []
    return to_attach, to_detach


def plan_inline_policies(current, desired, purge):
    """``(to_put, to_delete)`` for inline policies.

    ``current`` and ``desired`` map policy name to document (dict, JSON or
    URL-encoded JSON). A desired policy is put when it is missing or differs
    semantically; ``to_put`` holds the documents as dicts. ``desired=None``
    means "not managed".
    """
    current = current or {}
    if desired is None:
        return {}, []
    to_put = {}
    for name, document in desired.items():
        if name not in current or not policies_equal(current[name], document):
            to_put[name] = load_policy(document)
    to_delete = [name for name in current if name not in desired] if purge else []
    return to_put, to_delete


def plan_role_changes(role, current_tags, attached, inline, trust_changed, description=None,
                      max_session_duration=None, permissions_boundary=None, tags=None,
                      managed_policies=None, inline_policies=None, purge_policies=True, purge_tags=False):
    """Everything to change on one IAM role, from what IAM returned and what the task asks.

    ``role`` is the GetRole ``Role`` dict, or None when the role does not
    exist yet (it is then created with the settings given). ``attached`` are
    the attached managed policy ARNs, ``inline`` maps inline policy names to
    documents, ``trust_changed`` says whether the caller's trust-policy
    planner changed the trust policy. Options left as None are not managed;
    with ``purge_tags`` the tags not in ``tags`` are removed (see plan_tags).

    Returns a dict: ``create``, ``trust_changed``, ``role_updates`` (UpdateRole
    arguments), ``tags_to_add``, ``tags_to_remove``, ``permissions_boundary`` (to put, or None),
    ``to_attach``, ``to_detach``, ``to_put``, ``to_delete``,
    ``attached_after`` and ``changed``. Used by irsa_service_account and
    eks_sso_role (cluster-creator role).
    """
    to_attach, to_detach = plan_managed_policies(attached, managed_policies, purge_policies)
    to_put, to_delete = plan_inline_policies(inline, inline_policies, purge_policies)
    role_updates = {}
    tags_to_add, tags_to_remove = {}, []
    boundary = None
    if role is not None:
        if description is not None and role.get("Description", "") != description:
            role_updates["Description"] = description
        if max_session_duration is not None and role.get("MaxSessionDuration") != max_session_duration:
            role_updates["MaxSessionDuration"] = max_session_duration
        tags_to_add, tags_to_remove = plan_tags(current_tags, tags, purge_tags)
        current_boundary = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        if permissions_boundary and current_boundary != permissions_boundary:
            boundary = permissions_boundary
    attached_after = [a for a in _unique(attached or []) if a not in to_detach] + to_attach
    changed = bool(role is None or trust_changed or role_updates or tags_to_add or tags_to_remove or boundary
                   or to_attach or to_detach or to_put or to_delete)
    return {
        "create": role is None,
        "trust_changed": bool(trust_changed),
        "role_updates": role_updates,
        "tags_to_add": tags_to_add,
        "tags_to_remove": tags_to_remove,
        "permissions_boundary": boundary,
        "to_attach": to_attach,
        "to_detach": to_detach,
        "to_put": to_put,
        "to_delete": to_delete,
        "attached_after": attached_after,
        "changed": changed,
    }


# ---------------------------------------------------------------------------
# ServiceAccount annotations
# ---------------------------------------------------------------------------


def validate_role_arn(role_arn):
    """Return ``role_arn`` if it is an IAM role ARN, else raise IrsaError."""
    try:
        require_role_arn(role_arn)
    except ArnError as e:
        raise IrsaError(str(e))
    return role_arn


def _bool_string(value, what):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower()
    raise IrsaError("%s must be a boolean, got %r" % (what, value))


def _token_expiration_string(value):
    if isinstance(value, bool):
        raise IrsaError("token_expiration must be a number of seconds, got %r" % (value,))
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        raise IrsaError("token_expiration must be a number of seconds, got %r" % (value,))
    if value < MIN_TOKEN_EXPIRATION or value > MAX_TOKEN_EXPIRATION:
        raise IrsaError(
            "token_expiration must be between %d and %d seconds, got %d (the pod identity webhook "
            "raises shorter values to %d; EKS does not issue tokens for longer)"
            % (MIN_TOKEN_EXPIRATION, MAX_TOKEN_EXPIRATION, value, MIN_TOKEN_EXPIRATION)
        )
    return str(value)


def service_account_annotations(role_arn, sts_regional_endpoints=None, token_expiration=None, audience=None):
    """The ``eks.amazonaws.com/*`` annotations to put on a ServiceAccount.

    Options left as None are not included (the webhook's defaults apply).
    """
    annotations = {ROLE_ARN_ANNOTATION: validate_role_arn(role_arn)}
    if sts_regional_endpoints is not None:
        annotations[STS_REGIONAL_ENDPOINTS_ANNOTATION] = _bool_string(sts_regional_endpoints, "sts_regional_endpoints")
    if token_expiration is not None:
        annotations[TOKEN_EXPIRATION_ANNOTATION] = _token_expiration_string(token_expiration)
    if audience is not None:
        if not isinstance(audience, str) or not audience.strip():
            raise IrsaError("audience must be a non-empty string, got %r" % (audience,))
        annotations[AUDIENCE_ANNOTATION] = audience
    return annotations


def _metadata(obj):
    meta = (obj or {}).get("metadata") or {}
    return meta if isinstance(meta, dict) else {}


def annotations_of(obj):
    """A copy of the annotations of a Kubernetes object (dict), empty when it has none."""
    return dict(_metadata(obj).get("annotations") or {})


def _sa_label(sa):
    meta = _metadata(sa)
    namespace = meta.get("namespace")
    name = meta.get("name") or "?"
    return "%s/%s" % (namespace, name) if namespace else name


def _plan(action, before, changes, reason):
    after = dict(before)
    for key, value in changes.items():
        if value is None:
            after.pop(key, None)
        else:
            after[key] = value
    return {
        "action": action,
        "patch": {"metadata": {"annotations": dict(changes)}} if changes else {},
        "before_annotations": before,
        "after_annotations": after,
        "reason": reason,
    }


def plan_service_account(current_sa, wanted_annotations, override_existing, create_if_missing):
    """Decide how to bring a ServiceAccount's annotations to ``wanted_annotations``.

    Returns ``{"action", "patch", "before_annotations", "after_annotations", "reason"}``
    where action is ``none``, ``create``, ``patch`` or ``refuse``. The patch is
    a strategic/merge patch touching only the wanted keys, so other
    annotations and labels are never dropped. A wanted value of None removes
    that key if present. An existing different ``role-arn`` is only replaced
    with ``override_existing`` (like eksctl's --override-existing-serviceaccounts).
    """
    wanted = dict(wanted_annotations or {})
    if current_sa is None:
        create = dict((k, v) for k, v in wanted.items() if v is not None)
        if not create_if_missing:
            return _plan("refuse", {}, {}, "the service account does not exist and creating it was not requested")
        return _plan("create", {}, create, "the service account does not exist")
    before = annotations_of(current_sa)
    current_role = before.get(ROLE_ARN_ANNOTATION)
    wanted_role = wanted.get(ROLE_ARN_ANNOTATION)
    if current_role and wanted_role and not same_arn(current_role, wanted_role) and not override_existing:
        return _plan(
            "refuse",
            before,
            {},
            "service account %s already has annotation %s=%s (wanted %s); not overriding it, "
            "set override_existing_annotation=true to replace it"
            % (_sa_label(current_sa), ROLE_ARN_ANNOTATION, current_role, wanted_role),
        )
    changes = {}
    for key, value in wanted.items():
        if value is None:
            if key in before:
                changes[key] = None
        elif before.get(key) != value:
            changes[key] = value
    if not changes:
        return _plan("none", before, {}, "the service account already has the wanted annotations")
    if current_role and wanted_role and not same_arn(current_role, wanted_role):
        reason = "replacing %s=%s (override_existing_annotation)" % (ROLE_ARN_ANNOTATION, current_role)
    else:
        reason = "setting annotations %s" % ", ".join(sorted(changes))
    return _plan("patch", before, changes, reason)


def plan_remove_annotations(current_sa, role_arn):
    """Plan for state=absent: null our ``eks.amazonaws.com/*`` keys.

    Only when the ServiceAccount's ``role-arn`` annotation is ``role_arn``;
    a ServiceAccount pointing at another role is left alone. Same return
    shape as plan_service_account (action ``none`` or ``patch``).
    """
    if current_sa is None:
        return _plan("none", {}, {}, "the service account does not exist")
    before = annotations_of(current_sa)
    current_role = before.get(ROLE_ARN_ANNOTATION)
    if current_role is None:
        return _plan("none", before, {}, "the service account has no %s annotation" % ROLE_ARN_ANNOTATION)
    if not same_arn(current_role, role_arn):
        return _plan(
            "none",
            before,
            {},
            "service account %s is annotated with another role (%s), leaving it alone"
            % (_sa_label(current_sa), current_role),
        )
    changes = dict((key, None) for key in MANAGED_ANNOTATIONS if key in before)
    return _plan("patch", before, changes, "removing annotations %s" % ", ".join(sorted(changes)))


# ---------------------------------------------------------------------------
# Pods
# ---------------------------------------------------------------------------


def _spec_get(spec, camel, snake):
    value = spec.get(camel)
    if value is None:
        value = spec.get(snake)
    return value


def pod_service_account(pod):
    """The service account a pod runs as (``default`` when unset)."""
    spec = (pod or {}).get("spec") or {}
    return (
        _spec_get(spec, "serviceAccountName", "service_account_name")
        or _spec_get(spec, "serviceAccount", "service_account")
        or "default"
    )


def containers_missing_irsa_env(pod, container_names=None):
    """Names of the pod's containers (optionally only ``container_names``) without IRSA credentials.

    What counts (init containers, skip-containers, the projected token) is
    services/workloads.py's one definition.
    """
    missing = []
    for _kind, container in workloads.mutated_containers(pod):
        name = container.get("name")
        if container_names is not None and name not in container_names:
            continue
        if workloads.irsa_problems(pod, container):
            missing.append(name)
    return missing


def _pod_is_finished(pod):
    meta = _metadata(pod)
    if meta.get("deletionTimestamp") or meta.get("deletion_timestamp"):
        return True
    phase = ((pod or {}).get("status") or {}).get("phase")
    return phase in ("Succeeded", "Failed")


def pods_needing_restart(pods, service_account, namespace=None):
    """Names of pods that run as ``service_account`` but miss the IRSA env vars.

    A pod needs a restart when any of its containers lacks ``AWS_ROLE_ARN``
    or ``AWS_WEB_IDENTITY_TOKEN_FILE`` (the webhook only mutates pods at
    creation). Pods already terminating or finished are skipped, as are
    pods of another namespace when ``namespace`` is given. Pod dicts may be
    API JSON (camelCase) or kubernetes client ``to_dict()`` (snake_case).
    """
    names = []
    for pod in pods or []:
        meta = _metadata(pod)
        if namespace is not None and meta.get("namespace") not in (None, namespace):
            continue
        if pod_service_account(pod) != service_account or _pod_is_finished(pod):
            continue
        if containers_missing_irsa_env(pod):
            names.append(meta.get("name"))
    return names


# ---------------------------------------------------------------------------
# Ownership of roles created by this collection
# ---------------------------------------------------------------------------


def ownership_tags(cluster_name, namespace, name):
    """IAM tags marking a role as created by eks.access for one service account only."""
    for what, value in (("cluster_name", cluster_name), ("namespace", namespace), ("name", name)):
        if not isinstance(value, str) or not value:
            raise IrsaError("%s must be a non-empty string, got %r" % (what, value))
    return {
        TAG_MANAGED_BY: MANAGED_BY_VALUE,
        TAG_CLUSTER: cluster_name,
        TAG_SERVICE_ACCOUNT: "%s/%s" % (namespace, name),
    }


def tags_to_dict(tags):
    """IAM tags as a dict, from a dict or boto3's ``[{"Key": k, "Value": v}]`` list."""
    if not tags:
        return {}
    if isinstance(tags, dict):
        return dict(tags)
    result = {}
    for tag in tags:
        key = tag.get("Key", tag.get("key"))
        result[key] = tag.get("Value", tag.get("value"))
    return result


def plan_tags(current, desired, purge):
    """Tag changes for a role: ``(to_add, to_remove)``.

    ``desired`` None means tags are not managed. Purging never removes the
    ``eks.access/*`` ownership tags (they decide whether state=absent may
    delete the role) nor ``aws:*`` tags (IAM refuses to touch them).
    """
    if desired is None:
        return {}, []
    current = tags_to_dict(current)
    desired = dict((str(k), "" if v is None else str(v)) for k, v in desired.items())
    to_add = dict((k, v) for k, v in desired.items() if current.get(k) != v)
    to_remove = []
    if purge:
        to_remove = sorted(k for k in current if k not in desired
                           and not k.startswith(OWNERSHIP_TAG_PREFIX) and not k.startswith("aws:"))
    return to_add, to_remove


def created_for_only(tags, statements_remaining, cluster_name, namespace, name):
    """Whether state=absent may delete the role.

    True only when the role carries all of ownership_tags(cluster_name,
    namespace, name) with exactly those values, and no trust statement
    remains once this service account was removed (nobody else relies on it).
    """
    if statements_remaining:
        return False
    return carries_tags(tags, ownership_tags(cluster_name, namespace, name))


def carries_tags(tags, wanted):
    """Whether ``tags`` (dict or boto3 list) hold every key of ``wanted`` with the same value."""
    have = tags_to_dict(tags)
    return all(have.get(key) == value for key, value in wanted.items())
