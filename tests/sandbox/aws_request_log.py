# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sandbox AWS emulator's request log: one JSON line per AWS API request, naming its action.

``RequestLog`` is WSGI middleware in front of moto (moto_launcher.py). For
every request it appends ``{"time", "service", "action", "access_key_id",
"status"}`` to a file, the action named as in the service's API reference
(``CreateAccessEntry``, ``GetCallerIdentity``...), found the way AWS routes
it:

* JSON protocols (SSO admin, STS over JSON...): the ``X-Amz-Target`` header,
  ``<prefix>.<Action>``;
* query protocols (IAM, STS, EC2): the ``Action`` parameter, in the query
  string or the form-encoded body;
* REST protocols (EKS): the method and path, matched against the operation's
  ``requestUri`` in botocore's service model of the service the request was
  signed for.

The sandbox's own paths (``/_sandbox/...``) are not AWS API calls and are not
logged. Tests read the file to prove that a run made no mutating call
(``is_mutating``), e.g. tests/integration/test_check_mode_all_playbooks.py.
"""

import io
import json
import re
import threading
import time
from urllib.parse import parse_qsl, unquote

MUTATING_PREFIXES = ("Create", "Update", "Delete", "Put", "Attach", "Detach", "Associate", "Disassociate", "Tag",
                     "Untag")
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
# Signing names whose botocore service has another name.
_SERVICE_OF_SIGNING_NAME = {"sso": "sso-admin"}


def is_mutating(action):
    """Whether an AWS action name writes (Create*, Update*, Delete*, Put*, Attach*, Detach*, (Dis)Associate*,
    Tag*, Untag*)."""
    return bool(action) and action.startswith(MUTATING_PREFIXES)


def read(path, offset=0):
    """The records appended to the log at ``path`` after byte ``offset``."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]


class _RestRoutes:
    """(method, path regex, operation name) of the REST services in botocore's models, loaded on first use."""

    def __init__(self):
        self.routes = {}
        self.lock = threading.Lock()

    def of(self, service):
        with self.lock:
            if service not in self.routes:
                self.routes[service] = self._load(service)
            return self.routes[service]

    @staticmethod
    def _load(service):
        try:
            import botocore.loaders

            model = botocore.loaders.create_loader().load_service_model(
                _SERVICE_OF_SIGNING_NAME.get(service, service), "service-2")
        except Exception:  # an unknown service: its requests are logged without an action
            return []
        routes = []
        for name, operation in model.get("operations", {}).items():
            http = operation.get("http") or {}
            uri = (http.get("requestUri") or "/").split("?", 1)[0]
            pattern, specificity = "", 0
            for piece in re.split(r"(\{[^}]+\})", uri):
                if piece.startswith("{") and piece.endswith("+}"):
                    pattern += ".+"
                elif piece.startswith("{"):
                    pattern += "[^/]+"
                else:
                    pattern += re.escape(piece)
                    specificity += len(piece)
            routes.append((http.get("method", "POST"), re.compile("^%s/?$" % pattern), specificity, name))
        # The most literal route first: /clusters/{name}/updates before /clusters/{name}/{x}.
        routes.sort(key=lambda route: -route[2])
        return routes


_REST = _RestRoutes()


def action_of(environ, body):
    """(service, action) of a request: the signing service and the API action (None when unknown)."""
    service, access_key = None, None
    match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", "")) or \
        _CREDENTIAL.search("Credential=" + unquote(dict(parse_qsl(environ.get("QUERY_STRING", ""))).get(
            "X-Amz-Credential", "")))
    if match:
        access_key, service = match.group(1), match.group(3)
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return service, access_key, target.rsplit(".", 1)[-1]
    query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
    if "Action" in query:
        return service, access_key, query["Action"]
    if "application/x-www-form-urlencoded" in environ.get("CONTENT_TYPE", "") and body:
        form = dict(parse_qsl(body.decode("utf-8", "replace")))
        if "Action" in form:
            return service, access_key, form["Action"]
    if service:
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
        path = raw.split("?", 1)[0]
        method = environ.get("REQUEST_METHOD", "GET")
        for route_method, regex, _specificity, name in _REST.of(service):
            if route_method == method and regex.match(path):
                return service, access_key, name
    return service, access_key, None


class RequestLog:
    """WSGI middleware appending one JSON line per AWS request to ``path``."""

    def __init__(self, app, path):
        self.app = app
        self.path = path
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith("/_sandbox/"):
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            service, access_key, action = action_of(environ, body)
        except Exception:  # the log never stands in the way of a request
            service = access_key = action = None
        status = []

        def recording_start_response(status_line, headers, exc_info=None):
            status.append(status_line.split(" ", 1)[0])
            if exc_info:
                return start_response(status_line, headers, exc_info)
            return start_response(status_line, headers)

        response = self.app(environ, recording_start_response)
        record = {"time": round(time.time(), 3), "service": service, "action": action,
                  "access_key_id": access_key, "method": environ.get("REQUEST_METHOD"),
                  "path": environ.get("PATH_INFO"), "status": int(status[0]) if status else None}
        with self.lock:
            with open(self.path, "a") as f:
                f.write(json.dumps(record) + "\n")
        return response
