# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pod_identity_association's runner and service through run_module, with botocore Stubbers.

The real RunContext and run_module over runner_fakes.Harness: Stubbers answer
only the calls they were given, in order, and every AWS call is recorded, so
"no write in check mode" and the order of writes are asserted directly.
The batch runs with concurrency=1 where call order matters; the
concurrency bound itself is tested on each_outcome.
"""

from __future__ import annotations

import datetime
import json

import pytest

from ansible_collections.eks.access.plugins.module_utils import module as module_core
from ansible_collections.eks.access.plugins.module_utils.model import trust_policy
from ansible_collections.eks.access.plugins.module_utils.runners import pod_identity_association as runner
from ansible_collections.eks.access.tests.unit.plugins.fakes import Harness, queue_role

ACCOUNT = "111122223333"
CLUSTER = "prod"
ROLE = "arn:aws:iam::%s:role/app" % ACCOUNT
ROLE2 = "arn:aws:iam::%s:role/app2" % ACCOUNT
NOW = datetime.datetime(2026, 11, 30, tzinfo=datetime.timezone.utc)
POD_TRUST = {"Version": "2012-10-17", "Statement": [trust_policy.pod_identity_statement()]}
EC2_TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}


class Aws:
    """A runner_fakes.Harness with Stubbers for EKS and IAM, and the answers this runner reads."""

    def __init__(self, check_mode=False):
        self.harness = Harness(check_mode=check_mode)
        self.eks_stub = self.harness.stub("eks")
        self.iam_stub = self.harness.stub("iam")

    # reads
    def cluster(self):
        self.eks_stub.add_response("describe_cluster", {"cluster": {
            "name": CLUSTER, "arn": "arn:aws:eks:us-west-2:%s:cluster/%s" % (ACCOUNT, CLUSTER)}}, {"name": CLUSTER})

    def addons(self, names=("eks-pod-identity-agent", "vpc-cni")):
        self.eks_stub.add_response("list_addons", {"addons": list(names)}, {"clusterName": CLUSTER})

    def listed(self, associations):
        self.eks_stub.add_response("list_pod_identity_associations", {"associations": [
            {k: a[k] for k in ("clusterName", "namespace", "serviceAccount", "associationArn", "associationId",
                               "ownerArn") if k in a}
            for a in associations]}, {"clusterName": CLUSTER})

    def reads(self, associations):
        """What every run reads first: the cluster, its add-ons (the agent's among them), the listed associations."""
        self.cluster()
        self.addons()
        self.listed(associations)

    def described(self, association):
        self.eks_stub.add_response("describe_pod_identity_association", {"association": association},
                                   {"clusterName": CLUSTER, "associationId": association["associationId"]})

    def role(self, arn, trust, path="/"):
        """What services/iam_role.IamRoles.get reads of an existing role."""
        queue_role(self.iam_stub, arn, trust, path=path, created=NOW)

    def run(self, options):
        """The result or failure dict, through the real run_module; every stubbed answer must be used."""
        return self.harness.run(runner.run, options)

    def writes(self):
        return self.harness.aws_writes()


def association(sa, role=ROLE, ident=None, **kw):
    ident = ident or ("a-" + (sa + "x" * 17)[:17])
    result = {"clusterName": CLUSTER, "namespace": "apps", "serviceAccount": sa, "roleArn": role,
              "associationId": ident,
              "associationArn": "arn:aws:eks:us-west-2:%s:podidentityassociation/%s/%s" % (ACCOUNT, CLUSTER, ident),
              "tags": {}, "createdAt": NOW, "modifiedAt": NOW, "disableSessionTags": False}
    result.update(kw)
    return result


def options(items, **kw):
    return runner.Options(cluster_name=CLUSTER, associations=items, concurrency=1, **kw)


def wanted(sa, role=ROLE, **kw):
    return dict(namespace="apps", service_account=sa, role_arn=role, **kw)


def test_check_mode_reads_everything_and_writes_nothing():
    aws = Aws(check_mode=True)
    aws.reads([association("old")])
    aws.role(ROLE, EC2_TRUST)
    result = aws.run(options([wanted("web"), wanted("api")], purge=True, purge_scope="namespace", manage_trust=True))
    assert aws.writes() == []
    assert result["changed"] is True
    assert result["created"] == ["apps/web", "apps/api"] and result["deleted"] == ["apps/old"]
    assert result["trust_updated"] == [ROLE]
    assert result["diff"]["after"]["trust_policies"][ROLE]["Statement"][-1] == trust_policy.pod_identity_statement()
    assert [a["service_account"] for a in result["associations"]] == ["web", "api"]


def test_apply_then_the_second_run_changes_nothing():
    aws = Aws()
    aws.reads([association("api", role=ROLE2)])
    aws.described(association("api", role=ROLE2))
    aws.role(ROLE, POD_TRUST)
    created = association("web", tags={"team": "a"})
    aws.eks_stub.add_response("update_pod_identity_association", {"association": association("api")},
                              {"clusterName": CLUSTER, "associationId": association("api")["associationId"],
                               "roleArn": ROLE})
    aws.eks_stub.add_response("create_pod_identity_association", {"association": created},
                              {"clusterName": CLUSTER, "namespace": "apps", "serviceAccount": "web", "roleArn": ROLE,
                               "disableSessionTags": False, "tags": {"team": "a"}})
    items = [wanted("api"), wanted("web", tags={"team": "a"})]
    first = aws.run(options(items))
    assert aws.writes() == ["UpdatePodIdentityAssociation", "CreatePodIdentityAssociation"]
    assert first["changed"] and first["created"] == ["apps/web"] and first["updated"] == ["apps/api"]
    assert first["associations"][1]["association_id"] == created["associationId"]
    assert first["diff"]["before"]["associations"]["apps/api"]["role_arn"] == ROLE2

    again = Aws()
    again.cluster()
    again.addons()
    again.listed([association("api"), created])
    again.described(association("api"))
    again.described(created)
    again.role(ROLE, POD_TRUST)
    second = again.run(options(items))
    assert again.writes() == []
    assert second["changed"] is False
    assert second["unchanged"] == ["apps/api", "apps/web"] and second["created"] == second["updated"] == []


def test_manage_trust_adds_the_statement_before_the_associations():
    aws = Aws()
    aws.reads([])
    aws.role(ROLE, EC2_TRUST)
    merged = {"Version": "2012-10-17", "Statement": EC2_TRUST["Statement"] + [trust_policy.pod_identity_statement()]}
    aws.iam_stub.add_response("update_assume_role_policy", {}, {"RoleName": "app", "PolicyDocument": json.dumps(merged)})
    aws.eks_stub.add_response("create_pod_identity_association", {"association": association("web")},
                              {"clusterName": CLUSTER, "namespace": "apps", "serviceAccount": "web", "roleArn": ROLE,
                               "disableSessionTags": False})
    result = aws.run(options([wanted("web")], manage_trust=True))
    assert result["trust_updated"] == [ROLE] and result["created"] == ["apps/web"]
    assert aws.writes() == ["UpdateAssumeRolePolicy", "CreatePodIdentityAssociation"]


@pytest.mark.parametrize("trust, words", [
    (EC2_TRUST, "manage_trust: true"),
    (None, "do not exist"),
])
def test_a_role_pod_identity_cannot_assume_is_refused_before_any_write(trust, words):
    aws = Aws()
    aws.reads([])
    if trust is None:
        aws.iam_stub.add_client_error("get_role", "NoSuchEntity", "The role with name app cannot be found.",
                                      expected_params={"RoleName": "app"})
    else:
        aws.role(ROLE, trust)
    failed = aws.run(options([wanted("web")]))
    assert aws.writes() == []
    assert words in failed["msg"] and ROLE in failed["msg"]
    assert "exception" not in failed


def test_a_role_arn_without_the_role_path_is_refused_with_the_right_arn():
    aws = Aws()
    aws.reads([])
    aws.role("arn:aws:iam::%s:role/teams/app" % ACCOUNT, POD_TRUST, path="/teams/")
    failed = aws.run(options([wanted("web")]))
    assert aws.writes() == []
    assert "arn:aws:iam::%s:role/teams/app" % ACCOUNT in failed["msg"] and "path" in failed["msg"]


def test_missing_agent_is_refused_unless_told():
    aws = Aws()
    aws.cluster()
    aws.addons(["vpc-cni"])
    failed = aws.run(options([wanted("web")]))
    assert aws.writes() == []
    assert "eks-pod-identity-agent" in failed["msg"] and "require_agent: false" in failed["msg"]

    told = Aws(check_mode=True)
    told.cluster()
    told.listed([])
    told.role(ROLE, POD_TRUST)
    result = told.run(options([wanted("web")], require_agent=False))
    assert result["created"] == ["apps/web"]


def test_unknown_cluster():
    aws = Aws()
    aws.eks_stub.add_client_error("describe_cluster", "ResourceNotFoundException", "No cluster found for name: prod.",
                                  expected_params={"name": CLUSTER})
    assert "was not found" in aws.run(options([wanted("web")]))["msg"]


def test_a_batch_that_fails_half_way_says_what_was_applied():
    aws = Aws()
    aws.reads([])
    aws.role(ROLE, POD_TRUST)
    aws.eks_stub.add_response("create_pod_identity_association", {"association": association("a")}, created_with("a"))
    aws.eks_stub.add_client_error("create_pod_identity_association", "ResourceLimitExceededException",
                                  "Cluster prod already has 1000 Pod Identity associations",
                                  expected_params=created_with("b"))
    aws.eks_stub.add_response("create_pod_identity_association", {"association": association("c")}, created_with("c"))
    failed = aws.run(options([wanted("a"), wanted("b"), wanted("c")]))
    assert failed["msg"].startswith("1 of 3 Pod Identity association changes failed")
    assert "ResourceLimitExceededException" in failed["msg"] and "re-run" in failed["msg"]
    assert failed["failed"] == [{"name": "apps/b", "action": "create",
                                 "msg": "ResourceLimitExceededException: Cluster prod already has 1000 Pod Identity "
                                        "associations"}]
    assert failed["applied"] == [{"name": "apps/a", "action": "create"},
                                 {"name": "apps/c", "action": "create"}]
    assert failed["changed"] is True


def created_with(sa):
    return {"clusterName": CLUSTER, "namespace": "apps", "serviceAccount": sa, "roleArn": ROLE,
            "disableSessionTags": False}


def test_addon_associations_survive_a_cluster_purge():
    aws = Aws()
    owned = association("aws-node", ident="a-awsnode000000000", namespace="kube-system",
                        ownerArn="arn:aws:eks:us-west-2:%s:addon/prod/vpc-cni/1" % ACCOUNT)
    aws.reads([owned, association("old")])
    aws.eks_stub.add_response("delete_pod_identity_association", {"association": association("old")},
                              {"clusterName": CLUSTER, "associationId": association("old")["associationId"]})
    result = aws.run(options([], purge=True, purge_scope="cluster"))
    assert aws.writes() == ["DeletePodIdentityAssociation"]
    assert result["deleted"] == ["apps/old"]
    assert result["kept_for_addons"] == [{"name": "kube-system/aws-node", "owner_arn": owned["ownerArn"]}]


def test_tags_change_through_tag_and_untag():
    aws = Aws()
    current = association("web", tags={"keep": "1", "old": "x"})
    aws.reads([current])
    aws.described(current)
    aws.role(ROLE, POD_TRUST)
    aws.eks_stub.add_response("untag_resource", {}, {"resourceArn": current["associationArn"], "tagKeys": ["old"]})
    aws.eks_stub.add_response("tag_resource", {}, {"resourceArn": current["associationArn"], "tags": {"new": "2"}})
    result = aws.run(options([wanted("web", tags={"keep": "1", "new": "2"})]))
    assert aws.writes() == ["UntagResource", "TagResource"]
    assert result["updated"] == ["apps/web"]
    assert result["associations"][0]["tags"] == {"keep": "1", "new": "2"}


def test_options_from_the_module_parameters():
    params = {"cluster_name": "prod", "associations": [], "state": "present", "purge": False, "purge_scope": "namespace", "purge_tags": True,
              "manage_trust": False, "require_agent": True, "concurrency": 10, "region": "us-west-2"}
    built = module_core.options_from(runner.Options, params)
    assert built.concurrency == 10 and built.cluster_name == "prod" and built.purge is False
