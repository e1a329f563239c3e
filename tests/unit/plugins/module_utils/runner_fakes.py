# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The real RunContext over fakes: botocore Stubbers for AWS and a scripted Kubernetes API.

Every request (AWS or Kubernetes) lands in one ``calls`` list in order, so a
test can assert the order of writes across both sides, and that check mode
wrote nothing.  A Stubber fails a test on any AWS call it was not told to
expect, writes included.
"""

from __future__ import annotations

import copy

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils import module as module_core

ACCOUNT = "123456789012"
CALLER = "arn:aws:iam::%s:user/ops" % ACCOUNT
AWS_WRITES = ("Create", "Update", "Put", "Attach", "Detach", "Delete", "Tag", "Untag")


class Exited(Exception):
    pass


class FakeModule:
    """Just what RunContext and run_module read of an AnsibleAWSModule."""

    def __init__(self, calls, check_mode=False, diff=True, **params):
        self.calls = calls
        self.check_mode = check_mode
        self._diff = diff
        self.region = "us-west-2"
        self.params = dict(dict(cluster_name="sandbox", k8s_auth="eks_token"), **params)
        self.warnings = []
        self.stubbers = {}
        self.exited = self.failed = None

    def client(self, service, region=None):
        client = boto3.client(service, region_name=region or self.region, aws_access_key_id="k",
                              aws_secret_access_key="s")
        stubber = self.stubbers.setdefault(service, Stubber(client))
        if stubber.client is not client:  # one client per service, like RunContext
            return stubber.client
        client.meta.events.register("before-call.*.*", self._record)
        stubber.activate()
        return client

    def _record(self, model, params, **kwargs):
        self.calls.append(("aws", model.name, copy.deepcopy(params)))

    def warn(self, message):
        self.warnings.append(message)

    def exit_json(self, **kwargs):
        self.exited = kwargs
        raise Exited()

    def fail_json(self, **kwargs):
        self.failed = kwargs
        raise Exited()

    def fail_json_aws(self, exception, msg=None, **kwargs):
        self.failed = dict(kwargs, msg="%s: %s" % (msg, exception), exception_type=type(exception).__name__)
        raise Exited()

    def fail_json_aws_error(self, exception):
        self.failed = {"msg": str(exception)}
        raise Exited()


class ScriptedKube:
    """Objects by path; lists by collection path; each request recorded; ``fail`` scripts errors by (method, path)."""

    def __init__(self, calls, objects=None, lists=None, fail=None):
        self.calls = calls
        self.objects = copy.deepcopy(objects or {})
        self.lists = copy.deepcopy(lists or {})
        self.fail = dict(fail or {})
        self.version = 100

    def request(self, method, path, body=None, dry_run=False):
        self.calls.append(("kube", method, path, bool(dry_run)))
        failure = self.fail.get((method, path, bool(dry_run))) or self.fail.get((method, path))
        if failure:
            status, message = failure
            raise errors.KubeApiError(status, "", message, method, path)

    def get(self, path, **params):
        found = self.get_optional(path)
        if found is None:
            raise errors.KubeApiError(404, "NotFound", "not found", "GET", path)
        return found

    def get_optional(self, path, **params):
        self.request("GET", path)
        return copy.deepcopy(self.objects.get(path))

    def items(self, path, **params):
        self.request("GET", path)
        return copy.deepcopy(self.lists.get(path, []))

    def create(self, path, body, dry_run=False):
        self.request("POST", path, body, dry_run)
        if "selfsubjectreviews" in path:
            return {"status": {"userInfo": {"username": "admin"}}}
        full = "%s/%s" % (path, body["metadata"]["name"])
        if full in self.objects:
            raise errors.KubeApiError(409, "AlreadyExists", "already exists", "POST", path)
        stored = self._stored(body)
        if not dry_run:
            self.objects[full] = stored
        return copy.deepcopy(stored)

    def replace(self, path, body, dry_run=False):
        self.request("PUT", path, body, dry_run)
        current = self.objects.get(path)
        if current is None:
            raise errors.KubeApiError(404, "NotFound", "not found", "PUT", path)
        if body["metadata"].get("resourceVersion") != current["metadata"].get("resourceVersion"):
            raise errors.KubeApiError(409, "Conflict", "the object has been modified", "PUT", path)
        stored = self._stored(body)
        if not dry_run:
            self.objects[path] = stored
        return copy.deepcopy(stored)

    def merge_patch(self, path, patch, dry_run=False):
        self.request("PATCH", path, patch, dry_run)
        current = copy.deepcopy(self.objects.get(path))
        if current is None:
            raise errors.KubeApiError(404, "NotFound", "not found", "PATCH", path)
        annotations = current.setdefault("metadata", {}).setdefault("annotations", {})
        for key, value in ((patch.get("metadata") or {}).get("annotations") or {}).items():
            if value is None:
                annotations.pop(key, None)
            else:
                annotations[key] = value
        stored = self._stored(current)
        if not dry_run:
            self.objects[path] = stored
        return copy.deepcopy(stored)

    def _stored(self, body):
        self.version += 1
        stored = copy.deepcopy(body)
        stored.setdefault("metadata", {})["resourceVersion"] = str(self.version)
        return stored


class Harness:
    """A RunContext over a FakeModule and a ScriptedKube; ``run`` goes through the real run_module."""

    def __init__(self, check_mode=False, objects=None, lists=None, fail=None, **params):
        self.calls = []
        self.module = FakeModule(self.calls, check_mode=check_mode, **params)
        self.kube = ScriptedKube(self.calls, objects, lists, fail)
        self.context = module_core.RunContext(self.module)
        self.context._kube = self.kube

    def stub(self, service):
        self.module.client(service)
        return self.module.stubbers[service]

    def caller(self, arn=CALLER):
        self.stub("sts").add_response("get_caller_identity", {"Account": ACCOUNT, "Arn": arn, "UserId": "AIDA"})

    def run(self, runner, options):
        """The result, or the failure dict, through run_module; every stubbed AWS response must be used."""
        original = module_core.RunContext
        module_core.RunContext = lambda module: self.context
        try:
            with pytest.raises(Exited):
                module_core.run_module(self.module, runner, options)
        finally:
            module_core.RunContext = original
        for stubber in self.module.stubbers.values():
            stubber.assert_no_pending_responses()
        return self.module.exited if self.module.exited is not None else self.module.failed

    def aws_writes(self):
        return [c[1] for c in self.calls if c[0] == "aws" and c[1].startswith(AWS_WRITES)]

    def kube_writes(self):
        return [(c[1], c[2], c[3]) for c in self.calls if c[0] == "kube" and c[1] != "GET"
                and "selfsubjectreviews" not in c[2]]

    def writes(self):
        """AWS and Kubernetes writes in the order they were made; dry runs marked."""
        out = []
        for c in self.calls:
            if c[0] == "aws" and c[1].startswith(AWS_WRITES):
                out.append(c[1])
            elif c[0] == "kube" and c[1] != "GET" and "selfsubjectreviews" not in c[2]:
                out.append("%s %s%s" % (c[1], c[2], " (dry run)" if c[3] else ""))
        return out
