# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""EKS access entries over the boto3 ``eks`` client: read them, apply a plan.

Per-entry requests run on a bounded thread pool (boto3 clients are
thread-safe); every request retries throttling and 5xx through the
always-retrying client.  The writes of one entry run in order (create, then
its policies, then what it loses); different entries run side by side.
Deletions run only after every other change succeeded, so nobody loses
access because a later grant failed.  A failure half-way raises
:class:`errors.PartiallyApplied` listing what was and was not applied.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.clients import aws
from ansible_collections.eks.access.plugins.module_utils.clients.aws import map_bounded
from ansible_collections.eks.access.plugins.module_utils.model import access_entry as model
from ansible_collections.eks.access.plugins.module_utils.model import access_entry_migration as migration_model
from ansible_collections.eks.access.plugins.module_utils.model import arn as arn_rules
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import errors as aws_auth_errors
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import render as aws_auth_render
from ansible_collections.eks.access.plugins.module_utils.model.eks_cluster import ClusterFacts
from ansible_collections.eks.access.plugins.module_utils.services import configmap
from ansible_collections.eks.access.plugins.module_utils.services import eks_cluster

from ansible_collections.eks.access.plugins.module_utils.clients.aws import BotoCoreError
from ansible_collections.eks.access.plugins.module_utils.clients.aws import ClientError
from ansible_collections.eks.access.plugins.module_utils.clients.aws import aws_failure
from ansible_collections.eks.access.plugins.module_utils.clients.aws import error_code

DEFAULT_CONCURRENCY = aws.DEFAULT_CONCURRENCY
# Above this many principals of one kind, one paged listing of the account's roles (or users) is cheaper
# than a GetRole (GetUser) each.
LIST_INSTEAD_OF_GET = 20
# IAM's largest page (MaxItems) for ListRoles and ListUsers; its default is 100.
IAM_LIST_PAGE_SIZE = 1000


def _action(change: model.EntryChange) -> str:
    """The action an entry's change reports: create, update, replace or delete."""
    return "update" if change.action == "none" else change.action


