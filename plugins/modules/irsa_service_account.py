#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: irsa_service_account
short_description: Manage IAM roles for Kubernetes service accounts (IRSA) on EKS
version_added: 1.0.0
description:
  - Like C(eksctl create iamserviceaccount). Makes an IAM role trust one Kubernetes service account of an
    EKS cluster through the cluster's IAM OIDC identity provider, attaches managed and inline policies to the
    role, and annotates the service account with C(eks.amazonaws.com/role-arn) so that the EKS Pod Identity
    Webhook injects C(AWS_ROLE_ARN) and C(AWS_WEB_IDENTITY_TOKEN_FILE) into new pods.
  - The cluster's OIDC issuer is read with EKS C(DescribeCluster). The trust statement uses C(StringEquals)
    on C(<issuer>:aud) and C(<issuer>:sub). Several service accounts may share a role; each gets its own
    statement.
  - A service account already annotated with another role is refused (nothing is written, in IAM either)
    unless O(override_existing_annotation=true).
  - With O(state=absent) the service account's statement is removed from the trust policy and the
    C(eks.amazonaws.com/*) annotations pointing at the role are removed. The role itself is deleted only
    when this collection created it for this service account alone (ownership tags) and no other
    statement remains. A role that is kept but no longer trusts anything gets a deny-only trust policy,
    because IAM refuses an empty one. The service account itself is never deleted.
  - Pods started before the annotation do not have the credentials; they are listed in
    RV(restart_required).
  - With O(credential_method=pod_identity) the role is granted through EKS Pod Identity instead of the OIDC
    trust, with the same role handling (policies, tags, ownership, deletion). The trust policy gets the statement
    for C(pods.eks.amazonaws.com) with C(sts:AssumeRole) and C(sts:TagSession) (unless it already grants both; a
    Deny for them is refused), and the service account gets a Pod Identity association with the role
    (C(CreatePodIdentityAssociation), or C(UpdatePodIdentityAssociation) when it has one with another role; its
    target role and session tag setting are kept). The service account is not annotated, no OIDC provider is
    needed, and the task is refused when the cluster has no C(eks-pod-identity-agent) add-on (see
    O(require_agent)) or when the service account's association belongs to an add-on (change that through the
    add-on). With O(state=absent) the association is deleted; the role is deleted only when this collection
    created it for this service account alone, no other association of the cluster uses it and its trust holds
    nothing but the Pod Identity statement, which is otherwise left as it is (it is not specific to one
    service account). See also M(eks.access.pod_identity_association) for many associations at once.
author:
  - eks.access developers (@eks-access)
options:
  cluster_name:
    description:
      - Name of the EKS cluster; its OIDC issuer is read from EKS.
    type: str
    required: true
  namespace:
    description: Namespace of the service account.
    type: str
    default: default
  name:
    description: Name of the service account.
    type: str
    required: true
  role_name:
    description: Name of the IAM role.
    type: str
    required: true
  role_path:
    description: Path of the IAM role when it is created.
    type: str
    default: /
  permissions_boundary:
    description: ARN of a managed policy to set as the role's permissions boundary.
    type: str
  description:
    description: Description of the role.
    type: str
  tags:
    description:
      - Tags of the role. Not given means the tags are not managed.
      - On creation the role also gets C(eks.access/*) ownership tags; they are never purged.
    type: dict
  purge_tags:
    description:
      - Remove tags not in O(tags) (only when O(tags) is given). C(eks.access/*) and C(aws:*) tags are kept.
    type: bool
    default: true
  max_session_duration:
    description: Maximum session duration of the role, in seconds (3600 to 43200).
    type: int
  managed_policies:
    description:
      - ARNs of managed policies to attach. Not given means the attached policies are not managed.
    type: list
    elements: str
  inline_policies:
    description:
      - Inline policies of the role, name to policy document (a dict or a JSON string).
        Not given means the inline policies are not managed.
    type: dict
  purge_policies:
    description:
      - Detach managed policies not in O(managed_policies) and delete inline policies not in
        O(inline_policies) (only for the options that are given).
    type: bool
    default: true
  state:
    description: Whether the service account should be able to assume the role.
    type: str
    choices: [present, absent]
    default: present
  create_oidc_provider:
    description:
      - Create the IAM OIDC identity provider for the cluster issuer when it is missing. Otherwise a
        missing provider fails the task.
      - The provider belongs to the account, not to the role; RV(oidc_provider_created) and the diff say when
        this task created it.
      - AWS no longer uses the thumbprint for EKS issuers (it trusts them through its own root CAs); a
        placeholder thumbprint is registered.
    type: bool
    default: false
  create_service_account:
    description: Create the service account when it does not exist.
    type: bool
    default: true
  override_existing_annotation:
    description: Replace an existing C(eks.amazonaws.com/role-arn) annotation naming another role.
    type: bool
    default: false
  role_only:
    description: Only manage the IAM side; do not touch Kubernetes.
    type: bool
    default: false
  keep_role:
    description:
      - With O(state=absent), only remove the service account's annotations and leave the IAM role and its trust
        policy as they are, for example so that running pods keep working until they are restarted.
    type: bool
    default: false
  sts_regional_endpoints:
    description: Set the C(eks.amazonaws.com/sts-regional-endpoints) annotation.
    type: bool
  token_expiration:
    description: Set the C(eks.amazonaws.com/token-expiration) annotation, in seconds (3600 to 86400).
    type: int
  audience:
    description:
      - Audience of the projected token, checked by the trust policy (C(<issuer>:aud)).
      - Any value other than the default is also written to the C(eks.amazonaws.com/audience) annotation.
    type: str
    default: sts.amazonaws.com
  credential_method:
    description:
      - How the service account gets the role. V(irsa) through the cluster's OIDC issuer (trust statement and
        C(eks.amazonaws.com/role-arn) annotation), V(pod_identity) through EKS Pod Identity (trust for
        C(pods.eks.amazonaws.com) and a Pod Identity association, no annotation).
      - With V(pod_identity), O(sts_regional_endpoints), O(token_expiration) and O(audience) do not apply and are
        refused; O(create_oidc_provider) and O(override_existing_annotation) are ignored.
    type: str
    choices: [irsa, pod_identity]
    default: irsa
  require_agent:
    description:
      - With O(credential_method=pod_identity), refuse when the cluster has no C(eks-pod-identity-agent) add-on
        (pods would get no credentials). Set V(false) when the agent runs another way.
    type: bool
    default: true
extends_documentation_fragment:
  - eks.access.cluster
  - kubernetes.core.k8s_auth_options
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - eks.access.action_groups.kubernetes
attributes:
  check_mode:
    support: full
    description: Nothing is written; Kubernetes writes are validated with a server-side dry run.
  diff_mode:
    support: full
    description:
      - Shows the trust policy, attached policies and annotations (with O(credential_method=pod_identity), the
        association) before and after.
"""

EXAMPLES = r"""
- name: Let the aws-load-balancer-controller service account assume a new role
  eks.access.irsa_service_account:
    cluster_name: prod-eu
    namespace: kube-system
    name: aws-load-balancer-controller
    role_name: prod-eu-aws-load-balancer-controller
    managed_policies:
      - arn:aws:iam::111122223333:policy/AWSLoadBalancerControllerIAMPolicy
    create_oidc_provider: true
  register: irsa

- name: Only the IAM role, the service account is managed elsewhere
  eks.access.irsa_service_account:
    cluster_name: prod-eu
    namespace: apps
    name: reports
    role_name: reports
    role_only: true
    inline_policies:
      read-reports:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: s3:GetObject
            Resource: arn:aws:s3:::reports/*

- name: Grant a role through EKS Pod Identity instead of the OIDC trust (no annotation, an association)
  eks.access.irsa_service_account:
    cluster_name: prod-eu
    namespace: apps
    name: reports
    role_name: reports
    credential_method: pod_identity
    managed_policies:
      - arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess

- name: Stop trusting the service account (deletes the role if it was created for it alone)
  eks.access.irsa_service_account:
    cluster_name: prod-eu
    namespace: apps
    name: reports
    role_name: reports
    state: absent
"""

RETURN = r"""
role_arn:
  description: ARN of the IAM role.
  returned: always
  type: str
  sample: arn:aws:iam::111122223333:role/reports
trust_policy:
  description: The role's trust policy after the task (null when the role is deleted).
  returned: always
  type: dict
attached_policies:
  description: ARNs of the managed policies attached to the role after the task.
  returned: always
  type: list
  elements: str
service_account:
  description: The service account and its annotations after the task.
  returned: unless O(role_only=true)
  type: dict
  contains:
    namespace: {description: Namespace., type: str, returned: always}
    name: {description: Name., type: str, returned: always}
    annotations: {description: Annotations., type: dict, returned: always}
credential_method:
  description: V(pod_identity) when the role was granted through EKS Pod Identity.
  returned: with O(credential_method=pod_identity)
  type: str
pod_identity_association:
  description:
    - With O(credential_method=pod_identity), the service account's association after the task (null when there is
      none, or with O(role_only=true)).
  returned: with O(credential_method=pod_identity)
  type: dict
  contains:
    association_id: {description: Association ID (null in check mode for a new one)., type: str, returned: always}
    role_arn: {description: Its role., type: str, returned: always}
    target_role_arn: {description: Its target role (null when none)., type: str, returned: always}
    disable_session_tags: {description: Whether session tags are disabled., type: bool, returned: always}
restart_required:
  description:
    - Pods running as the service account that lack the IRSA environment variables (with
      O(credential_method=pod_identity), the Pod Identity ones).
  returned: always
  type: list
  elements: str
oidc_provider_arn:
  description: ARN of the cluster's IAM OIDC identity provider (null with O(credential_method=pod_identity)).
  returned: always
  type: str
oidc_provider_created:
  description:
    - Whether this task created (in check mode, would create) the cluster's IAM OIDC identity provider, an
      account-level resource that every IRSA role of the cluster trusts (O(create_oidc_provider=true)).
    - The diff shows it too, as C(oidc_provider) going from V(null) to its ARN.
  returned: always
  type: bool
"""

from ansible_collections.eks.access.plugins.module_utils.module import main as module_main
from ansible_collections.eks.access.plugins.module_utils.runners import irsa_service_account as runner
from ansible_collections.eks.access.plugins.module_utils.model import trust_policy
from ansible_collections.eks.access.plugins.module_utils.model import workloads as workloads_model


IRSA_ARG_SPEC = dict(
    cluster_name=dict(type="str", required=True),
    namespace=dict(type="str", default="default"),
    name=dict(type="str", required=True),
    role_name=dict(type="str", required=True),
    role_path=dict(type="str", default="/"),
    permissions_boundary=dict(type="str"),
    description=dict(type="str"),
    tags=dict(type="dict"),
    purge_tags=dict(type="bool", default=True),
    max_session_duration=dict(type="int"),
    managed_policies=dict(type="list", elements="str"),
    inline_policies=dict(type="dict"),
    purge_policies=dict(type="bool", default=True),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    create_oidc_provider=dict(type="bool", default=False),
    create_service_account=dict(type="bool", default=True),
    override_existing_annotation=dict(type="bool", default=False),
    role_only=dict(type="bool", default=False),
    keep_role=dict(type="bool", default=False),
    sts_regional_endpoints=dict(type="bool"),
    token_expiration=dict(type="int", no_log=False),
    audience=dict(type="str", default=trust_policy.DEFAULT_AUDIENCE),
    credential_method=dict(type="str", default="irsa", choices=list(workloads_model.CREDENTIAL_METHODS)),
    require_agent=dict(type="bool", default=True),
)


def main():
    module_main(runner, IRSA_ARG_SPEC, mutually_exclusive=[("role_only", "keep_role")])


if __name__ == "__main__":
    main()
