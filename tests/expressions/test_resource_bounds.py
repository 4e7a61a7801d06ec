"""No script or condition, whatever its text, runs for more than about a second or makes
the process allocate more than about 256 MB.

The step budget only bounds time if a step stands for a bounded amount of work, so every
operation that Python does in bulk is charged by the sizes that decide its cost (see the
module doc of `flowdesk.engine.expressions.limits`), and a wall-clock deadline and a
memory ceiling back that model up. Each finding of the security review is a test here:
the payload must be *refused*, and the refusal must come *quickly and small*. The bounds
are generous (3 s, a tracemalloc peak of 300 MB; before the fix the payloads took up to
a minute and gigabytes) so that a loaded two-core machine does not make them flaky.

Time and memory are measured in two runs: tracing allocations slows Python down several
times, so under tracemalloc a payload may well hit the deadline instead of the charge
that refuses it otherwise; the memory run only has to end in some refusal.
"""

from __future__ import annotations

import dataclasses
import re
import time
import tracemalloc
from collections.abc import Callable
from decimal import Decimal

import pytest
from flowdesk.engine.expressions import (
    DEFAULT_LIMITS,
    ExpressionError,
    Limits,
    ResourceLimitExceeded,
    evaluate,
    execute,
)

MEGABYTES = 300
# The meter, not the clock, must refuse every payload here: the wall-clock deadline is a
# backstop whose firing depends on how busy the machine is, so these runs get a deadline far
# beyond anything the meter lets through (how fast a refusal is belongs in bench/).
METERED = dataclasses.replace(DEFAULT_LIMITS, max_seconds=120)


def timed(run: Callable[..., object], *args: object) -> tuple[BaseException | None, float]:
    """Runs `run(*args)`; returns the error it raised (None if it finished) and the
    seconds it took."""
    start = time.perf_counter()
    try:
        run(*args)
    except ExpressionError as exc:
        return exc, time.perf_counter() - start
    return None, time.perf_counter() - start


def traced(run: Callable[..., object], *args: object) -> tuple[BaseException | None, float]:
    """Runs `run(*args)` under tracemalloc; returns the error it raised (None if it
    finished) and the peak of what Python allocated meanwhile, in MB."""
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        error, _ = timed(run, *args)
    finally:
        peak = (tracemalloc.get_traced_memory()[1] - base) / 2**20
        if started:
            tracemalloc.stop()
    return error, peak


def refused_within_bounds(script: str, match: str, limits: Limits = METERED) -> ResourceLimitExceeded:
    error, _ = timed(execute, script, {}, limits)
    assert isinstance(error, ResourceLimitExceeded), f"not refused: {error!r}"
    assert re.search(match, str(error)), f"{error} does not match {match!r}"
    traced_error, peak = traced(execute, script, {}, limits)
    assert isinstance(traced_error, ResourceLimitExceeded), f"not refused under tracemalloc: {traced_error!r}"
    assert peak < MEGABYTES, f"the refusal allocated {peak:.0f} MB"
    return error


# ---------------------------------------------------------------------------------------
# The findings of the review, one by one.
# ---------------------------------------------------------------------------------------


def test_colliding_int_hashes_cost_a_comparison_per_colliding_key() -> None:
    # Every multiple of 2**61 - 1 hashes to 0: 20,000 of them made set() compare 2 * 10**8
    # times (3.7-6.3 s) for about 2,000 steps.
    refused_within_bounds("n = len(set(range(0, 20000 * (2**61 - 1), 2**61 - 1)))", "hash values collide")
    # one key at a time in a loop, or as tuples (hash(-1) == hash(-2), so all 2**12 of
    # these tuples share one hash), or as Decimals, is the same attack
    refused_within_bounds("d = {}\nfor i in range(20000):\n    d[i * (2**61 - 1)] = i", "hash values collide|budget")
    refused_within_bounds(
        "ts = [()]\nfor b in range(12):\n    ts = [t + (x,) for t in ts for x in (-1, -2)]\ns = set(ts)",
        "hash values collide",
    )
    refused_within_bounds("s = {Decimal(i * (2**61 - 1)) for i in range(20000)}", "hash values collide|budget")


def test_ordinary_keys_do_not_pay_for_collisions() -> None:
    variables: dict = {}
    execute(
        "counts = {}\nfor i in range(5000):\n    key = (i % 100, 'x')\n    counts[key] = counts.get(key, 0) + 1\n"
        "amounts = set(Decimal(i % 50) / 4 for i in range(10000))\nbig = set(range(2**62, 2**62 + 10000))",
        variables,
        METERED,
    )
    assert len(variables["counts"]) == 100 and len(variables["amounts"]) == 50 and len(variables["big"]) == 10000


