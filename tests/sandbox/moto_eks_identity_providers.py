# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""EKS OIDC identity provider configs for moto, which has none.

``install(authentication_configs, ca_file)`` adds to moto's EKS service in
this process (see moto_eks_common.py):

* ``AssociateIdentityProviderConfig``, ``DisassociateIdentityProviderConfig``,
  ``DescribeIdentityProviderConfig``, ``ListIdentityProviderConfigs``
  (paginated), each association or disassociation answering an update
  (``AssociateIdentityProviderConfig`` / ``DisassociateIdentityProviderConfig``)
  that ``DescribeUpdate`` knows;
* ``TagResource`` / ``UntagResource`` / ``ListTagsForResource`` on an
  ``identityproviderconfig`` ARN.

EKS's rules, answered with its error codes: the cluster must exist
(``ResourceNotFoundException``); one OIDC identity provider config per
cluster (another one: ``InvalidRequestException``; the same name again:
``ResourceInUseException``); the issuer URL must be ``https://`` with a host
and no query or fragment, the client ID is required, the username and groups
prefixes may not start with ``system:``, required claims keys are 1..63 and
values 1..253 characters (``InvalidParameterException``); the type is
``oidc``; a config that is being disassociated cannot be disassociated again
(``ResourceInUseException``).  A config is ``CREATING`` until its
association update is read once (then ``ACTIVE``), and ``DELETING`` until its
disassociation update is read (then it is gone); a config is immutable: EKS
has no call to change it, only its tags.

What the cluster's API server trusts follows the associations: for a cluster
with a real API server, ``authentication_configs`` names the file of its
``--authentication-config`` (a structured AuthenticationConfiguration, which
kube-apiserver reloads when it changes). Associating writes the config's JWT
authenticator there (issuer URL and CA, client ID as the audience, the
username and groups claims with their prefixes as EKS applies them, the
required claims), disassociating writes an empty list again, so a token of the
provider is accepted exactly while the config is associated.
"""

from __future__ import annotations

import copy
import json
import os
import re
import threading
import uuid
from urllib.parse import urlsplit

import moto_eks_common as common
from moto.core.responses import ActionResult
from moto.core.utils import utcnow

_LOCK = threading.RLock()
_CONFIGS = {}   # (account, region, cluster) -> {name: config dict}
_UPDATES = {}   # (account, region, cluster, update id) -> (update dict, what to finish)
_AUTH_FILES = {}  # (region, cluster) -> path of the API server's --authentication-config
_CA = {"pem": None}

OIDC = "oidc"
MAX_TAGS = common.MAX_TAGS
_NAME_RE = re.compile(r"^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}\Z")
RESERVED_PREFIX = "system:"
EMPTY_CONFIG = {"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AuthenticationConfiguration", "jwt": []}


def _error(code, message, cluster=None):
    return common.eks_error(code, message, clusterName=cluster)


def _key(response, cluster_name):
    common.cluster_of(response, cluster_name)
    return common.state_key(response, cluster_name)


def _check_request(oidc, cluster_name):
    if not isinstance(oidc, dict):
        raise _error("InvalidParameterException", "oidc is required.", cluster_name)
    for field in ("identityProviderConfigName", "issuerUrl", "clientId"):
        if not oidc.get(field):
            raise _error("InvalidParameterException", "%s is required." % field, cluster_name)
    if not _NAME_RE.match(oidc["identityProviderConfigName"]):
        raise _error("InvalidParameterException",
                     "identityProviderConfigName must start with a letter or digit and contain only letters, "
                     "digits, - and _ (at most 100 characters).", cluster_name)
    url = urlsplit(oidc["issuerUrl"])
    if url.scheme != "https" or not url.hostname or url.query or url.fragment:
        raise _error("InvalidParameterException",
                     "issuerUrl must be an https URL with a host and no query or fragment.", cluster_name)
    for field in ("usernamePrefix", "groupsPrefix"):
        if (oidc.get(field) or "").startswith(RESERVED_PREFIX):
            raise _error("InvalidParameterException", "%s cannot start with %s" % (field, RESERVED_PREFIX),
                         cluster_name)
    for key, value in (oidc.get("requiredClaims") or {}).items():
        if not 1 <= len(key) <= 63 or not 1 <= len(value or "") <= 253:
            raise _error("InvalidParameterException",
                         "requiredClaims keys must be 1 to 63 characters and values 1 to 253.", cluster_name)


def _identity_arg(response, cluster_name):
    config = response._get_param("identityProviderConfig") or {}
    if config.get("type") != OIDC:
        raise _error("InvalidParameterException", "The only supported identity provider type is oidc.",
                     cluster_name)
    if not config.get("name"):
        raise _error("InvalidParameterException", "identityProviderConfig.name is required.", cluster_name)
    return config["name"]


def _config(response, cluster_name, name):
    config = _CONFIGS.get(_key(response, cluster_name), {}).get(name)
    if config is None:
        raise _error("ResourceNotFoundException", "Identity provider config %s not found for cluster %s." % (
            name, cluster_name), cluster_name)
    return config


def _public(config):
    return {k: copy.deepcopy(v) for k, v in config.items() if not k.startswith("_")}


def _update(key, kind, name, now):
    update = {"id": str(uuid.uuid4()), "status": "InProgress", "type": kind, "createdAt": now, "errors": [],
              "params": [{"type": "IdentityProviderConfig",
                          "value": json.dumps([{"type": OIDC, "name": name}])}]}
    _UPDATES[key + (update["id"],)] = update
    return update


# --------------------------------------------------------------------------- the API server's trust

def jwt_authenticator(config):
    """The kube-apiserver JWT authenticator of an associated config, with EKS's defaults for the claims."""
    username_claim = config.get("usernameClaim") or "sub"
    username_prefix = config.get("usernamePrefix")
    if username_prefix is None:  # as the API server's OIDC flags: issuer# unless the claim is email
        username_prefix = "" if username_claim == "email" else config["issuerUrl"] + "#"
    elif username_prefix == "-":
        username_prefix = ""
    issuer = {"url": config["issuerUrl"], "audiences": [config["clientId"]]}
    if _CA["pem"]:
        issuer["certificateAuthority"] = _CA["pem"]
    mappings = {"username": {"claim": username_claim, "prefix": username_prefix}}
    if config.get("groupsClaim"):
        mappings["groups"] = {"claim": config["groupsClaim"], "prefix": config.get("groupsPrefix") or ""}
    authenticator = {"issuer": issuer, "claimMappings": mappings}
    rules = [{"claim": k, "requiredValue": v} for k, v in sorted((config.get("requiredClaims") or {}).items())]
    if rules:
        authenticator["claimValidationRules"] = rules
    return authenticator


