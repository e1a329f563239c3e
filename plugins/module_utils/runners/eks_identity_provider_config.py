# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What eks_identity_provider_config runs: read the cluster's configs, plan with the model, write, wait."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ansible_collections.eks.access.plugins.module_utils.model import identity_provider as model
from ansible_collections.eks.access.plugins.module_utils.services.identity_providers import IdentityProviders


@dataclass
class Options:
    cluster_name: str
    name: str
    issuer_url: Optional[str] = None
    client_id: Optional[str] = None
    username_claim: Optional[str] = None
    username_prefix: Optional[str] = None
    groups_claim: Optional[str] = None
    groups_prefix: Optional[str] = None
    required_claims: Optional[dict] = None
    tags: Optional[dict] = None
    purge_tags: bool = True
    state: str = "present"
    replace: bool = False
    wait: bool = True
    wait_timeout: int = 1800
    poll_seconds: float = 5.0

    def wanted(self) -> model.ProviderConfig:
        claims = None
        if self.required_claims is not None:
            claims = {str(k): v if isinstance(v, str) else str(v) for k, v in self.required_claims.items()}
        return model.check_wanted(model.ProviderConfig(
            self.name, self.issuer_url, self.client_id, self.username_claim, self.username_prefix, self.groups_claim,
            self.groups_prefix, claims, None if self.tags is None else {str(k): str(v) for k, v in self.tags.items()}))


def run(context, options: Options) -> dict:
    wanted = options.wanted() if options.state == "present" else model.ProviderConfig(model.check_name(options.name))
    service = IdentityProviders(context.aws("eks"), options.cluster_name)
    current = service.read()
    plan = model.plan(current, wanted, options.state, options.cluster_name, replace=options.replace,
                      purge_tags=options.purge_tags)
    update_ids = []
    if plan.changed and not context.check_mode:
        for name in plan.disassociate:
            update_id = service.disassociate(name)
            update_ids.append(update_id)
            # A replacement must wait: EKS refuses a second config while the first is being disassociated.
            if options.wait or plan.associate is not None:
                service.wait(update_id, "disassociate %s" % name, options.wait_timeout, options.poll_seconds)
        if plan.associate is not None:
            update_id = service.associate(plan.associate)
            update_ids.append(update_id)
            if options.wait:
                service.wait(update_id, "associate %s" % plan.associate.name, options.wait_timeout,
                             options.poll_seconds)
        if plan.action == "tag":
            service.tag(plan.before.arn, plan.tag, plan.untag)
    after = None
    if options.state == "present":
        after = plan.after
        if plan.changed and not context.check_mode:
            after = next((c for c in service.read() if c.name == options.name), plan.after)
    result = dict(
        changed=plan.changed,
        action=plan.action,
        disassociated=list(plan.disassociate),
        update_ids=update_ids,
        identity_provider_config=after.to_result() if after is not None else None,
    )
    if context.diff_mode:
        result["diff"] = model.diff(plan, options.cluster_name)
    return result
