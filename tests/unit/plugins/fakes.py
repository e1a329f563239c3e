# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The unit tests' fakes, one of each: a Kubernetes API, a run context, an Ansible module.

``tests/unit/plugins/conftest.py`` hands them out as fixtures (``kube``,
``context``, ``harness``...); a test that needs one built another way imports
the class from here.

- ``ScriptedKube``: an in-memory API server keyed by path, with what a runner
  needs of ``clients/kube.py``'s ``KubeApi``: reads, creates and replaces
  checked against the resourceVersion (409 on a stale one), JSON merge patches,
  deletes (with their preconditions), pods by namespace and label selector,
  scripted failures by (method, path) and a hook to interleave another writer.
  Every request lands in ``calls`` (shared with the AWS calls of a
  ``Harness``), every write in ``writes``.
- ``FakeContext``: what a runner sees of ``module.RunContext``, over botocore
  Stubbers (one per service): a call the test did not queue fails it.
- ``FakeModule`` and ``Harness``: the real ``RunContext`` and ``run_module``
  over a stand-in for AnsibleAWSModule, for tests of a runner as the module
  runs it (the result or the failure dict it exits with).
"""

from __future__ import annotations

import copy
import datetime
import json

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils import module as module_core
from ansible_collections.eks.access.plugins.module_utils.clients import aws

ACCOUNT = "123456789012"
CALLER = "arn:aws:iam::%s:user/ops" % ACCOUNT
AWS_WRITES = ("Create", "Update", "Put", "Attach", "Detach", "Delete", "Tag", "Untag")
# Retries without waiting: a test of a throttled call takes no time.
FAST_RETRY = aws.AWSRetry.jittered_backoff(retries=2, delay=0, max_delay=0)


def aws_client(service, region="us-east-1"):
    """A boto3 client with dummy credentials; a Stubber keeps it off the network."""
    return boto3.client(service, region_name=region, aws_access_key_id="k", aws_secret_access_key="s")


def queue_role(iam, arn, trust, path="/", created=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)):
    """Queue on the IAM Stubber what services/iam_role.IamRoles.get reads of a role with no policies and no tags."""
    name = arn.split("/")[-1]
    iam.add_response("get_role", {"Role": {
        "Path": path, "RoleName": name, "RoleId": "AROAEXAMPLE0000000001", "Arn": arn, "CreateDate": created,
        "AssumeRolePolicyDocument": json.dumps(trust)}}, {"RoleName": name})
    iam.add_response("list_attached_role_policies", {"AttachedPolicies": []}, {"RoleName": name})
    iam.add_response("list_role_policies", {"PolicyNames": []}, {"RoleName": name})
    iam.add_response("list_role_tags", {"Tags": []}, {"RoleName": name})


def merge_patch(target, patch):
    """RFC 7386: objects merge key by key, null removes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    merged = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


