#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_auth_info
short_description: Read and lint the EKS aws-auth ConfigMap
version_added: 0.1.0
description:
  - Returns the identity mappings of C(kube-system/aws-auth) the way aws-iam-authenticator reads them,
    like C(eksctl get iamidentitymapping), with the raw data and C(resourceVersion).
  - Reports lint findings, each with a code, the section, the ARN and a message - role ARNs with a path
    (never matched by the authenticator), duplicate ARNs, unknown username template variables,
    C(system:masters) grants, and groups that no RoleBinding or ClusterRoleBinding references.
  - With O(check_iam=true) it also asks IAM whether each mapped role and user exists.
  - A missing ConfigMap is reported with RV(exists=false), not as an error.
author:
  - eks.access developers (@eks-access)
options:
  check_bindings:
    description:
      - Look up RoleBindings and ClusterRoleBindings and report mapped groups nothing binds.
      - Needs permission to list them cluster-wide.
    type: bool
    default: true
  check_iam:
    description:
      - Report mapped IAM roles and users that do not exist (C(iam:GetRole), C(iam:GetUser)).
      - Only ARNs in the account of the AWS credentials are checked; others cannot be looked up from it.
    type: bool
    default: false
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
    description: Reads only.
"""

EXAMPLES = r"""
- name: List who can reach the cluster
  eks.access.aws_auth_info:
    cluster_name: prod-eu
  register: aws_auth

- name: Fail the pipeline on risky mappings
  ansible.builtin.assert:
    that:
      - aws_auth.findings | selectattr('code', 'in', ['role_path', 'duplicate_arn', 'missing_iam_identity']) | list == []

- name: Also check that every mapped IAM identity exists
  eks.access.aws_auth_info:
    kubeconfig: ~/.kube/config
    check_iam: true
"""

RETURN = r"""
exists:
  description: Whether the ConfigMap exists.
  returned: always
  type: bool
mappings:
  description: The parsed C(mapRoles), C(mapUsers) and C(mapAccounts) (empty lists when missing).
  returned: always
  type: dict
  sample: {mapRoles: [{rolearn: "arn:aws:iam::111122223333:role/node", username: "system:node:{{EC2PrivateDNSName}}",
           groups: [system:bootstrappers, system:nodes]}], mapUsers: [], mapAccounts: []}
data:
  description: The ConfigMap's raw C(data).
  returned: always
  type: dict
resource_version:
  description: C(metadata.resourceVersion).
  returned: when RV(exists)
  type: str
findings:
  description: Lint findings.
  returned: always
  type: list
  elements: dict
  contains:
    code:
      description: >-
        One of C(role_path), C(duplicate_arn), C(unknown_template_variable), C(system_masters),
        C(unbound_group), C(invalid_arn), C(missing_arn), C(invalid_account), C(missing_iam_identity).
      type: str
      returned: always
    kind:
      description: The section, C(mapRoles), C(mapUsers) or C(mapAccounts).
      type: str
      returned: always
    arn:
      description: The entry's ARN (or account).
      type: str
      returned: always
    message:
      description: What is wrong and what to do.
      type: str
      returned: always
bound_groups:
  description:
    - Every group named as a subject of a RoleBinding or ClusterRoleBinding, sorted. A mapped group
      outside this list (and not C(system:*)) grants nothing.
  returned: when O(check_bindings=true)
  type: list
  elements: str
  sample: [eks-console-dashboard-full-access-group]
parse_error:
  description: Why the authenticator would reject the ConfigMap, when it would. Nobody mapped in it can log in.
  returned: when the data does not parse
  type: str
"""

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.eks.access.plugins.module_utils import aws_auth
from ansible_collections.eks.access.plugins.module_utils import configmap
from ansible_collections.eks.access.plugins.module_utils import connection
from ansible_collections.eks.access.plugins.module_utils.arn import ArnError
from ansible_collections.eks.access.plugins.module_utils.arn import parse_iam_arn
from ansible_collections.eks.access.plugins.module_utils.common import AnsibleEKSAccessModule


def missing_iam_identities(iam, mappings, account_id):
    """Findings for mapped roles/users of ``account_id`` that IAM does not know."""
    findings = []
    for kind, key, resource_type in (("mapRoles", "rolearn", "role"), ("mapUsers", "userarn", "user")):
        for entry in mappings[kind]:
            try:
                arn = parse_iam_arn(entry[key])
            except ArnError:
                continue  # lint already reports it
            if arn.resource_type != resource_type or arn.account_id != account_id:
                continue
            getter = iam.get_role if resource_type == "role" else iam.get_user
            try:
                getter(aws_retry=True, **{"RoleName" if resource_type == "role" else "UserName": arn.name})
            except is_boto3_error_code("NoSuchEntity"):
                findings.append({
                    "code": "missing_iam_identity", "kind": kind, "arn": entry[key],
                    "message": "IAM %s %s does not exist; remove the mapping or recreate the %s"
                               % (resource_type, arn.name, resource_type)})
    return findings


def main():
    argument_spec = dict(connection.K8S_CONNECTION_ARG_SPEC)
    argument_spec.update(
        check_bindings=dict(type="bool", default=True),
        check_iam=dict(type="bool", default=False),
    )
    module = AnsibleEKSAccessModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        api = connection.kube_api(module)
        current = configmap.read_configmap(api)
    except connection.KubernetesConnectionError as e:
        module.fail_json(msg=str(e))
    except Exception as e:  # kubernetes ApiException and transport errors share no base class
        module.fail_json(msg="Could not read aws-auth: %s" % e)
    groups = None
    if module.params["check_bindings"]:
        try:
            groups = configmap.bound_groups(api)
        except Exception as e:
            module.fail_json(msg="Could not list RoleBindings/ClusterRoleBindings (set check_bindings=false to skip): %s" % e)

    data = dict((current or {}).get("data") or {})
    result = dict(changed=False, exists=current is not None, data=data, findings=[],
                  mappings={"mapRoles": [], "mapUsers": [], "mapAccounts": []})
    if groups is not None:
        result["bound_groups"] = sorted(groups)
    if current is not None:
        result["resource_version"] = current["metadata"]["resourceVersion"]
    try:
        parsed = aws_auth.parse_aws_auth(data if current is not None else None)
    except aws_auth.AwsAuthError as e:
        result["parse_error"] = str(e)
        module.warn("aws-auth would be rejected by the authenticator: %s" % e)
        module.exit_json(**result)

    result["mappings"] = aws_auth.to_result(parsed)
    result["findings"] = aws_auth.lint(parsed, bound_groups=groups)
    if module.params["check_iam"]:
        iam = module.client("iam", retry_decorator=AWSRetry.jittered_backoff())
        try:
            sts = module.client("sts", retry_decorator=AWSRetry.jittered_backoff())
            account_id = sts.get_caller_identity(aws_retry=True)["Account"]
            result["findings"].extend(missing_iam_identities(iam, result["mappings"], account_id))
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg="Could not check the mapped IAM identities")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
