# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # How eks.access modules reach a cluster's Kubernetes API, beside
    # kubernetes.core's own auth options (kubernetes.core.k8s_auth_options).
    DOCUMENTATION = r"""
requirements:
  - kubernetes >= 24.2.0 (the Kubernetes Python client, as kubernetes.core uses it)
options:
  cluster_name:
    description:
      - Name of the Amazon EKS cluster.
      - When no Kubernetes connection settings are given (no O(kubeconfig), O(context), O(host),
        O(api_key), no E(K8S_AUTH_*) or E(KUBECONFIG) environment variable), the module describes
        the cluster for its endpoint and certificate authority and authenticates with an EKS bearer
        token minted from a presigned STS C(GetCallerIdentity) request, like C(aws eks get-token).
        No kubeconfig and no AWS CLI are needed, which suits AWX/Tower job templates.
    type: str
  k8s_auth:
    description:
      - How to authenticate to the Kubernetes API.
      - V(auto) uses an EKS token when O(cluster_name) is set and no Kubernetes connection settings
        are found, and kubernetes.core's settings otherwise.
      - V(kubernetes) always uses kubernetes.core's settings (kubeconfig, in-cluster, host and token, ...).
      - V(eks_token) always uses O(cluster_name) and the AWS credentials.
    type: str
    choices: [auto, kubernetes, eks_token]
    default: auto
"""
