# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What eks_access_entry_migration runs: plan, apply, verify, finalize or roll back one cluster.

Reads aws-auth (Kubernetes), the mapped principals (IAM) and the access
entries (EKS); model/access_entry_migration.py decides; the writes go
through services/access_entries.py, the mode switch included (as
eks_authentication_mode does it).  Every step re-reads everything, so a run killed
anywhere is finished by the next one.

One operation per cluster at a time: apply, finalize and rollback (and
verify, within a run that holds it) hold the Lease
``kube-system/eks-access-access-entry-migration`` (services/lease.py, the
CNI migration's) for their whole run; another run's live Lease refuses the
step before anything is read or written.  And each destructive act re-checks,
right before it, what its decision rested on: finalize the entries it
verified, aws-auth's resourceVersion and its Lease before the switch to API
and before deleting aws-auth; rollback the mode (and any mode update in
progress) right before it deletes.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import time
from dataclasses import dataclass

from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import errors as aws_auth_errors
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import parse as aws_auth_parse
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import render as aws_auth_render
from ansible_collections.eks.access.plugins.module_utils.services import access_entries
from ansible_collections.eks.access.plugins.module_utils.services import configmap
from ansible_collections.eks.access.plugins.module_utils.services import iam_role
from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.clients import kube
from ansible_collections.eks.access.plugins.module_utils.model import arn as arn_rules
from ansible_collections.eks.access.plugins.module_utils.model.arn import parse_iam_arn
from ansible_collections.eks.access.plugins.module_utils.model import access_entry as entries_model
from ansible_collections.eks.access.plugins.module_utils.model import access_entry_migration as planner
from ansible_collections.eks.access.plugins.module_utils.services.access_entries import DEFAULT_CONCURRENCY
from ansible_collections.eks.access.plugins.module_utils.services.access_entries import AccessEntries
from ansible_collections.eks.access.plugins.module_utils.services.access_entries import IamPrincipals
from ansible_collections.eks.access.plugins.module_utils.services import lease as lease_service


STEPS = ("plan", "apply", "verify", "finalize", "rollback", "release")
# The steps that take the Lease even without a lease_holder (verify only reads: it takes it within a run).
MUTATING_STEPS = ("apply", "finalize", "rollback")
LEASE_NAME = lease_service.ACCESS_ENTRY_MIGRATION_LEASE_NAME
VERIFY_SESSION_NAME = "eks-access-migration-verify"


@dataclass
class Options:
    cluster_name: str
    step: str = "plan"
    update_existing: bool = False
    username_prefix: str = planner.DEFAULT_USERNAME_PREFIX
    verify_tokens: bool = False
    protect: list = None
    backup_dir: str = None
    backup_configmap: str = None
    remove_aws_auth: bool = False
    concurrency: int = DEFAULT_CONCURRENCY
    wait_timeout: int = 1200
    allow_node_lockout: bool = False
    lease_holder: str = None
    lease_duration: int = lease_service.DEFAULT_DURATION
    lease_wait: int = 0


AWS_AUTH_PATH = configmap.configmap_path(aws_auth_parse.AWS_AUTH_NAMESPACE, aws_auth_parse.AWS_AUTH_NAME)


# --------------------------------------------------------------------------- reads


class State:
    """What one step read: the cluster, aws-auth (or its backup), IAM's answers, the entries, the plan."""

    def __init__(self, context, options: Options):
        self.context = context
        self.options = options
        self.service = AccessEntries(context.aws("eks"), options.cluster_name, options.concurrency)
        self.cluster = self.service.cluster_facts()
        self.configmap, self.source = self._read_aws_auth()
        self.mappings = self._parse(self.configmap)
        self.iam = {}
        self.iam_answers = {}
        self.entries = {}
        self.plan = None

    def _read_aws_auth(self):
        found = configmap.read_configmap(self.context.kube())
        if found is not None:
            return found, "configmap"
        backup = _read_backup(_backup_file(self.options))
        if backup is not None:
            return backup, "backup"
        return None, "none"

    def _parse(self, found):
        if found is None:
            return {"mapRoles": [], "mapUsers": [], "mapAccounts": []}
        try:
            return aws_auth_render.to_result(aws_auth_parse.parse_aws_auth(found.get("data") or {}))
        except aws_auth_errors.AwsAuthError as e:
            raise errors.Refused(
                "aws-auth of cluster %s cannot be read the way aws-iam-authenticator reads it (%s), so nothing can be "
                "migrated safely; fix it (eks.access.aws_auth_info shows the problems). Nothing was written." % (
                    self.options.cluster_name, e))

    def look_up_principals(self):
        pairs = planner.principals_to_look_up(self.mappings, self.cluster.account_id)
        answers = IamPrincipals(self.context.aws("iam"), self.options.concurrency).describe_all(pairs)
        self.iam_answers = {planner.iam_key(*pair): answer for pair, answer in zip(pairs, answers)}
        self.iam = {key: ({"arn": a["arn"]} if a else None) for key, a in self.iam_answers.items()}

    def read_entries(self):
        self.cluster, listed = self.service.cluster_and_listing()
        self.entries = {} if listed is None else self.service.read(listed=listed)

    def make_plan(self):
        self.plan = planner.plan(self.mappings, self.cluster, self.iam, self.entries,
                                 update_existing=self.options.update_existing,
                                 username_prefix=self.options.username_prefix)
        return self.plan


def _backup_file(options) -> str:
    """The file in ``backup_dir`` that keeps this cluster's aws-auth (the same name on every run), or None."""
    if not options.backup_dir:
        return None
    return os.path.join(options.backup_dir, "%s-aws-auth.json" % options.cluster_name)


def _read_backup(path):
    if not path or not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise errors.InvalidInput("%s in backup_dir exists but is not an aws-auth backup this module wrote (%s); move "
                                  "it away or give another backup_dir" % (path, e))


def _planned(context, options: Options):
    """``(state, result)``: principals looked up, entries read, the plan made, and the result it gives."""
    state = State(context, options)
    state.look_up_principals()
    state.read_entries()
    state.make_plan()
    return state, _base_result(state)


def _base_result(state: State) -> dict:
    plan = state.plan
    return dict(
        changed=False,
        authentication_mode=state.cluster.authentication_mode,
        aws_auth_source=state.source,
        plan=[item.to_result() for item in plan.items],
        summary=plan.summary(),
        blockers=[{"section": i.section, "index": i.index, "aws_auth_arn": i.aws_auth_arn, "reason": i.reason}
                  for i in plan.blockers],
    )


def _steps_mode(context, options: Options, mode: str, hold=None, before_update=None) -> dict:
    """eks_authentication_mode's runner: the switch, its wait and, towards API, its lockout guards (caller, nodes).

    ``hold`` (a :class:`Hold`) is renewed while EKS updates the mode; ``before_update(mode)`` runs right before
    each update request, after the guards.
    """
    return access_entries.switch_authentication_mode(context, access_entries.ModeChange(
        cluster_name=options.cluster_name, mode=mode, protect=list(options.protect or ()),
        allow_node_lockout=bool(options.allow_node_lockout), wait_timeout=options.wait_timeout,
        heartbeat=hold.keep if hold is not None else None, before_update=before_update))


# --------------------------------------------------------------------------- one operation at a time


class Hold:
    """This run's hold on the cluster's migration Lease: renewed while the run goes on, given up at its end."""

    def __init__(self, lease, check_mode: bool, own: bool):
        self.lease = lease
        self.check_mode = check_mode
        self.own = own  # taken by this step for itself (no lease_holder): given up when the step ends
        self.renewed = time.monotonic()

    def keep(self, force: bool = False) -> None:
        """Renew the Lease (LeaseLost when another run has it now); between forced renewals, every third of it."""
        if self.check_mode:
            return
        if force or time.monotonic() - self.renewed > self.lease.duration / 3.0:
            self.lease.renew()
            self.renewed = time.monotonic()


def _lease(context, options: Options, holder: str):
    return lease_service.Lease(context.kube(), holder, options.lease_duration, name=LEASE_NAME)


def _take_lease(context, options: Options):
    """The Lease for this step (None for a step that needs none); refused while another run holds it."""
    if options.step not in MUTATING_STEPS and not (options.step == "verify" and options.lease_holder):
        return None
    holder = options.lease_holder or "%s of %s by %s, pid %d on %s" % (
        options.step, options.cluster_name, context.caller_identity()["Arn"], os.getpid(), socket.gethostname())
    lease = _lease(context, options, holder)
    try:
        outcome = lease.wait_and_acquire(options.lease_wait or 0, context.check_mode)
    except lease_service.LeaseHeld as e:
        raise lease_service.LeaseHeld(
            "Refusing the %s step on cluster %s, nothing was changed: %s (kubectl -n %s delete lease %s)" % (
                options.step, options.cluster_name, e.message, lease.namespace, lease.name), **e.details)
    if outcome["action"] == "takeover":
        context.warn("took over the expired Lease %s/%s from %s (its run stopped without giving it up)"
                     % (lease.namespace, lease.name, outcome["previous_holder"]))
    return Hold(lease, context.check_mode, own=not options.lease_holder)


def run_release(context, options: Options) -> dict:
    """Give up the Lease ``lease_holder`` holds (the end of a run of several steps); nothing else."""
    if not options.lease_holder:
        raise errors.InvalidInput("step release needs lease_holder: the run whose Lease to give up")
    outcome = _lease(context, options, options.lease_holder).release(context.check_mode)
    # The Lease is the runs' bookkeeping, not the cluster's configuration: never reported as a change.
    return dict(changed=False, lease_released=outcome["action"] == "release",
                lease="%s/%s" % (lease_service.CNI_LEASE_NAMESPACE, LEASE_NAME))


# --------------------------------------------------------------------------- steps


def run_plan(context, options: Options, hold: Hold = None) -> dict:
    state, result = _planned(context, options)
    if state.cluster.authentication_mode == "CONFIG_MAP":
        result["notes"] = ["cluster in CONFIG_MAP: EKS creates the creator's and the managed node groups' entries "
                           "when it leaves CONFIG_MAP; apply compares with them after the switch"]
    return result


def run_apply(context, options: Options, hold: Hold = None) -> dict:
    state = State(context, options)
    state.look_up_principals()
    mode_result = None
    if state.cluster.authentication_mode == "CONFIG_MAP":
        mode_result = _steps_mode(context, options, "API_AND_CONFIG_MAP", hold)
    # Listed after the switch: EKS creates entries at the switch (creator, node groups), and they count.
    state.read_entries()
    state.make_plan()
    # The caller's own entry (and those of protect) may be updated, never shrunk.
    writes = planner.write_plan(state.plan, (context.caller_identity()["Arn"],) + tuple(options.protect or ()))
    updates = [c for c in writes.changes if c.changed and c.before is not None]
    applied = []
    if writes.changed and not context.check_mode:
        if hold is not None:
            hold.keep(force=True)
        if updates:
            # Written down before the first update, so that rollback can put each entry back.
            _update_undo_records(context, lambda records: planner.undo_records(records, updates))
        applied = state.service.apply(writes)
    result = _base_result(state)
    result.update(
        changed=bool(mode_result and mode_result["changed"]) or writes.changed,
        mode_steps=(mode_result or {}).get("steps", []),
        created=writes.by_action("create"),
        updated=[c.principal_arn for c in updates],
        applied=applied,
        undo_configmap=planner.UNDO_CONFIGMAP if updates else None,
    )
    if context.check_mode and state.cluster.authentication_mode == "CONFIG_MAP":
        result["notes"] = ["check mode: the switch to API_AND_CONFIG_MAP was not made, so the entries EKS creates "
                           "then are not compared yet"]
    if context.diff_mode:
        result["diff"] = entries_model.diff(writes, options.cluster_name)
    return result


def _identity_of(api) -> dict:
    review = api.create(kube.api_path("authentication.k8s.io/v1", "selfsubjectreviews"),
                        {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
    return (review.get("status") or {}).get("userInfo") or {}


def _is_admin(api) -> bool:
    review = api.create(kube.api_path("authorization.k8s.io/v1", "selfsubjectaccessreviews"), {
        "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {"verb": "*", "group": "*", "resource": "*"}}})
    return bool((review.get("status") or {}).get("allowed"))


def _token_check(context, state: State, item) -> dict:
    """Assume the item's role, get a token, and ask the API server who that is."""
    credentials, refusal = iam_role.try_assume_role(context.aws("sts"), item.principal_arn, VERIFY_SESSION_NAME)
    if credentials is None:
        return {"verified": False, "how": "not verified by token: this identity cannot assume the role (%s)" % refusal}
    api = context.kube_as(credentials)
    try:
        user = _identity_of(api)
    except errors.KubeApiError as e:
        return {"verified": False, "ok": False, "how": "token of an STS session of the role",
                "problems": ["the API server refused the role's token (HTTP %s)" % e.status]}
    problems = planner.check_identity(item, user.get("username"), user.get("groups"), state.cluster.account_id,
                                      VERIFY_SESSION_NAME, credentials["AccessKeyId"])
    if item.entry.policies and not _is_admin(api):
        problems.append("the token is not cluster admin, although aws-auth gave it system:masters")
    return {"verified": True, "ok": not problems, "how": "token of an STS session of the role",
            "username": user.get("username"), "groups": user.get("groups") or [], "problems": problems}


def _verify(context, state: State, options: Options) -> dict:
    """Every migrated principal's entry as EKS reports it, IAM's binding, the caller's admin, tokens when asked.

    In check mode only what exists is verified: the entries apply would create or update (and, on a CONFIG_MAP
    cluster, the switch itself) were only planned, so they are listed in ``planned`` ("would be created" /
    "would be updated"), never counted as failures.
    """
    config_map = state.cluster.authentication_mode == "CONFIG_MAP"
    if config_map and not context.check_mode:
        raise errors.Refused("Cluster %s is still in CONFIG_MAP, where there are no access entries to verify; run the "
                             "apply step first" % options.cluster_name)
    by_key = {entries_model.principal_key(arn): entry for arn, entry in state.entries.items()}
    principals = []
    not_verified = []
    planned = planner.planned_in_check_mode(state.plan) if context.check_mode else []
    pending = {entries_model.principal_key(p["principal_arn"]) for p in planned}
    for item in state.plan.migrated:
        if entries_model.principal_key(item.principal_arn) in pending:
            continue
        entry = by_key.get(entries_model.principal_key(item.principal_arn))
        record = {"principal_arn": item.principal_arn, "problems": planner.entry_problems(item, entry)}
        if entry is not None and arn_rules.partition_and_account(item.principal_arn)[1] == state.cluster.account_id:
            parsed = parse_iam_arn(item.principal_arn)
            answer = state.iam_answers.get(planner.iam_key(parsed.resource_type, parsed.name))
            if answer and answer.get("created") and entry.created_at and answer["created"] > entry.created_at:
                record["problems"].append("IAM principal created after its entry, so EKS does not match it: delete "
                                          "the entry and re-run")
        if options.verify_tokens and item.entry.type == entries_model.STANDARD and \
                parse_iam_arn(item.principal_arn).resource_type == "role":
            check = _token_check(context, state, item)
            record["token"] = check
            record["problems"].extend(check.get("problems", []))
            if not check["verified"]:
                not_verified.append({"principal_arn": item.principal_arn, "why": check["how"]})
        else:
            why = ("a node entry: its username and groups are EKS's for type %s, tokens come from nodes" %
                   item.entry.type if item.entry.type != entries_model.STANDARD else
                   "an IAM user: no token can be made for it without its keys"
                   if parse_iam_arn(item.principal_arn).resource_type == "user" else
                   "verify_tokens is false")
            not_verified.append({"principal_arn": item.principal_arn, "why": "identity not checked with a token: "
                                 + why + "; its entry as EKS reports it was checked"})
        principals.append(record)

    caller = context.caller_identity()["Arn"]
    caller_problems = []
    protected = [caller] + list(options.protect or ())
    # In check mode the caller's admin may come from an entry apply only planned: count the entries as they would be.
    entries_after = dict(state.entries)
    if context.check_mode:
        entries_after.update(planner.write_plan(state.plan).after)
    missing = [] if config_map else entries_model.missing_admins(entries_after, protected)
    if config_map:
        not_verified.append({"principal_arn": caller, "why": "check mode: cluster %s is still in CONFIG_MAP, so its "
                             "access entries (EKS creates the creator's at the switch) are checked by the real run"
                             % options.cluster_name})
    if missing:
        caller_problems.append("%s %s no access entry with %s at cluster scope" % (
            ", ".join(missing), "has" if len(missing) == 1 else "have", entries_model.CLUSTER_ADMIN_POLICY))
    try:
        if not _is_admin(context.kube()):
            caller_problems.append("the API server does not let this task's identity %s do everything" % caller)
    except errors.KubeApiError as e:
        caller_problems.append("the API server refused this task's identity %s (HTTP %s)" % (caller, e.status))
    if context.kube_auth != "eks_token":
        not_verified.append({"principal_arn": caller, "why": "the Kubernetes checks ran with kubernetes.core's "
                             "credentials, not this IAM identity's token; use k8s_auth: eks_token to check it"})
    failed = [p for p in principals if p["problems"]]
    return dict(verified=not failed and not caller_problems, principals=principals, failed=failed,
                caller_arn=caller, caller_problems=caller_problems, not_verified=not_verified, planned=planned)


def _refuse_unverified(verification: dict, options: Options, what: str):
    if verification["verified"]:
        return
    problems = ["%s: %s" % (p["principal_arn"], "; ".join(p["problems"])) for p in verification["failed"]]
    problems += verification["caller_problems"]
    message = "Verification of cluster %s failed, so %s: %s" % (options.cluster_name, what, " | ".join(problems))
    raise errors.Refused(message, verification=verification)


def run_verify(context, options: Options, hold: Hold = None) -> dict:
    state, result = _planned(context, options)
    verification = _verify(context, state, options)
    result["verification"] = verification
    context.result_on_failure = dict(result)
    _refuse_unverified(verification, options, "the migration is not complete")
    return result


def _backup(context, state: State, options: Options) -> list:
    """Write aws-auth to the backup file (and ConfigMap); returns what changed."""
    done = []
    found = state.configmap if state.source == "configmap" else None
    if found is None:
        return done
    copy = {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": aws_auth_parse.AWS_AUTH_NAME, "namespace": aws_auth_parse.AWS_AUTH_NAMESPACE,
                         "resourceVersion": found["metadata"].get("resourceVersion")},
            "data": found.get("data") or {}}
    backup_file = _backup_file(options)
    if backup_file and _read_backup(backup_file) != copy:
        done.append("wrote %s" % backup_file)
        if not context.check_mode:
            directory = os.path.dirname(os.path.abspath(backup_file))
            os.makedirs(directory, mode=0o700, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=directory, prefix=".aws-auth-backup-")
            with os.fdopen(handle, "w") as f:
                json.dump(copy, f, indent=2, sort_keys=True)
            os.chmod(temporary, 0o600)
            os.replace(temporary, backup_file)
    if options.backup_configmap:
        api = context.kube()
        path = configmap.configmap_path(aws_auth_parse.AWS_AUTH_NAMESPACE, options.backup_configmap)
        existing = api.get_optional(path)
        body = {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": options.backup_configmap, "namespace": aws_auth_parse.AWS_AUTH_NAMESPACE,
                             "labels": {"app.kubernetes.io/managed-by": "eks.access"},
                             "annotations": {"eks.access/backup-of": "aws-auth"}},
                "data": found.get("data") or {}}
        if existing is None:
            done.append("created ConfigMap %s" % options.backup_configmap)
            if not context.check_mode:
                api.create(configmap.configmap_path(aws_auth_parse.AWS_AUTH_NAMESPACE), body)
        elif (existing.get("data") or {}) != body["data"]:
            done.append("replaced ConfigMap %s" % options.backup_configmap)
            body["metadata"]["resourceVersion"] = existing["metadata"]["resourceVersion"]
            if not context.check_mode:
                api.replace(path, body)
    return done


def _aws_auth_version(found):
    return ((found or {}).get("metadata") or {}).get("resourceVersion")


def _recheck_aws_auth(context, state: State, options: Options, what: str) -> None:
    """Refuse ``what`` when aws-auth is not the version this run read, backed up and planned from."""
    if state.source != "configmap":
        return
    now = configmap.read_configmap(context.kube())
    if _aws_auth_version(now) != _aws_auth_version(state.configmap):
        raise errors.Conflict(
            "aws-auth of cluster %s changed while this run worked (resourceVersion %s, now %s), so %s: the plan and "
            "the backup no longer match it; run finalize again" % (
                options.cluster_name, _aws_auth_version(state.configmap),
                _aws_auth_version(now) if now is not None else "deleted", what))


def _recheck_entries(state: State, options: Options) -> None:
    """Refuse the switch unless every migrated principal's entry is still what the verification saw."""
    entries = state.service.read()
    by_key = {entries_model.principal_key(arn): entry for arn, entry in entries.items()}
    problems = []
    for item in state.plan.migrated:
        found = planner.entry_problems(item, by_key.get(entries_model.principal_key(item.principal_arn)))
        if found:
            problems.append("%s: %s" % (item.principal_arn, "; ".join(found)))
    if problems:
        raise errors.Conflict(
            "The access entries of cluster %s changed since they were verified (%s; a rollback may have deleted "
            "them), so it was not switched to API and nothing was changed; run apply, then finalize again" % (
                options.cluster_name, " | ".join(problems)), changed_entries=problems)


def run_finalize(context, options: Options, hold: Hold = None) -> dict:
    if options.remove_aws_auth and not (options.backup_dir or options.backup_configmap):
        raise errors.InvalidInput("remove_aws_auth needs backup_dir or backup_configmap: aws-auth is not deleted "
                                  "without a copy")
    state, result = _planned(context, options)
    context.result_on_failure = dict(result)
    if state.plan.blockers:
        raise errors.Refused(
            "Refusing to switch cluster %s to API: %d aws-auth mapping(s) cannot be access entries and would stop "
            "working (see blockers): %s. Nothing was changed." % (
                options.cluster_name, len(state.plan.blockers),
                "; ".join("%s %s: %s" % (i.section, i.aws_auth_arn, i.reason) for i in state.plan.blockers)),
            blockers=result["blockers"])
    pending = [i.aws_auth_arn for i in state.plan.items if i.fate in ("create", "update")]
    # In check mode apply only planned its writes: _verify reports them as planned instead.
    if pending and not context.check_mode:
        raise errors.Refused("Refusing to switch cluster %s to API: the entries of %s are not applied yet; run the "
                             "apply step first. Nothing was changed." % (options.cluster_name, ", ".join(pending)))
    verification = _verify(context, state, options)
    result["verification"] = verification
    context.result_on_failure = dict(result)
    _refuse_unverified(verification, options, "it stays in %s" % state.cluster.authentication_mode)

    backups = _backup(context, state, options)

    def before_update(mode):
        # At the moment of the switch: still this run's Lease, the entries it verified, the aws-auth it backed up.
        if mode != "API" or context.check_mode:
            return
        if hold is not None:
            hold.keep(force=True)
        _recheck_entries(state, options)
        _recheck_aws_auth(context, state, options, "it was not switched to API and nothing was changed")

    mode_result = _steps_mode(context, options, "API", hold, before_update)
    # In API mode there is no rollback, so the record of what apply updated has no more use.
    records = _undo_records(context)
    if records and not context.check_mode:
        _update_undo_records(context, lambda now: {})
    removed = False
    if options.remove_aws_auth and state.source == "configmap":
        removed = True
        if not context.check_mode:
            if hold is not None:
                hold.keep(force=True)
            not_deleted = "the cluster is in API now but aws-auth was not deleted"
            _recheck_aws_auth(context, state, options, not_deleted)
            # Only the version that was backed up: a change since then stops the removal.
            try:
                context.kube().request("DELETE", AWS_AUTH_PATH, body={
                    "preconditions": {"resourceVersion": state.configmap["metadata"]["resourceVersion"]}})
            except errors.KubeApiError as e:
                if e.status != 409:
                    raise
                raise errors.Conflict("aws-auth of cluster %s changed right before its deletion, so %s; run finalize "
                                      "again" % (options.cluster_name, not_deleted))
    if _backup_file(options):
        result["backup_file"] = _backup_file(options)
    result.update(changed=bool(backups) or mode_result["changed"] or removed or bool(records), backups=backups,
                  mode_steps=mode_result["steps"], aws_auth_removed=removed, undo_configmap_removed=bool(records),
                  authentication_mode=mode_result["authentication_mode"])
    return result


def _undo_records(context) -> dict:
    return configmap.read_json(context.kube(), aws_auth_parse.AWS_AUTH_NAMESPACE, planner.UNDO_CONFIGMAP, planner.UNDO_KEY)


def _update_undo_records(context, update) -> dict:
    return configmap.update_json(context.kube(), aws_auth_parse.AWS_AUTH_NAMESPACE, planner.UNDO_CONFIGMAP,
                                 planner.UNDO_KEY, update)


def _refuse_rollback_towards_api(service, options: Options) -> None:
    """Rollback deletes entries that API mode depends on: refused in API, and while EKS is switching to it."""
    facts = service.cluster_facts()
    if facts.authentication_mode == "API":
        raise errors.Refused(
            "Cluster %s is in authentication mode API, where aws-auth is ignored: deleting the migrated entries would "
            "lock their principals out, and EKS cannot go back to API_AND_CONFIG_MAP. Nothing was changed." %
            options.cluster_name)
    pending = service.mode_updates_in_progress(facts)
    if pending:
        raise errors.Refused(
            "Cluster %s is being switched to authentication mode %s (EKS update %s in progress), where aws-auth is "
            "ignored: deleting the migrated entries would lock their principals out. Nothing was changed." % (
                options.cluster_name, pending[0]["mode"] or "?", pending[0]["id"]), updates_in_progress=pending)


def run_rollback(context, options: Options, hold: Hold = None) -> dict:
    state = State(context, options)
    _refuse_rollback_towards_api(state.service, options)
    state.read_entries()
    mode = state.cluster.authentication_mode
    protected = (context.caller_identity()["Arn"],) + tuple(options.protect or ())
    protected_keys = {entries_model.principal_key(arn) for arn in protected}
    targets, kept = [], []
    for arn in planner.rollback_targets(state.entries):
        if entries_model.principal_key(arn) in protected_keys:
            # The caller keeps its entry even if the migration made it: this run must not lose admin half-way.
            kept.append({"principal_arn": arn, "reason": "the identity this task runs as, or in protect"})
        else:
            targets.append(arn)
    records = _undo_records(context)
    restore = planner.restore_plan(records, state.entries, protected_keys)
    kept.extend(restore.kept)
    restores = entries_model.plan(state.entries, restore.wanted, protected=protected)
    # The node entries the migration made go too: aws-auth, which this mode still reads, maps those roles.
    deletions = entries_model.plan(restores.after, [entries_model.AccessEntry(arn) for arn in targets],
                                   state="absent", allow_node_entry_deletion=True, protected=protected)
    writes = entries_model.Plan(restores.changes + deletions.changes, dict(state.entries), deletions.after)
    applied = []
    if not context.check_mode:
        if writes.changed:
            # At the moment of the deletions: still this run's Lease, and still no API mode on its way.
            if hold is not None:
                hold.keep(force=True)
            _refuse_rollback_towards_api(state.service, options)
            applied = state.service.apply(writes)
        settled = set(restore.restored) | set(restore.settled)
        if settled:
            _update_undo_records(context, lambda now: {arn: r for arn, r in now.items() if arn not in settled})
    result = dict(changed=writes.changed or bool(restore.settled), authentication_mode=mode,
                  deleted=deletions.by_action("delete"), restored=restore.restored, kept=kept, applied=applied)
    if context.diff_mode:
        result["diff"] = entries_model.diff(writes, options.cluster_name)
    return result


RUNNERS = {"plan": run_plan, "apply": run_apply, "verify": run_verify, "finalize": run_finalize,
           "rollback": run_rollback}


def run(context, options: Options) -> dict:
    if options.concurrency is not None and options.concurrency < 1:
        raise errors.InvalidInput("concurrency must be 1 or more, got %d" % options.concurrency)
    for name, least in (("lease_duration", 5), ("lease_wait", 0)):
        value = getattr(options, name)
        if value is not None and value < least:
            raise errors.InvalidInput("%s must be at least %d, got %d" % (name, least, value))
    if options.step == "release":
        result = run_release(context, options)
    else:
        hold = _take_lease(context, options)
        try:
            result = RUNNERS[options.step](context, options, hold)
        finally:
            if hold is not None and hold.own:
                hold.lease.release(context.check_mode)
        if hold is not None:
            result["lease_holder"] = hold.lease.holder
    result["step"] = options.step
    return result
