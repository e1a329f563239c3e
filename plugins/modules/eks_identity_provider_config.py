#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: eks_identity_provider_config
short_description: Associate an OIDC identity provider (Okta, Entra ID, Dex...) with an EKS cluster
version_added: 1.0.0
description:
  - Associates an OpenID Connect identity provider config with an EKS cluster, so that the cluster's API server
    accepts the provider's ID tokens (EKS C(AssociateIdentityProviderConfig)); updates its tags; disassociates it.
    People who sign in through the provider get a Kubernetes username and groups from the token's claims, with the
    configured prefixes; what they may do is up to RBAC (RoleBindings and ClusterRoleBindings naming those users
    and groups), not to access entries.
  - EKS allows one OIDC identity provider config per cluster, and an associated config cannot change, only its
    tags. A task that asks for another issuer, client ID, claim, prefix or required claim is refused with the
    difference, because replacing the config means disassociating it and associating it again, and its users
    cannot sign in in between. With O(replace=true) the module does exactly that. The same goes for a config of
    another name already associated with the cluster.
  - Waits for the association and disassociation updates to finish (EKS takes several minutes), see O(wait).
author:
  - eks.access developers (@eks-access)
options:
  cluster_name:
    description: Name of the EKS cluster.
    type: str
    required: true
  name:
    description: Name of the identity provider config.
    type: str
    required: true
    aliases: [identity_provider_config_name]
  issuer_url:
    description:
      - The provider's issuer URL, C(https://) with no query or fragment, equal to the C(iss) claim of its ID tokens;
        EKS reads C(<issuer_url>/.well-known/openid-configuration) and the keys it names.
      - Required to associate.
    type: str
  client_id:
    description: The client ID of the cluster at the provider, which its ID tokens carry as audience (C(aud)).
      Required to associate.
    type: str
  username_claim:
    description: The claim that is the Kubernetes username. EKS uses C(sub) when it is not given.
    type: str
  username_prefix:
    description:
      - Put before every username, so that the provider's users cannot take the name of another identity. Not given,
        it is the issuer URL followed by C(#), unless O(username_claim) is C(email); C(-) means no prefix.
      - May not start with C(system:).
    type: str
  groups_claim:
    description: The claim that lists the user's groups. Not given, the users get no groups from the token.
    type: str
  groups_prefix:
    description: Put before every group name, for example C(oidc:). May not start with C(system:).
    type: str
  required_claims:
    description: Claims an ID token must carry with exactly these values to be accepted (names 1-63, values 1-253
      characters).
    type: dict
  tags:
    description: Tags of the config. Not given, its tags are left as they are.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove the tags not in O(tags) (only when O(tags) is given).
    type: bool
    default: true
  state:
    description: V(present) associates the config; V(absent) disassociates it.
    type: str
    choices: [present, absent]
    default: present
  replace:
    description:
      - Allow replacing an associated config that differs from the task (or a config of another name) by
        disassociating it and associating the task's config. Its users cannot sign in until the new config is
        active.
    type: bool
    default: false
  wait:
    description: Wait until EKS reports each update C(Successful). A replacement always waits for the
      disassociation, since EKS refuses a second config meanwhile.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for each update.
    type: int
    default: 1800
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - eks.access.action_groups.aws
attributes:
  check_mode:
    support: full
    description: Reads the configs and reports the plan, refusals included; writes nothing.
  diff_mode:
    support: full
    description: Shows the config before and after.
notes:
  - Needs C(eks:ListIdentityProviderConfigs), C(eks:DescribeIdentityProviderConfig),
    C(eks:AssociateIdentityProviderConfig), C(eks:DisassociateIdentityProviderConfig), C(eks:DescribeUpdate) and,
    for tags, C(eks:TagResource) and C(eks:UntagResource).
seealso:
  - module: eks.access.eks_access_entry
  - module: eks.access.eks_sso_role
"""

EXAMPLES = r"""
- name: Let the people of the company's Okta in, as oidc:<email> with their groups as oidc:<group>
  eks.access.eks_identity_provider_config:
    cluster_name: prod-eu
    name: okta
    issuer_url: https://example.okta.com/oauth2/default
    client_id: 0oa1b2c3d4e5f6g7h8i9
    username_claim: email
    username_prefix: "oidc:"
    groups_claim: groups
    groups_prefix: "oidc:"
    required_claims:
      email_verified: "true"
    tags:
      team: platform

- name: Move to another client ID (disassociate, then associate; sign-in is down in between)
  eks.access.eks_identity_provider_config:
    cluster_name: prod-eu
    name: okta
    issuer_url: https://example.okta.com/oauth2/default
    client_id: 0oa9z8y7x6w5v4u3t2s1
    replace: true

- name: Disassociate it
  eks.access.eks_identity_provider_config:
    cluster_name: prod-eu
    name: okta
    state: absent
"""

RETURN = r"""
action:
  description: What was (or in check mode would be) done - V(associate), V(replace), V(tag), V(disassociate) or
    V(none).
  returned: always
  type: str
  sample: associate
disassociated:
  description: Names of the configs disassociated (the one replaced, or the one removed).
  returned: always
  type: list
  elements: str
update_ids:
  description: IDs of the EKS updates started, in order.
  returned: always
  type: list
  elements: str
identity_provider_config:
  description: The config after the task; null with O(state=absent).
  returned: always
  type: dict
  contains:
    name: {description: Name of the config., type: str, returned: always}
    arn: {description: ARN of the config (null in check mode before it exists)., type: str, returned: always}
    status: {description: "C(CREATING), C(ACTIVE) or C(DELETING).", type: str, returned: always}
    issuer_url: {description: Issuer URL., type: str, returned: always}
    client_id: {description: Client ID., type: str, returned: always}
    username_claim: {description: Username claim., type: str, returned: always}
    username_prefix: {description: Username prefix., type: str, returned: always}
    groups_claim: {description: Groups claim., type: str, returned: always}
    groups_prefix: {description: Groups prefix., type: str, returned: always}
    required_claims: {description: Required claims., type: dict, returned: always}
    tags: {description: Tags., type: dict, returned: always}
"""

from ansible_collections.eks.access.plugins.module_utils.module import main as module_main
from ansible_collections.eks.access.plugins.module_utils.runners import eks_identity_provider_config as runner


ARG_SPEC = dict(
    cluster_name=dict(type="str", required=True),
    name=dict(type="str", required=True, aliases=["identity_provider_config_name"]),
    issuer_url=dict(type="str"),
    client_id=dict(type="str"),
    username_claim=dict(type="str"),
    username_prefix=dict(type="str"),
    groups_claim=dict(type="str"),
    groups_prefix=dict(type="str"),
    required_claims=dict(type="dict"),
    tags=dict(type="dict", aliases=["resource_tags"]),
    purge_tags=dict(type="bool", default=True),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    replace=dict(type="bool", default=False),
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=1800),
)


def main():
    module_main(runner, ARG_SPEC, kubernetes=False)


if __name__ == "__main__":
    main()