def test_a_long_timezone_name_counts_in_strftime_and_in_text() -> None:
    zone = "tz = timezone(timedelta(0), 'x' * 999000)\n"
    # '%Z' writes the name: 100 of them made 99.9 million characters (1.06 GB) before the
    # size check saw the result.
    refused_within_bounds(zone + "s = datetime(2024, 1, 1, tzinfo=tz).strftime('%Z' * 100)", "the date format")
    refused_within_bounds(zone + "s = f'{datetime(2024, 1, 1, tzinfo=tz):%Z%Z}'", "the date format")
    # repr() of a timezone holds its name: 300 of them were 300 MB before the refusal.
    refused_within_bounds(zone + "s = str([tz] * 300)", "converting the value to text")
    refused_within_bounds(zone + "s = str([datetime(2024, 1, 1, tzinfo=tz)] * 300)", "converting the value to text")
    assert evaluate("datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=1), 'CET')).strftime('%H %Z')", {}) == (
        "00 CET"
    )


def test_decimal_as_tuple_is_a_collection_of_its_digits() -> None:
    # as_tuple() makes one int per digit: a million digits made 8 MB per call (780 MB in
    # a loop), and its DecimalTuple passed every check as "not a tuple".
    refused_within_bounds(
        "d = Decimal('1' * 999000)\nl = []\nfor i in range(100):\n    l.append(d.as_tuple())", "as_tuple"
    )
    value = evaluate("Decimal('-1.50').as_tuple()", {})
    assert value == (1, (1, 5, 0), -2) and type(value) is tuple


def test_decimal_digits_are_charged() -> None:
    big = "d = Decimal('1' * 999000)\n"
    refused_within_bounds(big + "x = d ** 2", "power of a Decimal of")
    refused_within_bounds(big + "x = d * d", "Decimal arithmetic on")
    refused_within_bounds(big + "n = 0\nwhile True:\n    n += float(d)", "budget")
    refused_within_bounds(big + "n = 0\nwhile True:\n    x = d / 3", "budget")
    refused_within_bounds(big + "n = 0\nwhile True:\n    x = {d: n}", "budget")
    refused_within_bounds("x = Decimal('1' * 2000) ** Decimal('0.5')", "power of a Decimal")
    refused_within_bounds("b = 2**8191\nwhile True:\n    x = Decimal(b)", "budget")
    refused_within_bounds("b = 2**8191\nwhile True:\n    x = str(b)", "budget")
    refused_within_bounds("a, b = 2**8191 - 1, 2**4095 - 3\nwhile True:\n    x = a // b", "budget")


def test_strip_costs_the_product_of_the_lengths() -> None:
    # ('a' * 300000).strip(...) looks each of 300,000 characters up in 300,000: 9 * 10**10
    # comparisons, for one step.
    refused_within_bounds("s = ('a' * 300000).strip('b' * 299999 + 'a')", "stripping 300,000 kinds")
    refused_within_bounds("s = ('a' * 300000).lstrip('b' * 299999 + 'a')", "stripping")
    assert evaluate("'  x  '.strip() + '00120'.lstrip('0') + 'ab--'.rstrip('-')", {}) == "x120ab"


MANY_REFERENCES = [
    ("sorted", "x = sorted(['a' * 1000000] * 100000)"),
    ("equal", "a = ['a' * 1000000] * 100000\nb = ['a' * 999999 + 'a'] * 100000\nr = a == b"),
    ("count", "s = 'a' * 1000000\nl = [s] * 100000\nn = l.count(s[:-1] + 'a')"),
    ("in", "s = 'a' * 1000000\nl = [s] * 100000\nr = (s[:-1] + 'b') in l"),
    ("startswith", "s = 'a' * 1000000\nr = s.startswith((s[:-2] + 'ba',) * 100000)"),
    ("max", "s = 'a' * 1000000\nr = max([s, s[:-1] + 'a'] * 50000)"),
    ("sort_key", "s = 'a' * 1000000\nl = list(range(100000))\nl.sort(key=lambda i: s)"),
    ("set", "a = 'a' * 1000000\nb = a[:-1] + 'a'\ns = set([a, b] * 50000)"),
    ("dict_lookup", "a = 'a' * 1000000\nb = a[:-1] + 'a'\nd = {a: 1}\nn = 0\nwhile True:\n    n += d[b]"),
    ("index", "s = 'a' * 1000000\nl = [s] * 100000\nn = l.index(s[:-1] + 'b')"),
]