class AccessEntries:
    """The access entries of one cluster."""

    def __init__(self, eks, cluster_name: str, concurrency: int = DEFAULT_CONCURRENCY):
        self.eks = eks
        self.cluster_name = cluster_name
        self.concurrency = max(1, int(concurrency or 1))

    # ------------------------------------------------------------------ reads

    def cluster_facts(self) -> ClusterFacts:
        """The cluster's facts (services/eks_cluster.py's DescribeCluster); NotFound when it does not exist."""
        return eks_cluster.describe_cluster(self.eks, self.cluster_name)

    def access_policy_arns(self) -> list:
        try:
            return [p["arn"] for p in self.eks.paginate("list_access_policies").get("accessPolicies", [])]
        except (ClientError, BotoCoreError) as e:
            raise aws_failure(e, "ListAccessPolicies")

    def principal_arns(self) -> list:
        try:
            return list(self.eks.paginate("list_access_entries", clusterName=self.cluster_name)
                        .get("accessEntries", []))
        except (ClientError, BotoCoreError) as e:
            raise aws_failure(e, "ListAccessEntries on cluster %s" % self.cluster_name)

    def read_entry(self, principal_arn: str):
        """The entry with its policy associations; None when it disappeared since it was listed."""
        try:
            entry = self.eks.describe_access_entry(clusterName=self.cluster_name,
                                                   principalArn=principal_arn)["accessEntry"]
            associations = self.eks.paginate("list_associated_access_policies", clusterName=self.cluster_name,
                                             principalArn=principal_arn).get("associatedAccessPolicies", [])
        except ClientError as e:
            if error_code(e) == "ResourceNotFoundException":
                return None
            raise aws_failure(e, "Reading the access entry of %s" % principal_arn)
        except BotoCoreError as e:
            raise aws_failure(e, "Reading the access entry of %s" % principal_arn)
        return model.entry_from_api(entry, associations)

    def cluster_and_listing(self, with_policies: bool = False):
        """``(ClusterFacts, listed principal ARNs)``, the three reads side by side within the concurrency.

        The listing is None when the cluster's mode keeps no access entries
        (EKS refuses to list them then); any other error of the listing is
        raised once the mode is known to allow it.
        """
        described = []

        def describe():
            described.append(self.cluster_facts())
            return described[0]

        def listing():
            if described and described[0].authentication_mode == "CONFIG_MAP":
                return None  # one at a time, the mode is known already: no request EKS would refuse
            try:
                return self.principal_arns()
            except errors.EksAccessError as e:
                return e

        reads = [describe] + ([self.access_policy_arns] if with_policies else []) + [listing]
        answers = map_bounded(lambda read: read(), reads, self.concurrency)
        facts, listed = answers[0], answers[-1]
        if with_policies:
            facts = dataclasses.replace(facts, access_policy_arns=frozenset(answers[1]))
        if facts.authentication_mode == "CONFIG_MAP":
            return facts, None
        if isinstance(listed, Exception):
            raise listed
        return facts, listed

    def read(self, only=None, listed=None) -> dict:
        """principal ARN -> AccessEntry, for every entry (or those of ``only`` that exist).

        ``listed``: the principal ARNs from an earlier listing, to list them only once.
        """
        arns = self.principal_arns() if listed is None else list(listed)
        if only is not None:
            wanted = set(only)
            arns = [arn for arn in arns if arn in wanted]
        entries = map_bounded(self.read_entry, arns, self.concurrency)
        return {entry.principal_arn: entry for entry in entries if entry is not None}

    # ------------------------------------------------------------------ writes

    def _writes(self, change: model.EntryChange):
        """The (description, call) pairs of one entry's change, in the order they must run."""
        cluster = self.cluster_name
        arn = change.principal_arn
        calls = []
        if change.action in ("delete", "replace"):
            calls.append(("delete the entry of %s" % arn, lambda: self.eks.delete_access_entry(
                clusterName=cluster, principalArn=arn)))
        if change.action in ("create", "replace"):
            calls.append(("create the entry of %s" % arn, lambda: self.eks.create_access_entry(
                clusterName=cluster, **change.create)))
        if change.action == "update":
            calls.append(("update the entry of %s" % arn, lambda: self.eks.update_access_entry(
                clusterName=cluster, **change.update)))
        for policy, scope in change.associate:
            calls.append(("associate %s with %s" % (model.policy_name(policy), arn),
                          lambda policy=policy, scope=scope: self.eks.associate_access_policy(
                              clusterName=cluster, principalArn=arn, policyArn=policy, accessScope=scope.to_api())))
        for policy in change.disassociate:
            calls.append(("disassociate %s from %s" % (model.policy_name(policy), arn),
                          lambda policy=policy: self.eks.disassociate_access_policy(
                              clusterName=cluster, principalArn=arn, policyArn=policy)))
        entry_arn = change.before.entry_arn if change.before is not None else None
        if change.tag and entry_arn:
            calls.append(("tag the entry of %s" % arn, lambda: self.eks.tag_resource(
                resourceArn=entry_arn, tags=change.tag)))
        if change.untag and entry_arn:
            calls.append(("untag the entry of %s" % arn, lambda: self.eks.untag_resource(
                resourceArn=entry_arn, tagKeys=change.untag)))
        return calls

    def apply(self, plan: model.Plan) -> list:
        """Make the plan's writes; returns the entries done, ``{"name": principal ARN, "action": ...}``.

        Raises PartiallyApplied when a write fails (with ``applied``, the entries
        done, and ``failed``, ``{"name", "action", "msg"}`` of every entry not or
        not wholly written), after the other entries in flight finished.
        """
        lock = threading.Lock()
        applied = []
        writes_done = 0
        failures = []  # (change, EksAccessError)
        started = {}  # principal ARN: the writes of it that were made

        def run(change):
            nonlocal writes_done
            for description, call in self._writes(change):
                with lock:
                    if failures:
                        return
                try:
                    call()
                except (ClientError, BotoCoreError) as e:
                    with lock:
                        failures.append((change, aws_failure(e, description[0].upper() + description[1:])))
                    return
                with lock:
                    writes_done += 1
                    started[change.principal_arn] = started.get(change.principal_arn, 0) + 1
            with lock:
                applied.append({"name": change.principal_arn, "action": _action(change)})

        # Grants first, deletions last: a failed grant never leaves someone without access.
        changing = [c for c in plan.changes if c.changed and c.action != "delete"]
        deleting = [c for c in plan.changes if c.action == "delete"]
        for phase in (changing, deleting):
            map_bounded(run, phase, self.concurrency)
            if failures:
                break
        if failures:
            error = failures[0][1]
            done = {item["name"] for item in applied}
            failed = [{"name": change.principal_arn, "action": _action(change), "msg": failure.message}
                      for change, failure in failures]
            failing = {item["name"] for item in failed}
            for change in changing + deleting:
                if change.principal_arn in done or change.principal_arn in failing:
                    continue
                made = started.get(change.principal_arn, 0)
                failed.append({"name": change.principal_arn, "action": _action(change), "msg": (
                    "%d of its %d writes were made before the task stopped at another entry's failure; "
                    "a re-run makes the rest" % (made, len(self._writes(change))))})
            pending = sum(len(self._writes(c)) for c in changing + deleting) - writes_done
            raise errors.PartiallyApplied(
                "%s; %d of %d changes were applied before it stopped and %d were not (see applied and failed): "
                "fix the cause and re-run the task, which applies only what is missing" % (
                    error.message, writes_done, writes_done + pending, pending),
                applied=applied, failed=failed)
        return applied

    # ------------------------------------------------------------------ node roles

    def node_roles(self) -> dict:
        """Role ARN -> [where found] of the cluster's managed node groups and Fargate profiles.

        ListNodegroups / ListFargateProfiles, then one Describe each, side by side.
        """
        cluster = self.cluster_name
        try:
            groups = self.eks.paginate("list_nodegroups", clusterName=cluster).get("nodegroups", [])
            profiles = self.eks.paginate("list_fargate_profiles", clusterName=cluster).get("fargateProfileNames", [])
        except (ClientError, BotoCoreError) as e:
            raise aws_failure(e, "Listing the node groups and Fargate profiles of cluster %s" % cluster)

        def describe(pair):
            kind, name = pair
            try:
                if kind == "node group":
                    return kind, name, self.eks.describe_nodegroup(clusterName=cluster,
                                                                   nodegroupName=name)["nodegroup"].get("nodeRole")
                return kind, name, self.eks.describe_fargate_profile(
                    clusterName=cluster, fargateProfileName=name)["fargateProfile"].get("podExecutionRoleArn")
            except ClientError as e:
                if error_code(e) == "ResourceNotFoundException":
                    return kind, name, None  # deleted since it was listed
                raise aws_failure(e, "Describing %s %s of cluster %s" % (kind, name, cluster))
            except BotoCoreError as e:
                raise aws_failure(e, "Describing %s %s of cluster %s" % (kind, name, cluster))

        pairs = [("node group", n) for n in groups] + [("Fargate profile", n) for n in profiles]
        found = {}
        for kind, name, role in map_bounded(describe, pairs, self.concurrency):
            if role:
                found.setdefault(role, []).append("%s %s" % (kind, name))
        return found

    # ------------------------------------------------------------------ authentication mode

    def update_authentication_mode(self, mode: str) -> str:
        """Start the mode update; returns the update id to wait for."""
        try:
            update = self.eks.update_cluster_config(name=self.cluster_name,
                                                    accessConfig={"authenticationMode": mode})["update"]
        except (ClientError, BotoCoreError) as e:
            raise aws_failure(e, "Switching cluster %s to authentication mode %s" % (self.cluster_name, mode))
        return update["id"]

    def mode_updates_in_progress(self, cluster: ClusterFacts = None) -> list:
        """``[{"id", "mode"}]`` of the authentication mode updates EKS is still making.

        Asked only while DescribeCluster says ``UPDATING`` (``cluster``: its
        answer, read again when not given): ListUpdates, then DescribeUpdate for
        each, newest first as EKS lists them.
        """
        cluster = cluster if cluster is not None else self.cluster_facts()
        if cluster.status != "UPDATING":
            return []
        try:
            update_ids = self.eks.paginate("list_updates", name=self.cluster_name).get("updateIds", [])
        except (ClientError, BotoCoreError) as e:
            raise aws_failure(e, "ListUpdates of cluster %s" % self.cluster_name)
        pending = []
        for update in map_bounded(self.describe_update, update_ids, self.concurrency):
            if update.get("status") != "InProgress" or update.get("type") != "AccessConfigUpdate":
                continue
            mode = next((p.get("value") for p in update.get("params") or ()
                         if p.get("type") == "AuthenticationMode"), None)
            pending.append({"id": update.get("id"), "mode": mode})
        return pending

    def describe_update(self, update_id: str) -> dict:
        try:
            return self.eks.describe_update(name=self.cluster_name, updateId=update_id)["update"]
        except (ClientError, BotoCoreError) as e:
            raise aws_failure(e, "DescribeUpdate %s" % update_id)


