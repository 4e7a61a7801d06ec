"""FEEL unary tests (decision-table input entries), every form, on an input value."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from flowdesk.engine import expressions
from flowdesk.engine.expressions.feel import translate_unary_tests

from .conftest import test as unary


@pytest.mark.parametrize(
    ("cells", "value", "expected"),
    [
        # any
        ("-", 5, True),
        ("", None, True),
        ("  -  ", "x", True),
        # literals (equality)
        ('"valid"', "valid", True),
        ('"valid"', "invalid", False),
        ("5", 5, True),
        ("5", Decimal("5.0"), True),
        ("5", "5", None),
        ("true", True, True),
        ("true", False, False),
        ("false", False, True),
        ("null", None, True),
        ("null", 5, False),
        ('date("2020-01-01")', date(2020, 1, 1), True),
        # comparisons
        ("< 10", 5, True),
        ("< 10", 10, False),
        ("<= 10", 10, True),
        ("> 10", 11, True),
        (">= 10", 10, True),
        ("< 10", None, None),
        ("< 10", "a", None),
        ("!= 3", 4, True),
        ("= 3", 3, True),
        ('< date("2020-01-01")', date(2019, 12, 31), True),
        ("> x", 6, True),
        # intervals
        ("[1..10]", 1, True),
        ("[1..10]", 10, True),
        ("(1..10)", 1, False),
        ("(1..10)", 10, False),
        ("]1..10[", 5, True),
        ("]1..10[", 10, False),
        ("(2..5]", 5, True),
        ("[250..1000]", 1000, True),
        ("[x..x + 2]", 6, True),
        # disjunctions
        ('"a","b"', "b", True),
        ('"a", "b"', "c", False),
        ("< 10, > 50", 60, True),
        ("< 10, > 50", 30, False),
        ("2, 3, 4", 3, True),
        ("[1..2], [5..6]", 5, True),
        ('"Travel Expenses","Misc","Software License Costs"', "Misc", True),
        # negation
        ('not("valid")', "invalid", True),
        ('not("valid")', "valid", False),
        ("not(2, 3)", 4, True),
        ("not(2, 3)", 3, False),
        ("not([1..5])", 7, True),
        ("not(< 10)", None, None),
        # expressions with ?
        ('ends with(?, "@camunda.com")', "ann@camunda.com", True),
        ('ends with(?, "@camunda.com")', "ann@example.com", False),
        ('list contains(?, "invalid")', ["a", "invalid"], True),
        ("? > 5", 6, True),
        ("? = true", False, False),
        ("count(?) > 1", [1, 2], True),
        ("? in [1, 2]", 2, True),
        ("string length(?) between 2 and 4", "abc", True),
        # expressions without ? compare (or test membership)
        ("[1, 2, 3]", 2, True),
        ("[1, 2, 3]", 4, False),
        ("x", 5, True),
        ("x + 1", 6, True),
        ("y", "a", True),  # y is a list: membership
    ],
)
def test_unary_tests(cells, value, expected):
    assert unary(cells, value, x=5, y=["a", "b"]) is expected


def test_a_boolean_expression_without_input_is_the_result_for_a_non_boolean_input():
    assert unary("x > 3", 100, x=5) is True
    assert unary("x > 3", 100, x=1) is False


def test_the_input_source_is_any_sandbox_expression():
    source = translate_unary_tests("[1..5]", "order['qty']")
    assert expressions.evaluate(source, {"order": {"qty": 3}}) is True
    assert translate_unary_tests("-", "v") == "True"


def test_in_binds_its_own_input_inside_unary_tests():
    assert unary("? in (< 3)", 2) is True
    assert unary("? in (? > 1, ? < 0)", 2) is True
