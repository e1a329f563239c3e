# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""EKS access entries, access policies and authentication modes for moto, which has none.

``install()`` adds to moto's EKS service in this process (see moto_eks_common.py):

* ``CreateAccessEntry``, ``DescribeAccessEntry``, ``UpdateAccessEntry``,
  ``DeleteAccessEntry``, ``ListAccessEntries`` (paginated, ``associatedPolicyArn``
  filter);
* ``AssociateAccessPolicy``, ``DisassociateAccessPolicy``,
  ``ListAssociatedAccessPolicies``, ``ListAccessPolicies``;
* ``accessConfig`` on ``CreateCluster`` / ``DescribeCluster``, and
  ``UpdateClusterConfig(accessConfig={authenticationMode})`` with its one-way
  rule, answering an ``AccessConfigUpdate`` that ``DescribeUpdate`` and
  ``ListUpdates`` know. By default the new mode is in force at once and the
  first DescribeUpdate says ``Successful``; a cluster reset with
  ``modeUpdateSeconds`` (sandbox only) takes that long, as EKS does: the
  update is ``InProgress``, the cluster ``UPDATING`` and the old mode in force
  until it ends, and another UpdateClusterConfig meanwhile is refused
  (``ResourceInUseException``).

EKS's checks live in eks_access_rules.py and answer with EKS's error codes.
What EKS does on its own, modelled here:

* a cluster created in ``API`` or ``API_AND_CONFIG_MAP`` with
  ``bootstrapClusterCreatorAdminPermissions`` (the default) gets an access
  entry for its creator (an assumed role becomes its IAM role) with
  ``AmazonEKSClusterAdminPolicy`` at cluster scope; so does a ``CONFIG_MAP``
  cluster when it moves to ``API_AND_CONFIG_MAP``;
* managed node groups' node roles get an ``EC2_LINUX`` entry when their
  cluster is (or moves to) an ``API`` mode, as EKS does instead of writing
  aws-auth;
* an entry is bound to the principal's unique ID (RoleId / UserId) when the
  principal is in this moto: a principal deleted and created again under the
  same ARN no longer matches, as on EKS;
* DeleteAccessEntry removes the entry's associations; DeleteCluster its entries;
* a CreateAccessEntry repeated with the same ``clientRequestToken`` (what
  botocore sends again when it retries) answers the entry it created.

``access_state(account, region, cluster)`` is what the token authenticator
and the authorizer stand-in read (moto_launcher.py serves it on
``/_sandbox/eks/access/<region>/<cluster>``).
"""

from __future__ import annotations

import copy
import threading
import uuid
from urllib.parse import unquote

import eks_access_rules as rules
import moto_eks_common as common
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow

_LOCK = threading.RLock()
_ENTRIES = {}   # (account, region, cluster) -> {principalArn: entry dict (with "policies": {arn: association})}
_UPDATES = {}   # (account, region, cluster, update id) -> update dict
_CLUSTERS = {}  # (account, region, cluster) -> {"creator": arn, "principal_id": id, "mode_update_seconds": s}

ENTRY_FIELDS = ("clusterName", "principalArn", "kubernetesGroups", "accessEntryArn", "createdAt", "modifiedAt",
                "tags", "username", "type")


# --------------------------------------------------------------------------- helpers

def _raise(refusal, cluster=None):
    raise common.eks_error(refusal.code, refusal.message, clusterName=cluster)


def _partition(response):
    return common.partition(response.region)


def _access_config(cluster):
    if getattr(cluster, "access_config", None) is None:
        cluster.access_config = {"authenticationMode": rules.DEFAULT_AUTHENTICATION_MODE,
                                 "bootstrapClusterCreatorAdminPermissions": True}
    return cluster.access_config


def _api_cluster(response, name):
    """The cluster, when its mode allows access entry calls (else InvalidRequestException)."""
    cluster = common.cluster_of(response, name)
    if _access_config(cluster)["authenticationMode"] == "CONFIG_MAP":
        raise common.eks_error(rules.INVALID_REQUEST, rules.MSG_MODE_REFUSES_ENTRIES, clusterName=name)
    return cluster


def _principal_arg(response):
    return unquote(response._get_param("principalArn") or "")


def _entry(response, cluster_name, principal_arn):
    _api_cluster(response, cluster_name)
    entry = _ENTRIES.get(common.state_key(response, cluster_name), {}).get(principal_arn)
    if entry is None:
        raise common.eks_error(rules.NOT_FOUND, rules.MSG_ENTRY_NOT_FOUND, clusterName=cluster_name)
    return entry


def _public(entry):
    return {k: copy.deepcopy(entry[k]) for k in ENTRY_FIELDS if k in entry}


def _association_public(association):
    return {"policyArn": association["policyArn"], "accessScope": copy.deepcopy(association["accessScope"]),
            "associatedAt": association["associatedAt"], "modifiedAt": association["modifiedAt"]}


def principal_id(account, arn):
    """The unique ID (AROA... / AIDA...) of an IAM role or user known to this moto, else None."""
    from moto.iam.models import iam_backends

    try:
        principal = rules.parse_principal(arn)
    except rules.EksRefusal:
        return None
    backend = iam_backends.get(principal["account"], {}).get(principal["partition"])
    if backend is None:
        return None
    if principal["kind"] == "role":
        for role in list(backend.roles.values()):
            if role.arn == arn:
                return role.id
        return None
    for user in list(backend.users.values()):
        if user.arn == arn:
            return user.id
    return None


def caller_principal(response):
    """(IAM principal ARN, unique id) of the caller, as EKS records a cluster's creator."""
    from moto.sts.models import sts_backends

    sts = sts_backends[response.current_account]["global"]
    user_id, arn, account = sts.get_caller_identity(response.get_access_key(), response.region)
    if ":assumed-role/" in arn:
        role_name = arn.split(":assumed-role/", 1)[1].split("/")[0]
        assumed = sts.get_assumed_role_from_access_key(response.get_access_key())
        arn = assumed.role_arn if assumed is not None else "arn:%s:iam::%s:role/%s" % (
            _partition(response), account, role_name)
        user_id = user_id.split(":")[0]
    try:
        rules.parse_principal(arn)
    except rules.EksRefusal:  # moto's stand-in identity for keys it does not know
        return None, None
    return arn, user_id


