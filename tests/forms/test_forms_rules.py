"""Cross-field rules (``x-rules``): comparisons between fields, rejected at submission with
an error at the field the rule names, and checked when the form is loaded."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flowdesk.engine.errors import InvalidData
from flowdesk.engine.forms import form_problems, parse_form

from tests.support.paths import REPO

RECEIPT = """\
type: object
required: [receipt_date, lines]
properties:
  order_date: {type: string, format: date}
  receipt_date: {type: string, format: date}
  lines:
    type: array
    items:
      type: object
      required: [received_qty, accepted_qty]
      properties:
        received_qty: {type: number, minimum: 0}
        accepted_qty: {type: number, minimum: 0}
        rejection_reason: {type: string}
      x-rules:
        - field: accepted_qty
          rule: accepted_qty <= received_qty
          message: may not exceed the quantity received
        - field: rejection_reason
          rule: accepted_qty == received_qty or rejection_reason is not None
          message: say why less was accepted than received
x-rules:
  - {field: receipt_date, rule: order_date is None or receipt_date >= order_date}
"""


@pytest.fixture
def receipt():
    return parse_form("receipt.yaml", RECEIPT)


def errors(form, data) -> list[tuple[str, str]]:
    return [(e.path, e.message) for e in form.validate(data)]


@pytest.mark.parametrize(("accepted", "expected"), [
    (Decimal("9.99"), []),
    (Decimal("10"), []),
    (Decimal("10.01"), [("/lines/1/accepted_qty", "may not exceed the quantity received")]),
])
def test_accepted_quantity_at_most_received_at_the_boundary(receipt, accepted, expected):
    data = {"receipt_date": "2026-01-05", "lines": [
        {"received_qty": 1, "accepted_qty": 1},
        {"received_qty": Decimal("10"), "accepted_qty": accepted, "rejection_reason": "damaged"}]}
    assert errors(receipt, data) == expected


def test_a_rule_about_an_optional_field_sees_it_as_none_when_absent(receipt):
    data = {"receipt_date": "2026-01-05", "lines": [{"received_qty": 5, "accepted_qty": 4}]}
    assert errors(receipt, data) == [("/lines/0/rejection_reason", "say why less was accepted than received")]
    with pytest.raises(InvalidData) as caught:
        receipt.check(data)
    assert [e.path for e in caught.value.errors] == ["/lines/0/rejection_reason"]


def test_top_level_rules_compare_dates_and_default_to_a_message_naming_the_rule(receipt):
    data = {"order_date": "2026-01-06", "receipt_date": "2026-01-05", "lines": [{"received_qty": 1, "accepted_qty": 1}]}
    assert errors(receipt, data) == [
        ("/receipt_date", "does not satisfy order_date is None or receipt_date >= order_date")]
    assert errors(receipt, {**data, "receipt_date": "2026-01-06"}) == []


def test_rules_wait_for_the_schema_so_they_never_see_the_wrong_types(receipt):
    data = {"receipt_date": "2026-01-05", "lines": [{"received_qty": "lots", "accepted_qty": 4}]}
    assert errors(receipt, data) == [("/lines/0/received_qty", "must be a number")]


def test_a_rule_that_cannot_be_evaluated_rejects_the_data():
    form = parse_form("f.yaml", """\
type: object
properties: {a: {type: number}, b: {type: number}}
x-rules: [{field: b, rule: a < b, message: must be more than a}]
""")
    assert errors(form, {"b": 1}) == [("/b", "must be more than a")]  # None < 1 is an error: refused
    assert errors(form, {"a": 0, "b": 1}) == []


def test_badly_written_rules_are_definition_problems_with_their_line():
    broken = RECEIPT.replace("accepted_qty <= received_qty", "accepted_qty <=").replace(
        "field: rejection_reason", "field: reason").replace(
        "- {field: receipt_date,", "- {field: receipt_date, when: x,")
    found = [(p.line, p.message.split(":")[0]) for p in form_problems("receipt.yaml", broken)]
    assert found == [
        (17, "rule `accepted_qty <=` is not a valid expression"),
        (19, "rule field `reason` is not a property of this object (at /properties/lines/items)"),
        (23, "each of `x-rules` must be a mapping with `field`, `rule`, an optional `message` and `message_i18n`, "
         "and nothing else (at /)"),
    ]
    assert form_problems("x.yaml", "type: object\nx-rules: {a: 1}\n")[0].message.startswith("`x-rules` must be a list")


def test_a_rule_message_carries_its_translations_to_the_error():
    form = parse_form("f.yaml", """\
