# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""OIDC identity provider configs of an EKS cluster as plain data: EKS's rules, the plan, the diff.

Pure: no boto3, no I/O.  services/identity_providers.py reads and writes;
runners/eks_identity_provider_config.py feeds this module what it read.

EKS keeps at most one OIDC identity provider config per cluster, and a config
cannot be changed once associated (there is no update call): only its tags
can.  Replacing one means disassociating it and associating the new one, a
window in which its users cannot sign in, so the plan does it only when the
task says ``replace``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import urlsplit

from ansible_collections.eks.access.plugins.module_utils import errors

OIDC = "oidc"
RESERVED_PREFIX = "system:"
_NAME_RE = re.compile(r"^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}\Z")
# (option, EKS field) of what a config is made of; none can change in place.
IMMUTABLE = (("issuer_url", "issuerUrl"), ("client_id", "clientId"), ("username_claim", "usernameClaim"),
             ("username_prefix", "usernamePrefix"), ("groups_claim", "groupsClaim"),
             ("groups_prefix", "groupsPrefix"), ("required_claims", "requiredClaims"))
DELETING = "DELETING"


@dataclass(frozen=True)
class ProviderConfig:
    """One OIDC identity provider config; ``None`` in a wanted config means "not given"."""

    name: str
    issuer_url: str = None
    client_id: str = None
    username_claim: str = None
    username_prefix: str = None
    groups_claim: str = None
    groups_prefix: str = None
    required_claims: dict = None
    tags: dict = None
    arn: str = field(default=None, compare=False)
    status: str = field(default=None, compare=False)

    def to_request(self) -> dict:
        request = {"identityProviderConfigName": self.name}
        for option, key in IMMUTABLE:
            value = getattr(self, option)
            if value is not None and value != {}:
                request[key] = dict(value) if isinstance(value, dict) else value
        return request

    def to_result(self) -> dict:
        result = {"name": self.name, "arn": self.arn, "status": self.status, "tags": dict(self.tags or {})}
        for option, _key in IMMUTABLE:
            value = getattr(self, option)
            result[option] = dict(value) if isinstance(value, dict) else value
        if result["required_claims"] is None:
            result["required_claims"] = {}
        return result


def from_api(oidc: dict) -> ProviderConfig:
    """A ProviderConfig of DescribeIdentityProviderConfig's ``identityProviderConfig.oidc``."""
    values = {option: oidc.get(key) for option, key in IMMUTABLE}
    values["required_claims"] = dict(oidc.get("requiredClaims") or {})
    return ProviderConfig(name=oidc["identityProviderConfigName"], tags=dict(oidc.get("tags") or {}),
                          arn=oidc.get("identityProviderConfigArn"), status=oidc.get("status"), **values)


# --------------------------------------------------------------------------- rules


def check_name(name) -> str:
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise errors.InvalidInput(
            "name %r must start with a letter or digit and hold only letters, digits, - and _ (at most 100)" % (name,))
    return name


def check_wanted(config: ProviderConfig) -> ProviderConfig:
    """InvalidInput, in one sentence, for what EKS would refuse in an association."""
    check_name(config.name)
    if config.issuer_url is not None:
        url = urlsplit(config.issuer_url)
        if url.scheme != "https" or not url.hostname or url.query or url.fragment:
            raise errors.InvalidInput(
                "issuer_url %r must be an https URL with a host and no query or fragment (the level above "
                ".well-known/openid-configuration, equal to the iss claim of the provider's ID tokens)"
                % config.issuer_url)
    if config.client_id is not None and not config.client_id:
        raise errors.InvalidInput("client_id must not be empty; it is the audience (aud) of the ID tokens")
    for option in ("username_prefix", "groups_prefix"):
        value = getattr(config, option)
        if value and value.startswith(RESERVED_PREFIX):
            raise errors.InvalidInput("%s %r starts with %r, which Kubernetes reserves; choose another prefix such "
                                      "as 'oidc:'" % (option, value, RESERVED_PREFIX))
    for key, value in (config.required_claims or {}).items():
        if not isinstance(key, str) or not 1 <= len(key) <= 63:
            raise errors.InvalidInput("required_claims: the claim name %r must be 1 to 63 characters" % (key,))
        if not isinstance(value, str) or not 1 <= len(value) <= 253:
            raise errors.InvalidInput("required_claims: the value of %s must be a string of 1 to 253 characters"
                                      % key)
    return config


def immutable_differences(current: ProviderConfig, wanted: ProviderConfig) -> list:
    """``[(option, current value, wanted value)]`` for what the task gives and the config has otherwise."""
    found = []
    for option, _key in IMMUTABLE:
        want = getattr(wanted, option)
        if want is None:
            continue
        have = getattr(current, option)
        if option == "required_claims":
            have = have or {}
        if have != want:
            found.append((option, have, want))
    return found