def write_authentication_config(region, cluster_name, configs):
    """Rewrite the cluster's --authentication-config with the associated configs (no-op without an API server)."""
    target = _AUTH_FILES.get((region, cluster_name))
    if target is None:
        return
    document = dict(EMPTY_CONFIG, jwt=[jwt_authenticator(c) for c in configs if c["status"] != "DELETING"])
    tmp = target + ".tmp"
    with open(tmp, "w") as f:
        json.dump(document, f, indent=2)
    # In place (the API server watches the file itself, not its directory).
    with open(tmp) as source, open(target, "w") as f:
        f.write(source.read())
    os.unlink(tmp)


def _sync(response, cluster_name):
    key = common.state_key(response, cluster_name)
    write_authentication_config(response.region, cluster_name, list(_CONFIGS.get(key, {}).values()))


# --------------------------------------------------------------------------- handlers

def associate_identity_provider_config(self):
    cluster_name = self._get_param("name")
    oidc = self._get_param("oidc")
    tags = self._get_param("tags") or {}
    with _LOCK:
        key = _key(self, cluster_name)
        _check_request(oidc, cluster_name)
        if len(tags) > MAX_TAGS:
            raise _error("InvalidParameterException", "A resource can have at most %d tags." % MAX_TAGS, cluster_name)
        existing = _CONFIGS.setdefault(key, {})
        name = oidc["identityProviderConfigName"]
        if name in existing:
            raise _error("ResourceInUseException", "Identity provider config %s is already associated with cluster "
                         "%s." % (name, cluster_name), cluster_name)
        if existing:
            raise _error("InvalidRequestException",
                         "Cluster %s already has an identity provider config (%s); a cluster can have only one."
                         % (cluster_name, ", ".join(sorted(existing))), cluster_name)
        now = utcnow()
        account, region = self.current_account, self.region
        arn = "arn:%s:eks:%s:%s:identityproviderconfig/%s/oidc/%s/%s" % (
            "aws-cn" if region.startswith("cn-") else "aws", region, account, cluster_name, name, uuid.uuid4())
        config = {"identityProviderConfigName": name, "identityProviderConfigArn": arn, "clusterName": cluster_name,
                  "issuerUrl": oidc["issuerUrl"], "clientId": oidc["clientId"],
                  "requiredClaims": dict(oidc.get("requiredClaims") or {}), "tags": dict(tags), "status": "CREATING"}
        for field in ("usernameClaim", "usernamePrefix", "groupsClaim", "groupsPrefix"):
            if oidc.get(field) is not None:
                config[field] = oidc[field]
        existing[name] = config
        update = _update(key, "AssociateIdentityProviderConfig", name, now)
        _sync(self, cluster_name)
        return ActionResult({"update": dict(update), "tags": dict(tags)})


