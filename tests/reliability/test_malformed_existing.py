# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A hand-edited, malformed aws-auth: reported, never made worse, repaired only when told how."""

from __future__ import annotations

import json
import os

import pytest

from aws_auth_state import NODE_USERNAME
from figures import figure
from playbook_runs import run_module

USERS_OK = "- userarn: arn:aws:iam::123456789012:user/alice\n  username: alice\n  groups:\n  - readers\n"


def node_text(node_roles):
    return "".join("- rolearn: %s\n  username: %s\n  groups:\n  - system:bootstrappers\n  - system:nodes\n"
                   % (arn, NODE_USERNAME) for arn in node_roles)


def variants(node_roles):
    """(name, data, broken section): hand edits the authenticator refuses."""
    nodes = node_text(node_roles)
    return [
        ("tab indentation", {"mapRoles": nodes.replace("  username", "\tusername", 1), "mapUsers": USERS_OK},
         "mapRoles"),
        ("unclosed flow list", {"mapRoles": nodes + "- rolearn: arn:aws:iam::123456789012:role/x\n  groups: [a\n",
                                "mapUsers": USERS_OK}, "mapRoles"),
        ("mapping instead of list", {"mapRoles": nodes, "mapUsers": "userarn: arn:aws:iam::123456789012:user/a\n"},
         "mapUsers"),
        ("groups as a string", {"mapRoles": nodes,
                                "mapUsers": USERS_OK.replace("  groups:\n  - readers\n", "  groups: readers\n")},
         "mapUsers"),
        ("username a boolean (yaml.v2: y)", {"mapRoles": nodes, "mapUsers": USERS_OK.replace("username: alice", "username: y")},
         "mapUsers"),
        ("mapAccounts a mapping", {"mapRoles": nodes, "mapUsers": USERS_OK, "mapAccounts": "account: 123456789012\n"},
         "mapAccounts"),
    ]


def repair_args(broken, node_roles, account):
    new_role = {"rolearn": "arn:aws:iam::%s:role/after-repair" % account, "groups": ["repaired"]}
    if broken == "mapRoles":
        nodes = [{"rolearn": arn, "username": NODE_USERNAME, "groups": ["system:bootstrappers", "system:nodes"]}
                 for arn in node_roles]
        return {"roles": nodes + [new_role]}
    if broken == "mapUsers":
        return {"users": [{"userarn": "arn:aws:iam::%s:user/alice" % account, "username": "alice",
                           "groups": ["readers"]}], "roles": [new_role]}
    return {"accounts": [account], "roles": [new_role]}


def test_malformed_aws_auth_is_reported_kept_and_repaired_only_when_told(env, aws_auth, tmp_path):
    results = []
    for name, data, broken in variants(aws_auth.node_roles):
        version = aws_auth.reset(data)
        with pytest.raises(AssertionError):  # the ground truth agrees that it is malformed
            aws_auth.authenticator_view(data)

        rc, info = run_module(env, "aws_auth_info", {}, tmp_path)
        assert rc == 0 and broken in info.get("parse_error", ""), (name, info)

        add = {"roles": [{"rolearn": "arn:aws:iam::%s:role/new" % aws_auth.account, "groups": ["g"]}]}
        # repair=true, but the task lists nothing for the broken section
        other = add if broken != "mapRoles" else {"users": [{"userarn": "arn:aws:iam::%s:user/bob" % aws_auth.account}]}
        for args in (add, dict(add, purge=True, allow_node_mapping_changes=True), dict(other, repair=True)):
            rc, refused = run_module(env, "aws_auth_mapping", args, tmp_path)
            assert rc != 0 and "cannot be edited safely" in refused["msg"] and broken in refused["msg"], (name, args, refused)
            assert aws_auth.read() == (data, version), (name, args)  # never made worse

        backups = tmp_path / ("backups-%d" % len(results))
        args = dict(repair_args(broken, aws_auth.node_roles, aws_auth.account), repair=True, backup_dir=str(backups))
        rc, repaired = run_module(env, "aws_auth_mapping", args, tmp_path)
        assert rc == 0 and repaired["changed"] and repaired["repaired"] == [broken], (name, repaired)
        after, _version = aws_auth.read()
        view = aws_auth.authenticator_view(after)
        assert all(arn in [m["rolearn"] for m in view["mapRoles"]] for arn in aws_auth.node_roles), name
        listed = {"roles": "mapRoles", "users": "mapUsers", "accounts": "mapAccounts"}
        for key, text in data.items():
            if key != broken and key not in [listed[k] for k in args if k in listed]:
                assert after[key] == text, (name, key)  # sections the task leaves alone are kept byte for byte
        with open(repaired["backup_file"]) as f:
            assert json.load(f)["data"] == data, name
        rc, again = run_module(env, "aws_auth_mapping", args, tmp_path)
        assert rc == 0 and not again["changed"] and again["repaired"] == [], (name, again)
        results.append(name)
        os.unlink(repaired["backup_file"])
    figure("malformed aws-auth: %d/%d hand-edited variants reported by aws_auth_info, refused by aws_auth_mapping "
           "(3 ways each) with resourceVersion unchanged, repaired with repair=true (authenticator accepts the result, "
           "backup kept, untouched sections kept byte for byte), re-run changed=false"
           % (len(results), len(variants(aws_auth.node_roles))))
