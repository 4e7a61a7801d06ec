"""FEEL's built-in functions, one by one, with the exact values Camunda's documentation and
the DMN specification give (numbers are exact: Decimal or int, never float)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from flowdesk.engine.expressions import EvaluationError
from flowdesk.engine.expressions.feel.values import Range, YearsMonths

from .conftest import feel

D = Decimal

CASES = [
    # conversion
    ('string(1.1)', "1.1"),
    ('string(date("2012-12-25"))', "2012-12-25"),
    ('string(true)', "true"),
    ('string(null)', None),
    ('string(duration("P1DT2H"))', "P1DT2H"),
    ('string([1, "a"])', '[1, "a"]'),
    ('number("1500.5")', D("1500.5")),
    ('number("1,500", ",")', 1500),
    ('number("1 500.5", " ", ".")', D("1500.5")),
    ('number("1.500,5", ".", ",")', D("1500.5")),
    ('number("abc")', None),
    ('date("2018-04-29")', date(2018, 4, 29)),
    ('date("2024-06-31")', None),
    ('date(2012, 12, 25)', date(2012, 12, 25)),
    ('date(date and time("2012-12-25T11:00:00"))', date(2012, 12, 25)),
    ('time("12:00:00")', time(12, 0)),
    ('time("13:30")', time(13, 30)),
    ('time(23, 59, 0)', time(23, 59)),
    ('time(14, 30, 0, duration("PT1H"))', time(14, 30, tzinfo=timezone(timedelta(hours=1)))),
    ('time(date and time("2012-12-25T11:00:00"))', time(11, 0)),
    ('date and time("2018-04-29T09:30:00")', datetime(2018, 4, 29, 9, 30)),
    ('date and time("2018-04-29T09:30:00+02:00")', datetime(2018, 4, 29, 9, 30, tzinfo=timezone(timedelta(hours=2)))),
    ('date and time("2026-01-01T10:00:00Z")', datetime(2026, 1, 1, 10, 0, tzinfo=UTC)),
    ('date and time(date("2012-12-24"), time("T23:59:00".substring))', None),
    ('date and time(date("2012-12-24"), time("23:59:00"))', datetime(2012, 12, 24, 23, 59)),
    ('duration("P5D")', timedelta(days=5)),
    ('duration("PT1.5S")', timedelta(seconds=1, microseconds=500000)),
    ('duration("-PT5H")', timedelta(hours=-5)),
    ('duration("P32Y")', YearsMonths(384)),
    ('duration("P1Y2D")', None),
    ('years and months duration(date("2011-12-22"), date("2013-08-24"))', YearsMonths(20)),
    ('years and months duration(date("2013-08-24"), date("2011-12-22"))', YearsMonths(-20)),
    ('context([{key: "a", value: 1}, {key: "b", value: 2}])', {"a": 1, "b": 2}),
    # boolean
    ('not(true)', False),
    ('not(null)', None),
    ('not(1)', None),
    ('is defined(1)', True),
    ('is defined(null)', False),
    ('is defined(x)', False),
    ('get or else("this", "default")', "this"),
    ('get or else(null, "default")', "default"),
    ('is(1, 1.0)', True),
    ('is(1, "1")', False),
    # strings
    ('substring("foobar", 3)', "obar"),
    ('substring("foobar", -2)', "ar"),
    ('substring("foobar", 3, 3)', "oba"),
    ('substring("foobar", -3, 2)', "ba"),
    ('substring("foobar", 3, 10)', "obar"),
    ('substring("\\U01F40Eab", 2)', "ab"),
    ('string length("foo")', 3),
    ('string length("\\U01F40Eab")', 3),
    ('upper case("aBc4")', "ABC4"),
    ('lower case("aBc4")', "abc4"),
    ('substring before("foobar", "bar")', "foo"),
    ('substring before("foobar", "xyz")', ""),
    ('substring after("foobar", "ob")', "ar"),
    ('substring after("", "a")', ""),
    ('contains("foobar", "of")', False),
    ('contains("foobar", "ob")', True),
    ('starts with("foobar", "fo")', True),
    ('ends with("foobar", "r")', True),
    ('matches("foobar", "^fo*bar")', True),
    ('matches("FooBar", "foo", "i")', True),
    ('matches("foobar", "^bar")', False),
    ('matches("a\\nb", "a.b")', False),
    ('matches("a\\nb", "a.b", "s")', True),
    ('matches("2026-01-05", "^\\d{4}-\\d{2}-\\d{2}$")', True),
    ('replace("abcd", "(ab)|(a)", "[1=$1][2=$2]")', "[1=ab][2=]cd"),
    ('replace("0123456789", "(\\d{3})(\\d{3})(\\d{4})", "($1) $2-$3")', "(012) 345-6789"),
    ('replace("How do you feel?", "Feel", "FEEL", "i")', "How do you FEEL?"),
    ('replace("a.b.c", ".", "-", "q")', "a-b-c"),
    ('split("John Doe", "\\s")', ["John", "Doe"]),
    ('split("a;b;c;;", ";")', ["a", "b", "c", "", ""]),
    ('extract("references are 1234, 1256, 1378", "12[0-9]*")', ["1234", "1256"]),
    ('trim("  hello world  ")', "hello world"),
    ('to base64("FEEL")', "RkVFTA=="),
    ('is blank(" ")', True),
    ('is blank("a")', False),
    ('string join(["a","b","c"])', "abc"),
    ('string join(["a"], "X")', "a"),
    ('string join(["a","b","c"], ", ")', "a, b, c"),
    ('string join(["a","b","c"], ", ", "[", "]")', "[a, b, c]"),
    ('string join(["a",null,"c"])', "ac"),
    ('string join([])', ""),
    ('string join(["a", 1])', None),
    # lists
    ('list contains([1,2,3], 2)', True),
    ('list contains([1,null], null)', True),
    ('list contains([1,2,3], "2")', False),
    ('count([1,2,3])', 3),
    ('min([1,2,3])', 1),
    ('min(1,2,3)', 1),
    ('max([1,2,3])', 3),
    ('max("a", "c", "b")', "c"),
    ('min([])', None),
    ('sum([1,2,3])', 6),
    ('sum(1,2,3)', 6),
    ('sum([0.1, 0.2])', D("0.3")),
    ('sum([])', None),
    ('sum([1, "a"])', None),
    ('product([2, 3, 4])', 24),
    ('product(2, 3, 4)', 24),
    ('mean([1,2,3])', D("2")),
    ('mean(1,2,3,4)', D("2.5")),
    ('median(8, 2, 5, 3, 4)', 4),
    ('median([6, 1, 2, 3])', D("2.5")),
    ('stddev(2, 4, 7, 5)', D("2.081665999466132735282297706979931")),
    ('mode(6, 3, 9, 6, 6)', [6]),
    ('mode([6, 1, 9, 6, 1])', [1, 6]),
    ('all([true,false])', False),
    ('all(false,null,true)', False),
    ('all([true, null])', None),
    ('all([])', True),
    ('and([true,true])', True),
    ('any([false,true])', True),
    ('any(false,null,true)', True),
    ('any([false, null])', None),
    ('or([false,false])', False),
    ('sublist([1,2,3], 2)', [2, 3]),
    ('sublist([1,2,3], 1, 2)', [1, 2]),
    ('sublist([1,2,3], -1, 1)', [3]),
    ('append([1], 2, 3)', [1, 2, 3]),
    ('concatenate([1,2],[3])', [1, 2, 3]),
    ('concatenate([1],[2],[3])', [1, 2, 3]),
    ('insert before([1,3],1,2)', [2, 1, 3]),
    ('insert before([1,3],2,2)', [1, 2, 3]),
    ('remove([1,2,3], 2)', [1, 3]),
    ('reverse([1,2,3])', [3, 2, 1]),
    ('index of([1,2,3,2],2)', [2, 4]),
    ('union([1,2],[2,3])', [1, 2, 3]),
    ('distinct values([1,2,3,2,1])', [1, 2, 3]),
    ('distinct values([{a:1},{a:1},[1],[1]])', [{"a": 1}, [1]]),
    ('duplicate values([1,2,3,2,1])', [1, 2]),
    ('flatten([[1,2],[[3]], 4])', [1, 2, 3, 4]),
    ('sort(list: [3,1,4,5,2], precedes: function(x,y) x < y)', [1, 2, 3, 4, 5]),
    ('sort([3,1,2], function(x, y) x > y)', [3, 2, 1]),
    ('sort(["b","a","c"])', ["a", "b", "c"]),
    ('sort([{n:2},{n:1}], function(a, b) a.n < b.n)', [{"n": 1}, {"n": 2}]),
    ('is empty([])', True),
    ('partition([1,2,3,4,5], 2)', [[1, 2], [3, 4], [5]]),
    # numbers
    ('decimal(1/3, 2)', D("0.33")),
    ('decimal(1.5, 0)', D("2")),
    ('decimal(2.5, 0)', D("2")),
    ('decimal(2.5, 0, "half_up")', D("3")),
    ('floor(1.5)', D("1")),
    ('floor(-1.5)', D("-2")),
    ('floor(-1.56, 1)', D("-1.6")),
    ('ceiling(1.5)', D("2")),
    ('ceiling(-1.5)', D("-1")),
    ('ceiling(-1.56, 1)', D("-1.5")),
    ('round up(5.5)', D("6")),
    ('round up(-5.5)', D("-6")),
    ('round up(1.121, 2)', D("1.13")),
    ('round up(-1.126, 2)', D("-1.13")),
    ('round down(5.5)', D("5")),
    ('round down(-5.5)', D("-5")),
    ('round down(1.121, 2)', D("1.12")),
    ('round down(-1.126, 2)', D("-1.12")),
    ('round half up(5.5)', D("6")),
    ('round half up(-5.5)', D("-6")),
    ('round half up(1.121, 2)', D("1.12")),
    ('round half up(-1.126, 2)', D("-1.13")),
    ('round half down(5.5)', D("5")),
    ('round half down(-5.5)', D("-5")),
    ('round half down(1.121, 2)', D("1.12")),
    ('round half down(-1.126, 2)', D("-1.13")),
    ('abs(10)', 10),
    ('abs(-10)', 10),
    ('abs(-1.5)', D("1.5")),
    ('abs(duration("-PT5H"))', timedelta(hours=5)),
    ('abs(duration("-P2M"))', YearsMonths(2)),
    ('modulo(12, 5)', 2),
    ('modulo(-12, 5)', 3),
    ('modulo(12, -5)', -3),
    ('modulo(10.1, 4.5)', D("1.1")),
    ('modulo(1, 0)', None),
    ('sqrt(16)', D("4")),
    ('sqrt(-1)', None),
    ('log(10)', D("2.302585092994045684017991454684364")),
    ('exp(5)', D("148.4131591025766034211155800405523")),
    ('odd(5)', True),
    ('odd(2)', False),
    ('even(5)', False),
    ('even(2)', True),
    ('odd(2.5)', None),
    # contexts
    ('get value({foo: 123}, "foo")', 123),
    ('get value({a: 1}, "b")', None),
    ('get value({x:1, y: {z:0}}, ["y", "z"])', 0),
    ('get value({a: {b: 3}}, ["b"])', None),
    ('get entries({foo: 123})', [{"key": "foo", "value": 123}]),
    ('context put({x:1}, "y", 2)', {"x": 1, "y": 2}),
    ('context put({x:1, y: {z:0}}, ["y", "z"], 2)', {"x": 1, "y": {"z": 2}}),
    ('context put({x:1}, ["y", "z"], 2)', {"x": 1, "y": {"z": 2}}),
    ('context merge([{x:1}, {y:2}])', {"x": 1, "y": 2}),
    ('context merge([{x:1, y: 0}, {y:2}])', {"x": 1, "y": 2}),
    # temporal
    ('day of week(date("2019-09-17"))', "Tuesday"),
    ('day of week(date and time("2019-09-17T12:00:00"))', "Tuesday"),
    ('day of year(date("2019-09-17"))', 260),
    ('week of year(date("2019-09-17"))', 38),
    ('month of year(date("2019-09-17"))', "September"),
    ('last day of month(date("2022-10-01"))', date(2022, 10, 31)),
    ('last day of month(date("2024-02-10"))', date(2024, 2, 29)),
    # ranges
    ('before(1, 10)', True),
    ('before(10, 1)', False),
    ('before([1..5], 10)', True),
    ('before(1, [2..5])', True),
    ('before([1..5], [6..10])', True),
    ('before([1..5),[5..10])', True),
    ('after(10, 1)', True),
    ('after([1..5], 10)', False),
    ('after(12, [2..5])', True),
    ('after([6..10], [1..5])', True),
    ('after([5..10], [1..5))', True),
    ('meets([1..5], [5..10])', True),
    ('meets([1..3], [4..6])', False),
    ('meets([1..5], (5..8])', False),
    ('met by([5..10], [1..5])', True),
    ('met by([5..10], [1..5))', False),
    ('overlaps([5..10], [1..6])', True),
    ('overlaps((3..7], [1..4])', True),
    ('overlaps([1..3], (3..6])', False),
    ('overlaps([4..10], [1..5))', True),
    ('overlaps before([1..5], [4..10])', True),
    ('overlaps before([1..5), [5..10])', False),
    ('overlaps after([4..10], [1..5])', True),
    ('overlaps after([3..5], [1..3))', False),
    ('finishes(5, [1..5])', True),
    ('finishes([3..5], [1..5])', True),
    ('finishes((1..5], [1..5))', False),
    ('finished by([5..10], 10)', True),
    ('finished by([1..5], [3..5])', True),
    ('includes([5..10], 6)', True),
    ('includes([3..4], 5)', False),
    ('includes([1..10], [4..6])', True),
    ('includes([1..10], [1..5))', True),
    ('during(5, [1..10])', True),
    ('during(1, (1..10])', False),
    ('during([4..6], [1..10))', True),
    ('starts(1, [1..5])', True),
    ('starts(1, (1..8])', False),
    ('starts((1..5), (1..10))', True),
    ('started by([1..10], 1)', True),
    ('started by([1..10], [1..5])', True),
    ('coincides(5, 5)', True),
    ('coincides([1..5], [1..5])', True),
    ('coincides((1..5], [1..5))', False),
    ('range("[18..21)")', Range(18, 21, True, False)),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_builtin(text, expected):
    result = feel(text)
    assert result == expected
    assert type(result) is type(expected), f"{text}: {result!r} is a {type(result).__name__}"


def test_now_and_today_read_the_clock_the_engine_sets():
    from flowdesk.engine.clock import FakeClock
    from flowdesk.engine.expressions.feel import using_clock

    clock = FakeClock(datetime(2026, 3, 4, 23, 30, tzinfo=UTC))
    with using_clock(clock):
        assert feel("now()") == datetime(2026, 3, 4, 23, 30, tzinfo=UTC)
        assert feel("today()") == date(2026, 3, 4)
        clock.advance(hours=1)
        assert feel("today()") == date(2026, 3, 5)
    assert feel("now()") > datetime(2026, 3, 5, tzinfo=UTC) or feel("now()").tzinfo is not None


def test_uuid_is_random_and_well_formed():
    first, second = feel("uuid()"), feel("uuid()")
    assert first != second and len(first) == 36 and first.count("-") == 4


def test_assert_fails_with_the_given_cause():
    assert feel("assert(x, x >= 0)", x=4) == 4
    with pytest.raises(EvaluationError, match="'x' should be positive"):
        feel('assert(x, x >= 0, "\'x\' should be positive")', x=-1)


def test_named_arguments_map_to_parameters():
    assert feel('substring(string: "abc", start position: 2)') == "bc"
    assert feel('substring(start position: 2, string: "abc", length: 1)') == "b"
    assert feel('string join(list: ["a", "b"], delimiter: "-")') == "a-b"
    assert feel('get value(context: {a: 1}, key: "a")') == 1
