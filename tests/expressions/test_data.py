"""Only data leaves a script: what instance data may hold, checked when a script ends.

Instance data is saved as JSON (exact decimals and dates tagged, see engine/values.py),
so after every script each variable must be None, a bool, an int, a finite float or
Decimal, a date or datetime, text that PostgreSQL and UTF-8 can hold, or a list, tuple
or text-keyed dict of those. Anything else is refused with an EvaluationError that names
the variable, the place inside it and the type, instead of a 500 from the serializer.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from flowdesk.engine.expressions import EvaluationError, check_data
from flowdesk.engine.runtime.scripting import SandboxEnvironment

DATA = {
    "nothing": None,
    "flag": True,
    "count": 3,
    "huge": 2**8000,
    "ratio": 0.5,
    "amount": Decimal("12.50"),
    "due": date(2024, 5, 1),
    "at": datetime(2024, 5, 1, 12, tzinfo=UTC),
    "text": "Grüße 👋",
    "pair": (1, "a"),
    "order": {"lines": [{"qty": 1, "price": Decimal("9.99"), "tags": ["a"]}], "note": None},
    "by_line": {1: {"qty": 2}, 2: {"qty": 3}},  # saved as {"1": ..., "2": ...}
}


def test_data_passes() -> None:
    check_data(DATA)
    shared = [1, 2]
    check_data({"twice": [shared, shared]})  # the same list twice is data, not a cycle


NOT_DATA = [
    ("x = {'a': 1}.values()", r"the variable 'x' is a dict_values, which instance data cannot hold: store list\("),
    ("x = {'a': 1}.keys()", "the variable 'x' is a dict_keys"),
    ("s = {1, 2}", r"the variable 's' is a set, which instance data cannot hold: store sorted\(\.\.\.\) or list"),
    ("z = timezone.utc", "the variable 'z' is a timezone, which instance data cannot hold: store its offset"),
    ("t = timedelta(days=1)", "the variable 't' is a timedelta, which instance data cannot hold: store a number"),
    ("r = range(3)", "the variable 'r' is a range, which instance data cannot hold: store list"),
    ("f = deadline", r"the variable 'f' is a function \(function\), which instance data cannot hold"),
    ("x = float('nan')", "the variable 'x' is the float nan, which has no JSON form"),
    ("x = float('inf')", "the variable 'x' is the float inf"),
    ("x = Decimal('NaN')", r"the variable 'x' is Decimal\('NaN'\), which has no JSON form"),
    ("x = 'a\\x00b'", r"the variable 'x' is text with a NUL character"),
    ("x = '\\ud800'", "the variable 'x' is text with an unpaired surrogate character"),
    ("d = {True: 'a'}", "the variable 'd' has the key True of type bool; keys of instance data must be text or "
     "ints: use str"),
    ("d = {None: 'a'}", "the variable 'd' has the key None of type NoneType"),
    ("d = {date(2024, 1, 1): 'a'}", "the variable 'd' has the key <date> of type date"),
    ("d = {(1, 2): 'a'}", "the variable 'd' has a key of type tuple; keys of instance data must be text or ints"),
    ("order = {'lines': [{'tags': {'a'}}]}", r"order\['lines'\]\[0\]\['tags'\] \(in the variable 'order'\) is a set"),
    ("pair = (1, {2.5: 3})", r"pair\[1\] \(in the variable 'pair'\) has the key 2.5 of type float"),
    ("x = [1]\nx.append(x)", "contains itself"),
]


@pytest.mark.parametrize(("script", "message"), NOT_DATA)
def test_a_script_that_leaves_anything_but_data_is_refused(script: str, message: str) -> None:
    env = SandboxEnvironment(functions={"deadline": lambda duration: datetime(2024, 1, 1, tzinfo=UTC)})
    context = {"kept": 1}
    with pytest.raises(EvaluationError, match=message) as info:
        env.execute(script, context)
    assert info.value.source == script  # the incident shows the script
    assert context == {"kept": 1}  # nothing the script assigned was written back


def test_data_a_script_leaves_is_written_back() -> None:
    env = SandboxEnvironment()
    context: dict = {"n": 1}
    env.execute("n += 1\nwhen = date(2024, 1, 2)\nrows = list(zip('ab', [1, 2]))\nby = {str(k): k for k in range(2)}",
                context)
    assert context == {"n": 2, "when": date(2024, 1, 2), "rows": [("a", 1), ("b", 2)], "by": {"0": 0, "1": 1}}


def test_non_data_put_into_existing_data_is_replaced_so_the_data_can_still_be_saved() -> None:
    # The script changes a dict that was there before it ran: the refused value cannot be
    # taken back by not writing the variables back, so it is replaced by None in place.
    env = SandboxEnvironment()
    order = {"lines": [1, 2], "id": "A-1"}
    context = {"order": order}
    with pytest.raises(EvaluationError, match=r"order\['tags'\] \(in the variable 'order'\) is a set"):
        env.execute("order['tags'] = {'x'}\norder['pairs'] = [(1, {2})]\norder[(3,)] = 'c'", context)
    assert context["order"] is order
    assert order == {"lines": [1, 2], "id": "A-1", "tags": None, "pairs": [None]}  # key (3,) removed
    check_data(context)


def test_check_data_is_fast_on_large_data() -> None:
    rows = [{"id": str(i), "qty": i, "price": Decimal("1.50"), "when": date(2024, 1, 1)} for i in range(20000)]
    check_data({"rows": rows, "nested": [[[[1]]]] * 1000})


def test_deep_or_foreign_values() -> None:
    deep: list = []
    for _ in range(150):
        deep = [deep]
    with pytest.raises(EvaluationError, match="nested more than 100 levels"):
        check_data({"deep": deep})
    with pytest.raises(EvaluationError, match=r"the variable 'tz' is a timezone"):
        check_data({"tz": timezone(timedelta(hours=1))})
    with pytest.raises(EvaluationError, match=r"the variable 'o' is an object, which"):
        check_data({"o": object()})
