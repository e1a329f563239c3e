# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""aws-node's credentials as they are now: the DaemonSet, its service account, its pods, and (Pod Identity) the
service account's association in EKS, checked by model/cni.py.

Used by aws_node_irsa_info and by node_role_policy at the moment it detaches.
"""

from __future__ import annotations

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model import cni
from ansible_collections.eks.access.plugins.module_utils.model import irsa
from ansible_collections.eks.access.plugins.module_utils.model import workloads as workloads_model
from ansible_collections.eks.access.plugins.module_utils.services import workloads


def _association_problem(expect_irsa, association, sa_label, role_arn):
    """Pod Identity: what is wrong with the service account's association (None: nothing)."""
    if expect_irsa:
        if association is None:
            return "the service account %s has no Pod Identity association" % sa_label
        if role_arn and association["role_arn"] != role_arn:
            return "the Pod Identity association of %s uses %s, not %s" % (sa_label, association["role_arn"], role_arn)
        return None
    if association is not None:
        return "the service account %s still has a Pod Identity association (%s, role %s)" % (
            sa_label, association["association_id"], association["role_arn"])
    return None


def verify_daemonset(api, namespace=cni.CNI_NAMESPACE, daemonset=cni.CNI_SERVICE_ACCOUNT, role_arn=None,
                     expect_irsa=True, credential_method="irsa", association_of=None) -> dict:
    """Read the DaemonSet, its service account and its pods now, and check each pod (cni.verify_pods).

    With credential_method=pod_identity and ``association_of(namespace,
    service_account)`` (services/pod_identity.py's ``association_of``), the
    service account's association is read from EKS too: the role is the
    association's, the pods only carry the agent's address and token.
    """
    ds = workloads.daemonset(api, namespace, daemonset)
    if ds is None:
        raise errors.NotFound("DaemonSet %s/%s does not exist; check namespace and daemonset" % (namespace, daemonset))
    sa_name = workloads_model.daemonset_service_account(ds)
    sa = workloads.service_account(api, namespace, sa_name)
    annotations = workloads_model.annotations(sa)
    association = None
    association_problem = None
    if credential_method == "pod_identity":
        if association_of is not None:
            association = association_of(namespace, sa_name)
            association_problem = _association_problem(expect_irsa, association, "%s/%s" % (namespace, sa_name),
                                                       role_arn)
            if expect_irsa and not role_arn and association:
                role_arn = association["role_arn"]
    elif expect_irsa and not role_arn:
        role_arn = annotations.get(irsa.ROLE_ARN_ANNOTATION)
    pods = workloads.daemonset_pods(api, ds)
    desired = workloads_model.desired_pods(ds)
    report = cni.verify_pods(pods, role_arn, desired, expect_irsa, workloads_model.audience_of(sa), credential_method)
    if credential_method == "irsa" and expect_irsa and not role_arn:
        problem = "no role ARN to expect: the service account %s/%s has no %s annotation" % (
            namespace, sa_name, irsa.ROLE_ARN_ANNOTATION)
        report["failures"].insert(0, {"pod": None, "container": None, "problem": problem})
        report["ok"] = False
    if association_problem:
        report["failures"].insert(0, {"pod": None, "container": None, "problem": association_problem})
        report["ok"] = False
    return dict(
        changed=False,
        ok=report["ok"],
        role_arn=role_arn,
        expect_irsa=expect_irsa,
        credential_method=credential_method,
        pod_identity_association=association,
        service_account=dict(namespace=namespace, name=sa_name, exists=sa is not None, annotations=annotations),
        desired=desired,
        checked=report["checked"],
        pods=report["pods"],
        terminating=report["terminating"],
        failures=report["failures"],
        failure_lines=cni.failure_lines(report),
    )
