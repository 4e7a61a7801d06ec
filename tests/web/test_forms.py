"""Schema -> widgets and posted strings -> typed data, without a server."""

from __future__ import annotations

from decimal import Decimal

from flowdesk.engine.errors import FieldError
from flowdesk.web import forms
from flowdesk.web.i18n import localized, negotiate

SCHEMA = {
    "type": "object",
    "title": "Order",
    "x-title-i18n": {"zh-CN": "订单"},
    "required": ["amount", "lines"],
    "properties": {
        "amount": {"type": "number", "title": "Amount", "x-i18n": {"zh-CN": {"title": "金额"}}},
        "count": {"type": "integer"},
        "urgent": {"type": "boolean"},
        "kind": {"type": ["string", "null"], "enum": ["a", "b", None]},
        "note": {"type": "string", "maxLength": 2000},
        "reference": {"type": "string", "readOnly": True, "title": "Reference"},
        "lines": {"type": "array", "items": {"$ref": "#/$defs/line"}},
    },
    "$defs": {"line": {"type": "object", "required": ["qty"],
                       "properties": {"qty": {"type": "number"}, "text": {"type": "string"}}}},
}


def test_posted_strings_become_exact_typed_data() -> None:
    raw = {"f.amount": "0.10", "f.count": "3", "f.urgent": "true", "f.kind": "", "f.note": "  hi  ",
           "f.reference": "ignored", "f.lines.__rows": "2", "f.lines.0.qty": "2", "f.lines.0.text": "x",
           "f.lines.1.qty": "1.5"}
    data = forms.parse(SCHEMA, None, raw)
    assert data == {"amount": Decimal("0.10"), "count": 3, "urgent": True, "kind": None, "note": "hi",
                    "lines": [{"qty": 2, "text": "x"}, {"qty": Decimal("1.5")}]}
    assert str(data["amount"]) == "0.10"


def test_what_does_not_parse_is_passed_on_for_the_engine_to_refuse() -> None:
    data = forms.parse(SCHEMA, None, {"f.amount": "12,5", "f.count": "three", "f.lines.__rows": "0"})
    assert data["amount"] == "12,5" and data["count"] == "three"
    assert "urgent" in data and data["urgent"] is False  # an unchecked box
    assert "note" not in data  # empty and not nullable: left out, so "is required" can say so


def test_removing_a_row_moves_the_later_rows_up() -> None:
    raw = {"f.lines.__rows": "3", "f.lines.0.qty": "1", "f.lines.1.qty": "2", "f.lines.2.qty": "3"}
    assert forms.apply_action(raw, "remove:f.lines:1")
    assert raw == {"f.lines.__rows": "2", "f.lines.0.qty": "1", "f.lines.1.qty": "3"}
    assert forms.apply_action(raw, "add:f.lines") and raw["f.lines.__rows"] == "3"
    assert not forms.apply_action(raw, "submit")


def test_widgets_carry_labels_kinds_errors_and_context() -> None:
    raw = forms.raw_from_data(SCHEMA, {"amount": Decimal("1.50"), "lines": [{"qty": 1}]})
    errors = [FieldError("/lines/0/qty", "must be greater than 0"), FieldError("/amount", "is required"),
              FieldError("", "something general")]
    view = forms.build(SCHEMA, {"order": ["lines"]}, raw, "zh_CN", errors, {"reference": "PO-1"})
    by_key = {w.key: w for w in view.widgets}
    assert view.widgets[0].key == "lines"
    assert view.title == "订单" and by_key["amount"].label == "金额"
    assert by_key["amount"].value == "1.50" and by_key["amount"].errors == ["必填"]
    assert by_key["urgent"].kind == "checkbox" and by_key["note"].kind == "textarea"
    assert by_key["kind"].kind == "select" and [o.value for o in by_key["kind"].options] == ["a", "b"]
    assert by_key["reference"].kind == "readonly" and by_key["reference"].display == "PO-1"
    table = by_key["lines"]
    assert table.kind == "table" and table.rows[0][0].errors == ["必须大于 0"]
    assert view.general_errors == ["something general"]


def test_translations_fall_back_to_the_default() -> None:
    assert localized(SCHEMA, "title", "zh_CN") == "订单"
    assert localized(SCHEMA, "title", "en") == "Order"
    assert localized(SCHEMA["properties"]["amount"], "title", "zh_CN") == "金额"
    assert localized({"title": "Plain"}, "title", "zh_CN") == "Plain"


def test_locale_negotiation() -> None:
    assert negotiate(None, "zh-CN,zh;q=0.9,en;q=0.8") == "zh_CN"
    assert negotiate(None, "de-DE,en;q=0.5") == "en"
    assert negotiate(None, "fr, zh-TW;q=0.3") == "zh_CN"
    assert negotiate("en", "zh-CN") == "en"
    assert negotiate("xx", None) == "en"
