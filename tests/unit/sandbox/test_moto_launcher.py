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
