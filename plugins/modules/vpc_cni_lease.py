#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpc_cni_lease
short_description: Take, renew or give up the Lease that keeps two runs from changing a cluster's CNI credentials at once
version_added: 1.0.0
description:
  - Runs that change the credentials of a cluster's Amazon VPC CNI plugin (the C(eks.access.vpc_cni_irsa) migration
    and its rollback) hold the C(coordination.k8s.io/v1) Lease C(kube-system/eks-access-vpc-cni) for the whole run, so
    that a rollback cannot move aws-node off its role between a migration's verification and its detaching of the node
    policy.
  - V(present) takes the Lease for O(holder), or renews it when O(holder) already has it. Another run's Lease that
    has not expired is refused with a message naming its holder and when it expires; one that expired (its run was
    killed) is taken over, with a warning. Every write is guarded by the Lease's C(resourceVersion), so of two runs
    racing for it exactly one wins.
  - V(absent) gives the Lease up when O(holder) has it; otherwise nothing changes.
  - The Lease is bookkeeping of the runs, not configuration of the cluster, so the task never reports C(changed).
  - The modules of one run share the Lease through O(holder); M(eks.access.node_role_policy) and
    M(eks.access.daemonset_restart) renew it with their C(lease_holder) option.
author:
  - eks.access developers (@eks-access)
options:
  holder:
    description: Who holds the Lease - one string per run, naming it for the other runs' messages (operation, user, host, run id).
    type: str
    required: true
  state:
    description: V(present) takes or renews the Lease; V(absent) gives it up.
    type: str
    choices: [present, absent]
    default: present
  duration:
    description: Seconds the Lease lasts unless renewed. A killed run's Lease can be taken over after this long.
    type: int
    default: 120
  wait_timeout:
    description: Seconds to wait for another run's Lease to be released or to expire before refusing.
    type: int
    default: 0
extends_documentation_fragment:
  - eks.access.cluster
  - kubernetes.core.k8s_auth_options
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - eks.access.action_groups.kubernetes
attributes:
  check_mode:
    support: full
    description: Says whether the Lease would be taken (and refuses when another run holds it); writes nothing.
  diff_mode:
    support: none
    description: The Lease is bookkeeping; there is nothing to show.
"""

EXAMPLES = r"""
- name: Hold the CNI Lease for this run
  eks.access.vpc_cni_lease:
    cluster_name: prod-eu
    holder: "migration of prod-eu by alice@bastion, run 3f9a1c2b"

- name: Give it up at the end
  eks.access.vpc_cni_lease:
    cluster_name: prod-eu
    holder: "migration of prod-eu by alice@bastion, run 3f9a1c2b"
    state: absent
"""

RETURN = r"""
action:
  description: V(create), V(acquire) (a released Lease), V(renew), V(takeover) (an expired one), V(release) or V(none).
  returned: always
  type: str
previous_holder:
  description: Whose expired or released Lease was taken, if anyone's.
  returned: always
  type: str
expires:
  description: When the Lease ends unless renewed (UTC).
  returned: always
  type: str
holder:
  description: The holder given.
  returned: always
  type: str
lease:
  description: namespace/name of the Lease.
  returned: always
  type: str
"""

from ansible_collections.eks.access.plugins.module_utils import module
from ansible_collections.eks.access.plugins.module_utils.runners import vpc_cni_lease as runner


def main():
    argument_spec = dict(
        holder=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        duration=dict(type="int", default=120),
        wait_timeout=dict(type="int", default=0),
    )
    module.main(runner, argument_spec)


if __name__ == "__main__":
    main()