def _put_entry(key, cluster_name, principal_arn, entry_type, username, groups, tags, region, account, now,
               pid=None):
    principal = rules.parse_principal(principal_arn)
    entry = {
        "clusterName": cluster_name, "principalArn": principal_arn, "kubernetesGroups": list(groups),
        "accessEntryArn": "arn:%s:eks:%s:%s:access-entry/%s/%s/%s/%s/%s" % (
            principal["partition"], region, account, cluster_name, principal["kind"], principal["account"],
            principal["name"], uuid.uuid4()),
        "createdAt": now, "modifiedAt": now, "tags": dict(tags or {}), "username": username, "type": entry_type,
        "principalId": pid if pid is not None else principal_id(account, principal_arn),
        "policies": {},
    }
    _ENTRIES.setdefault(key, {})[principal_arn] = entry
    return entry


def _associate(entry, arn, scope, now):
    association = entry["policies"].get(arn)
    if association is None:
        association = entry["policies"][arn] = {"policyArn": arn, "associatedAt": now}
    association["accessScope"] = scope
    association["modifiedAt"] = now
    return association


def _bootstrap(response, cluster, now):
    """What EKS sets up when a cluster's mode starts allowing access entries."""
    key = common.state_key(response, cluster.name)
    config = _access_config(cluster)
    entries = _ENTRIES.setdefault(key, {})
    creator = _CLUSTERS.get(key, {})
    if config["bootstrapClusterCreatorAdminPermissions"] and creator.get("arn") and creator["arn"] not in entries:
        principal = rules.parse_principal(creator["arn"])
        entry = _put_entry(key, cluster.name, creator["arn"], rules.STANDARD, rules.default_username(principal), [],
                           {}, response.region, response.current_account, now, creator.get("principal_id"))
        _associate(entry, rules.policy_arn(rules.CLUSTER_ADMIN_POLICY, principal["partition"]),
                   {"type": "cluster", "namespaces": []}, now)
    for nodegroup in list(cluster.nodegroups.values()):
        _node_role_entry(response, cluster, nodegroup.node_role, now)


def _node_role_entry(response, cluster, role_arn, now):
    key = common.state_key(response, cluster.name)
    if _access_config(cluster)["authenticationMode"] == "CONFIG_MAP" or role_arn in _ENTRIES.get(key, {}):
        return
    username, groups = rules.NODE_IDENTITIES["EC2_LINUX"]
    _put_entry(key, cluster.name, role_arn, "EC2_LINUX", username, groups, {}, response.region,
               response.current_account, now)


def _cluster_outside_a_request(account, region, cluster_name):
    from moto.eks.models import eks_backends

    try:
        return eks_backends[account][region].clusters.get(cluster_name)
    except KeyError:  # an account or region moto does not know
        return None


