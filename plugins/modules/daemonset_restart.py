#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: daemonset_restart
short_description: Restart a DaemonSet's pods safely (by default kube-system/aws-node) and wait for them
version_added: 1.0.0
description:
  - Restarts the pods of a DaemonSet so that they are created again, for example so that the pod identity webhook
    injects the IRSA variables after the service account was annotated.
  - V(rolling) (the default) does what C(kubectl rollout restart) does, honouring the DaemonSet's update strategy so
    that the nodes never all lose the pod at once. With C(RollingUpdate) it sets the pod template annotation
    C(kubectl.kubernetes.io/restartedAt) and the DaemonSet controller replaces the pods at most C(maxUnavailable)
    at a time; the module then waits like C(kubectl rollout status). A strategy that would take every node's pod down
    at once (C(maxUnavailable) at least the number of nodes, no surge) is refused unless O(allow_full_outage=true).
    With C(OnDelete), where a template change replaces nothing, it deletes the pods O(batch_size) at a time and waits
    for each batch's replacements to be ready.
  - V(delete_pods) is the EKS user guide's C(kubectl delete pods -n kube-system -l k8s-app=aws-node) - every pod at
    once - followed by a wait until all replacements are ready.
  - With O(restart_if_env) the restart happens only when some pod's containers do not carry the given environment;
    this makes the task idempotent (V(changed=false) once every pod matches). Without it, every run restarts.
  - A rollout still in progress (an earlier run stopped while waiting) is waited for first, not restarted again.
  - The waits are bounded by O(wait_timeout); RV(progress) has a timestamped line for each change of state.
author:
  - eks.access developers (@eks-access)
options:
  namespace:
    description: Namespace of the DaemonSet.
    type: str
    default: kube-system
  name:
    description: Name of the DaemonSet.
    type: str
    default: aws-node
  method:
    description: V(rolling) (strategy-aware, safe) or V(delete_pods) (every pod at once, as in the EKS user guide).
    type: str
    choices: [rolling, delete_pods]
    default: rolling
  batch_size:
    description: With the C(OnDelete) update strategy, how many pods are deleted at a time.
    type: int
    default: 1
  allow_full_outage:
    description: Accept a C(RollingUpdate) strategy that restarts every node's pod at once.
    type: bool
    default: false
  restart_if_env:
    description:
      - Restart only when a live pod has an init or regular container (not listed in the pod's
        C(eks.amazonaws.com/skip-containers) annotation) whose environment differs from this mapping.
      - A value is the expected value, V(*) means set to any value, and null means the variable must not be set.
    type: dict
  wait:
    description:
      - Wait for the rollout (or the replacements) to finish. Deleting in batches always waits between batches.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for the rollout, or for each batch of replacements.
    type: int
    default: 600
  poll_interval:
    description: Seconds between two looks at the rollout.
    type: int
    default: 2
  lease_holder:
    description:
      - The holder identity of the run's C(kube-system/eks-access-vpc-cni) Lease (M(eks.access.vpc_cni_lease)). The Lease
        is renewed before the restart and at every look while waiting; a run that lost it stops.
    type: str
  lease_duration:
    description: Seconds each renewal of the Lease lasts.
    type: int
    default: 120
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
    description: Reports whether a restart is needed and how it would be done; restarts nothing.
  diff_mode:
    support: full
    description: Lists the pods that are (would be) restarted and how.
"""

EXAMPLES = r"""
- name: Rolling restart of aws-node, only if some pod lacks the IRSA role
  eks.access.daemonset_restart:
    cluster_name: prod-eu
    restart_if_env:
      AWS_ROLE_ARN: arn:aws:iam::111122223333:role/AmazonEKSVPCCNIRole
      AWS_WEB_IDENTITY_TOKEN_FILE: "*"
    wait_timeout: 900
  register: restart

- name: Show the progress
  ansible.builtin.debug:
    var: restart.progress

- name: The guide's way, every aws-node pod at once
  eks.access.daemonset_restart:
    cluster_name: prod-eu
    method: delete_pods
"""

RETURN = r"""
restarted:
  description: Whether pods were (in check mode would be) restarted.
  returned: always
  type: bool
plan:
  description: How the restart is done.
  returned: always
  type: dict
  contains:
    method: {description: The method asked for., type: str, returned: always}
    how: {description: C(template) (rolling update by the controller) or C(batches) or C(all) (pod deletion)., type: str, returned: always}
    batch_size: {description: Pods deleted at a time (C(batches) only)., type: int, returned: always}
    strategy: {description: The update strategy resolved to numbers (type and max_unavailable and max_surge and desired)., type: dict, returned: always}
    message: {description: The plan in words., type: str, returned: always}
pods_needing_restart:
  description: With O(restart_if_env), the live pods that did not match and why.
  returned: always
  type: dict
pods_before:
  description: Names of the live pods before the restart.
  returned: success
  type: list
  elements: str
pods_after:
  description: Names of the live pods after the restart.
  returned: success
  type: list
  elements: str
progress:
  description: Timestamped progress lines (seconds since the task started).
  returned: always
  type: list
  elements: str
  sample: ["[  0.1s] rolling restart: at most 1 pods unavailable (surge 0) of 3", "[  2.3s] rolled out: 3 of 3 pods updated and available"]
"""

from ansible_collections.eks.access.plugins.module_utils import module
from ansible_collections.eks.access.plugins.module_utils.runners import daemonset_restart


def main():
    argument_spec = dict(
        namespace=dict(type="str", default="kube-system"),
        name=dict(type="str", default="aws-node"),
        method=dict(type="str", default="rolling", choices=["rolling", "delete_pods"]),
        batch_size=dict(type="int", default=1),
        allow_full_outage=dict(type="bool", default=False),
        restart_if_env=dict(type="dict"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
        poll_interval=dict(type="int", default=2),
        lease_holder=dict(type="str"),
        lease_duration=dict(type="int", default=120),
    )
    module.main(daemonset_restart, argument_spec)


if __name__ == "__main__":
    main()
