# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure decisions for restarting a DaemonSet's pods safely.

``kubectl rollout restart`` sets the pod template annotation
``kubectl.kubernetes.io/restartedAt``; the DaemonSet controller then replaces
the pods as its update strategy allows (RollingUpdate: at most
``maxUnavailable`` nodes without a ready pod at a time). ``kubectl rollout
status`` waits until the controller has seen the change and every scheduled
pod is updated and available. Everything here works on JSON-shaped dicts
(camelCase keys, as the API server returns them).
"""

from __future__ import annotations

import math

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.services import workloads

RESTARTED_AT_ANNOTATION = "kubectl.kubernetes.io/restartedAt"
METHODS = ("rolling", "delete_pods")


class RolloutError(errors.InvalidInput, ValueError):
    """Invalid input, or a restart that would break the safety promise."""

    def __init__(self, message):
        super().__init__(message)


def scaled_value(value, total, round_up):
    """An int-or-percent (``2`` / ``"25%"``) scaled to ``total``, like intstr.GetScaledValueFromIntOrPercent."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise RolloutError("invalid int-or-percent %r" % (value,))
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("%"):
            try:
                percent = int(text[:-1])
            except ValueError:
                raise RolloutError("invalid percentage %r" % (value,))
            scaled = percent * total / 100.0
            return int(math.ceil(scaled)) if round_up else int(math.floor(scaled))
        if text.isdigit():
            return int(text)
    raise RolloutError("invalid int-or-percent %r" % (value,))


def strategy(daemonset):
    """``{"type", "max_unavailable", "max_surge", "desired"}`` of a DaemonSet, resolved to numbers.

    Defaults are the API server's: RollingUpdate with maxUnavailable 1 and
    maxSurge 0. maxUnavailable rounds up and maxSurge down, as the DaemonSet
    controller does; both 0 is impossible (validation), so 1 is assumed.
    """
    spec = (daemonset or {}).get("spec") or {}
    status = (daemonset or {}).get("status") or {}
    desired = int(status.get("desiredNumberScheduled") or 0)
    update = spec.get("updateStrategy") or {}
    kind = update.get("type") or "RollingUpdate"
    if kind == "OnDelete":
        return {"type": kind, "max_unavailable": None, "max_surge": None, "desired": desired}
    rolling = update.get("rollingUpdate") or {}
    max_unavailable = scaled_value(rolling.get("maxUnavailable", 1), desired, True)
    max_surge = scaled_value(rolling.get("maxSurge", 0), desired, False)
    if not max_unavailable and not max_surge:
        max_unavailable = 1
    return {"type": kind, "max_unavailable": max_unavailable, "max_surge": max_surge, "desired": desired}


def restart_patch(timestamp):
    """The DaemonSet patch ``kubectl rollout restart`` sends."""
    if not isinstance(timestamp, str) or not timestamp:
        raise RolloutError("timestamp must be a non-empty string")
    return {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT_ANNOTATION: timestamp}}}}}


def plan_restart(daemonset, method, batch_size=1, allow_full_outage=False):
    """How to restart the DaemonSet's pods: ``{"method", "how", "batch_size", "strategy", "message"}``.

    ``how`` is ``template`` (patch the pod template; the controller rolls the
    pods as its strategy allows), ``batches`` (delete pods ``batch_size`` at a
    time, each batch waiting for its replacements: for the OnDelete strategy,
    where a template change replaces nothing) or ``all`` (the guide's
    ``kubectl delete pods -l``: every pod at once, only with
    ``method=delete_pods``). A RollingUpdate that would take every node's pod
    down at once (maxUnavailable >= the number of nodes, no surge) is refused
    unless ``allow_full_outage``.
    """
    if method not in METHODS:
        raise RolloutError("method must be one of %s, got %r" % (", ".join(METHODS), method))
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise RolloutError("batch_size must be a positive integer, got %r" % (batch_size,))
    info = strategy(daemonset)
    if method == "delete_pods":
        return {"method": method, "how": "all", "batch_size": None, "strategy": info,
                "message": "deleting all %d pods at once (kubectl delete pods -l ...)" % info["desired"]}
    if info["type"] == "OnDelete":
        return {"method": method, "how": "batches", "batch_size": batch_size, "strategy": info,
                "message": "update strategy OnDelete: deleting pods %d at a time, waiting for each replacement"
                           % batch_size}
    desired = info["desired"]
    if desired > 1 and not info["max_surge"] and info["max_unavailable"] >= desired and not allow_full_outage:
        raise RolloutError(
            "the DaemonSet's RollingUpdate allows %d unavailable pods out of %d, so a rolling restart would take "
            "the CNI down on every node at once; lower spec.updateStrategy.rollingUpdate.maxUnavailable, or set "
            "allow_full_outage=true to accept it" % (info["max_unavailable"], desired))
    return {"method": method, "how": "template", "batch_size": None, "strategy": info,
            "message": "rolling restart: at most %s pods unavailable (surge %s) of %d"
                       % (info["max_unavailable"], info["max_surge"], desired)}


