# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plumbing shared by the sandbox's EKS extensions of moto (one module per EKS feature).

An extension module defines handler functions ``f(response) -> ActionResult``
named after the boto3 operation (``create_access_entry`` ...), and calls
``register(handlers, paths)`` from its ``install()``, before moto serves.
moto parses the request and serialises the answer with botocore's EKS model,
so a handler reads parameters with ``response._get_param`` and returns the
response shape's members.  Errors are raised with ``eks_error``.

``chain(name, handler)`` wraps an operation moto (or another extension)
already answers: the handler gets the previous implementation as its second
argument and calls it for the cases it does not own (DescribeUpdate, for
example, is shared by add-on updates and cluster config updates).
``tag_handlers`` gives TagResource, UntagResource and ListTagsForResource for
the resources an extension keeps itself, to chain that way.
"""

from __future__ import annotations

import base64
import re

from moto.core.responses import ActionResult, EmptyResult
from moto.eks import exceptions as eks_exceptions
from moto.eks import urls as eks_urls
from moto.eks.responses import EKSResponse

_ID_FIELDS = {
    "InvalidParameterException": ("clusterName", "nodegroupName", "fargateProfileName", "addonName"),
    "InvalidRequestException": ("clusterName", "nodegroupName", "addonName"),
    "ResourceNotFoundException": ("clusterName", "nodegroupName", "fargateProfileName", "addonName"),
    "ResourceInUseException": ("clusterName", "nodegroupName", "addonName"),
    "ResourceLimitExceededException": ("clusterName", "nodegroupName"),
}


class ResourceLimitExceededException(eks_exceptions.EKSError):
    """EKS's quota error (HTTP 400), which moto does not define."""

    TYPE = "ResourceLimitExceededException"
    STATUS = 400


def eks_error(code, message, **ids):
    """An EKS error moto serialises as EKS does: the code as x-amzn-ErrorType, the message and ids as JSON."""
    cls = getattr(eks_exceptions, code, None) or globals()[code]
    fields = dict.fromkeys(_ID_FIELDS[code])
    fields.update((k, v) for k, v in ids.items() if k in fields)
    return cls(message=message, **fields)


# an IAM role ARN as EKS accepts one (roleArn, nodeRoleArn ...), its partition named
ROLE_ARN_RE = re.compile(r"^arn:(?P<partition>aws[a-z-]*):iam::[0-9]{12}:role/[\w+=,.@/-]+$")


def partition(region):
    """The AWS partition of ``region``."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def cluster_of(response, name):
    """moto's Cluster object named ``name`` in the caller's account and region, or ResourceNotFoundException."""
    clusters = response.eks_backend.clusters
    if name not in clusters:
        raise eks_error("ResourceNotFoundException", "No cluster found for name: %s." % name, clusterName=name)
    return clusters[name]


def state_key(response, cluster_name):
    return (response.current_account, response.region, cluster_name)


def paginate(items, response, default=100, maximum=100):
    """(page, nextToken) of ``items`` for the request's maxResults / nextToken, as EKS pages lists."""
    max_results = response._get_param("maxResults")
    token = response._get_param("nextToken")
    try:
        size = int(max_results) if max_results not in (None, "") else default
    except ValueError:
        size = 0
    if not 1 <= size <= maximum:
        raise eks_error("InvalidParameterException", "maxResults must be between 1 and %d." % maximum)
    start = 0
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode())
        except (ValueError, UnicodeDecodeError):
            start = -1
        if not 0 <= start <= len(items):
            raise eks_error("InvalidParameterException", "The nextToken %s is not valid." % token)
    page = items[start:start + size]
    after = start + size
    return page, (base64.urlsafe_b64encode(str(after).encode()).decode() if after < len(items) else None)


def paged(key, items, response, default=100, maximum=100, **members):
    """The ActionResult of a list operation: ``members``, the page of ``items`` under ``key`` and its nextToken."""
    page, token = paginate(items, response, default=default, maximum=maximum)
    result = dict(members, **{key: page})
    if token:
        result["nextToken"] = token
    return ActionResult(result)


MAX_TAGS = 50  # tags on one EKS resource


def find_by_arn(store, response, arn, field):
    """The resource of ``store`` ({(account, region, cluster): {id: resource}}) in the caller's account and region
    whose ``field`` is ``arn`` (the caller holds the store's lock), else ResourceNotFoundException."""
    for (account, region, _cluster), resources in store.items():
        if (account, region) != (response.current_account, response.region):
            continue
        for resource in resources.values():
            if resource[field] == arn:
                return resource
    raise eks_error("ResourceNotFoundException", "Resource was not found: %s" % arn)


def tag_handlers(store, field, marker, lock):
    """(TagResource, UntagResource, ListTagsForResource) handlers, for ``chain``, of the resources in ``store``
    whose ARN (in ``field``) holds ``marker``; any other ARN goes on to the previous handler."""

    def tag_resource(self, previous):
        arn = self._extract_arn_from_path()
        if marker not in arn:
            return previous()
        tags = self._get_param("tags") or {}
        with lock:
            resource = find_by_arn(store, self, arn, field)
            if len(dict(resource["tags"], **tags)) > MAX_TAGS:
                raise eks_error("InvalidParameterException", "A resource can have at most %d tags." % MAX_TAGS)
            resource["tags"].update(tags)
        return EmptyResult()

    def untag_resource(self, previous):
        arn = self._extract_arn_from_path()
        if marker not in arn:
            return previous()
        keys = self.querystring.get("tagKeys") or []  # every key (moto's _get_param keeps the first only)
        with lock:
            resource = find_by_arn(store, self, arn, field)
            for key in keys:
                resource["tags"].pop(key, None)
        return EmptyResult()

    def list_tags_for_resource(self, previous):
        arn = self._extract_arn_from_path()
        if marker not in arn:
            return previous()
        with lock:
            return ActionResult({"tags": dict(find_by_arn(store, self, arn, field)["tags"])})

    return tag_resource, untag_resource, list_tags_for_resource


def _region_from_host(self, request, full_url):
    """The region as EKS has it: from the endpoint's host, never from the path.

    moto searches the whole URL for ``.<region>.amazonaws.com``, so a
    principal ARN in the path with an IAM Identity Center role path
    (``.../aws-reserved/sso.amazonaws.com/...``) gave it a wrong region.
    """
    from urllib.parse import urlsplit

    host = urlsplit(full_url).netloc
    return _MOTO_REGION_FROM_URL(self, request, "https://%s/" % host)


_MOTO_REGION_FROM_URL = EKSResponse.get_region_from_url


def register(handlers, paths):
    """Add ``handlers`` ({operation: function}) to moto's EKS responses and ``paths`` to its URL map."""
    EKSResponse.get_region_from_url = _region_from_host
    for name, func in handlers.items():
        setattr(EKSResponse, name, func)
    for path in paths:
        eks_urls.url_paths.setdefault(path, EKSResponse.dispatch)


def chain(name, handler):
    """Answer operation ``name`` with ``handler(response, previous)``; previous is what answered it so far."""
    previous = getattr(EKSResponse, name, None)

    def wrapped(self):
        return handler(self, (lambda: previous(self)) if previous is not None else None)

    wrapped.__name__ = name
    setattr(EKSResponse, name, wrapped)