def access_state(account, region, cluster_name):
    """The cluster's authentication mode and entries with their policies (None: no such cluster)."""
    cluster = _cluster_outside_a_request(account, region, cluster_name)
    if cluster is None:
        return None
    with _LOCK:
        entries = []
        for entry in _ENTRIES.get((account, region, cluster_name), {}).values():
            entries.append({
                "principalArn": entry["principalArn"], "principalId": entry["principalId"], "type": entry["type"],
                "username": entry["username"], "kubernetesGroups": list(entry["kubernetesGroups"]),
                "policies": [{"policyArn": a["policyArn"], "accessScope": copy.deepcopy(a["accessScope"])}
                             for a in entry["policies"].values()],
            })
        return {"cluster": cluster_name, "region": region, "account": account,
                "authenticationMode": _access_config(cluster)["authenticationMode"], "accessEntries": entries}


def reset_cluster(account, region, cluster_name, mode=None, mode_update_seconds=0):
    """Sandbox only, no EKS call does this: put a cluster back to ``mode`` (default: the one it was created
    with) with the entries CreateCluster would have given it, so tests of the one-way mode switch can run
    again on a cluster with an API server; its mode updates take ``mode_update_seconds`` from now on (0: at
    once).  Returns access_state, or None for an unknown cluster."""
    cluster = _cluster_outside_a_request(account, region, cluster_name)
    if cluster is None:
        return None
    key = (account, region, cluster_name)
    with _LOCK:
        config = _access_config(cluster)
        created = _CLUSTERS.setdefault(key, {})
        mode = mode or created.get("mode") or config["authenticationMode"]
        if mode not in rules.AUTHENTICATION_MODES:
            raise rules.invalid("The authenticationMode %s is not valid." % mode)
        config["authenticationMode"] = mode
        created["mode_update_seconds"] = max(0.0, float(mode_update_seconds or 0))
        for update_key, update in _UPDATES.items():  # an update of the earlier state no longer applies
            if update_key[:3] == key and update["status"] == "InProgress":
                update["status"] = "Cancelled"
        cluster.status = "ACTIVE"
        _ENTRIES[key] = {}
        if mode != "CONFIG_MAP":
            _bootstrap(_Caller(account, region), cluster, utcnow())
    return access_state(account, region, cluster_name)


class _Caller:
    """What _bootstrap needs of a request, for calls made outside one."""

    def __init__(self, account, region):
        self.current_account = account
        self.region = region


# --------------------------------------------------------------------------- access entries

def create_access_entry(self):
    cluster_name = self._get_param("name")
    principal_arn = self._get_param("principalArn")
    with _LOCK:
        cluster = _api_cluster(self, cluster_name)
        key = common.state_key(self, cluster_name)
        existing = _ENTRIES.get(key, {}).get(principal_arn)
        token = self._get_param("clientRequestToken")
        if existing is not None and token and existing.get("clientRequestToken") == token:
            return ActionResult({"accessEntry": _public(existing)})  # a retry of the call that created it
        if existing is not None:
            raise common.eks_error(rules.IN_USE, rules.MSG_ENTRY_IN_USE, clusterName=cluster_name)
        try:
            entry_type, username, groups = rules.new_entry_fields(
                principal_arn, self._get_param("type"), self._get_param("username"),
                self._get_param("kubernetesGroups"), self.current_account)
        except rules.EksRefusal as e:
            _raise(e, cluster_name)
        pid = principal_id(self.current_account, principal_arn)
        if pid is None and rules.parse_principal(principal_arn)["account"] == self.current_account:
            raise common.eks_error(rules.INVALID_PARAMETER,
                                   "The specified principalArn %s does not exist in IAM." % principal_arn,
                                   clusterName=cluster_name)
        entry = _put_entry(key, cluster.name, principal_arn, entry_type, username, groups, self._get_param("tags"),
                           self.region, self.current_account, utcnow(), pid)
        entry["clientRequestToken"] = token
        return ActionResult({"accessEntry": _public(entry)})


def describe_access_entry(self):
    with _LOCK:
        entry = _entry(self, self._get_param("name"), _principal_arg(self))
        return ActionResult({"accessEntry": _public(entry)})


def update_access_entry(self):
    cluster_name = self._get_param("name")
    with _LOCK:
        entry = _entry(self, cluster_name, _principal_arg(self))
        try:
            username, groups = rules.updated_entry_fields(entry, self._get_param("username"),
                                                          self._get_param("kubernetesGroups"))
        except rules.EksRefusal as e:
            _raise(e, cluster_name)
        entry.update(username=username, kubernetesGroups=list(groups), modifiedAt=utcnow())
        return ActionResult({"accessEntry": _public(entry)})


