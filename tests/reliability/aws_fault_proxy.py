# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An HTTP proxy in front of moto that fails a share of AWS requests.

A request picked for failure never reaches moto; it is answered with either
AWS throttling (HTTP 400, ``Throttling`` in the query protocol's XML for
IAM/STS, ``ThrottlingException`` in the JSON protocols such as EKS) or HTTP 503
``ServiceUnavailable``, alternately.  Every other request is relayed as it is.
``GET /__fault_stats`` returns the counts.  Used by
tests/reliability/test_aws_faults.py; listens on 127.0.0.1 only.

    python aws_fault_proxy.py --listen 127.0.0.1:PORT --target http://127.0.0.1:PORT --fail 0.3 --seed 9
"""

from __future__ import annotations

import argparse
import http.client
import http.server
import json
import random
import threading
import urllib.parse

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


class Faults:
    def __init__(self, fraction, seed):
        self.fraction = fraction
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.stats = {"requests": 0, "relayed": 0, "throttled": 0, "unavailable": 0}
        self.next_kind = "throttled"

    def pick(self):
        """None to relay, or the kind of failure to answer with."""
        with self.lock:
            self.stats["requests"] += 1
            if self.random.random() >= self.fraction:
                self.stats["relayed"] += 1
                return None
            kind = self.next_kind
            self.next_kind = "unavailable" if kind == "throttled" else "throttled"
            self.stats[kind] += 1
            return kind


def error_response(kind, json_protocol):
    if kind == "throttled":
        status, code, message = 400, "Throttling", "Rate exceeded"
    else:
        status, code, message = 503, "ServiceUnavailable", "Service is unavailable; please try again"
    if json_protocol:
        if kind == "throttled":
            code = "ThrottlingException"
        body = json.dumps({"__type": code, "message": message}).encode()
        return status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code}, body
    body = ("<ErrorResponse><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error>"
            "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
            % ("Sender" if kind == "throttled" else "Receiver", code, message)).encode()
    return status, {"Content-Type": "text/xml"}, body


def make_handler(target, faults):
    parsed = urllib.parse.urlsplit(target)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            pass

        def _send(self, status, headers, body):
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _relay(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path == "/__fault_stats":
                with faults.lock:
                    return self._send(200, {"Content-Type": "application/json"}, json.dumps(faults.stats).encode())
            kind = faults.pick()
            if kind is not None:
                content_type = self.headers.get("Content-Type", "")
                json_protocol = "x-www-form-urlencoded" not in content_type and not body.startswith(b"Action=")
                return self._send(*error_response(kind, json_protocol))
            conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
            conn.request(self.command, self.path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            conn.close()
            self._send(response.status, {k: v for k, v in response.getheaders()
                                         if k.lower() not in HOP_HEADERS and k.lower() != "content-length"}, data)
            return None

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _relay

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, help="127.0.0.1:PORT")
    parser.add_argument("--target", required=True, help="moto's URL")
    parser.add_argument("--fail", type=float, default=0.3, help="share of requests to fail (0..1)")
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()
    host, _sep, port = args.listen.rpartition(":")
    if host not in ("127.0.0.1", "localhost"):
        parser.error("listens on loopback only")
    server = http.server.ThreadingHTTPServer((host, int(port)), make_handler(args.target, Faults(args.fail, args.seed)))
    server.serve_forever()


if __name__ == "__main__":
    main()
