"""A task's summary resolved against its instance's data: what the task page and the API show."""

from __future__ import annotations

from decimal import Decimal

from flowdesk.engine.definitions.summary import SummaryError, entries
from flowdesk.engine.instances.facts import headline, resolve

DATA = {"title": "Chairs", "total": Decimal("1560.00"), "currency": "CNY", "order": {"number": "PO-7"},
        "lines": [{"item": "CHAIR", "quantity": 4, "spiff__internal": 1}], "empty": "", "spiff__x": "hidden"}


def test_declared_paths_become_labelled_facts_and_paths_without_a_value_are_left_out() -> None:
    declared = entries(["@starter", {"path": "order.number", "label": "Order"},
                        {"path": "total", "currency": "currency"}, {"path": "total", "currency": '"EUR"'},
                        {"path": "lines", "columns": ["item", {"path": "quantity", "label": "Qty", "currency": '"EUR"'}]},
                        "empty", "missing.path"])
    facts = resolve(declared, DATA, "alice")
    assert [(f["path"], f["kind"]) for f in facts] == [
        ("@starter", "text"), ("order.number", "text"), ("total", "money"), ("total", "money"), ("lines", "table")]
    assert facts[0]["value"] == "alice" and facts[0]["label_i18n"] == {"zh-CN": "申请人"}
    assert facts[2]["currency"] == "CNY" and facts[3]["currency"] == "EUR"
    assert facts[4]["rows"] == [["CHAIR", 4]] and [c["label"] for c in facts[4]["columns"]] == [None, "Qty"]
    assert [c["currency"] for c in facts[4]["columns"]] == [None, "EUR"]


def test_without_a_declaration_only_title_total_and_lines_are_shown() -> None:
    shown = {f["path"]: f for f in resolve([], DATA, None)}
    assert set(shown) == {"title", "total", "lines"}
    assert [c["path"] for c in shown["lines"]["columns"]] == ["item", "quantity"]  # not the engine's keys
    assert headline([], DATA, "alice") == {"title": "Chairs", "amount": Decimal("1560.00"), "currency": "CNY",
                                           "requester": "alice"}


def test_a_malformed_declaration_is_refused() -> None:
    for bad in ([{"label": "no path"}], ["not a path!"], [{"path": "x", "colour": "red"}], {"path": "x"}):
        try:
            entries(bad)
        except SummaryError:
            continue
        raise AssertionError(f"{bad!r} was accepted")


def test_a_code_is_named_for_people_by_its_values_and_an_unnamed_one_shown_as_it_is() -> None:
    declared = entries([{"path": "status", "values": {"within": {"en": "Within budget", "zh-CN": "预算内"}}},
                        {"path": "other", "values": {"within": {"zh-CN": "预算内"}}}])
    facts = resolve(declared, {"status": "within", "other": "over_budget"}, None)
    assert facts[0]["value"] == "within" and facts[0]["value_i18n"] == {"en": "Within budget", "zh-CN": "预算内"}
    assert "value_i18n" not in facts[1]
    for bad in ([{"path": "x", "values": ["within"]}], [{"path": "x", "values": {"within": "预算内"}}]):
        try:
            entries(bad)
        except SummaryError:
            continue
        raise AssertionError(f"{bad!r} was accepted")
