# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What daemonset_restart runs: reads, the restart itself and the bounded waits.

Decisions (whether a restart is needed, how, when it is done) are in
rollout.py; this file talks to the API server and keeps a timestamped
progress log that the module returns.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass
from typing import Optional

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.clients import kube
from ansible_collections.eks.access.plugins.module_utils.model import rollout
from ansible_collections.eks.access.plugins.module_utils.services import lease as lease_service
from ansible_collections.eks.access.plugins.module_utils.services import workloads


@dataclass
class RestartOptions:
    namespace: str = "kube-system"
    name: str = "aws-node"
    method: str = "rolling"
    batch_size: int = 1
    allow_full_outage: bool = False
    restart_if_env: Optional[dict] = None
    wait: bool = True
    wait_timeout: int = 600
    poll_interval: int = 2
    lease_holder: Optional[str] = None
    lease_duration: int = lease_service.DEFAULT_DURATION


class RestartFailed(errors.EksAccessError):
    """The restart did not finish as asked; ``progress`` says how far it got."""

    def __init__(self, message, progress):
        super().__init__(message, progress=progress)
        self.progress = progress


class _Progress:
    def __init__(self):
        self.start = time.monotonic()
        self.lines = []

    def __call__(self, message):
        line = "[%5.1fs] %s" % (time.monotonic() - self.start, message)
        if not self.lines or self.lines[-1].split("] ", 1)[1] != message:
            self.lines.append(line)


class _Cluster:
    def __init__(self, api, options, lease=None):
        self.api = api
        self.namespace = options.namespace
        self.name = options.name
        self.lease = lease
        self.daemonset_path = kube.api_path("apps/v1", "daemonsets", self.namespace, self.name)

    def daemonset(self):
        return workloads.daemonset(self.api, self.namespace, self.name)

    def pods(self, ds):
        return workloads.daemonset_pods(self.api, ds)

    def renew_lease(self):
        """Keep the run's Lease while waiting; stop as soon as another run has it."""
        if self.lease is not None:
            self.lease.renew()

    def delete_pod(self, name):
        try:
            self.api.delete(kube.api_path("v1", "pods", self.namespace, name))
        except errors.KubeApiError as e:
            if e.status != 404:  # already gone is fine
                raise

    def patch_daemonset(self, patch):
        self.api.merge_patch(self.daemonset_path, patch)


def _wait(cluster, check, timeout, interval, progress, what):
    deadline = time.monotonic() + timeout
    while True:
        cluster.renew_lease()
        done, message = check()
        progress(message)
        if done:
            return
        if time.monotonic() >= deadline:
            raise RestartFailed("%s did not finish within %d s (last: %s); nothing is lost: run again to resume"
                                % (what, timeout, message), progress.lines)
        time.sleep(interval)


def _wait_rollout(cluster, timeout, interval, progress):
    _wait(cluster, lambda: rollout.rollout_status(cluster.daemonset()), timeout, interval, progress, "the rollout")


def _delete_and_wait(cluster, ds, names, timeout, interval, progress, wanted, wait=True):
    for name in names:
        progress("deleting pod %s" % name)
        cluster.delete_pod(name)
    if not wait:
        return

    def check():
        return rollout.replacements_ready(cluster.pods(ds), set(names), wanted)

    _wait(cluster, check, timeout, interval, progress, "replacing %s" % ", ".join(names))


def run(ctx, options: RestartOptions) -> dict:
    for option in ("wait_timeout", "poll_interval"):
        if getattr(options, option) < 1:
            raise errors.InvalidInput("%s must be at least 1, got %d" % (option, getattr(options, option)))
    api = ctx.kube()
    lease = None
    if options.lease_holder and not ctx.check_mode:
        lease = lease_service.CniLease(api, options.lease_holder, options.lease_duration)
    progress = _Progress()
    cluster = _Cluster(api, options, lease)
    cluster.renew_lease()
    ds = cluster.daemonset()
    if ds is None:
        raise errors.NotFound("DaemonSet %s/%s does not exist; check namespace and name"
                              % (options.namespace, options.name))
    plan = rollout.plan_restart(ds, options.method, options.batch_size, options.allow_full_outage)
    result = dict(changed=False, restarted=False, plan=plan, pods_needing_restart={}, progress=progress.lines)

    # A rollout already under way (an earlier run stopped while waiting) is let finish first.
    done, message = rollout.rollout_status(ds)
    if not done and plan["how"] == "template" and options.wait and not ctx.check_mode:
        progress("a rollout is in progress: %s" % message)
        _wait_rollout(cluster, options.wait_timeout, options.poll_interval, progress)
        ds = cluster.daemonset()

    pods = cluster.pods(ds)
    before = sorted(p["metadata"]["name"] for p in pods if not p["metadata"].get("deletionTimestamp"))
    result["pods_before"] = before
    if options.restart_if_env is not None:
        needing = rollout.env_mismatches(pods, options.restart_if_env)
        result["pods_needing_restart"] = needing
        if not needing:
            progress("every pod already matches restart_if_env; no restart")
            result["pods_after"] = before
            return result
    result.update(changed=True, restarted=True)
    progress(plan["message"])
    if ctx.diff_mode:
        result["diff"] = dict(
            before_header="%s/%s pods" % (options.namespace, options.name),
            after_header="%s/%s pods" % (options.namespace, options.name),
            before="".join("%s\n" % name for name in before),
            after="".join("%s (restarted: %s)\n" % (name, plan["message"]) for name in before),
        )
    if ctx.check_mode:
        result["pods_after"] = before
        return result

    desired = plan["strategy"]["desired"]
    deadline_budget = options.wait_timeout
    if plan["how"] == "template":
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        cluster.patch_daemonset(rollout.restart_patch(stamp))
        progress("pod template annotated %s=%s" % (rollout.RESTARTED_AT_ANNOTATION, stamp))
        if options.wait:
            _wait_rollout(cluster, deadline_budget, options.poll_interval, progress)
    elif plan["how"] == "all":
        _delete_and_wait(cluster, ds, before, deadline_budget, options.poll_interval, progress, desired,
                         options.wait)
    else:
        targets = before
        if options.restart_if_env is not None:
            targets = [n for n in before if n in result["pods_needing_restart"]]
        for batch in rollout.batches(targets, plan["batch_size"]):
            _delete_and_wait(cluster, ds, batch, deadline_budget, options.poll_interval, progress, desired)
    ds = cluster.daemonset()
    result["pods_after"] = sorted(p["metadata"]["name"] for p in cluster.pods(ds)
                                  if not p["metadata"].get("deletionTimestamp"))
    if options.wait:
        progress("done")
    return result
