# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OIDC identity provider configs of one EKS cluster, over the always-retrying boto3 ``eks`` client."""

from __future__ import annotations

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.clients import aws
from ansible_collections.eks.access.plugins.module_utils.model import identity_provider as model
from ansible_collections.eks.access.plugins.module_utils.services import eks_cluster


class IdentityProviders:
    def __init__(self, eks, cluster_name: str):
        self.eks = eks
        self.cluster_name = cluster_name

    def _call(self, what, method, *args, **params):
        try:
            return getattr(self.eks, method)(*args, **params)
        except aws.AWS_ERRORS as e:  # pylint: disable=catching-non-exception
            if aws.error_code(e) == "ResourceNotFoundException" and method != "describe_update":
                raise errors.NotFound("%s: %s" % (what, e.response.get("Error", {}).get("Message") or "not found"))
            raise aws.aws_failure(e, what)

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
        return eks_cluster.wait_for_update(
            lambda: self._call("DescribeUpdate %s" % update_id, "describe_update", name=self.cluster_name,
                               updateId=update_id)["update"], timeout,
            failed=lambda update: errors.EksAccessError("EKS update %s (%s) ended %s (%s)" % (
                update_id, what, update.get("status"), eks_cluster.update_errors(update)), update_id=update_id),
            timed_out=lambda update: errors.EksAccessError(
                "EKS update %s (%s) is still %s after %d seconds; it goes on in EKS, re-run the task to wait "
                "again" % (update_id, what, update.get("status"), timeout), update_id=update_id),
            poll=poll)
