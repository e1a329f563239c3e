# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What vpc_cni_lease runs: take, renew or release the CNI migration's Lease (services/lease.py)."""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.eks.access.plugins.module_utils.services import lease as lease_service


@dataclass
class Options:
    holder: str
    state: str = "present"
    duration: int = lease_service.DEFAULT_DURATION
    wait_timeout: int = 0


def run(ctx, options: Options) -> dict:
    lease = lease_service.CniLease(ctx.kube(), options.holder, options.duration)
    if options.state == "absent":
        outcome = lease.release(ctx.check_mode)
    else:
        outcome = lease.wait_and_acquire(options.wait_timeout, ctx.check_mode)
    # The Lease is the runs' bookkeeping, not the cluster's configuration: never reported as a change,
    # so that a re-run of a converged migration still says changed=0.
    outcome["changed"] = False
    if outcome["action"] == "takeover":
        ctx.warn("took over the expired Lease %s/%s from %s"
                 % (lease.namespace, lease.name, outcome["previous_holder"]))
    return dict(outcome, holder=options.holder, lease="%s/%s" % (lease.namespace, lease.name))
