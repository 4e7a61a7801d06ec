"""Every step records which fields of the instance data it changed, before and after."""

from __future__ import annotations

import copy

from flowdesk.engine.history.audit.diff import apply_diff, diff
from flowdesk.engine.identity import SYSTEM

from tests.support.models import one_task_process


def test_diff_names_changed_fields_by_json_pointer():
    before = {"total": 10, "order": {"status": "draft", "lines": [1]}, "gone": True, "a/b": 1}
    after = {"total": 12, "order": {"status": "sent", "lines": [1]}, "new": "x", "a/b": 1}
    assert diff(before, after) == [
        {"path": "/gone", "op": "remove", "before": True},
        {"path": "/new", "op": "add", "after": "x"},
        {"path": "/order/status", "op": "replace", "before": "draft", "after": "sent"},
        {"path": "/total", "op": "replace", "before": 10, "after": 12},
    ]
    assert diff({"x": 1}, {"x": 1.0}) == [{"path": "/x", "op": "replace", "before": 1, "after": 1.0}]


def test_task_completion_carries_the_submitted_data_and_the_diff(engine):
    engine.identity.create_user("cleo", "password1", ["clerks"], by=SYSTEM)
    engine.repository.deploy([one_task_process(script="result = 'done'")], by=SYSTEM)
    instance = engine.instances.start_instance("one_task", {"amount": 5}, by=SYSTEM)
    engine.tasks.complete_task(instance["open_tasks"][0]["id"], {"amount": 7, "note": "fixed"}, by=engine.identity.actor("cleo"))
    events = engine.history.instance_history(instance["id"], by=SYSTEM, limit=500).items
    started = next(e for e in events if e["type"] == "data.changed")
    assert started["data"]["diff"] == [{"path": "/amount", "op": "add", "after": 5}]
    completed = next(e for e in events if e["type"] == "task.completed")
    assert completed["data"]["data"] == {"amount": 7, "note": "fixed"}
    assert completed["data"]["diff"] == [
        {"path": "/amount", "op": "replace", "before": 5, "after": 7},
        {"path": "/note", "op": "add", "after": "fixed"},
        {"path": "/result", "op": "add", "after": "done"},
    ]


def test_replaying_a_diff_rebuilds_the_data_it_was_taken_from():
    before = {"total": 10, "order": {"status": "draft", "lines": [1]}, "gone": True, "a/b": {"c~d": 1}}
    after = {"total": 12, "order": {"status": "sent", "lines": [1, 2]}, "new": {"x": "y"}, "a/b": {"c~d": 2}}
    rebuilt = copy.deepcopy(before)
    apply_diff(rebuilt, diff(before, after))
    assert rebuilt == after
