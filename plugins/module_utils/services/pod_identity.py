# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""EKS Pod Identity I/O: the cluster, its add-ons, its associations, and the roles they use.

Clients come from RunContext.aws (they retry throttling and 5xx on every
call). Per-association calls run through :func:`each_outcome` with a bounded
number of threads; each item's outcome (result or error) is kept so a batch
can say exactly what was and was not applied.

Roles are read and their trust written through the shared IAM-role service
(services/iam_role.py).
"""

from __future__ import annotations

from typing import Callable
from typing import Dict
from typing import List
from typing import Optional

from ansible_collections.eks.access.plugins.module_utils.model import arn as arn_rules
from ansible_collections.eks.access.plugins.module_utils.model import trust_policy
from ansible_collections.eks.access.plugins.module_utils.clients import aws
from ansible_collections.eks.access.plugins.module_utils.errors import EksAccessError
from ansible_collections.eks.access.plugins.module_utils.errors import InvalidInput
from ansible_collections.eks.access.plugins.module_utils.model import pod_identity as model
from ansible_collections.eks.access.plugins.module_utils.model.eks_cluster import ClusterFacts
from ansible_collections.eks.access.plugins.module_utils.services import eks_cluster
from ansible_collections.eks.access.plugins.module_utils.services import iam_role

# What one item's calls may raise on purpose: AWS's answers and the collection's own refusals.
_ITEM_ERRORS = (EksAccessError,) + aws.AWS_ERRORS

DEFAULT_CONCURRENCY = aws.DEFAULT_CONCURRENCY


def each_outcome(func: Callable, items: list, workers: int = DEFAULT_CONCURRENCY) -> list:
    """``[(item, result, error)]`` of ``func(item)`` for every item, at most ``workers`` at a time, in order
    (clients/aws.py's ``map_bounded``, with each item's AWS error kept instead of raised)."""

    def call(item):
        try:
            return item, func(item), None
        except _ITEM_ERRORS as e:  # kept per item: the caller reports which ones failed
            return item, None, e

    return aws.map_bounded(call, items, workers)


class PodIdentityService:
    """One cluster's Pod Identity associations (EKS) and the trust of their roles (IAM)."""

    def __init__(self, eks, iam, cluster_name: str, workers: int = DEFAULT_CONCURRENCY):
        self.eks = eks
        self.roles = iam_role.IamRoles(iam)
        self.cluster_name = cluster_name
        self.workers = workers

    # ------------------------------------------------------------------ reads

    def cluster_facts(self) -> ClusterFacts:
        """The cluster's facts (services/eks_cluster.py's DescribeCluster); NotFound when it does not exist."""
        return eks_cluster.describe_cluster(self.eks, self.cluster_name)

    def addon_names(self) -> List[str]:
        return self.eks.paginate("list_addons", clusterName=self.cluster_name).get("addons", [])

    def associations(self) -> List[model.Current]:
        """Every association of the cluster, from the list summaries (no role, tags)."""
        summaries = self.eks.paginate("list_pod_identity_associations", clusterName=self.cluster_name)
        return [model.current_from_eks(s) for s in summaries.get("associations", [])]

    def describe(self, associations: List[model.Current]) -> List[model.Current]:
        """The full description of each association (concurrently); one that vanished meanwhile is dropped."""
        def one(current):
            return self.eks.describe_pod_identity_association(
                clusterName=self.cluster_name, associationId=current.association_id)["association"]

        described = []
        for current, found, error in each_outcome(one, associations, self.workers):
            if error is not None:
                if aws.error_code(error) == "ResourceNotFoundException":
                    continue
                raise aws.aws_failure(error, "DescribePodIdentityAssociation %s" % current.association_id) \
                    if isinstance(error, aws.AWS_ERRORS) else error
            described.append(model.current_from_eks(found))
        return described

    def association_of(self, namespace: str, service_account: str) -> Optional[dict]:
        """The association of one service account as ``{"association_id", "role_arn", "owner_arn"}``; None when it has
        none."""
        found = self.describe([a for a in self.associations() if a.key == (namespace, service_account)])
        if not found:
            return None
        return {"association_id": found[0].association_id, "role_arn": found[0].role_arn,
                "owner_arn": found[0].owner_arn}

    def tag_associations_of(self, namespace: str, service_account: str, tags: dict) -> None:
        """Tag every association of one service account (an add-on's too: they are listed by service account)."""
        found = self.eks.paginate("list_pod_identity_associations", clusterName=self.cluster_name,
                                  namespace=namespace, serviceAccount=service_account).get("associations", [])
        for summary in found:
            self.eks.tag_resource(resourceArn=summary["associationArn"], tags=tags)

    def role_trust(self, role_arn: str) -> Optional[dict]:
        """The trust policy of a role (dict), or None when the role does not exist."""
        parsed = arn_rules.require_role_arn(role_arn)
        snapshot = self.roles.get(parsed.name, parsed.partition, parsed.account_id, parsed.path)
        if not snapshot.exists:
            return None
        if snapshot.arn != role_arn:
            # IAM role names are unique per account: this is the role, under another path.
            raise InvalidInput("role %s is %s in IAM (path %s); give its ARN with the path"
                               % (role_arn, snapshot.arn, snapshot.role.get("Path", "/")))
        return snapshot.trust or {}

    def verify_roles(self, role_arns, manage_trust: bool) -> Dict[str, tuple]:
        """{role ARN: (old trust, new trust)} to write; Refused when a role is missing or cannot be fixed.

        A role must exist and trust ``pods.eks.amazonaws.com`` with ``sts:AssumeRole`` and
        ``sts:TagSession``; with ``manage_trust`` a role lacking that statement gets it (returned here,
        written by the caller after every other check passed).
        """
        missing, untrusting, denied, updates = [], {}, {}, {}
        for role_arn in role_arns:
            trust = self.role_trust(role_arn)
            if trust is None:
                missing.append(role_arn)
                continue
            lacking, refused = trust_policy.pod_identity_trust_gaps(trust)
            if refused:
                denied[role_arn] = refused
            elif lacking and manage_trust:
                new_trust, _changed = trust_policy.merge_statement(trust, trust_policy.pod_identity_statement())
                updates[role_arn] = (trust, new_trust)
            elif lacking:
                untrusting[role_arn] = lacking
        if missing or untrusting or denied:
            raise model.trust_refusal(missing, untrusting, denied)
        return updates

    # ------------------------------------------------------------------ writes

    def put_role_trust(self, role_arn: str, policy: dict) -> None:
        self.roles.update_trust(arn_rules.require_role_arn(role_arn).name, policy)

    def apply(self, change: model.Change) -> Optional[dict]:
        """One planned change; returns the association EKS answered (None for a tags-only update)."""
        if change.action == "create":
            wanted = change.wanted
            params = dict(clusterName=self.cluster_name, namespace=wanted.namespace,
                          serviceAccount=wanted.service_account, roleArn=wanted.role_arn,
                          disableSessionTags=wanted.disable_session_tags)
            if wanted.target_role_arn:
                params["targetRoleArn"] = wanted.target_role_arn
            if wanted.policy is not None:
                params["policy"] = wanted.policy
            if wanted.tags:
                params["tags"] = wanted.tags
            return self.eks.create_pod_identity_association(**params)["association"]
        if change.action == "delete":
            return self.eks.delete_pod_identity_association(
                clusterName=self.cluster_name, associationId=change.current.association_id)["association"]
        answer = None
        if change.update:
            answer = self.eks.update_pod_identity_association(
                clusterName=self.cluster_name, associationId=change.current.association_id,
                **change.update)["association"]
        if change.tags_to_remove:
            self.eks.untag_resource(resourceArn=change.current.association_arn, tagKeys=change.tags_to_remove)
        if change.tags_to_add:
            self.eks.tag_resource(resourceArn=change.current.association_arn, tags=change.tags_to_add)
        return answer

    def apply_all(self, changes: List[model.Change]) -> list:
        """``[(change, answer, error)]`` for every change, at most ``workers`` at a time."""
        return each_outcome(self.apply, changes, self.workers)


def by_key(associations: List[model.Current]) -> Dict[model.Key, model.Current]:
    return {a.key: a for a in associations}
