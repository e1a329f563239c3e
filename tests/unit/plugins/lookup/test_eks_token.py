# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The eks_token lookup's CA file: only its user reads it, named by content, reused across runs."""

from __future__ import annotations

import os
import stat

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.eks.access.plugins.lookup import eks_token

PEM = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


@pytest.fixture
def tmp(tmp_path, monkeypatch):
    monkeypatch.setattr(eks_token.tempfile, "gettempdir", lambda: str(tmp_path))
    return tmp_path


def test_the_ca_file_is_private_named_by_content_and_reused(tmp):
    path = eks_token.write_ca_file("prod/eu west", PEM)
    directory = os.path.dirname(path)
    assert directory == str(tmp / ("eks-access-ca-%d" % os.getuid()))
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700 and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert os.path.basename(path).startswith("prod_eu_west-") and open(path, "rb").read() == PEM
    assert eks_token.write_ca_file("prod/eu west", PEM) == path and len(os.listdir(directory)) == 1
    other = eks_token.write_ca_file("prod/eu west", PEM + b"\n")
    assert other != path and len(os.listdir(directory)) == 2


def test_a_ca_folder_of_another_user_is_refused(tmp, monkeypatch):
    someone_else = os.getuid() + 1
    os.makedirs(str(tmp / ("eks-access-ca-%d" % someone_else)))  # made by this user, read as someone else's
    monkeypatch.setattr(eks_token.os, "getuid", lambda: someone_else)
    with pytest.raises(AnsibleLookupError, match="belongs to another user; refusing to keep a CA there"):
        eks_token.write_ca_file("prod", PEM)
    assert os.listdir(str(tmp / ("eks-access-ca-%d" % someone_else))) == []


def test_tokens_never_outlive_what_the_authenticator_accepts():
    assert eks_token.MAX_EXPIRES_SECONDS == 900