class IamPrincipals:
    """Whether IAM principals exist, and since when (EKS binds an entry to the principal's unique ID)."""

    def __init__(self, iam, concurrency: int = DEFAULT_CONCURRENCY):
        self.iam = iam
        self.concurrency = max(1, int(concurrency or 1))

    def created(self, parsed):
        """The principal's CreateDate, or None when IAM does not know it."""
        found = self.describe(parsed.resource_type, parsed.name)
        return found["created"] if found else None

    def describe(self, resource_type: str, name: str):
        """``{"arn": its real ARN (path included), "created": CreateDate, "id": its unique ID}``, or None when IAM
        does not know it."""
        try:
            if resource_type == "role":
                item = self.iam.get_role(RoleName=name)["Role"]
            else:
                item = self.iam.get_user(UserName=name)["User"]
        except ClientError as e:
            if error_code(e) == "NoSuchEntity":
                return None
            raise aws_failure(e, "Looking up IAM %s %s" % (resource_type, name))
        return {"arn": item.get("Arn"), "created": item.get("CreateDate"), "id": item.get("RoleId") or item.get("UserId")}

    def describe_all(self, principals) -> list:
        """``[describe(type, name)]`` for ``[(type, name)]``, side by side (one listing for many).

        A name IAM does not know as written is looked for once more in the
        listing of the account's roles (users), whatever its case: IAM names
        are unique regardless of case, and aws-auth matches ARNs that way.
        """
        principals = list(principals)
        listings = {}
        for resource_type in ("role", "user"):
            if sum(1 for pair in principals if pair[0] == resource_type) > LIST_INSTEAD_OF_GET:
                listings[resource_type] = self._listed_items(resource_type)
        one_by_one = [pair for pair in principals if pair[0] not in listings]
        answers = dict(zip(one_by_one, map_bounded(lambda pair: self.describe(*pair), one_by_one, self.concurrency)))
        found = [answers[pair] if pair in answers else listings[pair[0]].get(pair[1].lower()) for pair in principals]
        for index, (resource_type, name) in enumerate(principals):
            if found[index] is not None:
                continue
            if resource_type not in listings:
                listings[resource_type] = self._listed_items(resource_type)
            found[index] = listings[resource_type].get(name.lower())
        return found

    def role_arns_under(self, path_prefix: str) -> list:
        """The ARNs of the account's roles under ``path_prefix`` (one paged ListRoles)."""
        try:
            roles = self.iam.paginate("list_roles", PathPrefix=path_prefix,
                                      PaginationConfig={"PageSize": IAM_LIST_PAGE_SIZE}).get("Roles", [])
        except (ClientError, BotoCoreError) as e:
            raise aws_failure(e, "Listing the IAM roles under %s" % path_prefix)
        return [role["Arn"] for role in roles]

    def _listed_items(self, resource_type: str) -> dict:
        operation, key, name_key = (("list_roles", "Roles", "RoleName") if resource_type == "role" else
                                    ("list_users", "Users", "UserName"))
        try:
            items = self.iam.paginate(operation, PaginationConfig={"PageSize": IAM_LIST_PAGE_SIZE}).get(key, [])
        except (ClientError, BotoCoreError) as e:
            raise aws_failure(e, "Listing IAM %ss" % resource_type)
        return {item[name_key].lower(): {"arn": item.get("Arn"), "created": item.get("CreateDate"),
                                         "id": item.get("RoleId") or item.get("UserId")} for item in items}

    def _listed(self, resource_type: str) -> dict:
        """name (lower-cased: IAM names are unique whatever their case) -> CreateDate of every role or user."""
        return {name: item["created"] for name, item in self._listed_items(resource_type).items()}

    def creation_dates(self, parsed_principals) -> list:
        """[(parsed, CreateDate or None)] for ``parsed_principals``.

        A few are looked up one by one, side by side; for many, one listing of
        the account's roles (or users) costs a few paged requests instead of
        one each, which matters because IAM's request rate is low.
        """
        parsed_principals = list(parsed_principals)
        listed = {}
        for resource_type in ("role", "user"):
            count = sum(1 for p in parsed_principals if p.resource_type == resource_type)
            if count > LIST_INSTEAD_OF_GET:
                listed[resource_type] = self._listed(resource_type)
        one_by_one = [p for p in parsed_principals if p.resource_type not in listed]
        dates = dict(zip(one_by_one, map_bounded(self.created, one_by_one, self.concurrency)))
        return [(p, listed[p.resource_type].get(p.name.lower()) if p.resource_type in listed else dates[p])
                for p in parsed_principals]


