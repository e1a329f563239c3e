# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way a module runs: options in, a runner, errors out as one sentence.

A module builds its options object (a dataclass of its parameters, see
:func:`options_from`) and calls :func:`run_module`.  The runner gets a
:class:`RunContext` (clients, check mode, diff mode, warnings) and the
options, never ``module.params``, and returns the result dict.  This is the
only place that turns an error into ``fail_json``, and the only
``except Exception`` of the collection.
"""

from __future__ import annotations

import dataclasses
import os
import traceback

from ansible_collections.amazon.aws.plugins.module_utils.common import set_collection_info
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.eks.access.plugins.module_utils.model import arn
from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.clients import aws
from ansible_collections.eks.access.plugins.module_utils.clients import connection
from ansible_collections.eks.access.plugins.module_utils.services import eks_cluster

try:
    import botocore.exceptions as _botocore_exceptions

    _BOTO_ERRORS = (_botocore_exceptions.ClientError, _botocore_exceptions.BotoCoreError)
except ImportError:  # AnsibleAWSModule reports a missing botocore itself
    _BOTO_ERRORS = ()

# What a message about who we are may run into: then it says less, and the real failure is still reported.
_IDENTITY_LOOKUP_ERRORS = (errors.EksAccessError, AnsibleAWSError) + _BOTO_ERRORS


EKS_ACCESS_COLLECTION_NAME = "eks.access"
EKS_ACCESS_COLLECTION_VERSION = "1.0.0"


class AnsibleEKSAccessModule(AnsibleAWSModule):
    """AnsibleAWSModule that reports itself as eks.access in the botocore user agent."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        set_collection_info(
            collection_name=EKS_ACCESS_COLLECTION_NAME,
            collection_version=EKS_ACCESS_COLLECTION_VERSION,
        )

    def warn(self, *args, **kwargs):
        """Warn through AnsibleModule.warn only.

        AnsibleAWSModule.warn (amazon.aws 10.x) also keeps the message and, on
        ansible-core >= 2.19, passes the list to exit_json/fail_json as
        ``warnings=``, which ansible-core 2.19 reports as a DEPRECATION warning
        after every module warning. AnsibleModule.warn alone already puts the
        warning in the result, so nothing is lost.
        """
        return self._module.warn(*args, **kwargs)

    def add_cleanup_file(self, path):
        """AnsibleModule.add_cleanup_file (for the CA file of an EKS token connection).

        The AnsibleAWSModule of amazon.aws 10.1.2 hands unknown attributes on
        to the AnsibleModule it wraps; that of 9.0.0 does not, and the call
        would fail.
        """
        return self._module.add_cleanup_file(path)


def options_from(cls, params: dict):
    """An options dataclass ``cls`` filled from the module parameters of the same names."""
    return cls(**{f.name: params.get(f.name) for f in dataclasses.fields(cls) if f.name in params})