def rollout_status(daemonset):
    """``(done, message)`` like ``kubectl rollout status daemonset``."""
    meta = (daemonset or {}).get("metadata") or {}
    status = (daemonset or {}).get("status") or {}
    generation = meta.get("generation") or 0
    observed = status.get("observedGeneration") or 0
    desired = status.get("desiredNumberScheduled") or 0
    updated = status.get("updatedNumberScheduled") or 0
    available = status.get("numberAvailable") or 0
    if observed < generation:
        return False, "waiting for the DaemonSet spec update to be observed"
    if updated < desired:
        return False, "%d of %d updated pods are scheduled" % (updated, desired)
    if available < desired:
        return False, "%d of %d updated pods are available" % (available, desired)
    return True, "rolled out: %d of %d pods updated and available" % (available, desired)


def pod_is_ready(pod):
    status = (pod or {}).get("status") or {}
    if status.get("phase") != "Running":
        return False
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])


def replacements_ready(pods, old_names, wanted):
    """``(done, message)`` after deleting pods: ``wanted`` live, ready pods, none of them an old one."""
    live = [p for p in pods or [] if not ((p.get("metadata") or {}).get("deletionTimestamp"))]
    old_left = [p["metadata"]["name"] for p in live if p["metadata"]["name"] in old_names]
    ready = [p for p in live if pod_is_ready(p)]
    if old_left:
        return False, "waiting for %s to go away" % ", ".join(sorted(old_left))
    if len(ready) < wanted:
        return False, "%d of %d pods ready" % (len(ready), wanted)
    return True, "%d of %d pods ready" % (len(ready), wanted)


def batches(names, size):
    """``names`` in consecutive groups of ``size``."""
    names = list(names)
    return [names[i:i + size] for i in range(0, len(names), size)]


ANY_VALUE = "*"


def env_mismatches(pods, expected_env):
    """``{pod name: [problem, ...]}`` for live pods whose containers do not match ``expected_env``.

    ``expected_env`` maps a variable to its value, to ``"*"`` (set, any
    value) or to None (must not be set). Init and regular containers are
    checked, except those the pod lists in ``eks.amazonaws.com/skip-containers``
    (the pod identity webhook leaves them alone). Pods being deleted are
    ignored. Used to restart only when some pod needs it.
    """
    result = {}
    for pod in pods or []:
        meta = (pod or {}).get("metadata") or {}
        if meta.get("deletionTimestamp"):
            continue
        problems = []
        for _kind, container in workloads.mutated_containers(pod):
            env = workloads.container_env(container)
            for key, value in (expected_env or {}).items():
                where = "%s: %s" % (container.get("name"), key)
                if value is None:
                    if key in env:
                        problems.append("%s is set" % where)
                elif key not in env:
                    problems.append("%s is not set" % where)
                elif value != ANY_VALUE and env.get(key) != value:
                    problems.append("%s is %s" % (where, env.get(key)))
        if problems:
            result[meta.get("name")] = problems
    return result


def workload_rollout_status(kind, workload):
    """``(done, message)`` like ``kubectl rollout status`` for a DaemonSet, Deployment or StatefulSet."""
    if kind == "DaemonSet":
        return rollout_status(workload)
    meta = (workload or {}).get("metadata") or {}
    spec = (workload or {}).get("spec") or {}
    status = (workload or {}).get("status") or {}
    if (status.get("observedGeneration") or 0) < (meta.get("generation") or 0):
        return False, "waiting for the %s spec update to be observed" % kind
    wanted = spec.get("replicas", 1) or 0
    updated = status.get("updatedReplicas") or 0
    if updated < wanted:
        return False, "%d of %d updated replicas" % (updated, wanted)
    if kind == "Deployment" and (status.get("replicas") or 0) > updated:
        return False, "%d old replicas are pending termination" % ((status.get("replicas") or 0) - updated)
    ready = status.get("availableReplicas" if kind == "Deployment" else "readyReplicas") or 0
    if ready < wanted:
        return False, "%d of %d updated replicas are available" % (ready, wanted)
    return True, "rolled out: %d of %d replicas updated and available" % (ready, wanted)
