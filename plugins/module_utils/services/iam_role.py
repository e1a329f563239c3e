# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IAM roles: read one into a :class:`RoleSnapshot`, carry out a planned change, delete.

The one place that talks to IAM about roles, for IRSA service accounts, the
SSO cluster-creator role, the VPC CNI role and whatever comes next.  The
decisions (what to attach, which trust policy) are the pure planners' (irsa.py
``plan_role_changes``, trust_policy.py); this service only reads and writes.

Reads go through amazon.aws ``module_utils.iam`` (missing role -> None) with
the raw client, which retries on its own; writes go through the retrying
client of :mod:`clients.aws` (throttling and 5xx only, so IAM refusing a
user's own policy document fails at once).  Right after CreateRole, IAM may
briefly answer NoSuchEntity for the new role: only the writes that follow a
create retry on that.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Optional

from ansible_collections.amazon.aws.plugins.module_utils.iam import get_iam_role
from ansible_collections.amazon.aws.plugins.module_utils.iam import list_iam_role_attached_policies
from ansible_collections.amazon.aws.plugins.module_utils.iam import list_iam_role_policies
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.eks.access.plugins.module_utils.model import arn
from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model import trust_policy
from ansible_collections.eks.access.plugins.module_utils.clients import aws

# Eventual consistency of a role just created: NoSuchEntity for a few seconds.
AFTER_CREATE_RETRY = AWSRetry.jittered_backoff(retries=10, delay=1, max_delay=20,
                                               catch_extra_error_codes=["NoSuchEntity"])


def normalize_path(path):
    """An IAM path as IAM wants it: ``/``, or ``/a/b/``."""
    path = path or "/"
    if not path.startswith("/"):
        path = "/" + path
    if not path.endswith("/"):
        path += "/"
    return path


@dataclass
class RoleSnapshot:
    """One IAM role as IAM has it now; ``role`` is None when it does not exist (``arn`` is then the planned one)."""

    name: str
    arn: str
    role: Optional[dict] = None
    trust: Optional[dict] = None
    attached: list = field(default_factory=list)
    inline: dict = field(default_factory=dict)
    tags: dict = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        return self.role is not None

    def view(self) -> dict:
        """The diff-relevant state ({} when the role does not exist)."""
        if self.role is None:
            return {}
        return {"arn": self.arn, "trust_policy": self.trust, "attached_policies": list(self.attached),
                "inline_policies": dict(self.inline)}


class IamRoles:
    """Role reads and writes over one retrying IAM client (``RunContext.aws("iam")``)."""

    def __init__(self, iam: aws.AlwaysRetryingClient):
        self.iam = iam

    # -- reads ---------------------------------------------------------------

    def get(self, name: str, partition: str, account_id: str, path: str = "/") -> RoleSnapshot:
        """The role called ``name``; when missing, a snapshot with the ARN it would get (name and path validated)."""
        planned = arn.role_arn(partition, account_id, name, normalize_path(path))
        role = get_iam_role(self.iam.client, name)
        if role is None:
            return RoleSnapshot(name, planned)
        return RoleSnapshot(
            name, role["Arn"], role, trust_policy.load_policy(role.get("AssumeRolePolicyDocument")),
            self._attached(name), self._inline_policies(name), self._tags(name))

    def attached_policy_arns(self, name: str) -> Optional[list]:
        """ARNs of the managed policies attached to the role; None when the role does not exist."""
        try:
            pages = self.iam.paginate("list_attached_role_policies", RoleName=name)
        except aws.with_code("NoSuchEntity"):
            return None
        return [p["PolicyArn"] for p in pages.get("AttachedPolicies", [])]

    def under_path(self, path_prefix: str) -> list:
        """ListRoles' roles under ``path_prefix`` (every page)."""
        return self.iam.paginate("list_roles", PathPrefix=path_prefix).get("Roles", [])

    def _attached(self, name):
        return [p["PolicyArn"] for p in list_iam_role_attached_policies(self.iam.client, name)]

    def _inline_policies(self, name):
        return {
            policy: trust_policy.load_policy(
                self.iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"])
            for policy in list_iam_role_policies(self.iam.client, name)
        }

    def _tags(self, name):
        return boto3_tag_list_to_ansible_dict(self.iam.paginate("list_role_tags", RoleName=name).get("Tags", []))

    # -- writes (the caller skips them in check mode) ------------------------

    def apply(self, snapshot: RoleSnapshot, changes: dict, trust_policy_doc, path="/", create_tags=None,
              description=None, max_session_duration=None, permissions_boundary=None) -> Optional[str]:
        """Carry out an ``irsa.plan_role_changes`` plan; returns the ARN when the role was created, else None.

        ``trust_policy_doc`` is the trust policy after the caller's merge;
        ``create_tags`` and the other settings are only used on creation.
        """
        name = snapshot.name
        iam = self.iam
        if changes["create"]:
            kwargs = dict(RoleName=name, Path=normalize_path(path), AssumeRolePolicyDocument=json.dumps(trust_policy_doc),
                          Tags=ansible_dict_to_boto3_tag_list(create_tags or {}))
            if description is not None:
                kwargs["Description"] = description
            if max_session_duration is not None:
                kwargs["MaxSessionDuration"] = max_session_duration
            if permissions_boundary:
                kwargs["PermissionsBoundary"] = permissions_boundary
            try:
                created_arn = iam.create_role(**kwargs)["Role"]["Arn"]
            except aws.with_code("EntityAlreadyExists"):
                # Another task (a cluster of the same account, in another fork) created it first.
                raise errors.Conflict("IAM role %s was created by another task meanwhile" % name) from None
            try:
                self._apply_policies(aws.AlwaysRetryingClient(iam.client, AFTER_CREATE_RETRY), name, changes)
            except aws.AWS_ERRORS as e:  # pylint: disable=catching-non-exception
                raise errors.PartiallyApplied(
                    "created IAM role %s, but completing it then failed (%s); fix that and re-run the task, which "
                    "converges" % (created_arn, aws.describe_error(e)), role_arn=created_arn) from None
            return created_arn
        if changes["trust_changed"]:
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust_policy_doc))
        if changes["role_updates"]:
            iam.update_role(RoleName=name, **changes["role_updates"])
        if changes["tags_to_add"]:
            iam.tag_role(RoleName=name, Tags=ansible_dict_to_boto3_tag_list(changes["tags_to_add"]))
        if changes["tags_to_remove"]:
            iam.untag_role(RoleName=name, TagKeys=changes["tags_to_remove"])
        if changes["permissions_boundary"]:
            iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=changes["permissions_boundary"])
        self._apply_policies(iam, name, changes)
        return None

    @staticmethod
    def _apply_policies(iam, name, changes):
        for policy_arn in changes["to_attach"]:
            iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
        for policy_arn in changes["to_detach"]:
            iam.detach_role_policy(RoleName=name, PolicyArn=policy_arn)
        for policy_name, document in changes["to_put"].items():
            iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document))
        for policy_name in changes["to_delete"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy_name)

    def update_trust(self, name: str, document: dict) -> None:
        self.iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(document))

    def attach_policy(self, name: str, policy_arn: str) -> None:
        self.iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)

    def detach_policy(self, name: str, policy_arn: str) -> None:
        self.iam.detach_role_policy(RoleName=name, PolicyArn=policy_arn)

    def delete(self, snapshot: RoleSnapshot) -> None:
        """Detach the managed policies, delete the inline ones, then the role."""
        for policy_arn in snapshot.attached:
            self.detach_policy(snapshot.name, policy_arn)
        for policy_name in snapshot.inline:
            self.iam.delete_role_policy(RoleName=snapshot.name, PolicyName=policy_name)
        self.iam.delete_role(RoleName=snapshot.name)


