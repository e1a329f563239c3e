# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS clients that retry throttling and server errors on every call, by default.

amazon.aws's ``RetryingBotoClientWrapper`` retries only the calls given
``aws_retry=True``; forgetting it on one call is how a run fails on the first
throttle.  Here the default is the other way round, and paginated reads retry
as a whole through amazon.aws's ``paginated_query_with_retries``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import wraps

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

from ansible_collections.eks.access.plugins.module_utils import errors

try:
    from botocore.exceptions import BotoCoreError
    from botocore.exceptions import ClientError
except ImportError:  # AnsibleAWSModule reports a missing botocore
    BotoCoreError = ClientError = ()

# What an AWS call may raise: AWS's answer (ClientError) or the SDK's own failure (BotoCoreError).
# The one place of the collection that names them; runners never do.
AWS_ERRORS = (ClientError, BotoCoreError)

# Per-item AWS calls (one access entry, one association) run at most this many
# at a time: boto3 clients are thread-safe, and ten keeps well under EKS's
# request rate while hiding most of each call's round trip.
DEFAULT_CONCURRENCY = 10

# Throttling and 5xx only: an error the caller made, such as MalformedPolicyDocument,
# fails at once instead of after minutes of backoff.  AWSRetry knows the query
# protocols' codes (Throttling, ServiceUnavailable, ...); the JSON and REST ones
# (EKS, SSO admin) name them differently.
JSON_PROTOCOL_RETRY_CODES = ["ThrottlingException", "ServiceUnavailableException", "ServerException",
                             "InternalServerException"]
DEFAULT_RETRY = AWSRetry.jittered_backoff(retries=10, delay=1, max_delay=20,
                                          catch_extra_error_codes=JSON_PROTOCOL_RETRY_CODES)


# --------------------------------------------------------------------------- the one AWS error boundary


def error_code(error) -> str:
    """The AWS error code of a failed call (``ResourceNotFoundException``...); "" for anything else."""
    return ((getattr(error, "response", None) or {}).get("Error") or {}).get("Code", "") if error is not None else ""


def with_code(code):
    """For ``except``: the AWS error answering ``code`` (or one of a tuple of codes), nothing else."""
    return is_boto3_error_code(code)


def aws_failure(error, what: str) -> errors.EksAccessError:
    """One sentence for a failed EKS request (no request ids, no headers)."""
    if isinstance(error, ClientError):
        code = error_code(error)
        message = error.response.get("Error", {}).get("Message") or code
        if code in ("AccessDeniedException", "AccessDenied", "UnauthorizedOperation"):
            return errors.Forbidden("%s was denied by AWS (%s: %s); grant the credentials that permission" % (
                what, code, message))
        if code in ("InvalidParameterException", "InvalidRequestException"):
            return errors.InvalidInput("%s was refused by EKS (%s): %s" % (what, code, message))
        if code == "ResourceNotFoundException":
            return errors.NotFound("%s: %s" % (what, message))
        return errors.EksAccessError("%s failed (%s): %s" % (what, code, message))
    return errors.EksAccessError("%s failed: %s" % (what, error))


def describe_error(error) -> str:
    """One line for a failed AWS call: its code and message, no HTTP details."""
    if isinstance(error, ClientError):
        detail = error.response.get("Error", {})
        return "%s: %s" % (detail.get("Code", "Error"), detail.get("Message", ""))
    return "%s: %s" % (type(error).__name__, error)


class AlwaysRetryingClient(RetryingBotoClientWrapper):
    """A boto3 client whose calls retry unless given ``aws_retry=False``."""

    def _create_optional_retry_wrapper_function(self, unwrapped):
        retrying = self.retry(unwrapped)

        @wraps(unwrapped)
        def call(*args, aws_retry=True, **kwargs):
            return (retrying if aws_retry else unwrapped)(*args, **kwargs)

        return call

    def paginate(self, operation: str, **params) -> dict:
        """The full result of a paginated operation, retried as a whole."""
        return paginated_query_with_retries(self.client, operation, retry_decorator=self.retry, **params)


def client(module, service: str, retry=DEFAULT_RETRY, region: str = None) -> AlwaysRetryingClient:
    """``service``'s client for the module's AWS connection options (``region`` overrides its region), retrying by default."""
    if region:
        return AlwaysRetryingClient(module.client(service, region=region), retry)
    return AlwaysRetryingClient(module.client(service), retry)


def retrying(boto_client, retry=DEFAULT_RETRY) -> AlwaysRetryingClient:
    """``boto_client`` retrying by default; one that already does is returned as it is (no retries of retries)."""
    if isinstance(boto_client, AlwaysRetryingClient):
        return boto_client
    return AlwaysRetryingClient(boto_client, retry)


def map_bounded(function, items, concurrency: int = DEFAULT_CONCURRENCY) -> list:
    """``[function(item) ...]`` on at most ``concurrency`` threads, in order; the first error is raised."""
    items = list(items)
    if concurrency <= 1 or len(items) <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(concurrency, len(items))) as pool:
        return list(pool.map(function, items))
