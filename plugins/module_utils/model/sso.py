# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers to find the IAM role IAM Identity Center (SSO) made for a permission set.

IAM Identity Center provisions one role per permission set and account,
named ``AWSReservedSSO_<PermissionSetName>_<hash>`` with the path
``/aws-reserved/sso.amazonaws.com/`` (or ``/aws-reserved/sso.amazonaws.com/<region>/``
when Identity Center lives outside us-east-1). The hash is 16 lowercase hex
characters in practice (the SSO blog shows ``4ffa4321e413c0b0``); any
non-empty lowercase hex run is accepted.

Two ARNs matter: IAM trust policies need the ARN *with* the path, aws-auth
``mapRoles`` needs it *without* the path (aws-iam-authenticator compares
against the path-less ARN it derives from the STS assumed-role ARN).
"""

from __future__ import annotations

import re

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn

from ansible_collections.eks.access.plugins.module_utils.model import trust_policy
from ansible_collections.eks.access.plugins.module_utils.model.arn import PARTITIONS
from ansible_collections.eks.access.plugins.module_utils.model.arn import SSO_PATH_PREFIX
from ansible_collections.eks.access.plugins.module_utils.model.arn import SSO_ROLE_PREFIX
from ansible_collections.eks.access.plugins.module_utils.model.arn import ArnError
from ansible_collections.eks.access.plugins.module_utils.model.arn import match_key
from ansible_collections.eks.access.plugins.module_utils.model.arn import parse_iam_arn
from ansible_collections.eks.access.plugins.module_utils.model.arn import same_arn
from ansible_collections.eks.access.plugins.module_utils.errors import InvalidInput
from ansible_collections.eks.access.plugins.module_utils.model.irsa import MANAGED_BY_VALUE
from ansible_collections.eks.access.plugins.module_utils.model.irsa import TAG_MANAGED_BY

# Permission set names: 1..32 of [\w+=,.@-] (sso-admin CreatePermissionSet).
_PERMISSION_SET_RE = re.compile(r"^[\w+=,.@-]{1,32}\Z")
# arn:PARTITION:sso:::permissionSet/ssoins-ID/ps-ID (moto spells it instance/ssoins-ID/ps-ID).
_PARTITION = "(%s)" % "|".join(re.escape(p) for p in PARTITIONS)
_PERMISSION_SET_ARN_RE = re.compile(
    r"^arn:%s:sso:::(?:permissionSet|instance)/(ssoins-[0-9a-zA-Z]+)/(ps-[0-9a-zA-Z]+)\Z" % _PARTITION)
_INSTANCE_ARN_RE = re.compile(r"^arn:%s:sso:::instance/(ssoins-[0-9a-zA-Z]+)\Z" % _PARTITION)
_TEMPLATE_RE = re.compile(r"\{\{[^}]*\}\}")
_SSO_PATH_RE = re.compile(r"^/aws-reserved/sso\.amazonaws\.com/(?:([a-z]{2}(?:-[a-z]+)+-[0-9]+)/)?\Z")


class SsoRoleError(InvalidInput, ValueError):
    """No, or more than one, SSO role matches a permission set (or bad input).

    The module result carries the SSO roles that exist and those that matched.
    """

    def __init__(self, msg, existing=None, matches=None):
        self.existing = list(existing or [])
        self.matches = list(matches or [])
        super().__init__(msg, existing_sso_roles=self.existing, matching_roles=self.matches)


def _get(role, *keys):
    """Read a role field from ListRoles (``RoleName``) or snake_cased (``role_name``) dicts."""
    for key in keys:
        if key in role and role[key] is not None:
            return role[key]
    return None


def _role_name(role):
    return _get(role, "RoleName", "role_name")


def _role_path(role):
    return _get(role, "Path", "path")


def _role_arn(role):
    return _get(role, "Arn", "arn")


def validate_permission_set_name(permission_set_name):
    if not isinstance(permission_set_name, str) or not _PERMISSION_SET_RE.match(permission_set_name):
        raise SsoRoleError(
            "permission set name must be 1-32 characters of letters, digits and +=,.@_-, got %r"
            % (permission_set_name,)
        )
    return permission_set_name


def sso_role_name_pattern(permission_set_name):
    """Compiled regex matching exactly the role names of one permission set.

    ``Admin`` matches ``AWSReservedSSO_Admin_0123456789abcdef`` but neither
    ``AWSReservedSSO_AdminReadOnly_...`` nor ``AWSReservedSSO_Admin_Extra_...``.
    """
    validate_permission_set_name(permission_set_name)
    return re.compile(r"^%s%s_[0-9a-f]+$" % (re.escape(SSO_ROLE_PREFIX), re.escape(permission_set_name)))


def is_sso_path(path):
    """Whether an IAM path is Identity Center's (global or regional)."""
    return isinstance(path, str) and bool(_SSO_PATH_RE.match(path))


def sso_path_region(path):
    """The region segment of an Identity Center role path, or None."""
    m = _SSO_PATH_RE.match(path or "")
    return m.group(1) if m else None


