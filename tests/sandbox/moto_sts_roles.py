# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""STS AssumeRole as STS decides who may assume what, for moto, which lets anyone assume anything.

moto's ``AssumeRole`` (and ``AssumeRoleWithWebIdentity``, ``AssumeRoleWithSAML``)
hands out credentials for any ARN, even of a role that does not exist, or of
a role named without its path.  Real STS refuses both with ``AccessDenied``
(HTTP 403): a role ARN names one role exactly, path included (IAM role names
are unique whatever their case, so only the name's case may differ).

``install()`` wraps moto's three STS handlers with that check; the role is
looked up in the IAM backend of the ARN's account.  Trust policies are still
not evaluated (no test relies on a refusal for that).
"""

from __future__ import annotations

import re

_ROLE_ARN_RE = re.compile(r"^arn:(?P<partition>[a-z-]+):iam::(?P<account>\d{12}):role/(?P<path_name>.+)$")
ACTIONS = {"assume_role": "sts:AssumeRole", "assume_role_with_web_identity": "sts:AssumeRoleWithWebIdentity",
           "assume_role_with_saml": "sts:AssumeRoleWithSAML"}


def role_exists(role_arn, roles_of_account):
    """Whether ``role_arn`` names a role of ``roles_of_account(account, partition)`` exactly (path included).

    ``roles_of_account`` yields ``(path, name)`` pairs.  The name compares
    case-insensitively (IAM keeps one role per name whatever its case), the
    path exactly.
    """
    match = _ROLE_ARN_RE.match(role_arn or "")
    if not match:
        return False
    path_name = match.group("path_name")
    path, _slash, name = path_name.rpartition("/")
    path = "/" + path + "/" if path else "/"
    for role_path, role_name in roles_of_account(match.group("account"), match.group("partition")):
        if role_path == path and role_name.lower() == name.lower():
            return True
    return False


def _moto_roles(account, partition):
    from moto.iam.models import iam_backends

    try:
        backend = iam_backends[account][partition]
    except KeyError:
        return []
    return [(role.path or "/", role.name) for role in backend.roles.values()]


def refusal(handler_self, action, role_arn):
    """moto's AccessDenied (HTTP 403) naming the caller, as STS words it."""
    from moto.core.exceptions import AccessDeniedError

    caller = "anonymous"
    if action == "sts:AssumeRole":
        caller = handler_self.backend.get_caller_identity(handler_self.get_access_key(), handler_self.region)[1]
    return AccessDeniedError(caller, "%s on resource: %s" % (action, role_arn))


def install():
    from moto.sts.responses import TokenResponse

    for method, action in ACTIONS.items():
        original = getattr(TokenResponse, method)
        if getattr(original, "_sandbox_checks_role", False):
            continue

        def checked(self, _original=original, _action=action):
            role_arn = self._get_param("RoleArn")
            if not role_exists(role_arn, _moto_roles):
                raise refusal(self, _action, role_arn)
            return _original(self)

        checked._sandbox_checks_role = True
        setattr(TokenResponse, method, checked)