class ScriptedKube:
    """An in-memory Kubernetes API by path; ``calls`` holds every request, ``writes`` every write.

    ``objects``: path -> object; ``pods``: namespace -> pods (listed by label
    selector); ``lists``: collection path -> items, ahead of ``pods``;
    ``fail``: (method, path[, dry_run]) -> (status, message), raised as the
    API server's error for that request; ``before_write(method, path)``: called
    before each write, for a test to play another writer; ``decide(spec)``:
    the answer to a SubjectAccessReview (allowed unless it says otherwise),
    whose specs land in ``reviews``.
    """

    def __init__(self, objects=None, pods=None, lists=None, fail=None, calls=None):
        self.objects = dict((path, copy.deepcopy(obj)) for path, obj in (objects or {}).items())
        self.pods = dict((ns, list(items)) for ns, items in (pods or {}).items())
        self.lists = copy.deepcopy(lists or {})
        self.fail = dict(fail or {})
        self.calls = [] if calls is None else calls
        self.writes = []
        self.version = 100
        self.before_write = None
        self.decide = None
        self.reviews = []

    def _request(self, method, path, body=None, dry_run=False, target=None):
        """Record the request (a write also in ``writes``, under the object's path) and raise its scripted failure."""
        question = method == "POST" and path.endswith("reviews")  # an access review asks, it writes nothing
        if method != "GET" and not question:
            if self.before_write:
                self.before_write(method, path)
            self.writes.append((method, target or path, bool(dry_run)))
        self.calls.append(("kube", method, path, bool(dry_run), copy.deepcopy(body)))
        failure = self.fail.get((method, path, bool(dry_run))) or self.fail.get((method, path))
        if failure:
            status, message = failure
            raise errors.KubeApiError(status, "", message, method, path)

    def _store(self, path, body, dry_run):
        """``body`` stored at ``path`` with the next resourceVersion (a dry run stores nothing); what the API answers."""
        if dry_run:
            return copy.deepcopy(body)
        self.version += 1
        stored = copy.deepcopy(body)
        stored.setdefault("metadata", {})["resourceVersion"] = str(self.version)
        self.objects[path] = stored
        return copy.deepcopy(stored)

    def _current(self, method, path):
        current = self.objects.get(path)
        if current is None:
            raise errors.KubeApiError(404, "NotFound", "%s not found" % path, method, path)
        return current

    def request(self, method, path, body=None, **params):
        """KubeApi.request: the verbs by name; a DELETE honours ``preconditions.resourceVersion``."""
        if method == "GET":
            return self.get(path, **params)
        if method == "POST":
            return self.create(path, body, params.get("dry_run", False))
        if method == "PUT":
            return self.replace(path, body, params.get("dry_run", False))
        if method == "PATCH":
            return self.merge_patch(path, body, params.get("dry_run", False))
        self._request(method, path, body)
        current = self._current(method, path)
        wanted = ((body or {}).get("preconditions") or {}).get("resourceVersion")
        if wanted is not None and wanted != current["metadata"].get("resourceVersion"):
            raise errors.KubeApiError(409, "Conflict", "the object has been modified", method, path)
        del self.objects[path]
        return {}

    def get(self, path, **params):
        found = self.get_optional(path, **params)
        if found is None:
            raise errors.KubeApiError(404, "NotFound", "%s not found" % path, "GET", path)
        return found

    def get_optional(self, path, **params):
        self._request("GET", path)
        return copy.deepcopy(self.objects.get(path))

    def items(self, path, label_selector=None, **params):
        self._request("GET", path)
        if path in self.lists:
            return copy.deepcopy(self.lists[path])
        if "/namespaces/" not in path:
            return []
        namespace = path.split("/namespaces/")[1].split("/")[0]
        wanted = dict(kv.split("=", 1) for kv in label_selector.split(",")) if label_selector else {}
        return [copy.deepcopy(p) for p in self.pods.get(namespace, [])
                if all(((p.get("metadata") or {}).get("labels") or {}).get(k) == v for k, v in wanted.items())]

    def create(self, path, body, dry_run=False):
        full = "%s/%s" % (path, body["metadata"]["name"]) if (body.get("metadata") or {}).get("name") else path
        self._request("POST", path, body, dry_run, target=full)
        if path.endswith("selfsubjectreviews"):
            return {"status": {"userInfo": {"username": "admin"}}}
        if path.endswith("reviews"):
            self.reviews.append(body["spec"])
            return {"status": {"allowed": True if self.decide is None else self.decide(body["spec"])}}
        if full in self.objects:
            raise errors.KubeApiError(409, "AlreadyExists", "%s already exists" % full, "POST", path)
        return self._store(full, body, dry_run)

    def replace(self, path, body, dry_run=False):
        self._request("PUT", path, body, dry_run)
        current = self._current("PUT", path)
        if body["metadata"].get("resourceVersion") != current["metadata"].get("resourceVersion"):
            raise errors.KubeApiError(409, "Conflict", "the object has been modified", "PUT", path)
        return self._store(path, body, dry_run)

    def merge_patch(self, path, patch, dry_run=False):
        self._request("PATCH", path, patch, dry_run)
        return self._store(path, merge_patch(self._current("PATCH", path), patch), dry_run)

    def delete(self, path):
        return self.request("DELETE", path)

    def bodies(self, method, fragment=""):
        """The bodies sent with ``method`` to paths holding ``fragment``, in order."""
        return [c[4] for c in self.calls if c[0] == "kube" and c[1] == method and fragment in c[2]]


class _Stubs(dict):
    """A context's Stubbers by service, made on first use."""

    def __init__(self, context):
        super().__init__()
        self._context = context

    def __missing__(self, service):
        return self._context.stub(service)