def disassociate_identity_provider_config(self):
    cluster_name = self._get_param("name")
    with _LOCK:
        key = _key(self, cluster_name)
        name = _identity_arg(self, cluster_name)
        config = _config(self, cluster_name, name)
        if config["status"] == "DELETING":
            raise _error("ResourceInUseException", "Identity provider config %s is being disassociated." % name,
                         cluster_name)
        config["status"] = "DELETING"
        update = _update(key, "DisassociateIdentityProviderConfig", name, utcnow())
        _sync(self, cluster_name)
        return ActionResult({"update": dict(update)})


def describe_identity_provider_config(self):
    cluster_name = self._get_param("name")
    with _LOCK:
        name = _identity_arg(self, cluster_name)
        return ActionResult({"identityProviderConfig": {OIDC: _public(_config(self, cluster_name, name))}})


def list_identity_provider_configs(self):
    cluster_name = self._get_param("name")
    with _LOCK:
        key = _key(self, cluster_name)
        names = sorted(_CONFIGS.get(key, {}))
    return common.paged("identityProviderConfigs", [{"type": OIDC, "name": n} for n in names], self)


def describe_update(self, previous):
    name = self._get_param("name")
    update_id = self._get_param("updateId")
    with _LOCK:
        key = common.state_key(self, name)
        update = _UPDATES.get(key + (update_id,))
        if update is None or self._get_param("addonName") or self._get_param("nodegroupName"):
            return previous() if previous is not None else None
        if update["status"] == "InProgress":
            update["status"] = "Successful"  # applied at once; the first poll sees it done
            config_name = json.loads(update["params"][0]["value"])[0]["name"]
            configs = _CONFIGS.get(key, {})
            if update["type"] == "AssociateIdentityProviderConfig" and config_name in configs:
                configs[config_name]["status"] = "ACTIVE"
            elif update["type"] == "DisassociateIdentityProviderConfig":
                configs.pop(config_name, None)
        return ActionResult({"update": dict(update)})


_PATHS = (
    "{0}/clusters/(?P<name>[^/]+)/identity-provider-configs$",
    "{0}/clusters/(?P<name>[^/]+)/identity-provider-configs/associate$",
    "{0}/clusters/(?P<name>[^/]+)/identity-provider-configs/disassociate$",
    "{0}/clusters/(?P<name>[^/]+)/identity-provider-configs/describe$",
)


def install(authentication_configs=None, ca_file=None):
    """Register the identity provider calls; ``authentication_configs``: {(region, cluster): file}."""
    _AUTH_FILES.update(authentication_configs or {})
    if ca_file:
        with open(ca_file) as f:
            _CA["pem"] = f.read()
    common.register({
        "associate_identity_provider_config": associate_identity_provider_config,
        "disassociate_identity_provider_config": disassociate_identity_provider_config,
        "describe_identity_provider_config": describe_identity_provider_config,
        "list_identity_provider_configs": list_identity_provider_configs,
    }, _PATHS)
    tagging = common.tag_handlers(_CONFIGS, "identityProviderConfigArn", ":identityproviderconfig/", _LOCK)
    for name, handler in zip(("describe_update", "tag_resource", "untag_resource", "list_tags_for_resource"),
                             (describe_update,) + tagging):
        common.chain(name, handler)
