# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way a module runs: options in, a runner, errors out as one sentence.

A module builds its options object (a dataclass of its parameters) and calls
:func:`run_module`.  The runner gets a :class:`RunContext` (clients, check
mode, diff mode, warnings) and the options, never ``module.params``, and
returns the result dict.  This is the only place that turns an error into
``fail_json``, and the only ``except Exception`` of the collection.
"""

from __future__ import annotations

import traceback

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.clients import aws

try:
    import botocore.exceptions as _botocore_exceptions

    _BOTO_ERRORS = (_botocore_exceptions.ClientError, _botocore_exceptions.BotoCoreError)
except ImportError:  # AnsibleAWSModule reports a missing botocore itself
    _BOTO_ERRORS = ()


class RunContext:
    """What a runner may use of the module: clients, modes and warnings."""

    def __init__(self, module):
        self._module = module
        self._clients = {}
        self._kube = None
        self._caller = None
        self.cluster_name = module.params.get("cluster_name")

    @property
    def check_mode(self) -> bool:
        return bool(self._module.check_mode)

    @property
    def diff_mode(self) -> bool:
        return bool(self._module._diff)

    def warn(self, message: str) -> None:
        self._module.warn(message)

    def aws(self, service: str) -> aws.AlwaysRetryingClient:
        """A retrying boto3 client for ``service``, one per run."""
        if service not in self._clients:
            self._clients[service] = aws.client(self._module, service)
        return self._clients[service]

    def caller_identity(self) -> dict:
        """STS GetCallerIdentity (``Account``, ``Arn``, ``UserId``), asked once per run."""
        if self._caller is None:
            self._caller = self.aws("sts").get_caller_identity()
        return self._caller

    def kube(self):
        """The cluster's :class:`kube.KubeApi`, built on first use."""
        if self._kube is None:
            from ansible_collections.eks.access.plugins.module_utils import connection

            self._kube = connection.kube_api(self._module)
        return self._kube

    def kube_identity(self):
        """Who the Kubernetes requests are made as, for messages; None when unknown."""
        if self._caller is not None:
            return self._caller.get("Arn")
        return None


def run_module(module, runner, options):
    """Run ``runner(context, options)`` and exit the module with its result or one-sentence failure."""
    context = RunContext(module)
    try:
        result = runner(context, options)
    except errors.KubeApiError as e:
        failure = errors.describe_kube_failure(e, context.kube_identity(), context.cluster_name)
        module.fail_json(msg=str(failure), **failure.details)
    except errors.EksAccessError as e:
        module.fail_json(msg=str(e), **e.details)
    except _BOTO_ERRORS as e:
        module.fail_json_aws(e, msg="AWS request failed")
    except Exception as e:  # the one catch-all: an unexpected error, traceback kept for -vvv
        module.fail_json(msg="Unexpected error in eks.access (please report it): %s: %s" % (type(e).__name__, e),
                         exception=traceback.format_exc())
    module.exit_json(**result)