class FakeContext:
    """What a runner sees of RunContext: boto3 clients behind Stubbers, a ScriptedKube, modes, warnings.

    ``stub(service)`` (or ``stubs[service]``) is the service's Stubber, active
    from its first use; ``with context:`` checks on the way out that every
    queued response was used.
    """

    def __init__(self, kube=None, check_mode=False, diff_mode=False, account="111122223333", region="us-east-1",
                 caller=None, cluster_name=None, retry=None):
        self._kube = kube
        self.check_mode = check_mode
        self.diff_mode = diff_mode
        self.warnings = []
        self.cluster_name = cluster_name
        self.region = region
        self.account = account
        self.caller = caller or "arn:aws:iam::%s:user/ops" % account
        self.kube_auth = "eks_token"
        self.result_on_failure = {}
        self.retry = retry or aws.DEFAULT_RETRY
        self.stubbers = _Stubs(self)
        self._clients = {}

    @property
    def stubs(self):
        return self.stubbers

    @property
    def eks(self):
        return self.stub("eks")

    def stub(self, service):
        if service not in self._clients:
            client = aws_client(service, self.region)
            stubber = Stubber(client)
            stubber.activate()
            dict.__setitem__(self.stubbers, service, stubber)
            self._clients[service] = aws.AlwaysRetryingClient(client, self.retry)
        return self.stubbers[service]

    def aws(self, service, region=None):
        self.stub(service)
        return self._clients[service]

    def caller_identity(self):
        return {"Account": self.account, "Arn": self.caller, "UserId": "AID"}

    def kube(self):
        return self._kube

    def warn(self, message):
        self.warnings.append(message)

    def assert_no_pending(self):
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.assert_no_pending()


class Exited(Exception):
    """exit_json or fail_json was called (AnsibleModule exits there)."""


class FakeModule:
    """Just what RunContext and run_module read of an AnsibleAWSModule; AWS calls land in ``calls``."""

    def __init__(self, calls=None, check_mode=False, diff=True, **params):
        self.calls = [] if calls is None else calls
        self.check_mode = check_mode
        self._diff = diff
        self.region = "us-west-2"
        self.params = dict(dict(cluster_name="sandbox", k8s_auth="eks_token"), **params)
        self.warnings = []
        self.stubbers = {}
        self.exited = self.failed = self.failed_aws = None

    def client(self, service, region=None):
        client = aws_client(service, region or self.region)
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
        self.failed_aws = (exception, msg)
        self.failed = dict(kwargs, msg="%s: %s" % (msg, exception), exception_type=type(exception).__name__)
        raise Exited()

    def fail_json_aws_error(self, exception):
        self.failed = {"msg": str(exception)}
        raise Exited()


def run_module(module, runner, options=None):
    """The module as run_module leaves it (``exited`` or ``failed`` set)."""
    with pytest.raises(Exited):
        module_core.run_module(module, runner, options)
    return module


class Harness:
    """The real RunContext over a FakeModule and a ScriptedKube; ``run`` goes through the real run_module."""

    def __init__(self, check_mode=False, objects=None, lists=None, fail=None, **params):
        self.calls = []
        self.module = FakeModule(self.calls, check_mode=check_mode, **params)
        self.kube = ScriptedKube(objects=objects, lists=lists, fail=fail, calls=self.calls)
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
            run_module(self.module, runner, options)
        finally:
            module_core.RunContext = original
        for stubber in self.module.stubbers.values():
            stubber.assert_no_pending_responses()
        return self.module.exited if self.module.exited is not None else self.module.failed

    def _writes(self):
        for c in self.calls:
            if c[0] == "aws" and c[1].startswith(AWS_WRITES):
                yield c
            elif c[0] == "kube" and c[1] != "GET" and not c[2].endswith("reviews"):
                yield c

    def aws_writes(self):
        return [c[1] for c in self._writes() if c[0] == "aws"]

    def kube_writes(self):
        return [(c[1], c[2], c[3]) for c in self._writes() if c[0] == "kube"]

    def writes(self):
        """AWS and Kubernetes writes in the order they were made; dry runs marked."""
        return [c[1] if c[0] == "aws" else "%s %s%s" % (c[1], c[2], " (dry run)" if c[3] else "")
                for c in self._writes()]