# --------------------------------------------------------------------------- plan


@dataclass
class Plan:
    action: str  # associate, disassociate, replace, tag, none
    disassociate: list = field(default_factory=list)  # names, first
    associate: ProviderConfig = None  # then this one
    tag: dict = field(default_factory=dict)
    untag: list = field(default_factory=list)
    before: ProviderConfig = None
    after: ProviderConfig = None

    @property
    def changed(self) -> bool:
        return self.action != "none"


def plan(current: list, wanted: ProviderConfig, state: str, cluster_name: str, replace: bool = False,
         purge_tags: bool = True) -> Plan:
    """The changes from the cluster's ``current`` configs to the task's ``wanted`` one."""
    by_name = {config.name: config for config in current}
    existing = by_name.get(wanted.name)
    others = [config for config in current if config.name != wanted.name and config.status != DELETING]
    if state == "absent":
        if existing is None or existing.status == DELETING:
            return Plan("none", before=existing)
        return Plan("disassociate", disassociate=[existing.name], before=existing)

    if existing is not None and existing.status == DELETING:
        raise errors.Conflict(
            "OIDC identity provider config %s of cluster %s is being disassociated; re-run the task once it is "
            "gone. Nothing was changed." % (wanted.name, cluster_name))
    if existing is None or others:
        if others and not replace:
            raise errors.Refused(
                "Cluster %s already has the OIDC identity provider config %s, and EKS allows one per cluster; "
                "disassociate it first (state: absent, name: %s), or set replace: true to disassociate it and "
                "associate %s (its users cannot sign in meanwhile). Nothing was changed." % (
                    cluster_name, others[0].name, others[0].name, wanted.name))
        if wanted.issuer_url is None or wanted.client_id is None:
            raise errors.InvalidInput(
                "issuer_url and client_id are required to associate OIDC identity provider config %s" % wanted.name)
        new = _complete(wanted)
        doomed = [config.name for config in others] + ([existing.name] if existing is not None else [])
        return Plan("replace" if doomed else "associate", disassociate=doomed, associate=new,
                    before=existing or (others[0] if others else None), after=new)

    differences = immutable_differences(existing, wanted)
    if differences:
        if not replace:
            said = "; ".join("%s is %r, the task wants %r" % d for d in differences)
            raise errors.Refused(
                "OIDC identity provider config %s of cluster %s cannot change in place (%s): EKS has no update for "
                "an associated config, so replacing it means disassociating it and associating it again, and its "
                "users cannot sign in meanwhile; set replace: true to do that. Nothing was changed." % (
                    wanted.name, cluster_name, said))
        merged = _merge(existing, wanted, purge_tags)
        return Plan("replace", disassociate=[existing.name], associate=merged, before=existing, after=merged)

    after = _merge(existing, wanted, purge_tags)
    tag = {k: v for k, v in (after.tags or {}).items() if (existing.tags or {}).get(k) != v}
    untag = sorted(k for k in (existing.tags or {}) if k not in (after.tags or {}))
    return Plan("tag" if tag or untag else "none", tag=tag, untag=untag, before=existing, after=after)


def _complete(wanted: ProviderConfig) -> ProviderConfig:
    return ProviderConfig(wanted.name, wanted.issuer_url, wanted.client_id, wanted.username_claim,
                          wanted.username_prefix, wanted.groups_claim, wanted.groups_prefix,
                          dict(wanted.required_claims or {}), dict(wanted.tags or {}))


def _merge(current: ProviderConfig, wanted: ProviderConfig, purge_tags: bool) -> ProviderConfig:
    values = {}
    for option, _key in IMMUTABLE:
        want = getattr(wanted, option)
        values[option] = getattr(current, option) if want is None else want
    if wanted.tags is None:
        tags = dict(current.tags or {})
    elif purge_tags:
        tags = dict(wanted.tags)
    else:
        tags = dict(current.tags or {}, **wanted.tags)
    return ProviderConfig(current.name, tags=tags, arn=current.arn, status=current.status, **values)


def render(config: ProviderConfig) -> str:
    if config is None:
        return ""
    lines = ["%s:" % config.name]
    for option, _key in IMMUTABLE:
        value = getattr(config, option)
        if option == "required_claims":
            for key, claim in sorted((value or {}).items()):
                lines.append("  required claim %s: %s" % (key, claim))
        elif value is not None:
            lines.append("  %s: %s" % (option, value))
    for key, value in sorted((config.tags or {}).items()):
        lines.append("  tag %s: %s" % (key, value))
    return "\n".join(lines) + "\n"


def diff(plan_: Plan, cluster_name: str) -> dict:
    header = "cluster %s OIDC identity provider config" % cluster_name
    after = plan_.after if plan_.action != "disassociate" else None
    return {"before_header": header, "after_header": header, "before": render(plan_.before), "after": render(after)}
