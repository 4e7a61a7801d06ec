"""Form validation is bounded: whatever someone submits, validating it takes linear time
and bounded memory, and a number too long to be an amount is a field error at its place.

Before: ``uniqueItems`` over items of mixed types compared every pair (a 39 KB body took
2.8 s on the shipped h2r_workplace form); 100,000 invalid items gave 200,000 errors (4.7 s,
154 MB); a number of 5,000 digits crashed whatever converted it to text next.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

import pytest
from flowdesk.engine import values
from flowdesk.engine.config import shipped_definitions
from flowdesk.engine.errors import FieldError
from flowdesk.engine.forms import Form, parse_form
from flowdesk.engine.forms.validation import MAX_DATA_VALUES, MAX_ERRORS

BADGE = {"desk": "HQ-2-114", "badge_number": "B004711"}


@pytest.fixture(scope="module")
def workplace() -> Form:
    path = Path(shipped_definitions()[1]) / "h2r_workplace.yaml"
    return parse_form(path.name, path.read_text())


def bounded(form: Form, data: object) -> tuple[list[FieldError], float, float]:
    """Validates; returns the errors, the seconds and the tracemalloc peak in MB."""
    started = time.perf_counter()
    form.validate(data)
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    try:
        errors = form.validate(data)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    return errors, elapsed, peak


def test_unique_items_over_mixed_types_is_linear(workplace: Form) -> None:
    body = json.dumps({**BADGE, "access_zones": [i if i % 2 else str(i) for i in range(6000)]})
    assert len(body) > 39_000
    errors, elapsed, peak = bounded(workplace, values.loads(body))
    assert elapsed < 1 and peak < 50
    assert not any(e.message == "must not contain the same item twice" for e in errors)
    assert len(errors) == MAX_ERRORS + 1


@pytest.mark.parametrize(("items", "unique"), [
    (["office", "lab"], True),
    (["office", "lab", "office"], False),
    ([1, Decimal("1.00")], False),  # equal numbers, whatever their type or trailing zeros
    ([1, 1.0], False),
    ([True, 1], True),  # a boolean is not a number
    ([{"a": 1, "b": [1, 2]}, {"b": [1, 2], "a": 1}], False),  # keys are unordered
    ([[1, 2], [2, 1]], True),  # arrays are not
    ([None, "null", 0, False, [], {}], True),
    ([Decimal("1e2"), 100], False),
    ([Decimal("0.10"), Decimal("0.1"), Decimal("-0")], False),
])
def test_unique_items_follows_json_schema_equality(items: list, unique: bool) -> None:
    form = Form("u", "u.yaml", {"type": "object", "properties": {"x": {"type": "array", "uniqueItems": True}}})
    errors = form.validate({"x": items})
    assert (FieldError("/x", "must not contain the same item twice") not in errors) is unique


def test_too_many_values_are_one_quick_error(workplace: Form) -> None:
    errors, elapsed, peak = bounded(workplace, {**BADGE, "access_zones": [1] * 100_000})
    assert errors == [FieldError("", f"has more than {MAX_DATA_VALUES:,} values, more than a form accepts")]
    assert elapsed < 1 and peak < 20


def test_too_much_text_or_nesting_is_one_error(workplace: Form) -> None:
    assert workplace.validate({**BADGE, "note": "x" * 1_000_001}) == [
        FieldError("", "has more than 1,000,000 characters of text, more than a form accepts")
    ]
    deep: list = []
    for _ in range(100):
        deep = [deep]
    assert workplace.validate({**BADGE, "access_zones": deep}) == [
        FieldError("", "is nested more than 64 levels deep, more than a form accepts")
    ]


def test_errors_are_capped_with_a_last_entry_saying_how_many_more(workplace: Form) -> None:
    errors = workplace.validate({**BADGE, "access_zones": ["nowhere"] * 150})
    assert len(errors) == MAX_ERRORS + 1
    assert errors[-1] == FieldError("", "and 51 more problems")  # 150 items and the duplicates
    assert errors[0] == FieldError("/access_zones", "must not contain the same item twice")
    errors = workplace.validate({**BADGE, "access_zones": [str(i) for i in range(5000)]})
    assert errors[-1] == FieldError("", "and more than 1,000 more problems")


TOO_LONG = {
    "1e100": 10**100, "-1e100": -(10**100), "1e5000": 10**5000, "5000 nines": 10**5000 - 1,
    "Decimal 1e100": Decimal("1e100"), "Decimal 1e-101": Decimal("1e-101"), "101 digits": Decimal("1" * 101),
    "Decimal 1e999999": Decimal("1E+999999"), "0.0...01": Decimal("0." + "0" * 100 + "1"), "float 1e300": 1e300,
}


@pytest.mark.parametrize("number", list(TOO_LONG.values()), ids=list(TOO_LONG))
def test_a_number_with_too_many_digits_is_a_field_error(number: object) -> None:
    form = Form("n", "n.yaml", {"type": "object", "properties": {"lines": {"type": "array"}}})
    errors = form.validate({"lines": [{"qty": 1}, {"qty": number}]})
    assert errors == [FieldError("/lines/1/qty", "must have at most 100 digits")]


@pytest.mark.parametrize("number", [10**100 - 1, Decimal("9" * 100), Decimal("1e99"), Decimal("1e-100"),
                                    Decimal("123.45"), 0, 1.5, Decimal("-0.000")])
def test_numbers_up_to_the_limit_are_validated_as_usual(number: object) -> None:
    form = Form("n", "n.yaml", {"type": "object", "properties": {"qty": {"type": "number", "minimum": 0}}})
    errors = form.validate({"qty": number})
    assert all(e.message != "must have at most 100 digits" for e in errors)
