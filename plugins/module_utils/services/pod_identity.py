# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""EKS Pod Identity I/O: the cluster, its add-ons, its associations, and the roles they use.

Clients come from RunContext.aws (they retry throttling and 5xx on every
call). Per-association calls run through :func:`map_bounded` with a bounded
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
from ansible_collections.eks.access.plugins.module_utils.clients import aws
from ansible_collections.eks.access.plugins.module_utils.errors import EksAccessError
from ansible_collections.eks.access.plugins.module_utils.errors import InvalidInput
from ansible_collections.eks.access.plugins.module_utils.errors import NotFound
from ansible_collections.eks.access.plugins.module_utils.model import pod_identity as model
from ansible_collections.eks.access.plugins.module_utils.services import iam_role

try:
    import botocore.exceptions

    # What one item's calls may raise on purpose: AWS's answers and the collection's own refusals.
    _ITEM_ERRORS = (EksAccessError, botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)
except ImportError:  # AnsibleAWSModule reports a missing botocore itself
    _ITEM_ERRORS = (EksAccessError,)

DEFAULT_CONCURRENCY = aws.DEFAULT_CONCURRENCY


def error_code(exc) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "") if exc is not None else ""


def map_bounded(func: Callable, items: list, workers: int = DEFAULT_CONCURRENCY) -> list:
    """``[(item, result, error)]`` of ``func(item)`` for every item, at most ``workers`` at a time, in order."""

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

    def describe_cluster(self) -> dict:
        try:
            return self.eks.describe_cluster(name=self.cluster_name)["cluster"]
        except botocore.exceptions.ClientError as e:
            if error_code(e) == "ResourceNotFoundException":
                raise NotFound("EKS cluster %r does not exist in this region; check cluster_name and region"
                               % self.cluster_name)
            raise

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
        for current, found, error in map_bounded(one, associations, self.workers):
            if error is not None:
                if error_code(error) == "ResourceNotFoundException":
                    continue
                raise error
            described.append(model.current_from_eks(found))
        return described

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
        return map_bounded(self.apply, changes, self.workers)


def describe_error(error) -> str:
    """One line for a failed AWS call: its code and message, no HTTP details."""
    if isinstance(error, botocore.exceptions.ClientError):
        detail = error.response.get("Error", {})
        return "%s: %s" % (detail.get("Code", "Error"), detail.get("Message", ""))
    return "%s: %s" % (type(error).__name__, error)


def by_key(associations: List[model.Current]) -> Dict[model.Key, model.Current]:
    return {a.key: a for a in associations}