# --------------------------------------------------------------------------- the authentication mode switch


def caller_role_arn(context) -> str:
    """The caller as an access entry would name it (assumed-role sessions are their role)."""
    return context.caller_identity()["Arn"]


@dataclass
class ModeChange:
    """A switch of authentication mode: eks_authentication_mode's options, also asked by the migration."""

    cluster_name: str
    mode: str
    protect: list = None
    allow_self_lockout: bool = False
    allow_node_lockout: bool = False
    wait_timeout: int = 1200
    poll_seconds: float = 5.0
    # Called before the switch to API and at every poll of an update (the migration renews its Lease there).
    heartbeat: object = None
    # Called with the mode right before each update request, after the guards (the migration re-checks there).
    before_update: object = None


def _wait_for_update(service: AccessEntries, update_id: str, options: ModeChange, mode: str):
    return eks_cluster.wait_for_update(
        lambda: service.describe_update(update_id), options.wait_timeout,
        failed=lambda update: errors.EksAccessError("EKS update %s to authentication mode %s ended %s (%s)" % (
            update_id, mode, update.get("status"), eks_cluster.update_errors(update)), update_id=update_id),
        timed_out=lambda update: errors.EksAccessError(
            "EKS update %s to authentication mode %s is still %s after %d seconds; it goes on in EKS, re-run the "
            "task to wait again" % (update_id, mode, update.get("status"), options.wait_timeout), update_id=update_id),
        poll=options.poll_seconds, heartbeat=options.heartbeat)