class OidcProviders:
    """The account's IAM OIDC identity providers (IRSA trusts a cluster's issuer through one)."""

    # EKS issuers are trusted through AWS's own root CAs; IAM no longer uses the
    # thumbprint for them, but CreateOpenIDConnectProvider may still want one.
    PLACEHOLDER_THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"

    def __init__(self, iam: aws.AlwaysRetryingClient):
        self.iam = iam

    def exists(self, provider_arn: str) -> bool:
        providers = self.iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
        return any(arn.same_arn(p.get("Arn"), provider_arn) for p in providers)

    def create(self, issuer: str, audience: str = trust_policy.DEFAULT_AUDIENCE) -> None:
        self.iam.create_open_id_connect_provider(
            Url="https://" + trust_policy.issuer_host_path(issuer), ClientIDList=[audience],
            ThumbprintList=[self.PLACEHOLDER_THUMBPRINT])


def try_assume_role(sts: aws.AlwaysRetryingClient, role_arn: str, session_name: str, duration: int = 900):
    """``(Credentials, None)`` of an STS session of the role, or ``(None, why)`` when this identity cannot assume it
    (asked once: a refusal is an answer, not something to retry)."""
    try:
        return sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name, DurationSeconds=duration,
                               aws_retry=False)["Credentials"], None
    except aws.AWS_ERRORS as e:  # pylint: disable=catching-non-exception
        return None, aws.error_code(e) or e


class ManagedPolicies:
    """The account's customer managed IAM policies (the VPC CNI's IPv6 policy)."""

    def __init__(self, iam: aws.AlwaysRetryingClient):
        self.iam = iam

    def document(self, policy_arn: str) -> Optional[dict]:
        """The default version's document of a managed policy, or None when it does not exist."""
        try:
            policy = self.iam.get_policy(PolicyArn=policy_arn)["Policy"]
        except aws.with_code("NoSuchEntity"):
            return None
        version = self.iam.get_policy_version(PolicyArn=policy_arn,
                                              VersionId=policy["DefaultVersionId"])["PolicyVersion"]
        return trust_policy.load_policy(version["Document"])

    def create(self, name: str, path: str, document: dict, description: str) -> None:
        self.iam.create_policy(PolicyName=name, Path=path, PolicyDocument=json.dumps(document),
                               Description=description)
