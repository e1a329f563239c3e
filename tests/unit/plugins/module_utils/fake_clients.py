# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fake clients for runner unit tests: a scripted KubeApi and a RunContext over botocore Stubbers."""

from __future__ import annotations

import copy

import boto3
from botocore.stub import Stubber

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.clients import aws


class ScriptedKube:
    """An in-memory API server by path: objects keyed by path, resourceVersion checked on replace, writes recorded."""

    def __init__(self, objects=None, pods=None):
        self.objects = dict((path, copy.deepcopy(obj)) for path, obj in (objects or {}).items())
        self.pods = dict((ns, list(items)) for ns, items in (pods or {}).items())
        self.writes = []
        self.version = 100
        self.before_write = None  # a hook a test uses to interleave another writer

    def _bump(self, obj):
        self.version += 1
        obj.setdefault("metadata", {})["resourceVersion"] = str(self.version)
        return obj

    def get(self, path, **params):
        obj = self.get_optional(path, **params)
        if obj is None:
            raise errors.KubeApiError(404, "NotFound", "%s not found" % path, "GET", path)
        return obj

    def get_optional(self, path, **params):
        return copy.deepcopy(self.objects.get(path))

    def items(self, path, label_selector=None, **params):
        namespace = path.split("/namespaces/")[1].split("/")[0]
        wanted = dict(kv.split("=", 1) for kv in label_selector.split(",")) if label_selector else {}
        return [copy.deepcopy(p) for p in self.pods.get(namespace, [])
                if all(((p.get("metadata") or {}).get("labels") or {}).get(k) == v for k, v in wanted.items())]

    def create(self, path, body, dry_run=False):
        if self.before_write:
            self.before_write("POST", path)
        full = path + "/" + body["metadata"]["name"]
        self.writes.append(("POST", full, dry_run))
        if full in self.objects:
            raise errors.KubeApiError(409, "AlreadyExists", "exists", "POST", path)
        if dry_run:
            return body
        self.objects[full] = self._bump(copy.deepcopy(body))
        return copy.deepcopy(self.objects[full])

    def replace(self, path, body, dry_run=False):
        if self.before_write:
            self.before_write("PUT", path)
        self.writes.append(("PUT", path, dry_run))
        current = self.objects.get(path)
        if current is None:
            raise errors.KubeApiError(404, "NotFound", "not found", "PUT", path)
        if body["metadata"].get("resourceVersion") != current["metadata"]["resourceVersion"]:
            raise errors.KubeApiError(409, "Conflict", "the object has been modified", "PUT", path)
        if dry_run:
            return body
        self.objects[path] = self._bump(copy.deepcopy(body))
        return copy.deepcopy(self.objects[path])

    def merge_patch(self, path, patch, dry_run=False):
        self.writes.append(("PATCH", path, dry_run))
        return {}

    def delete(self, path):
        self.writes.append(("DELETE", path, False))
        return {}


class FakeContext:
    """What a runner sees of RunContext, over stubbed boto3 clients (one Stubber per service)."""

    def __init__(self, kube=None, check_mode=False, diff_mode=False, account="111122223333", region="us-east-1"):
        self._kube = kube
        self.check_mode = check_mode
        self.diff_mode = diff_mode
        self.warnings = []
        self.cluster_name = None
        self.region = region
        self.account = account
        self.stubbers = {}
        self._clients = {}

    def stub(self, service):
        if service not in self._clients:
            client = boto3.client(service, region_name=self.region, aws_access_key_id="k", aws_secret_access_key="s")
            self.stubbers[service] = Stubber(client)
            self.stubbers[service].activate()
            self._clients[service] = aws.AlwaysRetryingClient(client, aws.DEFAULT_RETRY)
        return self.stubbers[service]

    def aws(self, service):
        self.stub(service)
        return self._clients[service]

    def caller_identity(self):
        return {"Account": self.account, "Arn": "arn:aws:iam::%s:user/ops" % self.account, "UserId": "AID"}

    def kube(self):
        return self._kube

    def warn(self, message):
        self.warnings.append(message)

    def assert_no_pending(self):
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()
