"""FEEL's semantics as translated to the sandbox: nulls, three-valued logic, names, paths,
filters, iteration, contexts, functions, numbers and temporal values."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from flowdesk.engine import expressions
from flowdesk.engine.expressions import EvaluationError
from flowdesk.engine.expressions.feel import is_feel, translate_feel
from flowdesk.engine.expressions.feel.values import Range, YearsMonths

from .conftest import feel, feel_data

D = Decimal


def test_is_feel_is_the_leading_equals_sign():
    assert is_feel("=approved")
    assert is_feel('  = meal = "chicken"')
    assert not is_feel("approved")
    assert not is_feel("${approved}")
    assert not is_feel(None)


def test_the_leading_equals_sign_is_optional():
    assert translate_feel("=1 + 1") == translate_feel("1 + 1")
    assert feel('= meal = "chicken"', meal="chicken") is True
    assert feel("=approved", approved=False) is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("missing", None),
        ("missing.field", None),
        ("missing + 1", None),
        ("null + 1", None),
        ("1 - null", None),
        ('"a" + null', None),
        ("null < 1", None),
        ("1 > null", None),
        ("null = null", True),
        ("1 = null", False),
        ("null != 1", True),
        ('1 = "1"', None),
        ('1 != "1"', None),
        ("true = 1", None),
        ('1 < "a"', None),
        ('date("2020-01-01") < 5', None),
        ("-null", None),
        ("null between 1 and 5", None),
        ("null[item > 1]", None),
        ("{a: 1}.b", None),
        ("{a: null}.a = null", True),
        ("{}.y = null", True),
    ],
)
def test_null_propagates(text, expected):
    assert feel(text) is expected


@pytest.mark.parametrize(
    ("left", "right", "conjunction", "disjunction"),
    [
        ("true", "true", True, True),
        ("true", "false", False, True),
        ("true", "null", None, True),
        ("false", "null", False, None),
        ("null", "null", None, None),
        ("true", '"otherwise"', None, True),
        ("false", '"otherwise"', False, None),
    ],
)
def test_and_or_are_three_valued_and_commutative(left, right, conjunction, disjunction):
    assert feel(f"{left} and {right}") is conjunction
    assert feel(f"{right} and {left}") is conjunction
    assert feel(f"{left} or {right}") is disjunction
    assert feel(f"{right} or {left}") is disjunction


def test_not_is_three_valued():
    assert feel("not(true)") is False
    assert feel("not(false)") is True
    assert feel("not(null)") is None
    assert feel('not("x")') is None


def test_if_takes_else_for_anything_but_true():
    assert feel('if x > 1 then "big" else "small"', x=5) == "big"
    assert feel('if x > 1 then "big" else "small"', x=0) == "small"
    assert feel('if x > 1 then "big" else "small"') == "small"  # null condition
    assert feel('if "yes" then 1 else 2') == 2
    # lazy: the branch not taken is not evaluated (recursion terminates)
    assert feel("{f: function(n) if n <= 1 then 1 else n * f(n - 1), r: f(5)}.r") == 120


def test_names_with_spaces_read_the_key_they_spell():
    assert feel("Applicant Age + 1", **{"Applicant Age": 30}) == 31
    assert feel("Applicant   Age >= 18", **{"Applicant Age": 30}) is True
    assert feel("`tracking-id`", **{"tracking-id": "T-1"}) == "T-1"
    assert feel("order.`total price`", order={"total price": 5}) == 5


def test_declared_names_may_contain_operators():
    source = translate_feel("Pre-bureauRiskCategory = \"LOW\"", known_names={"Pre-bureauRiskCategory"})
    assert expressions.evaluate(source, {"Pre-bureauRiskCategory": "LOW"}) is True
    # without the declaration it is a subtraction of two unknown names (null), and null = "LOW" is false
    assert feel('Pre-bureauRiskCategory = "LOW"', **{"Pre-bureauRiskCategory": "LOW"}) is False
    source = translate_feel("Extra days case 1 + 1", known_names={"Extra days case 1"})
    assert expressions.evaluate(source, {"Extra days case 1": 4}) == 5


def test_keywords_inside_builtin_names():
    assert feel('date and time("2020-01-01T00:00:00") instance of date and time') is True
    assert feel('get or else(x, 1)') == 1
    assert feel("d and t", d=True, t=True) is True  # a conjunction, not a function name
    assert feel('years and months duration(date("2020-01-01"), date("2021-02-01"))') == YearsMonths(13)


def test_numbers_are_exact():
    assert feel("0.1 + 0.2") == D("0.3")
    assert feel("0.1 + 0.2 = 0.3") is True
    assert feel("1 / 3") == D("0.3333333333333333333333333333333333")
    assert feel("10 / 4") == D("2.5")
    assert feel("1 / 0") is None
    assert feel("2 ** 10") == 1024
    assert type(feel("2 ** 10")) is int
    assert feel("-2 ** 2") == 4
    assert feel("2 ** -1") == D("0.5")
    assert feel("5 - 7") == -2
    assert feel("1.50 * 2") == D("3.00")
    assert feel("x * 2", x=D("0.10")) == D("0.20")
    assert feel("x + 1", x=0.5) == D("1.5")  # a float coming in is read exactly as written
    assert feel("123456789012345678901234567890 * 10") == 1234567890123456789012345678900
    assert feel("99999999999999999999999999999999999 + 1") == D("1.000000000000000000000000000000000E+35")
    assert feel(".5 + 1") == D("1.5")


def test_arithmetic_chains_are_left_to_right():
    assert feel("10 - 2 - 3") == 5
    assert feel("2 * 3 + 4 * 5") == 26
    assert feel("100 / 10 / 2") == D("5")
    assert feel("1 + 2 * 3 ** 2") == 19
    assert feel(" + ".join(["1"] * 200)) == 200  # a long chain does not nest the program


def test_strings():
    assert feel('"a" + "b"') == "ab"
    assert feel('"line\\nnext"') == "line\nnext"
    assert feel('"say \\"hi\\""') == 'say "hi"'
    assert feel('"\\u269D"') == "\u269d"
    assert feel('"\\U01F40E"') == "\U0001f40e"
    assert feel('"a" < "b"') is True
    assert feel('"a" + 1') is None


def test_comparison_between_in_and_instance_of():
    assert feel("5 between 3 and 7") is True
    assert feel("8 between 3 and 7") is False
    assert feel('date("2020-04-06") between date("2020-04-05") and date("2020-04-09")') is True
    assert feel("5 in (3..7)") is True
    assert feel("7 in (3..7)") is False
    assert feel("7 in (3..7]") is True
    assert feel("3 in ]3..7]") is False
    assert feel("7 in [3..7[") is False
    assert feel("5 in (3,5,7)") is True
    assert feel("5 in [2,4,6,8]") is False
    assert feel("5 in < 10") is True
    assert feel("5 in (< 3, > 4)") is True
    assert feel('"b" in ("a", "b")') is True
    assert feel("x in [1..y]", x=3, y=5) is True
    assert feel("1 instance of number") is True
    assert feel("1 instance of string") is False
    assert feel("null instance of Any") is False
    assert feel("[1, 2] instance of list<number>") is True
    assert feel('duration("P3M") instance of years and months duration') is True
    assert feel('duration("PT4H") instance of days and time duration') is True
    assert feel("{} instance of context") is True
    assert feel("(function(x) x) instance of function") is True
    assert feel("[1][null]") == []


def test_lists_indexes_filters_and_projection():
    assert feel("[1,2,3][1]") == 1
    assert feel("[1,2,3][-1]") == 3
    assert feel("[1,2,3][0]") is None
    assert feel("[1,2,3][4]") is None
    assert feel("[1,2,3][n]", n=2) == 2
    assert feel("[1, 5, 12, 20][item > 10]") == [12, 20]
    assert feel("[1, 5, 12][item > limit]", limit=4) == [5, 12]
    orders = [{"id": 1, "price": 5}, {"id": 2, "price": 15}, {"id": 3, "price": 25}]
    assert feel("orders[price > 10]", orders=orders) == orders[1:]
    assert feel("orders[price > 10].id", orders=orders) == [2, 3]
    assert feel("orders.price", orders=orders) == [5, 15, 25]
    assert feel("orders[item.price < 10][1].id", orders=orders) == 1
    assert feel("5[item > 1]") == [5]
    assert feel("[][item > 1]") == []


def test_iteration():
    assert feel("for x in [1,2,3] return x * 2") == [2, 4, 6]
    assert feel("for x in [1,2], y in [10,20] return x + y") == [11, 21, 12, 22]
    assert feel("for x in [1,2], y in [x * 10] return y") == [10, 20]
    assert feel("for i in 1..3 return i") == [1, 2, 3]
    assert feel("for i in 3..1 return i") == [3, 2, 1]
    assert feel("for i in 0..4 return if i = 0 then 1 else i * partial[-1]") == [1, 1, 2, 6, 24]
    assert feel("for x in null return x") == []
    assert feel("some x in [1,2,3] satisfies x > 2") is True
    assert feel("some x in [1,2,3] satisfies x > 3") is False
    assert feel("every x in [1,2,3] satisfies x > 0") is True
    assert feel("every x in [1,2,3] satisfies x > 1") is False
    assert feel("every x in [] satisfies x > 1") is True
    assert feel("some x in [1,2], y in [2,3] satisfies x + y = 5") is True


def test_contexts_and_functions():
    assert feel('{a: 1, "b c": 2}') == {"a": 1, "b c": 2}
    assert feel("{a: 1, b: a + 1, c: b * 2}") == {"a": 1, "b": 2, "c": 4}
    assert feel("{a: 1, b: {c: a + 1}}.b.c") == 2
    assert feel("{first name: \"Ann\"}.first name") == "Ann"
    assert feel("{double: function(x) x * 2, r: double(3)}.r") == 6
    assert feel("(function(a, b) a - b)(5, 1)") == 4
    assert feel("(function(a, b) a - b)(b: 1, a: 5)") == 4
    assert feel("{f: function(x: number) x + 1}.f(1)") == 2
    assert feel("{f: function(x) x}.f(1, 2)") is None  # wrong arity: null


def test_engine_functions_in_the_names_can_be_called():
    assert feel('deadline("PT8H")', deadline=lambda text: f"in {text}") == "in PT8H"
    with pytest.raises(EvaluationError, match="no function named 'nowhere'"):
        feel("nowhere(1)")


def test_temporal_arithmetic_and_properties():
    assert feel('date("2020-04-06") + duration("P1D")') == date(2020, 4, 7)
    assert feel('date("2020-01-31") + duration("P1M")') == date(2020, 2, 29)
    assert feel('date("2020-04-06") - date("2020-04-01")') == timedelta(days=5)
    assert feel('date("2020-04-06") - duration("P5D")') == date(2020, 4, 1)
    assert feel('time("08:00:00") + duration("PT1H")') == time(9, 0)
    assert feel('time("23:00:00") + duration("PT2H")') == time(1, 0)
    assert feel('time("08:00:00") - time("06:00:00")') == timedelta(hours=2)
    assert feel('date and time("2020-04-06T08:00:00") + duration("P7D")') == datetime(2020, 4, 13, 8, 0)
    assert feel('duration("P2D") + duration("P5D")') == timedelta(days=7)
    assert feel('duration("P1Y") - duration("P3M")') == YearsMonths(9)
    assert feel('duration("P1D") * 5') == timedelta(days=5)
    assert feel('duration("P1M") * 6') == YearsMonths(6)
    assert feel('duration("P5D") / duration("P1D")') == 5
    assert feel('duration("P5D") / 5') == timedelta(days=1)
    assert feel('duration("P1Y") / duration("P1M")') == 12
    assert feel('duration("P1Y") / 12') == YearsMonths(1)
    assert feel('date("2020-04-06").year') == 2020
    assert feel('date("2020-04-06").month') == 4
    assert feel('date("2020-04-06").weekday') == 1
    assert feel('time("08:00:00").hour') == 8
    assert feel('date and time("2020-04-06T08:00:00+02:00").time offset') == timedelta(hours=2)
    assert feel('date and time("2020-04-06T08:00:00@Europe/Berlin").timezone') == "Europe/Berlin"
    assert feel('duration("PT2H30M").hours') == 2
    assert feel('duration("PT2H30M").minutes') == 30
    assert feel('duration("P1DT2H").days') == 1
    assert feel('duration("-PT90M").minutes') == -30
    assert feel('duration("P1Y6M").years') == 1
    assert feel('duration("P6M").months') == 6
    assert feel('@"2020-04-06" < @"2020-04-07"') is True
    assert feel('@"P1D" > @"PT23H"') is True
    assert feel('duration("P1Y") >= duration("P6M")') is True
    assert feel('date and time("2020-01-01T00:00:00") < date and time("2020-01-01T00:00:00Z")') is None
    assert feel('date and time("2020-01-01T01:00:00+01:00") = date and time("2020-01-01T00:00:00Z")') is True
    assert feel("due > start", due=datetime(2026, 1, 2, tzinfo=UTC), start=datetime(2026, 1, 1, tzinfo=UTC))
    assert feel("d + duration(\"P1D\")", d=date(2026, 12, 31)) == date(2027, 1, 1)


def test_ranges_are_values():
    assert feel("[1..10]") == Range(1, 10, True, True)
    assert feel("(1..10]") == Range(1, 10, False, True)
    assert feel("x in r", x=5, r=Range(1, 10, True, True)) is True


def test_results_become_instance_data():
    assert feel_data('duration("P3D")') == "P3D"
    assert feel_data('duration("-PT1H30M")') == "-PT1H30M"
    assert feel_data('duration("P1Y2M")') == "P1Y2M"
    assert feel_data('time("10:15:00")') == "10:15:00"
    assert feel_data('time("10:15:00+02:00")') == "10:15:00+02:00"
    assert feel_data('date and time("2026-01-01T10:00:00Z")') == datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    assert feel_data('{due: date("2026-01-01"), wait: duration("PT1H"), n: 1.5}') == {
        "due": date(2026, 1, 1), "wait": "PT1H", "n": D("1.5")}
    with pytest.raises(EvaluationError, match="range"):
        feel_data("[1..2]")
    with pytest.raises(EvaluationError, match="function"):
        feel_data("function(x) x")


def test_zoned_times():
    moment = feel('date and time("2020-07-31T14:27:30@Europe/Berlin")')
    assert moment.utcoffset() == timedelta(hours=2)
    assert feel('date and time(@"2020-07-31T14:27:30@Europe/Berlin", "America/Los_Angeles")').hour == 5
    assert feel('time("10:31:10@Europe/Paris")').tzinfo is not None
    assert feel('date and time("2020-07-31T14:27:30@No/Such_Zone")') is None
    assert feel('time(14, 30, 0, duration("PT1H"))').tzinfo == timezone(timedelta(hours=1))
