# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PENDING: the VPC CNI migration to IRSA, interrupted after each step, resumes to completion.

Left for the lead to wire (docs/reliability.md, "CNI migration"): the
vpc_cni_irsa role came from another branch.  What to build on: the role's
``vpc_cni_irsa_stop_after`` and the integration target vpc_cni_irsa_resume,
which stops a run after each step and resumes it.  This test is to add a
figure: every step interrupted (also by killing ansible-playbook), every
resumed run converging, and the node role keeping AmazonEKS_CNI_Policy until
the aws-node pods run with the IRSA role.
"""

from __future__ import annotations

import pytest


def test_cni_migration_interrupted_after_each_step_resumes():
    pytest.skip("pending: to be wired to the vpc_cni_irsa role (docs/reliability.md, 'CNI migration')")
