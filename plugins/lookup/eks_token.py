# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: eks_token
short_description: A short-lived EKS bearer token and the cluster's endpoint and CA, for kubernetes.core
version_added: 1.0.0
description:
  - Describes the EKS cluster for its API endpoint and certificate authority, writes the CA to a private file
    on the controller, and mints an EKS bearer token from a presigned STS C(GetCallerIdentity) request, as
    C(aws eks get-token) does - locally, without the AWS CLI or a kubeconfig.
  - Returns a dictionary whose C(host), C(api_key), C(ca_cert) and C(validate_certs) are the
    kubernetes.core module options of the same names, so C(kubernetes.core.k8s) and C(kubernetes.core.k8s_info)
    work in AWX or any runner that holds only an AWS credential.
  - The token is valid for O(expires) seconds (at most 15 minutes, the authenticator's limit); a variable holding
    the lookup is templated again, and a fresh token minted, by each task that uses it.
  - The token is a credential - anyone holding it acts as the AWS identity that minted it on that cluster until it
    expires. Keep it out of logs and facts. Put the lookup in the C(vars) of a play, block or task, as the examples
    do, and hand C(api_key) to modules that mark it secret (the C(api_key) option of kubernetes.core modules is
    C(no_log)); do not C(register) the lookup or copy it with C(ansible.builtin.set_fact) (facts are kept for the
    rest of the run, in fact caches, and printed with C(-v)); do not C(ansible.builtin.debug) it; and set
    C(no_log=true) on any other task that receives the token, such as an C(ansible.builtin.uri) call with an
    C(Authorization) header.
author:
  - eks.access developers (@eks-access)
options:
  _terms:
    description: The name of the EKS cluster.
    required: true
  expires:
    description: Seconds the token stays valid, between 1 and 900.
    type: int
    default: 900
extends_documentation_fragment:
  - amazon.aws.boto3
  - amazon.aws.common.plugins
  - amazon.aws.region.plugins
"""

EXAMPLES = r"""
- name: Create a namespace with only an AWS credential
  kubernetes.core.k8s:
    host: "{{ cluster.host }}"
    api_key: "{{ cluster.api_key }}"
    ca_cert: "{{ cluster.ca_cert }}"
    kind: Namespace
    name: team-a
  vars:
    cluster: "{{ lookup('eks.access.eks_token', 'prod-eu', region='eu-west-1') }}"

- name: Every kubernetes.core task of a play on the same cluster
  hosts: localhost
  vars:
    cluster: "{{ lookup('eks.access.eks_token', 'prod-eu') }}"
  module_defaults:
    group/kubernetes.core.k8s:
      host: "{{ cluster.host }}"
      api_key: "{{ cluster.api_key }}"
      ca_cert: "{{ cluster.ca_cert }}"
  tasks:
    - name: Read the nodes
      kubernetes.core.k8s_info:
        kind: Node

- name: A raw API call carries the token in a header; no_log keeps it out of the output and the logs
  ansible.builtin.uri:
    url: "{{ cluster.host }}/version"
    ca_path: "{{ cluster.ca_cert }}"
    headers:
      Authorization: "Bearer {{ cluster.api_key }}"
  no_log: true
  vars:
    cluster: "{{ lookup('eks.access.eks_token', 'prod-eu') }}"
"""

RETURN = r"""
_raw:
  description: One dictionary per cluster name.
  type: list
  elements: dict
  contains:
    host:
      description: The cluster's Kubernetes API endpoint (the C(host) option of kubernetes.core modules).
      type: str
    api_key:
      description: The bearer token, C(k8s-aws-v1.) followed by the encoded presigned URL (their C(api_key) option).
      type: str
    ca_cert:
      description: Path of a file on the controller holding the cluster's CA certificate (their C(ca_cert) option).
      type: str
    validate_certs:
      description: Always true.
      type: bool
    certificate_authority_data:
      description: The CA as EKS returns it, base64-encoded PEM.
      type: str
    expires:
      description: Seconds the token was minted for.
      type: int
"""

import hashlib
import os
import tempfile

from ansible.errors import AnsibleLookupError

from ansible_collections.amazon.aws.plugins.plugin_utils.lookup import AWSLookupBase

from ansible_collections.eks.access.plugins.module_utils.errors import EksAccessError
from ansible_collections.eks.access.plugins.module_utils.services import eks_cluster
from ansible_collections.eks.access.plugins.module_utils.clients.connection import KubernetesConnectionError
from ansible_collections.eks.access.plugins.module_utils.clients.connection import decode_ca_data
from ansible_collections.eks.access.plugins.module_utils.clients.eks_token import mint_token

# The authenticator refuses a presigned URL older than this, whatever it says itself.
MAX_EXPIRES_SECONDS = 900


def write_ca_file(cluster_name: str, pem: bytes) -> str:
    """The CA in a file only this user reads, named by its content so runs reuse it instead of piling up."""
    directory = os.path.join(tempfile.gettempdir(), "eks-access-ca-%d" % os.getuid())
    os.makedirs(directory, mode=0o700, exist_ok=True)
    if os.stat(directory).st_uid != os.getuid():
        raise AnsibleLookupError("%s belongs to another user; refusing to keep a CA there" % directory)
    digest = hashlib.sha256(pem).hexdigest()[:16]
    label = "".join(c if c.isalnum() or c in "-_." else "_" for c in cluster_name)
    path = os.path.join(directory, "%s-%s.crt" % (label, digest))
    if not os.path.exists(path):
        handle, partial = tempfile.mkstemp(dir=directory)
        with os.fdopen(handle, "wb") as ca_file:
            ca_file.write(pem)
        os.replace(partial, path)
    return path


class LookupModule(AWSLookupBase):
    def run(self, terms, variables=None, **kwargs):
        super().run(terms, variables, **kwargs)
        expires = self.get_option("expires")
        if not 1 <= expires <= MAX_EXPIRES_SECONDS:
            raise AnsibleLookupError("expires must be between 1 and %d seconds, got %d" % (MAX_EXPIRES_SECONDS, expires))
        if not terms:
            raise AnsibleLookupError("eks_token needs the name of the EKS cluster")
        eks_client = self.client("eks")
        sts_client = self.client("sts")
        results = []
        for cluster_name in terms:
            try:
                facts = eks_cluster.describe_cluster(eks_client, cluster_name)
            except EksAccessError as e:  # not found, refused: one sentence (clients/aws.py)
                raise AnsibleLookupError(str(e))
            if not facts.endpoint or not facts.certificate_authority_data:
                raise AnsibleLookupError("EKS cluster %r has no endpoint or CA yet (status %s)" % (
                    cluster_name, facts.status))
            try:
                pem = decode_ca_data(cluster_name, facts.certificate_authority_data)
            except KubernetesConnectionError as e:
                raise AnsibleLookupError(str(e))
            results.append({
                "host": facts.endpoint,
                "api_key": mint_token(sts_client, cluster_name, expires),
                "ca_cert": write_ca_file(cluster_name, pem),
                "validate_certs": True,
                "certificate_authority_data": facts.certificate_authority_data,
                "expires": expires,
            })
        return results
