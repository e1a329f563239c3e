# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Which module_defaults groups (meta/runtime.yml action_groups) reach a module.
    # ansible-core gives a group's defaults to each of its modules unfiltered, so a
    # module that takes no Kubernetes options is kept out of the kubernetes group.

    # Modules that reach a cluster's Kubernetes API.
    KUBERNETES = r"""
options: {}
attributes:
  action_group:
    description:
      - Use C(group/eks.access.kubernetes) in C(module_defaults) to set the Kubernetes connection options
        (O(k8s_auth), O(kubeconfig), O(context), ...) together with the AWS options for this module;
        C(group/eks.access.all) or C(group/eks.access.aws) for the AWS options and O(cluster_name) only.
      - amazon.aws's C(group/aws) and kubernetes.core's C(group/k8s) do not reach this module.
    support: full
    membership:
      - eks.access.all
      - eks.access.aws
      - eks.access.kubernetes
"""

    # Modules that talk to AWS only.
    AWS = r"""
options: {}
attributes:
  action_group:
    description:
      - Use C(group/eks.access.all) or C(group/eks.access.aws) in C(module_defaults) to set the AWS options
        (O(region), O(profile), ...) and O(cluster_name) for this module. It is not in C(group/eks.access.kubernetes)
        because it takes no Kubernetes options.
      - amazon.aws's C(group/aws) does not reach this module.
    support: full
    membership:
      - eks.access.all
      - eks.access.aws
"""
