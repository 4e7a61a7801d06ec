"""Syntax errors name the construct, line and column; the runtime helpers stay inside the
sandbox's budget and cannot be abused from a designer's Python."""

from __future__ import annotations

import pytest
from flowdesk.engine import expressions
from flowdesk.engine.expressions import (
    EvaluationError,
    ExpressionSyntaxError,
    Limits,
    ResourceLimitExceeded,
    SandboxViolation,
)
from flowdesk.engine.expressions.feel import translate_feel, translate_unary_tests

from .conftest import feel


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1 +", "an unfinished expression at line 1, column 4"),
        ('"open', "a string that is not closed at line 1, column 1"),
        ("'single'", "a string in single quotes"),
        ("if x then 1", "an 'if' expression: expected 'else' but found the end at line 1, column 12"),
        ("if x 1 else 2", "an 'if' expression: expected 'then' but found '1' at line 1, column 6"),
        ("for x [1] return x", "expected 'in'"),
        ("some x in [1] x > 1", "expected 'satisfies'"),
        ("[1, 2", "a list: expected ']'"),
        ("{a 1}", "a context entry: expected ':'"),
        ("f(1, b: 2)", "positional arguments"),
        ("x instance y", "'instance' must be followed by 'of'"),
        ("1 +\n  * 2", "at line 2, column 3"),
        ("string length(\"a\", \"b\")", "string length() does not take 2 argument(s)"),
        ("substring(text: \"abc\")", "substring() has no parameters named 'text'"),
        ('@"not a date"', "is not a date, time, date and time or duration"),
        ("x ~ y", "the character '~'"),
        ("1..2", "unexpected '..' after the end of the expression at line 1, column 2"),
        ("function(a) external {}", "external functions"),
        ("", "the expression is empty"),
        ("1 2", "unexpected '2' after the end"),
    ],
)
def test_syntax_errors_have_positions(text, message):
    with pytest.raises(ExpressionSyntaxError) as info:
        translate_feel(text)
    assert message in str(info.value)
    assert info.value.line is not None


def test_unary_test_errors_have_positions():
    with pytest.raises(ExpressionSyntaxError, match="an interval must end with"):
        translate_unary_tests("[1..5", "v")
    with pytest.raises(ExpressionSyntaxError, match="line 1, column 5"):
        translate_unary_tests("< 1 )", "v")


def test_deep_nesting_is_refused_at_translation():
    assert feel("(" * 30 + "1" + ")" * 30) == 1  # parentheses alone do not nest the program
    with pytest.raises(ExpressionSyntaxError, match="nested too deeply"):
        translate_feel("(" * 1000 + "1" + ")" * 1000)
    with pytest.raises(ExpressionSyntaxError, match=r"too complex|nested too deeply"):
        translate_feel("[" * 120 + "]" * 120)
    with pytest.raises(ExpressionSyntaxError, match="nested too deeply"):
        translate_feel("-" * 5000 + "1")


def test_translation_is_python_for_the_sandbox_only():
    source = translate_feel('string length(Applicant Name) > 3 and count(items[price > 10]) >= 1')
    assert "Applicant Name" not in source.replace("'Applicant Name'", "")
    expressions.check(source)  # passes the same checker as designer code


def test_helpers_are_charged_for_their_work():
    tight = Limits(max_operations=2_000)
    big = list(range(50_000))
    for text in ("sort(xs)", "distinct values(xs)", "string join(for x in xs return string(x))", "sum(xs)",
                 "xs[item > 10]", "for x in xs return x", "reverse(xs)", "index of(xs, 3)"):
        with pytest.raises(ResourceLimitExceeded):
            expressions.evaluate(translate_feel(text), {"xs": big}, tight)


def test_sort_with_a_feel_function_is_bounded():
    with pytest.raises(ResourceLimitExceeded):
        expressions.evaluate(translate_feel("sort(xs, function(a, b) a < b)"), {"xs": list(range(5_000))},
                             Limits(max_operations=20_000))


def test_regular_expressions_cannot_hang():
    # catastrophic for a backtracking engine; linear here, and charged to the budget
    text = "a" * 5_000 + "b"
    assert feel('matches(s, "(a+)+$")', s=text) is False
    assert feel('matches(s, "(a|aa)*c")', s=text) is False
    with pytest.raises(ResourceLimitExceeded):
        expressions.evaluate(translate_feel('matches(s, "(a|aa|aaa)*c")'), {"s": "a" * 100_000},
                             Limits(max_operations=50_000))


def test_regular_expression_features_that_are_refused():
    with pytest.raises(EvaluationError, match="backreferences"):
        feel('matches("aa", "(a)\\1")')
    with pytest.raises(EvaluationError, match="lookaround"):
        feel('matches("aa", "(?=a)")')
    with pytest.raises(EvaluationError, match="too complex"):
        feel('matches("a", "(a{100}){100}")')
    with pytest.raises(EvaluationError, match="empty text"):
        feel('replace("abc", "x*", "-")')


def test_growing_values_hit_the_size_limits():
    with pytest.raises(ResourceLimitExceeded):
        expressions.evaluate(translate_feel("for i in 1..1000000 return i"), {})
    with pytest.raises(ResourceLimitExceeded):
        expressions.evaluate(translate_feel('string join(for i in 1..50000 return "xxxxxxxxxxxxxxxxxxxxxxx")'), {},
                             Limits(max_string_length=100_000))


def test_recursion_through_feel_functions_stops():
    with pytest.raises(ResourceLimitExceeded):
        feel("{f: function(n) f(n + 1), r: f(0)}.r")


def test_helpers_called_from_designer_python_are_harmless():
    # they are reachable by name, but only read the caller's own variables and return values
    assert expressions.evaluate("_feel_call('string length', 'abc')", {}) == 3
    assert expressions.evaluate("_feel_main(lambda E: E('x'))", {"x": 4}) == 4
    with pytest.raises(EvaluationError, match="cannot be stored"):
        expressions.evaluate("_feel_main(lambda E: E)", {})  # an environment cannot leave
    with pytest.raises(SandboxViolation):
        expressions.evaluate("_feel_eval(lambda E: E)", {})
    with pytest.raises(EvaluationError):
        expressions.evaluate("_feel_filter(1, [1], 2)", {})
    with pytest.raises(EvaluationError):
        expressions.evaluate("_feel_call('no such function')", {})
    variables: dict = {}
    with pytest.raises(SandboxViolation):
        expressions.execute("x = [_feel_eval(lambda E: E)]", variables)


def test_a_designers_variable_does_not_change_feel():
    # data may use any key, including the helpers' names; FEEL names are looked up by string
    source = translate_feel("E + 1")
    assert expressions.evaluate(source, {"E": 1}) == 2