def _lockout_guard(context, service: AccessEntries, options: ModeChange, result: dict,
                   done: list) -> None:
    """Before the step to API: the caller and the protected ARNs must be cluster admin by access entry."""
    principals = [caller_role_arn(context)] + list(options.protect or ())
    result["protected_arns"] = principals
    missing = model.missing_admins(service.read(), principals)
    if missing:
        where = ("Nothing was changed." if not done else
                 "The cluster is now in %s (aws-auth still counts there); re-run once the entries exist." % done[-1])
        raise errors.Refused(
            "Refusing to switch cluster %r to authentication mode API: aws-auth is ignored there, and %s %s no "
            "access entry with AmazonEKSClusterAdminPolicy at cluster scope, so %s lose cluster admin; create "
            "those entries first (eks.access.eks_access_entry), or set allow_self_lockout: true. %s" % (
                options.cluster_name, ", ".join(missing), "has" if len(missing) == 1 else "have",
                "it would" if len(missing) == 1 else "they would", where),
            missing_admins=missing, steps_done=list(done))


def _node_roles(context, service: AccessEntries) -> dict:
    """Role ARN -> [where found] of every node role: aws-auth's node mappings, managed node groups, Fargate profiles."""
    try:
        found = configmap.read_aws_auth(context.kube())
    except aws_auth_errors.AwsAuthError as e:
        raise errors.Refused(
            "Refusing to switch cluster %r to authentication mode API: aws-auth does not parse (%s), so the node "
            "roles it maps cannot be checked; fix it (eks.access.aws_auth_info), or set allow_node_lockout: "
            "true. Nothing was changed." % (service.cluster_name, e))
    except (errors.KubeApiError, errors.InvalidInput) as e:
        raise errors.Refused(
            "Refusing to switch cluster %r to authentication mode API: aws-auth could not be read (%s), so the node "
            "roles it maps cannot be checked for access entries; give the task access to the cluster's Kubernetes "
            "API (k8s_auth, kubeconfig), or set allow_node_lockout: true once every node role has a node entry. "
            "Nothing was changed." % (service.cluster_name, getattr(e, "message", None) or e))
    roles = {}
    if found is not None:
        roles = migration_model.node_roles_of(aws_auth_render.to_result(found))
    try:
        managed = service.node_roles()
    except errors.Forbidden as e:
        context.warn("The node groups and Fargate profiles of cluster %s could not be read (%s); only aws-auth's node "
                     "roles were checked for access entries" % (service.cluster_name, e.message))
        managed = {}
    for arn, sources in managed.items():
        roles.setdefault(arn, []).extend(sources)
    return roles