@pytest.mark.parametrize("script", [s for _, s in MANY_REFERENCES], ids=[n for n, _ in MANY_REFERENCES])
def test_many_references_to_one_long_text_cost_their_length(script: str) -> None:
    # 3-20 s each before; x = sorted(['a' * 1000000] * 100000) took a server past 2 GB.
    refused_within_bounds(script, "every reference to a text counts|budget")


def test_a_value_that_saves_as_a_huge_text_is_refused() -> None:
    # 100,000 references to one text are 800 KB in memory and 100 GB as JSON.
    refused_within_bounds("x = ['a' * 1000000] * 100000", "repeats the same texts so often")


# ---------------------------------------------------------------------------------------
# The backstops: a deadline and a memory ceiling, both in Limits.
# ---------------------------------------------------------------------------------------


def test_the_limits_have_a_deadline_and_a_memory_ceiling() -> None:
    assert DEFAULT_LIMITS.max_seconds == 1.0
    assert DEFAULT_LIMITS.max_memory == 256 * 2**20
    with pytest.raises(ValueError, match="max_seconds must be a positive number"):
        Limits(max_seconds=0)
    with pytest.raises(ValueError, match="max_memory must be a positive integer"):
        Limits(max_memory=0.5)  # type: ignore[arg-type]


def test_the_deadline_stops_a_run_that_is_cheap_in_steps() -> None:
    # A millisecond is far less than 200,000 steps take: the clock ends the run.
    limits = Limits(max_seconds=0.001)
    error = refused_within_bounds("while True:\n    pass", "took longer than its time limit of 0.001 s", limits)
    assert error.line == 1 or error.line == 2
    # a lambda called from C (sorted's key) is on the clock too
    refused_within_bounds("x = sorted(range(100000), key=lambda i: -i)", "time limit", limits)


def test_functions_of_the_engine_are_on_the_clock() -> None:
    # The meter cannot see inside a trusted function the engine offers (deadline()), so the
    # clock is read after every call of one.
    names = {"slow": lambda: time.sleep(0.002)}
    error, _ = timed(execute, "while True:\n    slow()", names, Limits(max_seconds=0.05))
    assert isinstance(error, ResourceLimitExceeded) and "time limit of 0.05 s" in str(error)


def test_the_memory_ceiling_counts_what_a_run_allocates() -> None:
    limits = Limits(max_memory=4 * 2**20)
    script = "l = []\nfor i in range(50):\n    l.append(str(i) * 500000)"
    refused_within_bounds(script, "allocated more than its memory limit of 4 MB", limits)
    variables: dict = {}
    execute("l = [str(i) * 100000 for i in range(3)]", variables, limits)  # 600 KB is fine
    assert len(variables["l"]) == 3


# ---------------------------------------------------------------------------------------
# A growing list of payloads: each must be refused, fast and small.
# ---------------------------------------------------------------------------------------

PAYLOADS = [
    # text searches cost length x needle
    ("count_long_needle", "n = ('a' * 1000000).count('a' * 999 + 'b')", "searching a text"),
    ("find_long_needle", "n = ('a' * 1000000).find('a' * 999 + 'b')", "searching a text"),
    ("in_long_needle", "r = ('a' * 999 + 'b') in ('a' * 1000000)", "searching a text"),
    ("replace_long_needle", "s = ('a' * 1000000).replace('a' * 999 + 'b', '')", "searching a text"),
    ("split_long_sep", "s = ('a' * 1000000).split('a' * 999 + 'b')", "searching a text"),
    ("split_many_pieces", "s = ('a,' * 500000).split(',')", "more than 100,000 pieces"),
    ("splitlines_many", "s = ('\\n' * 1000000).splitlines()", "the lines of the text would have"),
    ("rstrip_product", "s = ('a' * 300000).rstrip('b' * 299999 + 'a')", "stripping"),
    # comparisons and membership through shared references
    ("tuple_count", "s = 'a' * 1000000\nt = (s,) * 100000\nn = t.count(s[:-1] + 'a')", "every reference"),
    ("dict_values_in", "s = 'a' * 1000000\nd = dict(zip(range(30000), [s] * 30000))\nr = 'b' in d.values()",
     "every reference"),
    ("sum_decimals", "d = Decimal('1' * 999000)\nx = sum([d] * 1000)", "every reference"),
    ("min_key", "s = 'a' * 1000000\nx = min(range(100000), key=lambda i: s)", "every reference|budget"),
    ("list_index_repr", "x = [1].index([[0] * 1000] * 1000)", "too large|more than 1,000,000 characters"),
    # numbers
    ("range_membership", "n = 0\nwhile True:\n    n += 1.5 in range(100000)", "budget"),
    ("int_from_text", "t = '9' * 2400\nwhile True:\n    x = int(t)", "budget"),
    ("decimal_neg", "d = Decimal('1' * 999000)\nwhile True:\n    x = -d", "budget"),
    ("decimal_abs", "d = Decimal('1' * 999000)\nwhile True:\n    x = abs(d)", "budget"),
    ("decimal_compare", "d = Decimal('1' * 999000)\ne = Decimal('1' * 999000)\nwhile True:\n    x = d == e",
     "budget"),
    ("decimal_quantize", "d = Decimal('1' * 999000)\nwhile True:\n    x = d.compare(d)", "budget"),
    ("decimal_int_power", "while True:\n    x = Decimal(1) ** (2**8000 + 1)", "budget"),
    ("big_int_power_loop", "while True:\n    x = 3 ** 5000", "budget"),
    # text built from values
    ("repr_decimal_tuple", "d = Decimal('1' * 90000)\nx = str([d.as_tuple()] * 20)", "too large|more than 1,000,000"),
    ("join_huge", "x = '\\n'.join(['a' * 1000000] * 100)", "the joined text"),
    ("printf_zone", "tz = timezone(timedelta(0), 'x' * 999000)\nx = '%s' * 300 % ((tz,) * 300)",
     "the formatted text|more than 1,000,000"),
    # sharing and nesting
    ("doubled_tuple_hash", "t = (0,)\nfor i in range(60):\n    t = (t, t)\ns = {t}", "too large"),
    ("saved_text_bomb", "x = {'a': ['b' * 1000000] * 20}", "repeats the same texts"),
]


