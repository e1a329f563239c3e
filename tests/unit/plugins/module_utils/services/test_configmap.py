# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.eks.access.plugins.module_utils.services import configmap
from ansible_collections.eks.access.plugins.module_utils import errors
from ansible_collections.eks.access.plugins.module_utils.model.aws_auth.errors import AwsAuthError
from ansible_collections.eks.access.tests.unit.plugins.fakes import ScriptedKube

BROKEN = {"mapRoles": "mapRoles: invalid YAML: ...", "mapUsers": "mapUsers: must be a YAML list"}


@pytest.mark.parametrize("repair_kinds, fragments", [
    (None, ["cannot be edited safely", "mapRoles, mapUsers should hold", "repair=true", "Nothing was written"]),
    (("mapRoles",), ["lists none for mapUsers", "Nothing was written"]),
    (("mapAccounts",), ["lists none for mapRoles, mapUsers"]),
])
def test_refuse_malformed(repair_kinds, fragments):
    with pytest.raises(AwsAuthError) as exc:
        configmap._refuse_malformed("kube-system", "aws-auth", BROKEN, repair_kinds)
    for fragment in fragments:
        assert fragment in str(exc.value)


def test_repair_allowed_when_every_broken_section_is_listed():
    assert configmap._refuse_malformed("kube-system", "aws-auth", BROKEN, ("mapRoles", "mapUsers")) is None


def test_a_broken_key_we_do_not_manage_is_never_repaired():
    with pytest.raises(AwsAuthError) as exc:
        configmap._refuse_malformed("kube-system", "aws-auth", {"other": "bad"}, ("mapRoles", "mapUsers"))
    assert "lists none for other" in str(exc.value)


CM_PATH = "/api/v1/namespaces/kube-system/configmaps/aws-auth"
UNDO_PATH = "/api/v1/namespaces/kube-system/configmaps/undo"


def _another_writer(api, path, *objects):
    """Before each of the next writes, someone else stores the next of ``objects`` at ``path`` (a new version)."""
    pending = list(objects)

    def write_first(method, write_path):
        if pending:
            api.objects[path] = pending.pop(0)

    api.before_write = write_first


def _cm(version, map_roles):
    return {"metadata": {"name": "aws-auth", "namespace": "kube-system", "resourceVersion": version},
            "data": {"mapRoles": map_roles}}


ROLE_A = "- rolearn: arn:aws:iam::111122223333:role/a\n  username: a\n  groups:\n  - g\n"
ROLE_B = "- rolearn: arn:aws:iam::111122223333:role/b\n  username: b\n  groups:\n  - g\n"


def _add_b(current):
    from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import plan as aws_auth_plan

    return aws_auth_plan.plan(current, roles=[{"rolearn": "arn:aws:iam::111122223333:role/b", "username": "b",
                                               "groups": ["g"]}], state="present")


def test_a_conflict_re_reads_and_re_plans_on_the_new_content():
    # Someone wrote role a between our read and our write: the retry must keep it.
    api = ScriptedKube({CM_PATH: _cm("1", "")})
    _another_writer(api, CM_PATH, _cm("2", ROLE_A))
    outcome = configmap.apply(api, _add_b, check_mode=False, sleep=lambda s: None)
    assert outcome.attempts == 2 and outcome.written
    assert outcome.resource_version == api.objects[CM_PATH]["metadata"]["resourceVersion"]
    assert outcome.resource_version not in ("1", "2")
    first, second = api.bodies("PUT")
    assert first["metadata"]["resourceVersion"] == "1" and second["metadata"]["resourceVersion"] == "2"
    assert api.writes[1] == ("PUT", CM_PATH, False)
    assert "role/a" in second["data"]["mapRoles"] and "role/b" in second["data"]["mapRoles"]


def test_conflicts_without_end_raise_and_say_how_many():
    api = ScriptedKube({CM_PATH: _cm("0", "")})
    _another_writer(api, CM_PATH, *[_cm(str(i), "") for i in range(1, 4)])
    with pytest.raises(configmap.ConflictRetriesExhausted) as exc:
        configmap.apply(api, _add_b, check_mode=False, max_attempts=3, sleep=lambda s: None)
    assert "3 attempts ended in 409 Conflict" in str(exc.value)
    assert len(api.writes) == 3


def test_check_mode_sends_a_dry_run_and_keeps_the_read_version(kube):
    outcome = configmap.apply(kube, _add_b, check_mode=True)
    assert [(w[0], w[2]) for w in kube.writes] == [("POST", True)] and kube.objects == {}
    assert not outcome.written and outcome.resource_version is None and not outcome.existed


def test_nothing_to_change_sends_no_write():
    api = ScriptedKube({CM_PATH: _cm("5", ROLE_B)})
    outcome = configmap.apply(api, _add_b, check_mode=False)
    assert api.writes == [] and not outcome.plan.changed and outcome.resource_version == "5"


def _record_cm(version, records):
    import json

    return {"metadata": {"name": "undo", "namespace": "kube-system", "resourceVersion": version},
            "data": {"entries.json": json.dumps(records)}}


def test_json_records_are_created_merged_after_a_conflict_and_deleted_when_empty():
    api = ScriptedKube()
    assert configmap.update_json(api, "kube-system", "undo", "entries.json", lambda r: dict(r, a=1)) == {"a": 1}
    assert api.writes[0][0] == "POST" and api.bodies("POST")[0]["metadata"]["labels"] == {
        "app.kubernetes.io/managed-by": "eks.access"}
    # Someone else wrote b between our read and our write: the 409 makes us read again and keep b.
    api = ScriptedKube({UNDO_PATH: _record_cm("1", {"a": 1})})
    _another_writer(api, UNDO_PATH, _record_cm("2", {"a": 1, "b": 2}))
    written = configmap.update_json(api, "kube-system", "undo", "entries.json", lambda r: dict(r, c=3),
                                    sleep=lambda s: None)
    assert written == {"a": 1, "b": 2, "c": 3}
    assert [w["metadata"]["resourceVersion"] for w in api.bodies("PUT")] == ["1", "2"]
    # Emptied: deleted, in the version read only.
    api = ScriptedKube({UNDO_PATH: _record_cm("5", {"a": 1})})
    assert configmap.update_json(api, "kube-system", "undo", "entries.json", lambda r: {}) == {}
    assert api.writes == [("DELETE", UNDO_PATH, False)] and UNDO_PATH not in api.objects
    assert api.bodies("DELETE") == [{"preconditions": {"resourceVersion": "5"}}]
    # Nothing to change, nothing written; nothing recorded, nothing created.
    api = ScriptedKube({UNDO_PATH: _record_cm("5", {"a": 1})})
    configmap.update_json(api, "kube-system", "undo", "entries.json", lambda r: r)
    empty = ScriptedKube()
    configmap.update_json(empty, "kube-system", "undo", "entries.json", lambda r: {})
    assert api.writes == [] and empty.writes == []


def test_a_record_that_is_not_json_is_reported_not_overwritten():
    api = ScriptedKube({UNDO_PATH: {"metadata": {"resourceVersion": "1"}, "data": {"entries.json": "{broken"}}})
    with pytest.raises(errors.EksAccessError, match="holds no JSON under entries.json"):
        configmap.update_json(api, "kube-system", "undo", "entries.json", lambda r: dict(r, a=1))
    assert api.writes == []
