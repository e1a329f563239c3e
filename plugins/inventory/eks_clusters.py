# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: eks_clusters
short_description: Amazon EKS clusters as inventory hosts
version_added: 1.0.0
description:
  - One host per EKS cluster found in the given regions, and optionally in other accounts through assumed
    roles. Each host runs on the controller (C(ansible_connection=local)) and carries what the eks.access
    modules and roles need, so a playbook reaches every cluster with C(cluster_name) and an EKS token and
    needs no kubeconfig.
  - 'Host variables: C(eks_cluster_name), C(eks_region), C(eks_account_id), C(eks_cluster_arn),
    C(eks_endpoint), C(eks_ca_data), C(eks_version), C(eks_platform_version), C(eks_oidc_issuer),
    C(eks_ip_family), C(eks_authentication_mode), C(eks_status), C(eks_tags), C(eks_k8s_auth).'
  - A region (or account) that cannot be listed is reported as a warning and the others are still listed,
    unless O(strict_regions=true).
  - Hosts are added in the order of O(regions) (then as EKS lists the clusters), which is the order a
    C(serial) rollout visits them.
  - Uses a YAML configuration file whose name ends with C(eks_clusters.yml) or C(eks_clusters.yaml).
author:
  - eks.access developers (@eks-access)
options:
  plugin:
    description: Token that makes this plugin read the file.
    required: true
    choices: [eks.access.eks_clusters]
    type: str
  regions:
    description:
      - Regions to list clusters in. Empty means every region EC2 C(DescribeRegions) returns.
    type: list
    elements: str
    default: []
  accounts:
    description:
      - Other accounts to list, each through an IAM role to assume there. The credentials the plugin runs with
        (after O(assume_role_arn), if set) must be allowed to assume them.
    type: list
    elements: dict
    default: []
    suboptions:
      role_arn:
        description: ARN of the role to assume in that account.
        type: str
        required: true
      external_id:
        description: External ID the role's trust policy requires.
        type: str
  include_caller_account:
    description: Also list the clusters of the account of the plugin's own credentials.
    type: bool
    default: true
  include_clusters:
    description: Only clusters whose name matches one of these shell-style patterns.
    type: list
    elements: str
    default: []
  exclude_clusters:
    description: Leave out clusters whose name matches one of these shell-style patterns.
    type: list
    elements: str
    default: []
  cluster_tags:
    description:
      - Only clusters that carry every one of these tags. A value of C(*) matches any value, a list any of its
        values.
    type: dict
    default: {}
  statuses:
    description: Only clusters in one of these states; C(all) for every state.
    type: list
    elements: str
    default: [ACTIVE]
  hostname:
    description:
      - Inventory host name of a cluster. C(name) is the cluster name, C(name_region) is C(<name>.<region>),
        C(arn) is the cluster ARN.
      - Two clusters that would get the same host name are an error, never merged into one host.
    type: str
    choices: [name, name_region, arn]
    default: name
  k8s_auth:
    description: Value of the C(eks_k8s_auth) host variable, which the eks.access roles pass to the modules.
    type: str
    choices: [auto, kubernetes, eks_token]
    default: eks_token
  group:
    description: Group every cluster is added to.
    type: str
    default: eks_clusters
  strict_regions:
    description: Fail when a region or account cannot be listed, instead of warning and going on.
    type: bool
    default: false
extends_documentation_fragment:
  - inventory_cache
  - constructed
  - amazon.aws.boto3
  - amazon.aws.common.plugins
  - amazon.aws.region.plugins
  - amazon.aws.assume_role.plugins
"""

EXAMPLES = r"""
---
# prod.eks_clusters.yml: every ACTIVE cluster tagged env=prod in two regions, grouped by region and version
plugin: eks.access.eks_clusters
regions: [eu-west-1, us-east-1]
cluster_tags:
  env: prod
keyed_groups:
  - key: eks_region
    prefix: region
  - key: eks_version
    prefix: k8s
# The modules need a Python with boto3 and kubernetes. compose cannot name it
# (ansible_playbook_python is not defined while the inventory is built); set
# ansible_python_interpreter: "{{ ansible_playbook_python }}" in
# group_vars/eks_clusters.yml beside this file instead. An AWX execution
# environment's own Python has them and needs nothing.

