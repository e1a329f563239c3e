# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's one definition of IAM/STS ARNs: partitions, account IDs, names, SSO roles,
and how aws-iam-authenticator compares ARNs (:func:`match_key`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ansible_collections.eks.access.plugins.module_utils.errors import InvalidInput

# Every partition IAM exists in. aws-iam-authenticator v0.6.13 recognises the
# first seven (aws-sdk-go's endpoint list); aws-eusc is newer.
PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc")

# \Z, not $: "$" also matches before a trailing newline.
_ACCOUNT_RE = re.compile(r"^[0-9]{12}\Z", re.ASCII)
# IAM names: letters, digits and +=,.@_- (role/user names), 1..128 chars.
_NAME_RE = re.compile(r"^[\w+=,.@-]{1,128}\Z", re.ASCII)
# Path elements share the name alphabet; the path is "/" or "/a/b/".
_PATH_RE = re.compile(r"^/(?:[\w+=,.@-]+/)*\Z", re.ASCII)
# IAM limits a path to 512 characters.
MAX_PATH_LENGTH = 512

# IAM Identity Center (SSO) provisions AWSReservedSSO_<PermissionSet>_<hash> roles under this path
# (or under <path><region>/ when Identity Center lives outside us-east-1).
SSO_PATH_PREFIX = "/aws-reserved/sso.amazonaws.com/"
SSO_ROLE_PREFIX = "AWSReservedSSO_"

# Resource types aws-iam-authenticator can identify a caller as
# (pkg/arn.Canonicalize); everything else is parsed but never matches.
IAM_RESOURCE_TYPES = ("role", "user", "group", "root", "oidc-provider",
                      "saml-provider", "instance-profile", "policy")
STS_RESOURCE_TYPES = ("assumed-role", "federated-user")


class ArnError(InvalidInput, ValueError):
    """An ARN is malformed or not usable where it was given."""


def match_key(arn):
    """The form in which aws-iam-authenticator compares an ARN: lower-cased.

    The authenticator keys mapRoles/mapUsers by ``strings.ToLower(arn)`` and
    looks the caller's canonical ARN up the same way
    (pkg/mapper/configmap/configmap.go and mapper.go), so two ARNs that differ
    only in case are one identity to the cluster.  Go's ToLower maps each rune
    to one rune; Python's ``lower()`` can map one character to two (U+0130),
    which such a character is left as.  Every ARN comparison in the
    collection goes through this function.
    """
    if not isinstance(arn, str):
        return ""
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in arn)


def same_arn(first, second):
    """Whether the authenticator takes two ARNs for the same identity."""
    return isinstance(first, str) and isinstance(second, str) and match_key(first) == match_key(second)


def partition_of(arn):
    """The partition of an ARN (``aws``, ``aws-cn``...), or None when it is not an ARN."""
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        return None
    parts = arn.split(":", 2)
    return parts[1] if len(parts) == 3 and parts[1] else None


@dataclass(frozen=True)
class IamArn:
    partition: str
    service: str
    account_id: str
    resource_type: str
    path: str
    name: str
    # Only set for assumed-role ARNs: the role session name.
    session_name: str = ""

    def to_dict(self):
        return {
            "partition": self.partition,
            "service": self.service,
            "account_id": self.account_id,
            "resource_type": self.resource_type,
            "path": self.path,
            "name": self.name,
            "session_name": self.session_name,
        }


def validate_account_id(account_id):
    """Return the account ID as a 12-digit string or raise ArnError.

    Integers are accepted because YAML/Jinja often turn IDs into ints; an int
    that lost leading zeros cannot be recovered, so it must still be 12 digits.
    """
    if isinstance(account_id, bool):
        raise ArnError("AWS account ID must be 12 digits, got %r" % (account_id,))
    if isinstance(account_id, int):
        account_id = str(account_id)
    if not isinstance(account_id, str) or not _ACCOUNT_RE.match(account_id):
        raise ArnError("AWS account ID must be exactly 12 digits, got %r" % (account_id,))
    return account_id


def require_role_arn(arn):
    """Parse ``arn`` and insist it is an IAM role ARN; returns the IamArn."""
    try:
        parsed = parse_iam_arn(arn)
    except ArnError:
        parsed = None
    if parsed is None or parsed.service != "iam" or parsed.resource_type != "role":
        raise ArnError("%r is not an IAM role ARN (arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME)" % (arn,))
    return parsed


