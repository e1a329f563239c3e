# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sandbox's moto dispatcher finds a host's backend once, and the same one moto finds."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "sandbox"))
import moto_launcher  # noqa: E402  pylint: disable=import-error,wrong-import-position


def test_dispatcher_answers_as_moto_and_lists_moto_modules_once_per_host(monkeypatch):
    from moto import backends
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    plain = DomainDispatcherApplication(create_backend_app)
    remembering = moto_launcher.dispatcher_remembering_backends()
    hosts = ["127.0.0.1:15000", "eks.us-west-2.amazonaws.com", "iam.amazonaws.com", "sts.amazonaws.com",
             "sso.us-west-2.amazonaws.com", None]
    for host in hosts:
        assert remembering.get_backend_for_host(host) == plain.get_backend_for_host(host), host

    listings = []
    real = backends.list_of_moto_modules
    monkeypatch.setattr(backends, "list_of_moto_modules", lambda: listings.append(1) or real())
    for _request in range(50):
        for host in hosts:
            remembering.get_backend_for_host(host)
    assert listings == []  # every host was answered from memory


def _serve(app):
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, True, request_handler=moto_launcher.keep_alive_handler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_connections_stay_open_between_requests_and_unread_bodies_do_not_leak_into_the_next():
    import http.client

    seen = []

    def app(environ, start_response):
        # Reads the body only when asked to: werkzeug's own server cannot keep a connection with one left unread.
        body = environ["wsgi.input"].read() if environ["PATH_INFO"] == "/read" else b"(unread)"
        seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], body, environ["REMOTE_PORT"]))
        answer = b"answer %d" % len(seen)
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(answer)))])
        return [answer]

    server = _serve(app)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=5)
        answers = []
        for method, path, body in (("POST", "/skip", b"x" * 5000), ("POST", "/read", b"second"), ("GET", "/get", None)):
            connection.request(method, path, body=body)
            response = connection.getresponse()
            answers.append((response.status, response.read(), response.getheader("Connection")))
        connection.close()
    finally:
        server.shutdown()
    assert answers == [(200, b"answer 1", None), (200, b"answer 2", None), (200, b"answer 3", None)]
    assert [row[:3] for row in seen] == [("POST", "/skip", b"(unread)"), ("POST", "/read", b"second"),
                                         ("GET", "/get", b"(unread)")]
    assert len({row[3] for row in seen}) == 1  # one connection served all three


def test_a_chunked_request_or_a_client_asking_for_it_still_closes_the_connection():
    import http.client

    def app(environ, start_response):
        body = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]

    server = _serve(app)
    try:
        chunked = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=5)
        chunked.request("POST", "/", body=iter([b"ab", b"cd"]), encode_chunked=True,
                        headers={"Transfer-Encoding": "chunked"})
        response = chunked.getresponse()
        assert (response.read(), response.getheader("Connection")) == (b"abcd", "close")
        asking = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=5)
        asking.request("POST", "/", body=b"xy", headers={"Connection": "close"})
        response = asking.getresponse()
        assert response.read() == b"xy" and response.will_close
    finally:
        server.shutdown()
