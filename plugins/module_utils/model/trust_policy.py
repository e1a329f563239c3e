# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers for IAM role trust policies (IRSA and the SSO cluster creator).

Nothing here talks to AWS: every function takes and returns plain data
(dicts, lists, strings) so the decisions can be unit tested in isolation.

Shapes follow the AWS guides this collection automates:

* IRSA (VPC CNI guide): one statement per service account, with
  ``Principal.Federated`` = the cluster's OIDC provider ARN, Action
  ``sts:AssumeRoleWithWebIdentity`` and ``StringEquals`` on ``<issuer>:aud``
  and ``<issuer>:sub``.
* SSO cluster creator (IAM Identity Center blog): ``Principal.AWS`` = the
  ``AWSReservedSSO_*`` role ARN *with* its ``/aws-reserved/sso.amazonaws.com/``
  path, Action ``sts:AssumeRole``.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import re

from urllib.parse import unquote, unquote_plus

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies

from ansible_collections.eks.access.plugins.module_utils.model.arn import SSO_PATH_PREFIX
from ansible_collections.eks.access.plugins.module_utils.model.arn import ArnError
from ansible_collections.eks.access.plugins.module_utils.model.arn import is_sso_role_name
from ansible_collections.eks.access.plugins.module_utils.model.arn import require_role_arn
from ansible_collections.eks.access.plugins.module_utils.model.arn import validate_account_id
from ansible_collections.eks.access.plugins.module_utils.model.arn import validate_partition
from ansible_collections.eks.access.plugins.module_utils.errors import InvalidInput

POLICY_VERSION = "2012-10-17"
WEB_IDENTITY_ACTION = "sts:AssumeRoleWithWebIdentity"
ASSUME_ROLE_ACTION = "sts:AssumeRole"
DEFAULT_AUDIENCE = "sts.amazonaws.com"
SA_SUBJECT_PREFIX = "system:serviceaccount:"
_DNS1123_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_DNS1123_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
# With sub_pattern, IAM StringLike wildcards (* and ?) may replace characters.
_PATTERN_CHARS_RE = re.compile(r"^[a-z0-9.*?-]+\Z")
_ISSUER_RE = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~%!$&'()*+,;=:@-]+)*\Z")
_WILDCARDS = ("*", "?")
CLOSED_SID = "EksAccessNoServiceAccountTrusted"
# Condition operators whose values are matched as (possibly wildcarded)
# strings; the ones this module writes or understands.
_SUB_OPERATORS = ("StringEquals", "StringLike")


class TrustPolicyError(InvalidInput, ValueError):
    """Invalid input for a trust policy (bad name, ARN, issuer, document...)."""


# ---------------------------------------------------------------------------
# small generic helpers
# ---------------------------------------------------------------------------