type: object
properties: {a: {type: number}, b: {type: number}}
x-rules: [{field: b, rule: a < b, message: must be more than a, message_i18n: {zh-CN: 必须大于 a}}]
""")
    (error,) = form.validate({"a": 2, "b": 1})
    assert error.message == "must be more than a" and error.translations == {"zh-CN": "必须大于 a"}
    assert error.as_dict() == {"path": "/b", "message": "must be more than a", "translations": {"zh-CN": "必须大于 a"}}
    bad = form_problems("g.yaml", "type: object\nproperties: {a: {type: number}}\n"
                                  "x-rules: [{field: a, rule: a > 0, message_i18n: {zh-CN: 1}}]\n")
    assert len(bad) == 1 and "`message_i18n` must map locales to text" in bad[0].message


def test_the_web_shows_a_rule_message_in_the_readers_language():
    from flowdesk.web.messages import field_message

    translations = {"zh-CN": "不能超过收货数量"}
    assert field_message("may not exceed the quantity received", "zh_CN", translations) == "不能超过收货数量"
    assert field_message("may not exceed the quantity received", "en", translations) == \
        "may not exceed the quantity received"
    assert field_message("is required", "zh_CN") == "必填"


def test_rules_may_not_escape_the_sandbox():
    problems = form_problems("x.yaml", "type: object\nproperties: {a: {type: string}}\n"
                                       "x-rules: [{field: a, rule: \"__import__('os')\"}]\n")
    assert len(problems) == 1 and "not a valid expression" in problems[0].message


def shipped(name: str):
    path = REPO / "forms" / f"{name}.yaml"
    return parse_form(path.name, path.read_bytes())


@pytest.mark.parametrize("name", ["mfg_firm_order", "mfg_material_decision"])
def test_shipped_plans_may_finish_on_their_start_day_but_not_before(name):
    form = shipped(name)
    plan = ({"decision": "firm", "priority": "normal"} if name == "mfg_firm_order" else
            {"decision": "keep_waiting", "comment": "New dates agreed with sales."})
    plan["planned_start"] = "2026-01-19"
    assert errors(form, {**plan, "planned_finish": "2026-01-19"}) == []
    assert [path for path, _ in errors(form, {**plan, "planned_finish": "2026-01-18"})] == ["/planned_finish"]
    if name == "mfg_material_decision":  # new dates are optional: none given, nothing to compare
        assert errors(form, {"decision": "keep_waiting", "comment": "Supplier confirmed next week."}) == []


def test_a_rule_reading_today_compares_with_the_users_local_today():
    form = parse_form("receipt.yaml", "type: object\nproperties: {receipt_date: {type: string, format: date}}\n"
                                      "x-rules: [{field: receipt_date, rule: receipt_date <= today,\n"
                                      "           message: may not be in the future}]\n")
    data = {"receipt_date": "2026-01-06"}
    assert form.validate(data, today="2026-01-06") == []  # the user's local today
    assert [(e.path, e.message) for e in form.validate(data, today="2026-01-05")] == [
        ("/receipt_date", "may not be in the future")]


def test_a_rule_that_reads_today_fails_where_no_today_is_given():
    form = parse_form("dated.yaml", "type: object\nproperties: {on: {type: string, format: date}}\n"
                                    "x-rules: [{field: on, rule: on <= today}]\n")
    assert errors(form, {"on": "2026-01-05"}) == [("/on", "does not satisfy on <= today")]
    assert form.validate({"on": "2026-01-05"}, today="2026-01-05") == []


def test_a_field_words_its_own_pattern_error_instead_of_showing_the_regular_expression():
    form = parse_form("cc.yaml", "type: object\nproperties:\n  cost_center:\n    type: string\n"
                                 "    pattern: '^CC-[0-9]{3}$'\n"
                                 "    x-pattern-message: must be a cost centre number such as CC-100\n"
                                 "    x-pattern-message-i18n: {zh-CN: 必须是成本中心编号，例如 CC-100}\n")  # noqa: RUF001
    (error,) = form.validate({"cost_center": "accounting"})
    assert (error.path, error.message) == ("/cost_center", "must be a cost centre number such as CC-100")
    assert error.translations == {"zh-CN": "必须是成本中心编号，例如 CC-100"}  # noqa: RUF001
    plain = parse_form("plain.yaml", "type: object\nproperties: {code: {type: string, pattern: '^X$'}}\n")
    assert [e.message for e in plain.validate({"code": "Y"})] == ["must match the pattern ^X$"]


def test_pattern_message_translations_must_map_locales_to_text():
    from flowdesk.engine.errors import DefinitionInvalid

    with pytest.raises(DefinitionInvalid) as refused:
        parse_form("bad.yaml", "type: object\nproperties: {code: {type: string, pattern: '^X$',\n"
                               "  x-pattern-message: wrong, x-pattern-message-i18n: [not, a, mapping]}}\n")
    assert any("x-pattern-message-i18n" in p.message for p in refused.value.problems)