class RunContext:
    """What a runner may use of the module: clients, modes, warnings, and who it runs as."""

    def __init__(self, module):
        self._module = module
        self._clients = {}
        self._kube = None
        self._caller = None
        self._kube_arn = None
        self.cluster_name = module.params.get("cluster_name")
        # Result keys a failure still reports (for example what was read before it).
        self.result_on_failure = {}

    @property
    def check_mode(self) -> bool:
        return bool(self._module.check_mode)

    @property
    def diff_mode(self) -> bool:
        return bool(self._module._diff)

    def warn(self, message: str) -> None:
        self._module.warn(message)

    def aws(self, service: str, region: str = None) -> aws.AlwaysRetryingClient:
        """A retrying boto3 client for ``service`` (in ``region`` when given), one per run."""
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = aws.client(self._module, service, region=region)
        return self._clients[key]

    @property
    def region(self):
        return self._module.region

    def caller_identity(self) -> dict:
        """STS GetCallerIdentity (``Account``, ``Arn``, ``UserId``), asked once per run."""
        if self._caller is None:
            self._caller = self.aws("sts").get_caller_identity()
        return self._caller

    def partition(self) -> str:
        """The AWS partition of the caller (``aws``, ``aws-cn``...)."""
        return arn.partition_of(self.caller_identity()["Arn"])

    def cluster_partition(self):
        """The partition the cluster lives in: its region's, else the Kubernetes caller's; None when unknown."""
        region = self._module.region
        if region:
            # botocore is optional at import time (AnsibleAWSModule reports it missing).
            import botocore.exceptions
            import botocore.session

            try:
                return botocore.session.get_session().get_partition_for_region(region)
            except botocore.exceptions.UnknownRegionError:
                pass
        caller = self.kube_caller_arn()
        return arn.partition_of(caller)

    @property
    def kube_auth(self) -> str:
        """How the Kubernetes requests authenticate: ``eks_token`` (this task's IAM identity) or ``kubernetes``."""
        return connection.choose_auth(self._module.params, os.environ)

    def kube(self):
        """The cluster's :class:`kube.KubeApi`, built on first use."""
        if self._kube is None:
            self._kube = connection.kube_api(self._module, self.describe_cluster)
        return self._kube

    def kube_as(self, credentials: dict):
        """The cluster's :class:`kube.KubeApi` as another AWS identity (AssumeRole ``Credentials``)."""
        return connection.kube_api_as(self._module, self.cluster_name, credentials, self.describe_cluster)

    def describe_cluster(self, name: str):
        """The :class:`ClusterFacts` of EKS cluster ``name`` (services/eks_cluster.py's one DescribeCluster)."""
        return eks_cluster.describe_cluster(self.aws("eks"), name)

    def kube_caller_arn(self):
        """The IAM ARN the Kubernetes requests are made as, when it can be known (else None).

        With an EKS token it is this task's AWS identity; with kubernetes.core
        settings the API server is asked (SelfSubjectReview, EKS puts the ARN
        in ``user.extra``).
        """
        if self._kube_arn is None:
            if self.kube_auth == "eks_token":
                self._kube_arn = self.caller_identity()["Arn"]
            else:
                self._kube_arn = connection.authenticated_arn(self.kube()) or ""
        return self._kube_arn or None

    def kube_identity(self):
        """``(description, IAM ARN or None)`` of who the Kubernetes requests are made as, for messages; never raises."""
        try:
            if self.kube_auth == "eks_token":
                caller = self.caller_identity()["Arn"]
                return "IAM identity %s" % caller, caller
        except _IDENTITY_LOOKUP_ERRORS:
            return "the IAM identity of this task's AWS credentials", None
        if self._kube_arn:
            return "IAM identity %s" % self._kube_arn, self._kube_arn
        return self._kubernetes_credentials(), None

    def _kubernetes_credentials(self):
        params = self._module.params
        if params.get("api_key"):
            return "the token given in api_key"
        kubeconfig = params.get("kubeconfig") or os.environ.get("K8S_AUTH_KUBECONFIG") or os.environ.get("KUBECONFIG")
        context = params.get("context") or os.environ.get("K8S_AUTH_CONTEXT")
        if kubeconfig:
            # Not its path: kubernetes.core marks the kubeconfig option no_log, so Ansible would mask it.
            return "the kubeconfig user %s" % _kubeconfig_user(kubeconfig, context)
        return "the Kubernetes credentials of this task"


def _kubeconfig_user(kubeconfig, context=None) -> str:
    """``'user' (context 'name')`` of a kubeconfig (a path or a dict), or just the context when unreadable."""
    import yaml  # only on this failure path: PyYAML's import cost is kept off every run

    config = kubeconfig
    if isinstance(kubeconfig, str):
        try:
            with open(os.path.expanduser(kubeconfig.split(os.pathsep)[0])) as f:
                config = yaml.safe_load(f)
        except (OSError, yaml.YAMLError):
            config = None
    if not isinstance(config, dict):
        return "of context %r" % context if context else "of the current context"
    context = context or config.get("current-context")
    user = next((c.get("context", {}).get("user") for c in config.get("contexts") or []
                 if isinstance(c, dict) and c.get("name") == context), None)
    return "%r (context %r)" % (user, context) if user else "of context %r" % context


