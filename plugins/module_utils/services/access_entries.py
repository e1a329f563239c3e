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

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.clients import aws
from ansible_collections.eks.access.plugins.module_utils.clients.aws import map_bounded
from ansible_collections.eks.access.plugins.module_utils.model import access_entry as model

try:
    from botocore.exceptions import BotoCoreError
    from botocore.exceptions import ClientError
except ImportError:  # AnsibleAWSModule reports a missing botocore
    BotoCoreError = ClientError = ()

DEFAULT_CONCURRENCY = aws.DEFAULT_CONCURRENCY
# Above this many principals of one kind, one paged listing of the account's roles (or users) is cheaper
# than a GetRole (GetUser) each.
LIST_INSTEAD_OF_GET = 20
# IAM's largest page (MaxItems) for ListRoles and ListUsers; its default is 100.
IAM_LIST_PAGE_SIZE = 1000


def _error_code(error) -> str:
    return (getattr(error, "response", None) or {}).get("Error", {}).get("Code", "")


def aws_failure(error, what: str) -> errors.EksAccessError:
    """One sentence for a failed EKS request (no request ids, no headers)."""
    if isinstance(error, ClientError):
        code = _error_code(error)
        message = error.response.get("Error", {}).get("Message") or code
        if code in ("AccessDeniedException", "AccessDenied", "UnauthorizedOperation"):
            return errors.Forbidden("%s was denied by AWS (%s: %s); grant the credentials that permission" % (
                what, code, message))
        if code in ("InvalidParameterException", "InvalidRequestException"):
            return errors.InvalidInput("%s was refused by EKS (%s): %s" % (what, code, message))
        if code == "ResourceNotFoundException":
            return errors.NotFound("%s: %s" % (what, message))
        return errors.EksAccessError("%s failed (%s): %s" % (what, code, message))
    return errors.EksAccessError("%s failed: %s" % (what, error))


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

    def describe_cluster(self) -> dict:
        try:
            return self.eks.describe_cluster(name=self.cluster_name)["cluster"]
        except ClientError as e:
            if _error_code(e) == "ResourceNotFoundException":
                raise errors.NotFound("EKS cluster %r was not found in this account and region" % self.cluster_name)
            raise aws_failure(e, "DescribeCluster %s" % self.cluster_name)

    def cluster_facts(self) -> model.ClusterFacts:
        return model.cluster_facts(self.describe_cluster())

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
            if _error_code(e) == "ResourceNotFoundException":
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

    # ------------------------------------------------------------------ authentication mode

    def update_authentication_mode(self, mode: str) -> str:
        """Start the mode update; returns the update id to wait for."""
        try:
            update = self.eks.update_cluster_config(name=self.cluster_name,
                                                    accessConfig={"authenticationMode": mode})["update"]
        except (ClientError, BotoCoreError) as e:
            raise aws_failure(e, "Switching cluster %s to authentication mode %s" % (self.cluster_name, mode))
        return update["id"]

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
        """``{"arn": its real ARN (path included), "created": CreateDate}``, or None when IAM does not know it."""
        try:
            if resource_type == "role":
                item = self.iam.get_role(RoleName=name)["Role"]
            else:
                item = self.iam.get_user(UserName=name)["User"]
        except ClientError as e:
            if _error_code(e) == "NoSuchEntity":
                return None
            raise aws_failure(e, "Looking up IAM %s %s" % (resource_type, name))
        return {"arn": item.get("Arn"), "created": item.get("CreateDate")}

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

    def _listed_items(self, resource_type: str) -> dict:
        operation, key, name_key = (("list_roles", "Roles", "RoleName") if resource_type == "role" else
                                    ("list_users", "Users", "UserName"))
        try:
            items = self.iam.paginate(operation, PaginationConfig={"PageSize": IAM_LIST_PAGE_SIZE}).get(key, [])
        except (ClientError, BotoCoreError) as e:
            raise aws_failure(e, "Listing IAM %ss" % resource_type)
        return {item[name_key].lower(): {"arn": item.get("Arn"), "created": item.get("CreateDate")} for item in items}

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


def authentication_mode(context):
    """The authentication mode of the run's ``cluster_name``; None without one, or when AWS cannot say.

    For the aws-auth modules, which may reach a cluster through a kubeconfig
    alone: there the mode is only known when AWS can be asked.
    """
    name = context.cluster_name
    if not name:
        return None
    try:
        cluster = context.aws("eks").describe_cluster(name=name)["cluster"]
    except (ClientError, BotoCoreError) as e:
        context.warn("Could not read the authentication mode of cluster %s (%s); aws-auth is handled as if EKS reads it"
                     % (name, e))
        return None
    return model.cluster_facts(cluster).authentication_mode
