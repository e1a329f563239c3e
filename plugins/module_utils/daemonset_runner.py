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

from ansible_collections.eks.access.plugins.module_utils import kube
from ansible_collections.eks.access.plugins.module_utils import rollout


class RestartFailed(Exception):
    """The restart did not finish as asked; ``progress`` says how far it got."""

    def __init__(self, message, progress):
        super().__init__(message)
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
    def __init__(self, module):
        from ansible_collections.eks.access.plugins.module_utils import connection

        self.api = connection.kube_api(module)
        self.namespace = module.params["namespace"]
        self.name = module.params["name"]
        self.daemonset_path = kube.api_path("apps/v1", "daemonsets", self.namespace, self.name)

    def daemonset(self):
        return self.api.get_optional(self.daemonset_path)

    def pods(self, ds):
        return self.api.items(kube.api_path("v1", "pods", self.namespace),
                              label_selector=kube.label_selector(ds["spec"]["selector"].get("matchLabels")))

    def delete_pod(self, name):
        self.api.delete(kube.api_path("v1", "pods", self.namespace, name))

    def patch_daemonset(self, patch):
        self.api.merge_patch(self.daemonset_path, patch)


def _wait(check, timeout, interval, progress, what):
    deadline = time.monotonic() + timeout
    while True:
        done, message = check()
        progress(message)
        if done:
            return
        if time.monotonic() >= deadline:
            raise RestartFailed("%s did not finish within %d s (last: %s); nothing is lost: run again to resume"
                                % (what, timeout, message), progress.lines)
        time.sleep(interval)


def _wait_rollout(cluster, timeout, interval, progress):
    _wait(lambda: rollout.rollout_status(cluster.daemonset()), timeout, interval, progress, "the rollout")


def _delete_and_wait(cluster, ds, names, timeout, interval, progress, wanted, wait=True):
    for name in names:
        progress("deleting pod %s" % name)
        try:
            cluster.delete_pod(name)
        except Exception as e:  # already gone is fine
            if getattr(e, "status", None) != 404:
                raise
    if not wait:
        return

    def check():
        return rollout.replacements_ready(cluster.pods(ds), set(names), wanted)

    _wait(check, timeout, interval, progress, "replacing %s" % ", ".join(names))


def run(module):
    params = module.params
    progress = _Progress()
    cluster = _Cluster(module)
    ds = cluster.daemonset()
    if ds is None:
        raise RestartFailed("DaemonSet %s/%s does not exist" % (params["namespace"], params["name"]), [])
    plan = rollout.plan_restart(ds, params["method"], params["batch_size"], params["allow_full_outage"])
    result = dict(changed=False, restarted=False, plan=plan, pods_needing_restart={}, progress=progress.lines)

    # A rollout already under way (an earlier run stopped while waiting) is let finish first.
    done, message = rollout.rollout_status(ds)
    if not done and plan["how"] == "template" and params["wait"] and not module.check_mode:
        progress("a rollout is in progress: %s" % message)
        _wait_rollout(cluster, params["wait_timeout"], params["poll_interval"], progress)
        ds = cluster.daemonset()

    pods = cluster.pods(ds)
    before = sorted(p["metadata"]["name"] for p in pods if not p["metadata"].get("deletionTimestamp"))
    result["pods_before"] = before
    if params["restart_if_env"] is not None:
        needing = rollout.env_mismatches(pods, params["restart_if_env"])
        result["pods_needing_restart"] = needing
        if not needing:
            progress("every pod already matches restart_if_env; no restart")
            result["pods_after"] = before
            return result
    result.update(changed=True, restarted=True)
    progress(plan["message"])
    if module._diff:
        result["diff"] = dict(
            before_header="%s/%s pods" % (params["namespace"], params["name"]),
            after_header="%s/%s pods" % (params["namespace"], params["name"]),
            before="".join("%s\n" % name for name in before),
            after="".join("%s (restarted: %s)\n" % (name, plan["message"]) for name in before),
        )
    if module.check_mode:
        result["pods_after"] = before
        return result

    desired = plan["strategy"]["desired"]
    deadline_budget = params["wait_timeout"]
    if plan["how"] == "template":
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        cluster.patch_daemonset(rollout.restart_patch(stamp))
        progress("pod template annotated %s=%s" % (rollout.RESTARTED_AT_ANNOTATION, stamp))
        if params["wait"]:
            _wait_rollout(cluster, deadline_budget, params["poll_interval"], progress)
    elif plan["how"] == "all":
        _delete_and_wait(cluster, ds, before, deadline_budget, params["poll_interval"], progress, desired,
                         params["wait"])
    else:
        targets = before
        if params["restart_if_env"] is not None:
            targets = [n for n in before if n in result["pods_needing_restart"]]
        for batch in rollout.batches(targets, plan["batch_size"]):
            _delete_and_wait(cluster, ds, batch, deadline_budget, params["poll_interval"], progress, desired)
    ds = cluster.daemonset()
    result["pods_after"] = sorted(p["metadata"]["name"] for p in cluster.pods(ds)
                                  if not p["metadata"].get("deletionTimestamp"))
    if params["wait"]:
        progress("done")
    return result