def _as_list(value):
    """IAM lets most elements be a single string or a list of strings."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def load_policy(document):
    """Return a policy document as a dict.

    Accepts a dict (returned as a deep copy), a JSON string, or a URL-encoded
    JSON string (IAM's raw API returns trust policies URL-encoded).
    ``None`` stays ``None``.
    """
    if document is None:
        return None
    if isinstance(document, dict):
        return copy.deepcopy(document)
    if isinstance(document, bytes):
        document = document.decode("utf-8")
    if not isinstance(document, str):
        raise TrustPolicyError("a policy document must be a dict or a JSON string, got %s" % type(document).__name__)
    text = document.strip()
    candidates = [text]
    if "%" in text or "+" in text:
        candidates.append(unquote(text))
        candidates.append(unquote_plus(text))
    last_error = None
    for candidate in candidates:
        try:
            loaded = json.loads(candidate)
        except ValueError as e:
            last_error = e
            continue
        if not isinstance(loaded, dict):
            raise TrustPolicyError("a policy document must be a JSON object, got %s" % type(loaded).__name__)
        return loaded
    raise TrustPolicyError("policy document is neither JSON nor URL-encoded JSON: %s" % last_error)


def statements(policy):
    """The statements of a policy as a list (a single statement dict is wrapped)."""
    if policy is None:
        return []
    policy = load_policy(policy)
    stmts = policy.get("Statement")
    if stmts is None:
        return []
    if isinstance(stmts, dict):
        return [stmts]
    if isinstance(stmts, list):
        return list(stmts)
    raise TrustPolicyError("policy Statement must be an object or a list, got %s" % type(stmts).__name__)


def _normalize_statement(statement):
    """Drop elements that carry no meaning (an empty Condition block).

    The SSO blog writes ``"Condition": {}``; IAM keeps it verbatim, so a role
    created by hand from the blog must still compare equal to ours.
    """
    statement = dict(statement)
    if "Condition" in statement and not statement["Condition"]:
        del statement["Condition"]
    return statement


def _normalize_policy(policy):
    policy = load_policy(policy)
    if policy is None:
        return None
    if "Statement" in policy:
        policy["Statement"] = [_normalize_statement(s) for s in statements(policy)]
    return policy


def policies_equal(a, b):
    """Whether two policy documents are semantically the same.

    Each side may be a dict, a JSON string or a URL-encoded JSON string.
    Statement order, key order and ``"x"`` vs ``["x"]`` do not matter
    (amazon.aws ``compare_policies``); an empty ``Condition`` is ignored.
    Two ``None`` are equal; ``None`` and a document are not.
    """
    if a is None or b is None:
        return a is None and b is None
    return not compare_policies(_normalize_policy(a), _normalize_policy(b))


def statements_equal(a, b):
    """Whether two statements are semantically the same (see policies_equal)."""
    return not compare_policies(_normalize_statement(a), _normalize_statement(b), default_version=None)


# ---------------------------------------------------------------------------
# OIDC provider / issuer
# ---------------------------------------------------------------------------


def issuer_host_path(issuer_url):
    """``https://oidc.eks.REGION.amazonaws.com/id/ABC`` -> ``oidc.eks.REGION.amazonaws.com/id/ABC``.

    Also accepts the value already stripped. A trailing slash is dropped.
    """
    if not isinstance(issuer_url, str) or not issuer_url.strip():
        raise TrustPolicyError("OIDC issuer URL must be a non-empty string, got %r" % (issuer_url,))
    value = issuer_url.strip()
    lowered = value.lower()
    if lowered.startswith("https://"):
        value = value[len("https://"):]
    elif "://" in value:
        raise TrustPolicyError("OIDC issuer URL must use https://, got %r" % issuer_url)
    value = value.rstrip("/")
    if not value or not _ISSUER_RE.match(value):
        raise TrustPolicyError("%r is not a valid OIDC issuer URL" % issuer_url)
    return value


def oidc_provider_arn(partition, account_id, issuer_url):
    """ARN of the IAM OIDC identity provider registered for a cluster issuer."""
    try:
        validate_partition(partition)
        account_id = validate_account_id(account_id)
    except ArnError as e:
        raise TrustPolicyError(str(e))
    return "arn:%s:iam::%s:oidc-provider/%s" % (partition, account_id, issuer_host_path(issuer_url))


def _provider_issuer(provider_arn):
    """The issuer host/path an OIDC provider ARN refers to, or None."""
    if not isinstance(provider_arn, str) or not provider_arn.startswith("arn:"):
        return None
    parsed = parse_aws_arn(provider_arn)
    if not parsed or parsed.get("service") != "iam" or parsed.get("resource_type") != "oidc-provider":
        return None
    return parsed.get("resource_id")


# ---------------------------------------------------------------------------
# IRSA statements
# ---------------------------------------------------------------------------


def service_account_subject(namespace, name):
    return "%s%s:%s" % (SA_SUBJECT_PREFIX, namespace, name)


def _has_wildcard(value):
    return any(w in value for w in _WILDCARDS)


def validate_namespace(namespace, allow_pattern=False):
    """Kubernetes namespace: an RFC 1123 DNS label (at most 63 characters)."""
    return _validate_k8s_name(namespace, "namespace", _DNS1123_LABEL_RE, 63, "an RFC 1123 label", allow_pattern)


def validate_service_account_name(name, allow_pattern=False):
    """Kubernetes service account name: an RFC 1123 DNS subdomain (at most 253 characters)."""
    return _validate_k8s_name(name, "service account name", _DNS1123_SUBDOMAIN_RE, 253, "an RFC 1123 subdomain", allow_pattern)


def _validate_k8s_name(value, what, regex, max_len, kind, allow_pattern):
    if not isinstance(value, str) or not value:
        raise TrustPolicyError("%s must be a non-empty string, got %r" % (what, value))
    if len(value) > max_len:
        raise TrustPolicyError("%s %r is longer than %d characters" % (what, value, max_len))
    if _has_wildcard(value):
        if not allow_pattern:
            raise TrustPolicyError(
                "%s %r contains a wildcard (* or ?); wildcards trust every matching service account "
                "and need sub_pattern=true (StringLike)" % (what, value)
            )
        if not _PATTERN_CHARS_RE.match(value):
            raise TrustPolicyError(
                "%s pattern %r may contain only lowercase letters, digits, '-', '.', '*' and '?'" % (what, value)
            )
        return value
    if not regex.match(value):
        raise TrustPolicyError(
            "%s %r is not %s: lowercase letters, digits and '-'%s, starting and ending with a letter or digit"
            % (what, value, kind, " and '.'" if "subdomain" in kind else "")
        )
    return value


def irsa_statement(provider_arn, issuer, namespace, service_account, audience=DEFAULT_AUDIENCE, sub_pattern=False):
    """The trust statement letting one service account assume the role.

    ``issuer`` may be the issuer URL or its host/path; it must be the issuer
    the provider ARN was registered for. A wildcard in the namespace or name
    is refused unless ``sub_pattern`` is true, in which case ``sub`` is
    matched with ``StringLike`` (``aud`` always stays ``StringEquals``).
    Without a wildcard ``StringEquals`` is used even with ``sub_pattern``.
    """
    issuer = issuer_host_path(issuer)
    provider_issuer = _provider_issuer(provider_arn)
    if provider_issuer is None:
        raise TrustPolicyError(
            "%r is not an IAM OIDC provider ARN (arn:PARTITION:iam::ACCOUNT:oidc-provider/ISSUER)" % (provider_arn,)
        )
    if provider_issuer != issuer:
        raise TrustPolicyError(
            "OIDC provider %s is for issuer %s, not %s" % (provider_arn, provider_issuer, issuer)
        )
    validate_namespace(namespace, allow_pattern=sub_pattern)
    validate_service_account_name(service_account, allow_pattern=sub_pattern)
    if not isinstance(audience, str) or not audience:
        raise TrustPolicyError("audience must be a non-empty string, got %r" % (audience,))
    subject = service_account_subject(namespace, service_account)
    sub_operator = "StringLike" if _has_wildcard(subject) else "StringEquals"
    condition = {"StringEquals": {"%s:aud" % issuer: audience}}
    condition.setdefault(sub_operator, {})["%s:sub" % issuer] = subject
    return {
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn},
        "Action": WEB_IDENTITY_ACTION,
        "Condition": condition,
    }


def _actions_allow(statement, action):
    for pattern in _as_list(statement.get("Action")):
        if isinstance(pattern, str) and fnmatch.fnmatchcase(action.lower(), pattern.lower()):
            return True
    return False


def _federated(statement):
    principal = statement.get("Principal")
    if not isinstance(principal, dict):
        return []
    return [p for p in _as_list(principal.get("Federated")) if isinstance(p, str)]


def _is_web_identity_allow(statement):
    return (
        isinstance(statement, dict)
        and statement.get("Effect") == "Allow"
        and "NotPrincipal" not in statement
        and "NotAction" not in statement
        and _actions_allow(statement, WEB_IDENTITY_ACTION)
        and bool(_federated(statement))
    )


def _sub_values(statement, issuer):
    """[(operator, key, [values])] for the ``<issuer>:sub`` keys of a statement."""
    found = []
    condition = statement.get("Condition") or {}
    if not isinstance(condition, dict):
        return found
    wanted = ("%s:sub" % issuer).lower()
    for operator in _SUB_OPERATORS:
        block = condition.get(operator)
        if not isinstance(block, dict):
            continue
        for key, value in block.items():
            if isinstance(key, str) and key.lower() == wanted:
                found.append((operator, key, [v for v in _as_list(value) if isinstance(v, str)]))
    return found


def trusted_service_accounts(policy):
    """[(provider_arn, issuer, "system:serviceaccount:NS:NAME"), ...] trusted by a policy.

    Only ``Allow`` statements for ``sts:AssumeRoleWithWebIdentity`` with a
    federated OIDC provider principal count; the subject comes from a
    ``StringEquals`` or ``StringLike`` ``<issuer>:sub`` condition (a
    ``StringLike`` pattern is returned as written). Duplicates are dropped,
    order is kept.
    """
    result = []
    for statement in statements(policy):
        if not _is_web_identity_allow(statement):
            continue
        for provider in _federated(statement):
            issuer = _provider_issuer(provider)
            if issuer is None:
                continue
            for _operator, _key, values in _sub_values(statement, issuer):
                for value in values:
                    if not value.startswith(SA_SUBJECT_PREFIX):
                        continue
                    item = (provider, issuer, value)
                    if item not in result:
                        result.append(item)
    return result


def _condition_sets(statement):
    """{(operator, lowercased key): set(values)} of a statement's Condition."""
    result = {}
    condition = statement.get("Condition") or {}
    if not isinstance(condition, dict):
        return None
    for operator, block in condition.items():
        if not isinstance(block, dict):
            return None
        for key, value in block.items():
            result[(operator, str(key).lower())] = set(str(v) for v in _as_list(value))
    return result


def statement_covers(existing, wanted):
    """Whether ``existing`` already grants everything ``wanted`` grants, and no more restrictively.

    True when both are Allow statements, existing has every action and
    principal of wanted, and exactly the same condition keys, each with a
    superset of wanted's values (IAM ORs the values of one key). Extra
    condition keys make ``existing`` stricter, so it does not cover.
    """
    if not isinstance(existing, dict) or not isinstance(wanted, dict):
        return False
    if statements_equal(existing, wanted):
        return True
    for key in ("NotAction", "NotPrincipal", "NotResource"):
        if key in existing or key in wanted:
            return False
    if existing.get("Effect") != "Allow" or wanted.get("Effect") != "Allow":
        return False
    for action in _as_list(wanted.get("Action")):
        if not _actions_allow(existing, action):
            return False
    wanted_principal = wanted.get("Principal")
    existing_principal = existing.get("Principal")
    if not isinstance(wanted_principal, dict) or not isinstance(existing_principal, dict):
        return False
    for ptype, values in wanted_principal.items():
        if not set(_as_list(values)) <= set(_as_list(existing_principal.get(ptype))):
            return False
    existing_cond = _condition_sets(existing)
    wanted_cond = _condition_sets(wanted)
    if existing_cond is None or wanted_cond is None:
        return False
    if set(existing_cond) != set(wanted_cond):
        return False
    return all(wanted_cond[k] <= existing_cond[k] for k in wanted_cond)


def merge_statement(policy, statement):
    """Add ``statement`` to ``policy`` unless it is already granted.

    Returns ``(new_policy, changed)``; the input is never modified. ``policy``
    may be None (a new trust policy is made), a dict or a (URL-encoded) JSON
    string. An existing statement that is semantically equal, or that covers
    the new one (same principal/action/condition keys with superset values,
    e.g. a ``sub`` list already naming the service account), counts as
    present.

    Choice: a second service account of the same OIDC provider is added as a
    separate statement instead of being folded into an existing ``sub`` list.
    Each statement then stands for exactly one subject (what eksctl and the
    AWS guide write), and removing one subject later cannot loosen the
    conditions another subject relies on.
    """
    if not isinstance(statement, dict):
        raise TrustPolicyError("statement must be a dict, got %s" % type(statement).__name__)
    if policy is None:
        return {"Version": POLICY_VERSION, "Statement": [copy.deepcopy(statement)]}, True
    new_policy = load_policy(policy)
    # The deny left by closed_policy() would override the new grant.
    stmts = [s for s in statements(new_policy) if s.get("Sid") != CLOSED_SID]
    new_policy.setdefault("Version", POLICY_VERSION)
    for existing in stmts:
        if statement_covers(existing, statement):
            new_policy["Statement"] = stmts
            return new_policy, False
    stmts.append(copy.deepcopy(statement))
    new_policy["Statement"] = stmts
    return new_policy, True


def remove_service_account(policy, provider_arn, issuer, namespace, name):
    """Stop trusting one service account.

    The exact subject ``system:serviceaccount:NS:NAME`` is removed from the
    ``<issuer>:sub`` values of web-identity statements of ``provider_arn``.
    A statement left with no value for a ``sub`` key is removed as a whole:
    dropping only the key would trust every service account of the cluster.
    (A statement naming several federated providers is removed too; IAM
    evaluates its conditions together, so no narrower edit is safe.)

    Returns ``(new_policy, changed, remaining_statement_count)``.
    """
    issuer = issuer_host_path(issuer)
    subject = service_account_subject(namespace, name)
    new_policy = load_policy(policy) if policy is not None else {"Version": POLICY_VERSION, "Statement": []}
    kept = []
    changed = False
    for statement in statements(new_policy):
        if not _is_web_identity_allow(statement) or provider_arn not in _federated(statement):
            kept.append(statement)
            continue
        matches = _sub_values(statement, issuer)
        if not any(subject in values for _op, _key, values in matches):
            kept.append(statement)
            continue
        changed = True
        statement = copy.deepcopy(statement)
        drop = False
        for operator, key, values in matches:
            remaining = [v for v in values if v != subject]
            if not remaining:
                drop = True
                break
            original = statement["Condition"][operator][key]
            statement["Condition"][operator][key] = remaining if isinstance(original, list) or len(remaining) > 1 else remaining[0]
        if not drop:
            kept.append(statement)
    new_policy["Statement"] = kept
    new_policy.setdefault("Version", POLICY_VERSION)
    return new_policy, changed, len(kept)


def closed_policy(provider_arn):
    """A trust policy that lets nobody assume the role through ``provider_arn``.

    IAM rejects a trust policy without statements, so a role that no longer
    trusts any service account (and is not ours to delete) gets this
    explicit deny instead of an empty statement list.
    """
    return {
        "Version": POLICY_VERSION,
        "Statement": [{
            "Sid": CLOSED_SID,
            "Effect": "Deny",
            "Principal": {"Federated": provider_arn},
            "Action": WEB_IDENTITY_ACTION,
        }],
    }


# ---------------------------------------------------------------------------
# SSO cluster creator
# ---------------------------------------------------------------------------


def assume_role_statement(principal_role_arn):
    """Statement letting exactly one IAM role call ``sts:AssumeRole``.

    Used for the cluster-creator role of the SSO blog, whose trust policy
    names the ``AWSReservedSSO_*`` role by its full ARN including the
    ``/aws-reserved/sso.amazonaws.com/[REGION/]`` path. The blog's empty
    ``"Condition": {}`` is omitted (it has no effect; comparisons here ignore
    it). Account roots, wildcards, non-role ARNs and an SSO role ARN without
    its path (the form aws-auth uses, which IAM rejects as a principal) are
    refused.
    """
    if not isinstance(principal_role_arn, str) or not principal_role_arn.startswith("arn:"):
        raise TrustPolicyError("principal must be an IAM role ARN, got %r" % (principal_role_arn,))
    if _has_wildcard(principal_role_arn):
        raise TrustPolicyError("principal role ARN %r must not contain wildcards" % principal_role_arn)
    try:
        parsed = require_role_arn(principal_role_arn)
    except ArnError as e:
        raise TrustPolicyError(str(e))
    if is_sso_role_name(parsed.name) and not parsed.path.startswith(SSO_PATH_PREFIX):
        raise TrustPolicyError(
            "%r names an IAM Identity Center role without its path; use "
            "arn:%s:iam::%s:role%s[REGION/]%s (see the role's Arn in IAM)"
            % (principal_role_arn, parsed.partition, parsed.account_id, SSO_PATH_PREFIX, parsed.name)
        )
    return {
        "Effect": "Allow",
        "Principal": {"AWS": principal_role_arn},
        "Action": ASSUME_ROLE_ACTION,
    }


def remove_aws_principals(policy, predicate):
    """Stop trusting the ``Principal.AWS`` entries for which ``predicate(arn)`` is true.

    Only ``Allow`` statements are edited. A matching principal is taken out of
    the statement's ``AWS`` list; a statement left with no principal at all
    is removed (an empty principal is invalid, and widening it is never
    right). ``Deny`` statements and every other principal type stay as they
    are. Used to drop the trust of an IAM Identity Center role whose hash
    changed when its permission set was provisioned again.

    Returns ``(new_policy, removed_arns, remaining_statement_count)``; the
    input is never modified.
    """
    new_policy = load_policy(policy) if policy is not None else {"Version": POLICY_VERSION, "Statement": []}
    kept = []
    removed = []
    for statement in statements(new_policy):
        principal = statement.get("Principal") if isinstance(statement, dict) else None
        if statement.get("Effect") != "Allow" or not isinstance(principal, dict) or "AWS" not in principal:
            kept.append(statement)
            continue
        values = _as_list(principal["AWS"])
        drop = [v for v in values if isinstance(v, str) and predicate(v)]
        if not drop:
            kept.append(statement)
            continue
        removed.extend(v for v in drop if v not in removed)
        left = [v for v in values if v not in drop]
        statement = copy.deepcopy(statement)
        if left:
            statement["Principal"]["AWS"] = left if isinstance(principal["AWS"], list) or len(left) > 1 else left[0]
        else:
            del statement["Principal"]["AWS"]
        if statement["Principal"]:
            kept.append(statement)
    new_policy["Statement"] = kept
    new_policy.setdefault("Version", POLICY_VERSION)
    return new_policy, removed, len(kept)


# ---------------------------------------------------------------------------
# EKS Pod Identity
# ---------------------------------------------------------------------------

POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"
TAG_SESSION_ACTION = "sts:TagSession"
# EKS Pod Identity assumes the role with both; without sts:TagSession the
# agent's AssumeRole (which always sets session tags) is denied.
POD_IDENTITY_ACTIONS = (ASSUME_ROLE_ACTION, TAG_SESSION_ACTION)


def pod_identity_statement():
    """The trust statement letting EKS Pod Identity assume a role (AWS's documented one)."""
    return {
        "Effect": "Allow",
        "Principal": {"Service": POD_IDENTITY_SERVICE},
        "Action": list(POD_IDENTITY_ACTIONS),
    }


def _names_pod_identity(statement):
    principal = statement.get("Principal") if isinstance(statement, dict) else None
    if principal == "*":
        return False  # a public trust is not what this check is about; it never counts as ours
    if not isinstance(principal, dict):
        return False
    return POD_IDENTITY_SERVICE in [p for p in _as_list(principal.get("Service")) if isinstance(p, str)]


def pod_identity_trust_gaps(policy):
    """``(missing, denied)``: the Pod Identity actions no Allow statement grants ``pods.eks.amazonaws.com``,
    and those a Deny statement for it refuses. Both empty: the role is usable through Pod Identity.

    A condition on the Allow statement (``aws:SourceAccount``, ``aws:SourceArn``)
    still counts as a grant: it narrows which clusters may use the role, which
    the caller chose.
    """
    missing = []
    denied = []
    stmts = statements(policy)
    for action in POD_IDENTITY_ACTIONS:
        relevant = [s for s in stmts if _names_pod_identity(s) and "NotAction" not in s and _actions_allow(s, action)]
        if any(s.get("Effect") == "Deny" for s in relevant):
            denied.append(action)
        elif not any(s.get("Effect") == "Allow" for s in relevant):
            missing.append(action)
    return missing, denied
