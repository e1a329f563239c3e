# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The request handler of the sandbox's small JSON services (iam_authenticator.py, oidc_issuer.py)."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler


class JSONRequestHandler(BaseHTTPRequestHandler):
    """A request handler whose answers are JSON documents."""

    def _reply(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
