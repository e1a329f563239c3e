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

SSO_PATH_PREFIX = "/aws-reserved/sso.amazonaws.com/"
SSO_ROLE_PREFIX = "AWSReservedSSO_"

# Permission set names: 1..32 of [\w+=,.@-] (sso-admin CreatePermissionSet).
_PERMISSION_SET_RE = re.compile(r"^[\w+=,.@-]{1,32}$")
_SSO_PATH_RE = re.compile(r"^/aws-reserved/sso\.amazonaws\.com/(?:([a-z]{2}(?:-[a-z]+)+-[0-9]+)/)?$")


class SsoRoleError(ValueError):
    """No, or more than one, SSO role matches a permission set (or bad input)."""

    def __init__(self, msg, existing=None, matches=None):
        super().__init__(msg)
        self.existing = list(existing or [])
        self.matches = list(matches or [])


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
        "%d IAM Identity Center roles match permission set %r: %s; pass the role ARN explicitly"
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
