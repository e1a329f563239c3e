# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each principal's token may do, in one process: JSON on stdin, one line per request on stdout.

Input: ``[{"label", "host", "ca", "token", "requests": [[method, path, expected status], ...]}]``.  A POST sends a
ConfigMap with a generated name (a write the principal may or may not make).  Prints every answer and exits 1
when one differs from what was expected.
"""

import json
import ssl
import sys
import urllib.error
import urllib.request


def answer(host, ca, token, method, path):
    body = None
    if method == "POST":
        body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "ar-probe-"}}).encode()
    request = urllib.request.Request(host + path, data=body, method=method, headers={
        "Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=ca), timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def main():
    principals = json.load(sys.stdin)
    wrong = 0
    for principal in principals:
        for method, path, expected in principal["requests"]:
            status = answer(principal["host"], principal["ca"], principal["token"], method, path)
            ok = status == expected
            wrong += not ok
            note = "" if ok else " (expected %d)" % expected
            print("%s %s: %s %s -> %d%s" % ("ok " if ok else "BAD", principal["label"], method, path, status, note))
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
