# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""run_module: the one place errors become fail_json, and the always-retrying AWS client."""

from __future__ import annotations

import botocore.exceptions

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils import module as module_core
from ansible_collections.eks.access.tests.unit.plugins.fakes import FakeModule, run_module


def _run(runner, options=None, **params):
    return run_module(FakeModule(**dict(dict(cluster_name="prod"), **params)), runner, options)


def test_the_result_is_what_the_runner_returns_and_it_gets_its_options():
    module = _run(lambda ctx, options: {"changed": ctx.diff_mode and not ctx.check_mode, "n": options}, 7)
    assert module.exited == {"changed": True, "n": 7}


def test_a_collection_error_is_its_sentence_with_its_details():
    def runner(ctx, options):
        raise errors.PartiallyApplied("2 of 3 entries were applied; re-run to converge", applied=["a", "b"])

    module = _run(runner)
    assert module.failed == {"msg": "2 of 3 entries were applied; re-run to converge", "applied": ["a", "b"]}


def test_a_401_names_the_identity_and_where_to_map_it():
    def runner(ctx, options):
        ctx._caller = {"Arn": "arn:aws:iam::111122223333:user/ci"}
        raise errors.KubeApiError(401, "Unauthorized", "Unauthorized", "GET", "/api/v1/namespaces/kube-system")

    module = _run(runner)
    assert module.failed["msg"].startswith(
        "Cluster 'prod' does not know IAM identity arn:aws:iam::111122223333:user/ci (401 Unauthorized): "
        "map it (userarn) in aws-auth (eks.access.aws_auth_mapping) or with an EKS access entry")
    assert "exception" not in module.failed and module.failed["identity"] == "arn:aws:iam::111122223333:user/ci"


def test_a_401_of_a_role_session_says_to_map_the_role():
    def runner(ctx, options):
        ctx._caller = {"Arn": "arn:aws:sts::111122223333:assumed-role/Deploy/ci-42"}
        raise errors.KubeApiError(401, "Unauthorized", "Unauthorized", "GET", "/version")

    msg = _run(runner).failed["msg"]
    assert "map its role arn:aws:iam::111122223333:role/Deploy (rolearn)" in msg


def test_a_401_with_kubeconfig_credentials_names_the_kubeconfig_user(tmp_path):
    kubeconfig = tmp_path / "kc"
    kubeconfig.write_text("current-context: prod\ncontexts:\n- name: prod\n  context: {cluster: p, user: deployer}\n"
                          "- name: ci\n  context: {cluster: p, user: ci-bot}\n")

    def runner(ctx, options):
        raise errors.KubeApiError(401, "Unauthorized", "Unauthorized", "GET", "/version")

    msg = _run(runner, k8s_auth="kubernetes", kubeconfig=str(kubeconfig), context="ci").failed["msg"]
    assert msg.startswith("Cluster 'prod' does not accept the kubeconfig user 'ci-bot' (context 'ci') (401 Unauthorized)")
    msg = _run(runner, k8s_auth="kubernetes", kubeconfig=str(kubeconfig)).failed["msg"]
    assert msg.startswith("Cluster 'prod' does not accept the kubeconfig user 'deployer' (context 'prod')")


def test_a_403_says_which_permission():
    def runner(ctx, options):
        ctx._caller = {"Arn": "arn:aws:iam::111122223333:user/ci"}
        raise errors.KubeApiError(403, "Forbidden", 'configmaps "aws-auth" is forbidden: User "ci" cannot update '
                                  'resource "configmaps"', "PUT", "/api/v1/namespaces/kube-system/configmaps/aws-auth")

    msg = _run(runner).failed["msg"]
    assert msg.startswith("IAM identity arn:aws:iam::111122223333:user/ci is not allowed to replace "
                          "/api/v1/namespaces/kube-system/configmaps/aws-auth (403 Forbidden: ")
    assert "cannot update resource" in msg


def test_a_failure_keeps_what_the_runner_read():
    def runner(ctx, options):
        ctx.result_on_failure["caller"] = {"arn": "x"}
        raise errors.NotFound("gone")

    assert _run(runner).failed == {"msg": "gone", "caller": {"arn": "x"}}


def test_options_are_built_from_the_parameters_of_their_names():
    import dataclasses

    @dataclasses.dataclass
    class Options:
        name: str
        purge: bool = False

    assert module_core.options_from(Options, {"name": "a", "purge": True, "kubeconfig": "x"}) == Options("a", True)


def test_an_aws_error_goes_through_fail_json_aws():
    error = botocore.exceptions.ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetRole")

    def runner(ctx, options):
        raise error

    assert _run(runner).failed_aws[0] is error


def test_an_unexpected_error_is_reported_with_its_traceback_for_verbose_runs():
    def runner(ctx, options):
        return {}["metadata"]

    module = _run(runner)
    assert module.failed["msg"].startswith("Unexpected error in eks.access")
    assert "KeyError" in module.failed["msg"] and "Traceback" in module.failed["exception"]