def is_sso_role(role):
    name = _role_name(role)
    return isinstance(name, str) and name.startswith(SSO_ROLE_PREFIX) and is_sso_path(_role_path(role))


def match_permission_set_roles(roles, permission_set_name):
    """The roles (IAM ListRoles dicts) made by Identity Center for one permission set, in input order."""
    pattern = sso_role_name_pattern(permission_set_name)
    return [r for r in roles or [] if is_sso_role(r) and pattern.match(_role_name(r))]


def select_sso_role(roles, permission_set_name):
    """The single role of a permission set; raises SsoRoleError otherwise.

    The error lists every ``AWSReservedSSO_*`` role present when none matches,
    or the matching roles when there is more than one.
    """
    matches = match_permission_set_roles(roles, permission_set_name)
    if len(matches) == 1:
        return matches[0]
    existing = sorted(_role_name(r) for r in roles or [] if is_sso_role(r))
    if not matches:
        raise SsoRoleError(
            "no IAM Identity Center role for permission set %r (expected %s%s_<hash> under %s); "
            "is the permission set provisioned to this account? Existing SSO roles: %s"
            % (
                permission_set_name,
                SSO_ROLE_PREFIX,
                permission_set_name,
                SSO_PATH_PREFIX,
                ", ".join(existing) if existing else "none",
            ),
            existing=existing,
        )
    names = [_role_name(r) for r in matches]
    raise SsoRoleError(
        "%d IAM Identity Center roles match permission set %r: %s; Identity Center keeps one role per "
        "permission set and account, so all but one are left over from an earlier provisioning: delete the "
        "stale role(s) from IAM, or map the wanted role ARN with eks.access.aws_auth_mapping"
        % (len(matches), permission_set_name, ", ".join(names)),
        existing=existing,
        matches=names,
    )


def sso_role_arns(role):
    """``{"arn": ARN with path, "aws_auth_arn": ARN without path, "region": path region or None}``."""
    arn = _role_arn(role)
    parsed = parse_aws_arn(arn) if isinstance(arn, str) and arn.startswith("arn:") else None
    if not parsed or parsed.get("service") != "iam" or parsed.get("resource_type") != "role":
        raise SsoRoleError("%r is not an IAM role ARN" % (arn,))
    resource_id = parsed["resource_id"]
    name = _role_name(role) or resource_id.rsplit("/", 1)[-1]
    path = _role_path(role)
    if path is None:
        path = "/" + resource_id[: -len(name)] if "/" in resource_id else "/"
    return {
        "arn": arn,
        "aws_auth_arn": "arn:%s:iam::%s:role/%s" % (parsed["partition"], parsed["account_id"], name),
        "region": sso_path_region(path),
    }


def permission_set_name_from_describe(response):
    """The permission set name from an sso-admin DescribePermissionSet response.

    Accepts the whole response (``{"PermissionSet": {...}}``) or its inner
    ``PermissionSet`` dict, in either CamelCase or snake_case.
    """
    if not isinstance(response, dict):
        raise SsoRoleError("DescribePermissionSet response must be a dict, got %r" % (response,))
    inner = _get(response, "PermissionSet", "permission_set")
    if inner is None:
        inner = response
    name = _get(inner, "Name", "name") if isinstance(inner, dict) else None
    if not isinstance(name, str) or not name:
        raise SsoRoleError("DescribePermissionSet response has no PermissionSet.Name")
    return name


# ---------------------------------------------------------------------------
# Permission sets (sso-admin)
# ---------------------------------------------------------------------------


def parse_permission_set_arn(permission_set_arn):
    """``{"partition", "instance_arn", "permission_set_id"}`` of a permission set ARN.

    The instance is part of the ARN (``permissionSet/ssoins-.../ps-...``), so
    ``instance_arn`` does not have to be given separately.
    """
    m = _PERMISSION_SET_ARN_RE.match(permission_set_arn or "") if isinstance(permission_set_arn, str) else None
    if not m:
        raise SsoRoleError(
            "%r is not a permission set ARN (arn:aws:sso:::permissionSet/ssoins-ID/ps-ID)" % (permission_set_arn,))
    return {
        "partition": m.group(1),
        "instance_arn": "arn:%s:sso:::instance/%s" % (m.group(1), m.group(2)),
        "permission_set_id": m.group(3),
    }


def validate_instance_arn(instance_arn):
    if not isinstance(instance_arn, str) or not _INSTANCE_ARN_RE.match(instance_arn):
        raise SsoRoleError(
            "%r is not an IAM Identity Center instance ARN (arn:aws:sso:::instance/ssoins-ID)" % (instance_arn,))
    return instance_arn


def instance_for(permission_set_arn=None, instance_arn=None):
    """The instance ARN to call sso-admin with, from either input; they must agree when both are given."""
    if instance_arn is not None:
        validate_instance_arn(instance_arn)
    if permission_set_arn is None:
        return instance_arn
    derived = parse_permission_set_arn(permission_set_arn)["instance_arn"]
    if instance_arn is not None and instance_arn != derived:
        raise SsoRoleError(
            "permission set %s belongs to instance %s, not to instance_arn %s" % (permission_set_arn, derived, instance_arn))
    return derived