def _node_guard(context, service: AccessEntries, options: ModeChange, result: dict,
                done: list) -> None:
    """Before the step to API: every node role (aws-auth, node groups, Fargate) must have a node access entry."""
    roles = _node_roles(context, service)
    result["node_roles"] = sorted(roles)
    where = ("Nothing was changed." if not done else
             "The cluster is now in %s (aws-auth still counts there); re-run once the entries exist." % done[-1])
    model.refuse_node_lockout(options.cluster_name, model.node_lockouts(roles, service.read()), where)


def switch_authentication_mode(context, options: ModeChange) -> dict:
    """Switch the cluster's authentication mode step by step, waiting for each update; the caller and node
    guards before the step to API."""
    service = AccessEntries(context.aws("eks"), options.cluster_name)
    cluster = service.cluster_facts()
    steps = model.check_mode_change(cluster, options.mode)
    for arn in options.protect or ():
        try:
            arn_rules.parse_iam_arn(arn)
        except arn_rules.ArnError as e:
            raise errors.InvalidInput("protect: %s" % e)
    result = dict(changed=bool(steps), previous_mode=cluster.authentication_mode,
                  authentication_mode=options.mode if steps else cluster.authentication_mode,
                  steps=steps, update_ids=[], protected_arns=[])
    if context.diff_mode:
        result["diff"] = {"before": "authentication_mode: %s\n" % cluster.authentication_mode,
                          "after": "authentication_mode: %s\n" % result["authentication_mode"]}
    # aws-auth is ignored in API mode: the guard runs against the entries as they are right before that step.
    # A CONFIG_MAP cluster has no entries to read yet (EKS creates the creator's when it leaves CONFIG_MAP),
    # so there the guard runs after the first step.
    guard = bool(steps) and steps[-1] == "API" and not options.allow_self_lockout
    node_guard = bool(steps) and steps[-1] == "API" and not options.allow_node_lockout
    if context.check_mode:
        if cluster.authentication_mode != "CONFIG_MAP":
            if guard:
                _lockout_guard(context, service, options, result, [])
            if node_guard:
                _node_guard(context, service, options, result, [])
        elif guard or node_guard:
            context.warn("The lockout guards can only read access entries once cluster %s has left CONFIG_MAP; the "
                         "real run checks them after the first step" % options.cluster_name)
        return result
    done = []
    for mode in steps:
        if mode == "API":
            if options.heartbeat is not None:
                options.heartbeat()
            # Both guards read the entries (and aws-auth) as they are right before the switch.
            if guard:
                _lockout_guard(context, service, options, result, done)
            if node_guard:
                _node_guard(context, service, options, result, done)
        if options.before_update is not None:
            options.before_update(mode)
        update_id = service.update_authentication_mode(mode)
        result["update_ids"].append(update_id)
        _wait_for_update(service, update_id, options, mode)
        done.append(mode)
    return result