def main(runner, argument_spec, kubernetes=True, **module_kwargs):
    """A whole module ``main()``: the argument spec (after the Kubernetes connection options unless
    ``kubernetes=False``), the runner's ``Options`` from the parameters, and its ``run``.

    ``runner`` is the module's runner module (``runners/<module>.py``: ``Options`` and ``run``)."""
    spec = {}
    if kubernetes:
        spec.update(connection.K8S_CONNECTION_ARG_SPEC)
    spec.update(argument_spec)
    module = AnsibleEKSAccessModule(argument_spec=spec, supports_check_mode=True, **module_kwargs)
    run_module(module, runner.run, options_from(runner.Options, module.params))


def run_module(module, runner, options):
    """Run ``runner(context, options)`` and exit the module with its result or one-sentence failure."""
    context = RunContext(module)
    try:
        result = runner(context, options)
    except errors.KubeApiError as e:
        failure = e
        if e.status in (401, 403):
            identity, iam_arn = context.kube_identity()
            failure = describe_kube_failure(e, identity, context.cluster_name, iam_arn)
        module.fail_json(msg=str(failure), **dict(context.result_on_failure, **failure.details))
    except errors.EksAccessError as e:
        module.fail_json(msg=str(e), **dict(context.result_on_failure, **e.details))
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)
    except _BOTO_ERRORS as e:
        module.fail_json_aws(e, msg="AWS request failed", **context.result_on_failure)
    except Exception as e:  # the one catch-all: an unexpected error, traceback kept for -vvv
        module.fail_json(msg="Unexpected error in eks.access (please report it): %s: %s" % (type(e).__name__, e),
                         exception=traceback.format_exc(), **context.result_on_failure)
    module.exit_json(**result)


def describe_kube_failure(error: errors.KubeApiError, identity: str = None, cluster: str = None,
                          iam_arn: str = None) -> errors.EksAccessError:
    """The one sentence for a failed Kubernetes request: 401 and 403 say who and what to do.

    ``identity`` describes who the request was made as (for example ``IAM
    identity arn:...`` or ``the credentials of kubeconfig ...``); ``iam_arn``
    is that IAM ARN when the request carried an EKS token of it.
    """
    subject = identity or "the identity this task runs as"
    where = "cluster %r" % cluster if cluster else "the cluster"
    if error.status == 401:
        if iam_arn:
            return errors.NotAuthorized(
                "%s does not know %s (401 Unauthorized): map %s in aws-auth (eks.access.aws_auth_mapping) or with an "
                "EKS access entry, or run the task with AWS credentials the cluster "
                "knows" % (where.capitalize(), subject, _where_to_map(iam_arn)), status=401, identity=iam_arn)
        return errors.NotAuthorized(
            "%s does not accept %s (401 Unauthorized): the token is unknown to it or expired; run the task with "
            "credentials the cluster knows, such as an IAM identity mapped in aws-auth or by an EKS access entry"
            % (where.capitalize(), subject), status=401)
    if error.status == 403:
        return errors.Forbidden(
            "%s is not allowed to %s %s (403 Forbidden: %s); grant it that permission through RBAC or an EKS "
            "access policy" % (subject[:1].upper() + subject[1:], _verb(error.method), error.path or "that resource",
                               error.api_message),
            status=403)
    return error


def _where_to_map(iam_arn: str) -> str:
    """What to map for a caller ARN: a role session maps through its role, anything else as itself."""
    try:
        parsed = arn.parse_iam_arn(iam_arn)
    except arn.ArnError:
        return iam_arn
    if parsed.resource_type == "assumed-role":
        return "its role %s (rolearn)" % arn.assumed_role_to_role_arn(iam_arn)
    if parsed.resource_type == "role":
        return "it (rolearn)"
    return "it (userarn)"


def _verb(method: str) -> str:
    return {"GET": "read", "POST": "create", "PUT": "replace", "PATCH": "patch", "DELETE": "delete"}.get(
        (method or "").upper(), "access")