def parse_iam_arn(arn):
    """Parse an IAM or STS principal ARN.

    Returns an IamArn. Raises ArnError naming the problem.
    """
    if not isinstance(arn, str) or not arn:
        raise ArnError("ARN must be a non-empty string, got %r" % (arn,))
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise ArnError("%r is not an ARN (expected arn:PARTITION:iam::ACCOUNT:RESOURCE)" % arn)
    partition, service, region, account, resource = parts[1:]
    if partition not in PARTITIONS:
        raise ArnError("ARN %r has unknown partition %r (expected one of %s)"
                       % (arn, partition, ", ".join(PARTITIONS)))
    if service not in ("iam", "sts"):
        raise ArnError("ARN %r has service %r; only iam and sts principals can be mapped" % (arn, service))
    if region:
        raise ArnError("ARN %r must not contain a region; IAM ARNs are global" % arn)
    try:
        validate_account_id(account)
    except ArnError:
        raise ArnError("ARN %r has invalid account ID %r (must be exactly 12 digits)" % (arn, account))

    if service == "iam" and resource == "root":
        return IamArn(partition, service, account, "root", "/", "")

    if "/" not in resource:
        raise ArnError("ARN %r has no resource name (expected TYPE/NAME)" % arn)
    rtype, rest = resource.split("/", 1)

    if service == "sts":
        if rtype not in STS_RESOURCE_TYPES:
            raise ArnError("ARN %r has unsupported sts resource %r" % (arn, rtype))
        if rtype == "assumed-role":
            # arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION (STS drops role paths).
            pieces = rest.split("/")
            if len(pieces) < 2 or not all(pieces):
                raise ArnError("assumed-role ARN %r must look like assumed-role/ROLE/SESSION" % arn)
            return IamArn(partition, service, account, rtype, "/", "/".join(pieces[:-1]), pieces[-1])
        if not rest or "/" in rest:
            raise ArnError("federated-user ARN %r must look like federated-user/NAME" % arn)
        return IamArn(partition, service, account, rtype, "/", rest)

    if rtype not in IAM_RESOURCE_TYPES:
        raise ArnError("ARN %r has unsupported iam resource type %r" % (arn, rtype))
    if rtype == "oidc-provider" or rtype == "saml-provider":
        # Provider "names" are URLs/paths, no IAM path semantics.
        if not rest:
            raise ArnError("ARN %r has an empty %s name" % (arn, rtype))
        return IamArn(partition, service, account, rtype, "/", rest)
    idx = rest.rfind("/")
    path, name = "/" + rest[:idx + 1], rest[idx + 1:]
    if not _NAME_RE.match(name):
        raise ArnError("ARN %r has invalid %s name %r" % (arn, rtype, name))
    if not _PATH_RE.match(path):
        raise ArnError("ARN %r has invalid path %r" % (arn, path))
    if len(path) > MAX_PATH_LENGTH:
        raise ArnError("ARN %r has a path of %d characters; IAM paths have at most %d"
                       % (arn, len(path), MAX_PATH_LENGTH))
    return IamArn(partition, service, account, rtype, path, name)


def validate_partition(partition):
    """Return ``partition`` when IAM exists in it, else raise ArnError."""
    if partition not in PARTITIONS:
        raise ArnError("unknown AWS partition %r (expected one of %s)" % (partition, ", ".join(PARTITIONS)))
    return partition


def role_arn(partition, account, name, path="/"):
    """Build an IAM role ARN."""
    validate_partition(partition)
    account = validate_account_id(account)
    if not path.startswith("/") or not path.endswith("/"):
        raise ArnError("role path must start and end with '/', got %r" % (path,))
    arn = "arn:%s:iam::%s:role%s%s" % (partition, account, path, name)
    parse_iam_arn(arn)  # validates name and path
    return arn


def strip_role_path(arn):
    """Return (arn_without_path, stripped).

    aws-iam-authenticator matches the caller's STS identity, whose
    assumed-role ARN never carries the role path, so a pathful rolearn in
    mapRoles never matches. Non-role ARNs are returned unchanged.
    """
    parsed = parse_iam_arn(arn)
    if parsed.service != "iam" or parsed.resource_type != "role" or parsed.path == "/":
        return arn, False
    return "arn:%s:iam::%s:role/%s" % (parsed.partition, parsed.account_id, parsed.name), True


def is_sso_reserved_role(name_or_arn):
    """True for IAM Identity Center (SSO) roles, given a role name or ARN."""
    if not isinstance(name_or_arn, str):
        return False
    if name_or_arn.startswith("arn:"):
        try:
            parsed = parse_iam_arn(name_or_arn)
        except ArnError:
            return False
        if parsed.resource_type != "role":
            return False
        return is_sso_role_name(parsed.name) and (
            parsed.path == "/" or parsed.path.startswith(SSO_PATH_PREFIX))
    return is_sso_role_name(name_or_arn)


def is_sso_role_name(name):
    """Whether a role name has Identity Center's prefix, compared the authenticator's way."""
    return match_key(name).startswith(match_key(SSO_ROLE_PREFIX))


def assumed_role_to_role_arn(arn):
    """Turn an STS assumed-role ARN into the IAM role ARN (no path)."""
    parsed = parse_iam_arn(arn)
    if parsed.resource_type != "assumed-role":
        raise ArnError("%r is not an assumed-role ARN" % (arn,))
    return "arn:%s:iam::%s:role/%s" % (parsed.partition, parsed.account_id, parsed.name)


def classify_for_aws_auth(kind, arn):
    """Check that ``arn`` may go into aws-auth section ``kind``.

    kind is "mapRoles" or "mapUsers". Returns the IamArn. Raises ArnError
    whose message carries both the reason and the fix.
    """
    parsed = parse_iam_arn(arn)
    rtype = parsed.resource_type
    if rtype == "group":
        raise ArnError(
            "%r is an IAM group: IAM groups cannot be mapped; map a role the "
            "group's users assume, or each user" % arn)
    if rtype == "assumed-role":
        raise ArnError(
            "%r is an STS assumed-role session ARN; use the role ARN %r instead"
            % (arn, assumed_role_to_role_arn(arn)))
    if kind == "mapRoles":
        if rtype == "role":
            return parsed
        if rtype in ("user", "root", "federated-user"):
            raise ArnError("%r is not a role ARN; put it under mapUsers (userarn) instead" % arn)
    elif kind == "mapUsers":
        # root and federated-user are the caller's canonical ARN as the
        # authenticator sees it, so they can be mapped like users.
        if rtype in ("user", "root", "federated-user"):
            return parsed
        if rtype == "role":
            raise ArnError("%r is a role ARN; put it under mapRoles (rolearn) instead" % arn)
    else:
        raise ArnError("unknown aws-auth section %r" % (kind,))
    raise ArnError("%r is an IAM %s, which cannot authenticate to Kubernetes; "
                   "map a role or user instead" % (arn, rtype))