def delete_access_entry(self):
    cluster_name = self._get_param("name")
    principal_arn = _principal_arg(self)
    with _LOCK:
        _entry(self, cluster_name, principal_arn)
        del _ENTRIES[common.state_key(self, cluster_name)][principal_arn]  # its associations go with it
    return EmptyResult()


def list_access_entries(self):
    cluster_name = self._get_param("name")
    wanted_policy = self._get_param("associatedPolicyArn")
    with _LOCK:
        _api_cluster(self, cluster_name)
        if wanted_policy:
            try:
                rules.policy_name(wanted_policy, _partition(self))
            except rules.EksRefusal as e:
                _raise(e, cluster_name)
        entries = _ENTRIES.get(common.state_key(self, cluster_name), {})
        arns = sorted(arn for arn, entry in entries.items() if not wanted_policy or wanted_policy in entry["policies"])
    return common.paged("accessEntries", arns, self)


# --------------------------------------------------------------------------- access policies

def associate_access_policy(self):
    cluster_name = self._get_param("name")
    principal_arn = _principal_arg(self)
    arn = self._get_param("policyArn")
    with _LOCK:
        entry = _entry(self, cluster_name, principal_arn)
        try:
            name = rules.policy_name(arn, _partition(self))
            rules.check_policy_for_entry(entry, name)
            scope = rules.check_access_scope(self._get_param("accessScope"))
        except rules.EksRefusal as e:
            _raise(e, cluster_name)
        association = _associate(entry, arn, scope, utcnow())
        return ActionResult({"clusterName": cluster_name, "principalArn": principal_arn,
                             "associatedAccessPolicy": _association_public(association)})


def disassociate_access_policy(self):
    cluster_name = self._get_param("name")
    arn = unquote(self._get_param("policyArn") or "")
    with _LOCK:
        entry = _entry(self, cluster_name, _principal_arg(self))
        if arn not in entry["policies"]:
            raise common.eks_error(rules.NOT_FOUND, "The specified policyArn %s is not associated with the access "
                                   "entry." % arn, clusterName=cluster_name)
        del entry["policies"][arn]
    return EmptyResult()


def list_associated_access_policies(self):
    cluster_name = self._get_param("name")
    principal_arn = _principal_arg(self)
    with _LOCK:
        entry = _entry(self, cluster_name, principal_arn)
        associations = [_association_public(a) for _arn, a in sorted(entry["policies"].items())]
    return common.paged("associatedAccessPolicies", associations, self, clusterName=cluster_name,
                        principalArn=principal_arn)


def list_access_policies(self):
    return common.paged("accessPolicies", rules.access_policies(_partition(self)), self)


# --------------------------------------------------------------------------- clusters

def create_cluster(self, previous):
    try:
        config = rules.check_create_access_config(self._get_param("accessConfig"))
    except rules.EksRefusal as e:
        _raise(e, self._get_param("name"))
    arn, pid = caller_principal(self)
    result = previous()
    name = self._get_param("name")
    with _LOCK:
        cluster = self.eks_backend.clusters[name]
        cluster.access_config = config
        key = common.state_key(self, name)
        _CLUSTERS[key] = {"arn": arn, "principal_id": pid, "mode": config["authenticationMode"]}
        _ENTRIES[key] = {}
        if config["authenticationMode"] != "CONFIG_MAP":
            _bootstrap(self, cluster, utcnow())
    return result


def describe_cluster(self, previous):
    cluster = common.cluster_of(self, self._get_param("name"))
    with _LOCK:
        _access_config(cluster)
    return previous()


def delete_cluster(self, previous):
    name = self._get_param("name")
    result = previous()
    with _LOCK:
        _ENTRIES.pop(common.state_key(self, name), None)
        _CLUSTERS.pop(common.state_key(self, name), None)
    return result


def create_nodegroup(self, previous):
    result = previous()
    cluster = common.cluster_of(self, self._get_param("name"))
    with _LOCK:
        _node_role_entry(self, cluster, self._get_param("nodeRole"), utcnow())
    return result


# Every UpdateClusterConfig member but the cluster name and the idempotency token.
_OTHER_UPDATES = ("resourcesVpcConfig", "logging", "upgradePolicy", "zonalShiftConfig", "computeConfig",
                  "kubernetesNetworkConfig", "storageConfig", "remoteNetworkConfig", "deletionProtection",
                  "controlPlaneScalingConfig", "kubeApiServerConfig", "kubeSchedulerConfig",
                  "kubeControllerManagerConfig")


