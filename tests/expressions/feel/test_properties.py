"""Properties that must hold for any input: exact decimal arithmetic, interval tests that
agree with Python's comparisons, and a regular-expression engine that agrees with Python's
``re`` on the patterns both understand (while never backtracking)."""

from __future__ import annotations

import re
from decimal import Decimal, localcontext

from flowdesk.engine.expressions.feel.regex import compile_pattern
from hypothesis import given, settings
from hypothesis import strategies as st

from .conftest import feel
from .conftest import test as unary

decimals = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=4, allow_nan=False,
                       allow_infinity=False)


@given(decimals, decimals)
def test_arithmetic_is_exact_decimal_arithmetic(a, b):
    with localcontext() as ctx:
        ctx.prec = 34
        assert feel("a + b", a=a, b=b) == a + b
        assert feel("a - b", a=a, b=b) == a - b
        assert feel("a * b", a=a, b=b) == a * b
        if b:
            assert feel("a / b", a=a, b=b) == a / b
        else:
            assert feel("a / b", a=a, b=b) is None
    assert feel("a < b", a=a, b=b) is (a < b)
    assert feel("a = b", a=a, b=b) is (a == b)


@given(decimals)
def test_numbers_survive_string_and_number(a):
    assert feel("number(string(a))", a=a) == a


@given(st.integers(-50, 50), st.integers(-50, 50), st.integers(-50, 50), st.booleans(), st.booleans())
def test_interval_tests_agree_with_comparisons(x, low, high, low_closed, high_closed):
    text = ("[" if low_closed else "(") + f"{low}..{high}" + ("]" if high_closed else ")")
    expected = (low <= x if low_closed else low < x) and (x <= high if high_closed else x < high)
    assert unary(text, x) is expected
    assert feel(f"x in {text}", x=x) is expected
    assert unary(f"not({text})", x) is (not expected)


atoms = st.sampled_from(["a", "b", "c", ".", "[ab]", "[^a]", "\\d", "x"])


@st.composite
def patterns(draw, depth=0, repeat_groups=True):
    """A small regular-expression grammar both engines read the same way."""
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        if depth < 2 and draw(st.booleans()) and draw(st.booleans()):
            inner = draw(patterns(depth=depth + 1, repeat_groups=repeat_groups))
            if draw(st.booleans()):
                inner = inner + "|" + draw(patterns(depth=depth + 1, repeat_groups=repeat_groups))
            atom = f"({inner})"
            if repeat_groups:
                atom += draw(st.sampled_from(["", "", "*", "+", "?", "{1,2}", "*?"]))
        else:
            atom = draw(atoms) + draw(st.sampled_from(["", "", "*", "+", "?", "{1,2}", "*?"]))
        parts.append(atom)
    anchor_start = "^" if draw(st.booleans()) and depth == 0 else ""
    anchor_end = "$" if draw(st.booleans()) and depth == 0 else ""
    return anchor_start + "".join(parts) + anchor_end


@settings(max_examples=300, deadline=None)
@given(patterns(), st.text(alphabet="abcx1", max_size=12))
def test_regex_matches_agrees_with_python_re(pattern, text):
    assert feel("matches(s, p)", s=text, p=pattern) is (re.search(pattern, text) is not None)


@settings(max_examples=300, deadline=None)
@given(patterns(repeat_groups=False), st.text(alphabet="abcx1", max_size=12))
def test_regex_replace_agrees_with_python_re(pattern, text):
    # (A repeated group whose last iteration matches the empty text captures differently in
    # a backtracking engine, which is why groups are not repeated here.)
    python = re.compile(pattern)
    if python.search("") is None and compile_pattern(pattern)[1] >= 1:
        ours = feel('replace(s, p, "<$1>")', s=text, p=pattern)
        theirs = python.sub(lambda m: f"<{m.group(1) or ''}>", text)
        assert ours == theirs
