# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kube-system/aws-auth on the sandbox, as the test suites set it up and check it.

Reads and writes go through the kubernetes client directly (not through the
collection under test), and the check is aws-iam-authenticator's own parser
(``aws-auth-check``), so neither suite grades the modules with their own code.
"""

from __future__ import annotations

import json
import os
import subprocess

NODE_USERNAME = "system:node:{{EC2PrivateDNSName}}"


def delete_aws_auth(core):
    """Delete aws-auth through a CoreV1Api; already gone is fine."""
    from kubernetes.client.rest import ApiException

    try:
        core.delete_namespaced_config_map("aws-auth", "kube-system")
    except ApiException as e:
        if e.status != 404:
            raise


def role_mappings(account, prefix, count):
    """``count`` mapRoles entries of roles <prefix>-NN in ``account``, each in group ``prefix``."""
    return [{"rolearn": "arn:aws:iam::%s:role/%s-%02d" % (account, prefix, n), "username": "%s-%02d" % (prefix, n),
             "groups": ["%s" % prefix]} for n in range(count)]


def authenticator_view(env, data):
    """What aws-iam-authenticator's parser (``aws-auth-check``) reads from aws-auth ``data``; raises when it refuses it."""
    checker = subprocess.run([os.path.join(env["SANDBOX_BIN"], "aws-auth-check")],
                             input=json.dumps(data), capture_output=True, text=True, check=False)
    if checker.returncode != 0:
        raise AssertionError("the authenticator refuses aws-auth: %s" % checker.stderr.strip())
    return json.loads(checker.stdout)


class AwsAuthState:
    """Reset, read and check kube-system/aws-auth on the sandbox."""

    def __init__(self, env, core):
        self.env, self.core = env, core
        self.node_roles = env["EKS_NODE_ROLE_ARNS"].split(",")
        self.account = env["AWS_ACCOUNT_ID"]

    def delete(self):
        delete_aws_auth(self.core)

    def reset(self, data=None):
        """aws-auth with the stock node mappings (or ``data``); returns its resourceVersion."""
        self.delete()
        if data is None:
            data = {"mapRoles": "".join(
                "- groups:\n  - system:bootstrappers\n  - system:nodes\n  rolearn: %s\n  username: %s\n"
                % (arn, NODE_USERNAME) for arn in self.node_roles)}
        cm = self.core.create_namespaced_config_map("kube-system", {
            "metadata": {"name": "aws-auth", "namespace": "kube-system"}, "data": data})
        return cm.metadata.resource_version

    def read(self):
        """(data, resourceVersion), or (None, None) when there is no aws-auth."""
        from kubernetes.client.rest import ApiException

        try:
            cm = self.core.read_namespaced_config_map("aws-auth", "kube-system")
        except ApiException as e:
            if e.status == 404:
                return None, None
            raise
        return cm.data or {}, cm.metadata.resource_version

    def authenticator_view(self, data=None):
        """What aws-iam-authenticator's parser reads; raises when it refuses the ConfigMap."""
        if data is None:
            data = self.read()[0] or {}
        return authenticator_view(self.env, data)