@pytest.mark.parametrize(("script", "match"), [p[1:] for p in PAYLOADS], ids=[p[0] for p in PAYLOADS])
def test_payload_is_refused_quickly_and_small(script: str, match: str) -> None:
    refused_within_bounds(script, match)


# ---------------------------------------------------------------------------------------
# And ordinary work still fits in the budget.
# ---------------------------------------------------------------------------------------

ORDINARY = [
    "names = sorted(f'customer {i:05d}' for i in range(10000))",
    "lines = [{'qty': i % 7, 'price': Decimal('19.99')} for i in range(2000)]\n"
    "total = sum(l['qty'] * l['price'] for l in lines)",
    "text = 'word ' * 20000\nwords = text.split()\ncounts = {}\nfor w in words[:5000]:\n"
    "    counts[w] = counts.get(w, 0) + 1\nfound = text.count('word') + text.find('zzz')",
    "rows = [(i % 10, str(i)) for i in range(10000)]\nbest = max(rows)\nby = {}\nfor k, v in rows[:3000]:\n"
    "    by.setdefault(str(k), []).append(v)",
    "big = 2**4000 + 1\nx = [big * 3 // 7 for i in range(100)]\ns = str(big)",
    "d = Decimal('123456789.123456789')\nx = [(d * i).quantize(Decimal('0.01')) for i in range(3000)]",
    "s = 'x' * 100000\nparts = [s[i:i + 100] for i in range(0, len(s), 100)]\nback = ''.join(parts) == s",
]


@pytest.mark.parametrize("script", ORDINARY)
def test_ordinary_work_fits_the_default_limits(script: str) -> None:
    error, _ = timed(execute, script, {}, METERED)
    assert error is None
    _, peak = traced(execute, script, {}, Limits(max_seconds=30))
    assert peak < MEGABYTES


def test_values_found_by_search_are_unchanged() -> None:
    assert evaluate("'a,b,,c'.split(','), 'a b  c'.split(), 'a,b,c'.rsplit(',', 1)", {}) == (
        ["a", "b", "", "c"],
        ["a", "b", "c"],
        ["a,b", "c"],
    )
    assert evaluate("'x\\ny\\r\\nz'.splitlines(), 'abc'.startswith(('x', 'a')), 'b' in 'abc'", {}) == (
        ["x", "y", "z"],
        True,
        True,
    )
    assert evaluate("sorted(['b', 'a', 'c'], key=lambda s: s, reverse=True)", {}) == ["c", "b", "a"]
    assert evaluate("max([3, 1, 3], key=lambda x: -x), min('bca'), max([], default=0)", {}) == (1, "a", 0)
    assert evaluate("sorted([(1, 'b'), (1, 'a')], key=lambda t: t[0])", {}) == [(1, "b"), (1, "a")]  # stable
    assert evaluate("divmod(Decimal(7), 2), abs(Decimal('-1.5')), round(Decimal('2.675'), 2)", {}) == (
        (Decimal(3), Decimal(1)),
        Decimal("1.5"),
        Decimal("2.68"),
    )
