# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""moto's server app on a free loopback port in a daemon thread, for the emulator's unit tests."""

from __future__ import annotations

import contextlib
import socket
import threading


@contextlib.contextmanager
def serving():
    """The server's URL while the block runs (install the emulator's extensions first)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = make_server("127.0.0.1", port, DomainDispatcherApplication(create_backend_app), True,
                         request_handler=MotoRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield "http://127.0.0.1:%d" % port
    finally:
        server.shutdown()
