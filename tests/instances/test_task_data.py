"""What of an instance's data a task shows the person doing it: the variables its form refers
to, never internal ones."""

from __future__ import annotations

from flowdesk.engine.instances.task_data import task_data

DATA = {"amount": 1200, "currency": "CNY", "lines": [{"item": "A"}], "approvals": ["bob"], "spiff__state": {},
        "_seen": True, "requester_note": "urgent", "po_problems": []}


def test_the_forms_fields_at_any_depth_and_the_names_its_conditions_read():
    schema = {"type": "object", "properties": {
        "decision": {"type": "string"},
        "comment": {"type": "string", "x-hide-if": "=decision = \"approve\" and amount < 1000"},
        "lines": {"type": "array", "items": {"type": "object", "properties": {"currency": {"type": "string"}}}},
    }}
    assert task_data(DATA, schema) == {"amount": 1200, "currency": "CNY", "lines": [{"item": "A"}]}


def test_internal_variables_stay_out_even_when_a_form_names_them():
    schema = {"properties": {"spiff__state": {}, "_seen": {}, "approvals": {}}}
    assert task_data(DATA, schema) == {"approvals": ["bob"]}


def test_a_task_without_a_form_shows_no_variables():
    assert task_data(DATA, None) == {}
    assert task_data(DATA, {"title": "Check", "x-title-i18n": {"zh-CN": "amount"}}) == {}
