"""The semantics of task validation rules (engine.forms.task_rules), without an engine:
what names a rule sees, where its error goes, and what a field may point at."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flowdesk.engine.forms import task_rules

SCHEMA = {
    "type": "object",
    "properties": {
        "supplier": {"type": "string"},
        "lines": {"type": "array", "items": {"$ref": "#/$defs/line"}},
    },
    "then": {"properties": {"note": {"type": "string"}}},
    "$defs": {"line": {"type": "object", "properties": {"line": {"type": "integer"}, "qty": {"type": "number"}}}},
}


def rules(*declared: dict) -> list[dict]:
    found, problems = task_rules.normalise(list(declared))
    assert problems == []
    return found


def errors(declared: list[dict], submitted: dict, process: dict | None = None, **functions) -> list[tuple[str, str]]:
    return [(e.path, e.message) for e in task_rules.rule_errors(declared, submitted, process or {}, functions)]


def test_submitted_data_is_read_over_the_process_data():
    declared = rules({"field": "/supplier", "rule": "supplier != rejected", "message": "was rejected before"})
    assert errors(declared, {"supplier": "S1"}, {"supplier": "S0", "rejected": "S1"}) == [
        ("/supplier", "was rejected before")]
    assert errors(declared, {"supplier": "S2"}, {"supplier": "S1", "rejected": "S1"}) == []


def test_a_star_checks_every_item_and_reports_at_its_index():
    declared = rules({"field": "/lines/*/qty", "rule": 'item["qty"] <= limit', "message": "too many"},
                     {"field": "/lines/*/line", "rule": 'item["line"] not in [o["line"] for o in lines[:index]]',
                      "message": "twice"})
    lines = [{"line": 1, "qty": Decimal("2")}, {"line": 1, "qty": Decimal("9")}, {"line": 2, "qty": 1}]
    assert errors(declared, {"lines": lines}, {"limit": 5}) == [("/lines/1/line", "twice"), ("/lines/1/qty", "too many")]
    assert errors(declared, {"lines": None}, {"limit": 5}) == []  # no list, nothing to check


def test_when_false_skips_the_rule_and_a_rule_that_fails_to_evaluate_refuses():
    declared = rules({"field": "/supplier", "when": "action == 'order'", "rule": "known(supplier)",
                      "message": {"en": "unknown", "zh-CN": "未知"}})
    assert errors(declared, {"action": "cancel"}, known=lambda s: False) == []
    assert errors(declared, {"action": "order", "supplier": "S9"}, known=lambda s: False) == [("/supplier", "unknown")]
    assert errors(declared, {"action": "order", "supplier": "S1"}, known=lambda s: True) == []
    assert errors(declared, {"action": "order", "supplier": "S1"}) == [("/supplier", "unknown")]  # no `known`
    broken_when = rules({"field": "/supplier", "when": "missing > 1", "rule": "True", "message": "refused"})
    assert errors(broken_when, {}) == [("/supplier", "refused")]
    (error,) = task_rules.rule_errors(declared, {"action": "order"}, {}, {})
    assert error.translations == {"zh-CN": "未知"}


def test_an_endless_rule_is_stopped_by_the_meter_and_refuses():
    declared = rules({"field": "/supplier", "rule": "len([i for i in range(10 ** 9)]) > 0", "message": "refused"})
    assert errors(declared, {}) == [("/supplier", "refused")]


@pytest.mark.parametrize(("field", "ok"), [
    ("/supplier", True), ("/lines", True), ("/lines/*/qty", True), ("/lines/0/line", True), ("/note", True),
    ("/lines/*/price", False), ("/supplier/*/x", False), ("/customer", False),
])
def test_a_field_must_be_declared_by_the_form(field, ok):
    assert (task_rules.pointer_problem(SCHEMA, field) is None) is ok


@pytest.mark.parametrize("declared", [
    {"field": "supplier", "rule": "True", "message": "m"},
    {"field": "/*/x", "rule": "True", "message": "m"},
    {"field": "/a/*/b/*", "rule": "True", "message": "m"},
    {"field": "/a/x*", "rule": "True", "message": "m"},
    {"field": "/a", "rule": "True"},
    {"field": "/a", "rule": "True", "message": "m", "severity": "warning"},
    {"field": "/a", "rule": "1 +", "message": "m"},
    {"field": "/a", "rule": "__import__('os')", "message": "m"},
    {"field": "/a", "rule": "True", "message": {"zh-CN": "只有中文"}},
    {"field": "/a", "rule": "True", "message": "m", "message_i18n": {"zh-CN": ""}},
])
def test_malformed_declarations_are_problems(declared):
    assert task_rules.declaration_problems([declared]) != []