---
# fleet.eks_clusters.yml: this account and two others, host names that stay unique across regions
plugin: eks.access.eks_clusters
regions: [eu-west-1]
hostname: name_region
accounts:
  - role_arn: arn:aws:iam::444455556666:role/eks-inventory-reader
  - role_arn: arn:aws:iam::777788889999:role/eks-inventory-reader
    external_id: fleet
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/eks-access-inventory
cache_timeout: 600
"""

import json

try:
    import botocore
except ImportError:
    pass  # the base class reports a missing botocore

from ansible.errors import AnsibleError

from ansible_collections.amazon.aws.plugins.plugin_utils.inventory import AWSInventoryBase

from ansible_collections.eks.access.plugins.module_utils.clients import aws
from ansible_collections.eks.access.plugins.module_utils.errors import EksAccessError
from ansible_collections.eks.access.plugins.module_utils.model import eks_inventory
from ansible_collections.eks.access.plugins.module_utils.services import eks_cluster


class InventoryModule(AWSInventoryBase):
    NAME = "eks.access.eks_clusters"
    INVENTORY_FILE_SUFFIXES = ("eks_clusters.yml", "eks_clusters.yaml")

    class TemplatedOptions(AWSInventoryBase.TemplatedOptions):
        """The base class's option templating without ``disable_lookups``.

        amazon.aws 10.x passes ``disable_lookups=False`` (already the default)
        to Templar.template, which ansible-core 2.19 reports as deprecated on
        every inventory parse (amazon.aws issue 2863). Same result, no noise.
        """

        def get(self, *args):
            value = self.original_options.get(*args)
            if not value or not self.templar or args[0] not in self.TEMPLATABLE_OPTIONS:
                return value
            if isinstance(value, dict):
                return {k: self.templar.template(v) for k, v in value.items()}
            if isinstance(value, list):
                return [self.templar.template(v) for v in value]
            if not self.templar.is_template(value):
                return value
            return self.templar.template(value)

    def _account_credentials(self):
        """``[(label, client kwargs)]``: the caller's account and each assumed role."""
        accounts = []
        if self.get_option("include_caller_account"):
            accounts.append(("caller", {}))
        for account in self.get_option("accounts") or []:
            params = {"RoleArn": account["role_arn"], "RoleSessionName": "eks-access-inventory"}
            if account.get("external_id"):
                params["ExternalId"] = account["external_id"]
            try:
                credentials = self.client("sts").assume_role(**params)["Credentials"]
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                self._region_failed("account of %s" % account["role_arn"], e)
                continue
            accounts.append((account["role_arn"], {
                "aws_access_key_id": credentials["AccessKeyId"],
                "aws_secret_access_key": credentials["SecretAccessKey"],
                "aws_session_token": credentials["SessionToken"],
            }))
        return accounts

    def _region_failed(self, where, error):
        message = "eks_clusters: could not list EKS clusters in %s: %s" % (where, error)
        if self.get_option("strict_regions"):
            raise AnsibleError(message)
        self.warn(message)

    def _list_region(self, region, credentials):
        # The modules' retrying client (clients/aws.py): every call and the whole listing retry throttling
        # (EKS's JSON ThrottlingException included) and 5xx.
        eks = aws.retrying(self.client("eks", region=region, **credentials))
        names = eks.paginate("list_clusters").get("clusters", [])
        # JSON-safe (createdAt is a datetime) so that the result can be cached.
        return [json.loads(json.dumps(eks_cluster.cluster_description(eks, name), default=str)) for name in names]

    def _fetch(self):
        """``[(region, cluster)]`` over every account and region; failures are warnings."""
        found = []
        attempted = failed = 0
        for label, credentials in self._account_credentials():
            regions = self.get_option("regions") or self._boto3_regions("eks")
            for region in regions:
                attempted += 1
                try:
                    found.extend((region, cluster) for cluster in self._list_region(region, credentials))
                except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError, AnsibleError,
                        EksAccessError) as e:
                    # AnsibleError: the base class reports a client it cannot build (a bad region name) that way;
                    # EksAccessError: DescribeCluster's failure (services/eks_cluster.py), one sentence.
                    failed += 1
                    where = region if label == "caller" else "%s (%s)" % (region, label)
                    self._region_failed(where, e)
        if attempted and failed == attempted:
            raise AnsibleError("eks_clusters: no region could be listed; see the warnings above")
        return found

    def _populate(self, found):
        selected_ids = set(id(c) for c in eks_inventory.select(
            [cluster for _region, cluster in found],
            include=self.get_option("include_clusters"),
            exclude=self.get_option("exclude_clusters"),
            tags=self.get_option("cluster_tags"),
            statuses=self.get_option("statuses"),
        ))
        style = self.get_option("hostname")
        hosts = [(eks_inventory.hostname(cluster, region, style), region, cluster)
                 for region, cluster in found if id(cluster) in selected_ids]
        duplicates = eks_inventory.duplicate_hostnames((name, cluster["arn"]) for name, _region, cluster in hosts)
        if duplicates:
            raise AnsibleError(
                "eks_clusters: several clusters would get the same host name (%s); set hostname to name_region or arn"
                % "; ".join("%s: %s" % (name, ", ".join(arns)) for name, arns in sorted(duplicates.items())))

        group = self.inventory.add_group(self.get_option("group"))
        strict = self.get_option("strict")
        for name, region, cluster in hosts:
            self.inventory.add_host(name, group=group)
            variables = eks_inventory.host_vars(cluster, region, self.get_option("k8s_auth"))
            variables["ansible_connection"] = "local"
            for key, value in variables.items():
                self.inventory.set_variable(name, key, value)
            self._set_composite_vars(self.get_option("compose"), variables, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), variables, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), variables, name, strict=strict)

    def parse(self, inventory, loader, path, cache=True):  # pylint: disable=arguments-differ
        super().parse(inventory, loader, path, cache=cache)
        try:
            eks_inventory.hostname({"name": "", "arn": ""}, "", self.get_option("hostname"))
        except eks_inventory.InventoryConfigError as e:
            raise AnsibleError("eks_clusters: %s" % e)
        cached, result = self.get_cached_result(path, cache)
        if not cached:
            result = [[region, cluster] for region, cluster in self._fetch()]
        self.update_cached_result(path, cache, result)
        self._populate(result)