def find_permission_set(described, permission_set_name):
    """The permission set called ``permission_set_name`` among DescribePermissionSet results.

    ``described`` is a list of responses or inner ``PermissionSet`` dicts. Raises
    SsoRoleError naming the permission sets the instance has when there is none.
    """
    validate_permission_set_name(permission_set_name)
    names = []
    for response in described or []:
        inner = _get(response, "PermissionSet", "permission_set") or response
        name = permission_set_name_from_describe(inner)
        if name == permission_set_name:
            return {"Name": name, "PermissionSetArn": _get(inner, "PermissionSetArn", "permission_set_arn")}
        names.append(name)
    raise SsoRoleError(
        "the IAM Identity Center instance has no permission set named %r; it has: %s"
        % (permission_set_name, ", ".join(sorted(names)) if names else "none"))


# ---------------------------------------------------------------------------
# aws-auth and trust policies: every role of one permission set, any hash
# ---------------------------------------------------------------------------


def is_permission_set_role_arn(role_arn, permission_set_name, account_id):
    """Whether ``role_arn`` names a role of the permission set in ``account_id``, whatever its hash.

    The path may be Identity Center's (as in IAM and trust policies) or absent
    (as in aws-auth). Anything that is not an IAM role ARN is not.
    """
    try:
        parsed = parse_iam_arn(match_key(role_arn))
    except ArnError:
        return False
    if parsed.service != "iam" or parsed.resource_type != "role" or parsed.account_id != account_id:
        return False
    # Compared the authenticator's way (lower-cased): a mapping spelled in another case still grants access.
    return bool(_mapping_name_pattern(permission_set_name).match(parsed.name)) and (
        parsed.path == "/" or is_sso_path(parsed.path))


def _mapping_name_pattern(permission_set_name):
    validate_permission_set_name(permission_set_name)
    prefix = re.escape(match_key(SSO_ROLE_PREFIX) + match_key(permission_set_name))
    return re.compile(r"^%s_[0-9a-f]+\Z" % prefix)


def permission_set_mappings(map_roles, permission_set_name, account_id):
    """The ``rolearn`` of every mapRoles entry for the permission set in the account, in order."""
    found = []
    for entry in map_roles or []:
        role_arn = entry.get("rolearn") if isinstance(entry, dict) else None
        if isinstance(role_arn, str) and is_permission_set_role_arn(role_arn, permission_set_name, account_id):
            if role_arn not in found:
                found.append(role_arn)
    return found


def stale_mappings(map_roles, permission_set_name, account_id, role_name):
    """mapRoles ARNs of the permission set whose role is not ``role_name`` (an earlier hash)."""
    return [a for a in permission_set_mappings(map_roles, permission_set_name, account_id)
            if match_key(a.rsplit("/", 1)[-1]) != match_key(role_name)]


def default_username(permission_set_name):
    """The Kubernetes username used when the task gives none: fixed, one per permission set."""
    return "sso:%s" % validate_permission_set_name(permission_set_name)


def username_warnings(username):
    """Warnings for a username made only of template variables (no fixed prefix)."""
    if isinstance(username, str) and username and not _TEMPLATE_RE.sub("", username):
        return ["username %r has no fixed part: whoever controls the session name controls the Kubernetes "
                "username, which could then collide with another user's; add a prefix such as %r"
                % (username, "sso:" + username)]
    return []


CREATOR_TAG_PERMISSION_SET = "eks.access/sso-permission-set"


def creator_ownership_tags(permission_set_name):
    """IAM tags marking a cluster-creator role as created by eks.access for one permission set."""
    return {TAG_MANAGED_BY: MANAGED_BY_VALUE, CREATOR_TAG_PERMISSION_SET: validate_permission_set_name(permission_set_name)}


def plan_creator_trust(policy, sso_role_arn, permission_set_name, account_id):
    """Trust policy of the cluster-creator role, letting ``sso_role_arn`` (with its path) assume it.

    Other roles of the same permission set in the same account (an earlier
    hash) are no longer trusted; every other statement is kept. ``policy``
    None means the role does not exist yet. Returns
    ``(new_policy, changed, removed_principals)``.
    """
    statement = trust_policy.assume_role_statement(sso_role_arn)
    removed = []
    if policy is not None:
        def stale(principal):
            return not same_arn(principal, sso_role_arn) and is_permission_set_role_arn(principal, permission_set_name, account_id)

        policy, removed, _remaining = trust_policy.remove_aws_principals(policy, stale)
    new_policy, added = trust_policy.merge_statement(policy, statement)
    return new_policy, bool(added or removed), removed


def plan_creator_trust_removal(policy, permission_set_name, account_id):
    """Stop trusting every role of the permission set in the account.

    Returns ``(new_policy, removed_principals, remaining_statement_count)``.
    """
    return trust_policy.remove_aws_principals(
        policy, lambda principal: is_permission_set_role_arn(principal, permission_set_name, account_id))