def update_cluster_config(self, previous):
    access = self._get_param("accessConfig")
    if access is None:
        return previous()
    name = self._get_param("name")
    with _LOCK:
        cluster = common.cluster_of(self, name)
        if any(self._get_param(other) is not None for other in _OTHER_UPDATES):
            raise common.eks_error(rules.INVALID_PARAMETER, "Only one type of update can be allowed.",
                                   clusterName=name)
        config = _access_config(cluster)
        wanted = (access or {}).get("authenticationMode")
        if wanted is None:
            raise common.eks_error(rules.INVALID_PARAMETER, "accessConfig must set authenticationMode.",
                                   clusterName=name)
        key = common.state_key(self, name)
        if any(k[:3] == key and u["status"] == "InProgress" for k, u in _UPDATES.items()):
            raise common.eks_error("ResourceInUseException", "Cluster has an update in progress", clusterName=name)
        try:
            rules.check_mode_update(config["authenticationMode"], wanted)
        except rules.EksRefusal as e:
            _raise(e, name)
        now = utcnow()
        update = {"id": str(uuid.uuid4()), "status": "InProgress", "type": "AccessConfigUpdate",
                  "params": [{"type": "AuthenticationMode", "value": wanted}], "createdAt": now, "errors": []}
        _UPDATES[key + (update["id"],)] = update
        seconds = _CLUSTERS.get(key, {}).get("mode_update_seconds") or 0
        if seconds <= 0:
            config["authenticationMode"] = wanted
            _bootstrap(self, cluster, now)
            update["done"] = True  # the first DescribeUpdate says Successful
        else:
            cluster.status = "UPDATING"
            caller = _Caller(self.current_account, self.region)
            timer = threading.Timer(seconds, _finish_update, (caller, cluster, update, wanted))
            timer.daemon = True
            timer.start()
        return ActionResult({"update": {k: v for k, v in update.items() if k != "done"}})


def _finish_update(caller, cluster, update, wanted):
    """The end of a slow mode update: the new mode in force, the cluster ACTIVE (unless a reset cancelled it)."""
    with _LOCK:
        if update["status"] != "InProgress":
            return
        _access_config(cluster)["authenticationMode"] = wanted
        _bootstrap(caller, cluster, utcnow())
        cluster.status = "ACTIVE"
        update["status"] = "Successful"


def list_updates(self):
    name = self._get_param("name")
    if self._get_param("addonName") or self._get_param("nodegroupName"):
        return ActionResult({"updateIds": []})  # moto keeps no add-on or node group updates to list
    with _LOCK:
        common.cluster_of(self, name)
        key = common.state_key(self, name)
        newest_first = sorted(_UPDATES.items(), key=lambda item: item[1]["createdAt"], reverse=True)
        ids = [update["id"] for k, update in newest_first if k[:3] == key]
    return common.paged("updateIds", ids, self)


def describe_update(self, previous):
    name = self._get_param("name")
    update_id = self._get_param("updateId")
    if not (self._get_param("addonName") or self._get_param("nodegroupName") or self._get_param("capabilityName")):
        with _LOCK:
            update = _UPDATES.get(common.state_key(self, name) + (update_id,))
            if update is not None:
                if update.pop("done", False):
                    update["status"] = "Successful"  # the mode was applied at once; the first poll sees it done
                return ActionResult({"update": dict(update)})
    if previous is not None:
        return previous()
    common.cluster_of(self, name)
    raise common.eks_error(rules.NOT_FOUND, "No update found for ID: %s" % update_id, clusterName=name)


_PATHS = (
    "{0}/access-policies$",
    "{0}/clusters/(?P<name>[^/]+)/access-entries$",
    "{0}/clusters/(?P<name>[^/]+)/access-entries/(?P<principalArn>.+)$",
    "{0}/clusters/(?P<name>[^/]+)/updates/(?P<updateId>[^/]+)$",
    "{0}/clusters/(?P<name>[^/]+)/updates$",
)


def install():
    """Register the access entry calls with moto's EKS service; call before the server starts."""
    common.register({
        "create_access_entry": create_access_entry, "describe_access_entry": describe_access_entry,
        "update_access_entry": update_access_entry, "delete_access_entry": delete_access_entry,
        "list_access_entries": list_access_entries, "associate_access_policy": associate_access_policy,
        "disassociate_access_policy": disassociate_access_policy,
        "list_associated_access_policies": list_associated_access_policies,
        "list_access_policies": list_access_policies, "list_updates": list_updates,
    }, _PATHS)
    for name, handler in (("create_cluster", create_cluster), ("describe_cluster", describe_cluster),
                          ("delete_cluster", delete_cluster), ("create_nodegroup", create_nodegroup),
                          ("update_cluster_config", update_cluster_config), ("describe_update", describe_update)):
        common.chain(name, handler)
