"""Camunda JUEL expressions, translated into sandbox Python.

Processes modelled for Camunda carry conditions like ``${amount > 1000}``. `translate_el`
turns the supported subset into a Python expression once; `evaluate` then runs it in the
same sandbox as every other expression. What has no translation is refused with an
`ExpressionSyntaxError` that names the construct.
"""

from __future__ import annotations

import pytest
from flowdesk.engine.expressions import (
    ExpressionSyntaxError,
    evaluate,
    is_el,
    translate_el,
)


def el(text: str, **names: object) -> object:
    return evaluate(translate_el(text), names)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${amount > 1000}", True),
        ("#{amount > 1000}", True),
        ("  ${ amount > 1000 }\n", True),
        ("amount > 1000", False),
        ("${a} and ${b}", False),
        ("Hello ${name}", False),
        ("", False),
    ],
)
def test_is_el_recognises_a_whole_el_expression(text: str, expected: bool) -> None:
    assert is_el(text) is expected


@pytest.mark.parametrize(
    ("text", "python"),
    [
        ("${amount > 1000}", "(amount > 1000)"),
        ("${approved == true && !rejected}", "((approved == True) and (not rejected))"),
        ("${a eq 'x' or b ne 2}", "((a == 'x') or (b != 2))"),
        ("${order.total >= 500}", "(order.total >= 500)"),
        ("${empty comment}", "empty(comment)"),
        ("${x ? 1 : 2}", "(1 if x else 2)"),
        ("${a lt 1 and b gt 2 and c le 3 and d ge 4}", "((((a < 1) and (b > 2)) and (c <= 3)) and (d >= 4))"),
        ("${a + b * c}", "(a + (b * c))"),
        ("${(a + b) * c}", "((a + b) * c)"),
        ("${a div 2 + a mod 3 - -a}", "(((a / 2) + (a % 3)) - (-a))"),
        ("${not empty list}", "(not empty(list))"),
        ('${name == "O\'Brien"}', "(name == \"O'Brien\")"),
        ("${note == 'say \\'hi\\''}", "(note == \"say 'hi'\")"),
        ("${value == null}", "(value == None)"),
        ("${order.class == 'A'}", "(order['class'] == 'A')"),
        ("${items[0].price > 1.5e2}", "(items[0].price > 150.0)"),
        ("${a ? b ? 1 : 2 : 3}", "((1 if b else 2) if a else 3)"),
    ],
)
def test_translation(text: str, python: str) -> None:
    assert translate_el(text) == python


def test_translated_expressions_evaluate_like_juel() -> None:
    assert el("${amount > 1000}", amount=1500) is True
    assert el("${approved == true && !rejected}", approved=True, rejected=False) is True
    assert el("${a eq 'x' or b ne 2}", a="y", b=2) is False
    assert el("${a eq 'x' or b ne 2}", a="x", b=2) is True
    assert el("${order.total >= 500}", order={"total": 600}) is True
    assert el("${order.customer.country == 'DE'}", order={"customer": {"country": "DE"}}) is True
    for comment, expected in ((None, True), ("", True), ([], True), ("late", False)):
        assert el("${empty comment}", comment=comment) is expected
    assert el("${x ? 1 : 2}", x=True) == 1
    assert el("${x ? 1 : 2}", x=False) == 2
    assert el("${total div 4}", total=10) == 2.5
    assert el("${1 < 2 == true}") is True  # JUEL precedence, not a Python comparison chain


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${bean.method()}", "method calls like 'bean.method\\(...\\)'"),
        ("${execution.getVariable('x')}", "method calls like 'execution.getVariable\\(...\\)'"),
        ("#{bean.method()}", "method calls"),
        ("${size(list)}", "function calls like 'size\\(...\\)'"),
        ("${fn:upper(name)}", "EL functions"),
        ("${x = 1}", "assignment"),
        ("${a; b}", "several expressions"),
        ("${x -> x}", "lambda expressions"),
        ("${a instanceof b}", "'instanceof'"),
        ("${'open}", "a string that is not closed"),
        ("${}", "an empty expression"),
        ("${a > }", "an unfinished expression"),
        ("${a} and ${b}", "composite expressions"),
        ("Hello ${name}", "composite expressions"),
    ],
)
def test_unsupported_el_is_refused_with_the_construct_named(text: str, message: str) -> None:
    with pytest.raises(ExpressionSyntaxError, match=f"unsupported EL: .*{message}"):
        translate_el(text)


@pytest.mark.parametrize("text", ["amount > 1000", "date('2024-01-01')", "if x then 1 else 2"])
def test_text_that_is_not_el_is_refused(text: str) -> None:
    with pytest.raises(ExpressionSyntaxError, match="not an EL expression"):
        translate_el(text)


def test_a_python_keyword_cannot_be_a_variable_name() -> None:
    with pytest.raises(ExpressionSyntaxError, match="which is a Python keyword"):
        translate_el("${class == 'A'}")
