# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OIDC identity provider configs of one EKS cluster, over the always-retrying boto3 ``eks`` client."""

from __future__ import annotations

import time

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model import identity_provider as model
from ansible_collections.eks.access.plugins.module_utils.services.access_entries import aws_failure

try:
    from botocore.exceptions import BotoCoreError
    from botocore.exceptions import ClientError
except ImportError:  # AnsibleAWSModule reports a missing botocore
    BotoCoreError = ClientError = ()

UPDATE_DONE = ("Successful", "Failed", "Cancelled")


def _code(error) -> str:
    return (getattr(error, "response", None) or {}).get("Error", {}).get("Code", "")


class IdentityProviders:
    def __init__(self, eks, cluster_name: str):
        self.eks = eks
        self.cluster_name = cluster_name

    def _call(self, what, method, *args, **params):
        try:
            return getattr(self.eks, method)(*args, **params)
        except (ClientError, BotoCoreError) as e:
            if isinstance(e, ClientError) and _code(e) == "ResourceNotFoundException" and method != "describe_update":
                raise errors.NotFound("%s: %s" % (what, e.response.get("Error", {}).get("Message") or "not found"))
            raise aws_failure(e, what)

    def read(self) -> list:
        """Every config of the cluster (ProviderConfig), in name order."""
        listed = self._call("ListIdentityProviderConfigs on cluster %s" % self.cluster_name, "paginate",
                            "list_identity_provider_configs", clusterName=self.cluster_name)
        configs = []
        for item in listed.get("identityProviderConfigs", []):
            if item.get("type") != model.OIDC:
                continue
            try:
                described = self._call("DescribeIdentityProviderConfig %s" % item["name"],
                                       "describe_identity_provider_config", clusterName=self.cluster_name,
                                       identityProviderConfig={"type": model.OIDC, "name": item["name"]})
            except errors.NotFound:
                continue  # disassociated since it was listed
            configs.append(model.from_api(described["identityProviderConfig"]["oidc"]))
        return sorted(configs, key=lambda config: config.name)

    def associate(self, config: model.ProviderConfig) -> str:
        params = {"clusterName": self.cluster_name, "oidc": config.to_request()}
        if config.tags:
            params["tags"] = dict(config.tags)
        answer = self._call("Associating OIDC identity provider config %s with cluster %s" % (
            config.name, self.cluster_name), "associate_identity_provider_config", **params)
        return answer["update"]["id"]

    def disassociate(self, name: str) -> str:
        answer = self._call("Disassociating OIDC identity provider config %s from cluster %s" % (
            name, self.cluster_name), "disassociate_identity_provider_config", clusterName=self.cluster_name,
            identityProviderConfig={"type": model.OIDC, "name": name})
        return answer["update"]["id"]

    def tag(self, arn: str, tags: dict, keys: list) -> None:
        if tags:
            self._call("Tagging %s" % arn, "tag_resource", resourceArn=arn, tags=tags)
        if keys:
            self._call("Untagging %s" % arn, "untag_resource", resourceArn=arn, tagKeys=keys)

    def wait(self, update_id: str, what: str, timeout: float, poll: float = 5.0) -> dict:
        """The update once Successful; EksAccessError when it fails or outlasts ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        delay = min(1.0, poll)
        while True:
            update = self._call("DescribeUpdate %s" % update_id, "describe_update", name=self.cluster_name,
                                updateId=update_id)["update"]
            status = update.get("status")
            if status == "Successful":
                return update
            if status in UPDATE_DONE:
                reasons = "; ".join("%s: %s" % (e.get("errorCode"), e.get("errorMessage"))
                                    for e in update.get("errors") or []) or "no reason given"
                raise errors.EksAccessError("EKS update %s (%s) ended %s (%s)" % (update_id, what, status, reasons),
                                            update_id=update_id)
            if time.monotonic() > deadline:
                raise errors.EksAccessError(
                    "EKS update %s (%s) is still %s after %d seconds; it goes on in EKS, re-run the task to wait "
                    "again" % (update_id, what, status, timeout), update_id=update_id)
            time.sleep(delay)
            delay = min(delay * 2, poll)
