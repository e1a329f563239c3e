# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An IRSA workload for the IRSA -> Pod Identity migration tests: set up, read and torn down on the sandbox.

One namespace holding the service account ``app`` (annotated with its IAM
role, which trusts the cluster's OIDC provider for that subject) and the
Deployment ``app`` running as it.  Shared by
tests/integration/test_migrate_to_pod_identity_playbook.py and
tests/reliability/test_pod_identity_migration.py.
"""

from __future__ import annotations

import json
import time

AGENT = "eks-pod-identity-agent"
ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"
# an IAM OIDC provider needs one; the sandbox's issuer does not check it
THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"


class IrsaApp:
    """The workload in ``namespace`` with role ``role`` and ``replicas`` pods, on the sandbox cluster of ``env``."""

    def __init__(self, env, iam, eks, core, namespace, role, replicas):
        self.env, self.iam, self.eks, self.core = env, iam, eks, core
        self.cluster = env["EKS_CLUSTER_NAME"]
        self.namespace, self.role, self.replicas = namespace, role, replicas
        self.created_provider = None

    def live_pods(self):
        """The Deployment's pods not being deleted, as API JSON (camelCase)."""
        response = self.core.list_namespaced_pod(self.namespace, label_selector="app=app", _preload_content=False)
        return [p for p in json.loads(response.data)["items"] if not p["metadata"].get("deletionTimestamp")]

    def agent_installed(self):
        return AGENT in self.eks.list_addons(clusterName=self.cluster)["addons"]

    def associations(self):
        return self.eks.list_pod_identity_associations(clusterName=self.cluster,
                                                       namespace=self.namespace)["associations"]

    def trust(self):
        return self.iam.get_role(RoleName=self.role)["Role"]["AssumeRolePolicyDocument"]

    def setup(self, agent, audience_condition):
        """Create it all (and the OIDC provider when missing) and wait for the pods to run.

        ``agent``: the eks-pod-identity-agent add-on installed (True) or
        removed (False); ``audience_condition``: the trust statement also
        requires the sts.amazonaws.com audience.
        """
        from kubernetes import client

        account = self.env["AWS_ACCOUNT_ID"]
        issuer = self.env["EKS_OIDC_ISSUER"].replace("https://", "")
        provider = "arn:aws:iam::%s:oidc-provider/%s" % (account, issuer)
        if not any(p["Arn"] == provider for p in
                   self.iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]):
            self.iam.create_open_id_connect_provider(Url="https://" + issuer, ClientIDList=["sts.amazonaws.com"],
                                                     ThumbprintList=[THUMBPRINT])
            self.created_provider = provider
        condition = {issuer + ":sub": "system:serviceaccount:%s:app" % self.namespace}
        if audience_condition:
            condition[issuer + ":aud"] = "sts.amazonaws.com"
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": condition}}]}
        self.iam.create_role(RoleName=self.role, AssumeRolePolicyDocument=json.dumps(trust))
        self.core.create_namespace({"metadata": {"name": self.namespace}})
        self.core.create_namespaced_service_account(self.namespace, {"metadata": {"name": "app", "annotations": {
            ROLE_ANNOTATION: "arn:aws:iam::%s:role/%s" % (account, self.role)}}})
        client.AppsV1Api(self.core.api_client).create_namespaced_deployment(self.namespace, client.V1Deployment(
            metadata={"name": "app"},
            spec={"replicas": self.replicas, "selector": {"matchLabels": {"app": "app"}},
                  "template": {"metadata": {"labels": {"app": "app"}},
                               "spec": {"serviceAccountName": "app",
                                        "containers": [{"name": "app", "image": "registry.example/app:1"}]}}}))
        if agent and not self.agent_installed():
            self.eks.create_addon(clusterName=self.cluster, addonName=AGENT)
        elif not agent and self.agent_installed():
            self.eks.delete_addon(clusterName=self.cluster, addonName=AGENT)
        deadline = time.monotonic() + 120
        while len([p for p in self.live_pods() if p["status"].get("phase") == "Running"]) < self.replicas:
            assert time.monotonic() < deadline, "the app pods did not start"
            time.sleep(1)

    def teardown(self):
        """Remove the associations, the agent, the role, the OIDC provider setup() created, and the namespace."""
        for association in self.associations():
            self.eks.delete_pod_identity_association(clusterName=self.cluster,
                                                     associationId=association["associationId"])
        if self.agent_installed():
            self.eks.delete_addon(clusterName=self.cluster, addonName=AGENT)
        try:
            self.iam.delete_role(RoleName=self.role)
        except self.iam.exceptions.NoSuchEntityException:
            pass
        if self.created_provider:
            self.iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=self.created_provider)
        self.core.delete_namespace(self.namespace)
