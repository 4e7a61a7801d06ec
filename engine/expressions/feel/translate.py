"""FEEL syntax trees to sandbox Python source.

The output calls the ``_feel_*`` helpers of `runtime` and nothing else; FEEL names are
looked up through the environment ``E`` (``E("Applicant Age")``), so no FEEL name ever
becomes a Python identifier and a designer's variables cannot shadow the helpers. Each
construct becomes:

=============================  ==============================================================
FEEL                           sandbox Python
=============================  ==============================================================
``a + b - c``                  ``_feel_op('-', _feel_op('+', A, B), C)`` (a long chain is one
                               ``_feel_ops`` call, so it does not nest the Python tree deeply)
``a < b``, ``a = b``           ``_feel_cmp('<', A, B)``
``a and b and c``              ``_feel_and(A, B, C)`` (three-valued; both sides evaluated)
``if c then a else b``         ``(A if C is True else B)`` (lazy, so recursion terminates)
``x in (< 5, [7..9])``         ``_feel_any(_feel_cmp('<', X, 5), _feel_inrange(X, 7, 9, ...))``
``for x in L return e``        ``_feel_for(E, ('x',), (lambda E: L,), lambda E: e)``
``L[item > 1]``, ``L[2]``      ``_feel_filter(E, L, lambda E: ...)``, ``_feel_index(L, 2)``
``a.b``                        ``_feel_path(A, 'b')``
``f(x)``                       ``_feel_call('f', X)`` for a built-in, ``_feel_invoke(E, 'f',
                               (X,))`` for a function from the model or the engine
``function(a) a + 1``          ``_feel_fn(E, ('a',), lambda E: ...)``
=============================  ==============================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from ..errors import ExpressionSyntaxError
from .codegen import compile_expression, compile_unary_tests
from .syntax import NameTable, Tree, parse_expression, parse_unary_tests

MAX_TEXT = 100_000


def _strip(text: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"a FEEL expression must be a str, not {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise ExpressionSyntaxError(f"FEEL: the expression is longer than {MAX_TEXT:,} characters", source=text)
    stripped = text.lstrip()
    return stripped[1:] if stripped.startswith("=") else text


@lru_cache(maxsize=128)
def _table(names: frozenset[str]) -> NameTable:
    return NameTable.of(names)


def _parse(parse, text: str, names: frozenset[str]) -> Tree:  # type: ignore[no-untyped-def]
    try:
        return parse(text, _table(names))
    except RecursionError:
        raise ExpressionSyntaxError("FEEL: the expression is nested too deeply", source=text, line=1) from None


def _checked(python: str, text: str) -> str:
    from ..errors import ExpressionError
    from ..validate import check

    try:
        check(python, "eval")
    except ExpressionError as exc:
        raise ExpressionSyntaxError(
            f"FEEL: the expression is too complex to run ({exc.detail})", source=text, line=1
        ) from None
    return python


@lru_cache(maxsize=2048)
def _translate(text: str, names: frozenset[str], as_data: bool) -> str:
    tree = _parse(parse_expression, text, names)
    try:
        body = compile_expression(tree, names)
    except RecursionError:
        raise ExpressionSyntaxError("FEEL: the expression is nested too deeply", source=text, line=1) from None
    entry = "_feel_main" if as_data else "_feel_eval"
    return _checked(f"{entry}(lambda E: {body})", text)


@lru_cache(maxsize=4096)
def expression_body(text: str, names: frozenset[str], input_source: str | None = None) -> str:
    """The translated expression without its ``_feel_main`` wrapper: code that reads FEEL
    names through ``E`` (for callers that put several expressions into one program)."""
    tree = _parse(parse_expression, _strip(text), names)
    try:
        return compile_expression(tree, names, input_source)
    except RecursionError:
        raise ExpressionSyntaxError("FEEL: the expression is nested too deeply", source=text, line=1) from None


@lru_cache(maxsize=4096)
def unary_tests_body(text: str, input_source: str, names: frozenset[str]) -> str:
    """The translated unary tests without their wrapper (see `expression_body`)."""
    tree = _parse(parse_unary_tests, text, names)
    try:
        return compile_unary_tests(tree, names, f"({input_source})")
    except RecursionError:
        raise ExpressionSyntaxError("FEEL: the expression is nested too deeply", source=text, line=1) from None


def translate_feel(text: str, *, known_names: Iterable[str] = (), as_data: bool = True) -> str:
    """The sandbox Python expression for a FEEL expression (a leading ``=`` is ignored).

    `known_names` are names the model declares (DMN input data, decisions, parameters),
    which may contain spaces and symbols such as ``-``. With `as_data` (the default) the
    result is converted to what instance data can hold (`values.to_data`); DMN keeps
    FEEL values between decisions and passes False. Raises `ExpressionSyntaxError`
    naming the construct, line and column."""
    return _translate(_strip(text), frozenset(known_names), as_data)


@lru_cache(maxsize=4096)
def _translate_tests(text: str, input_source: str, names: frozenset[str]) -> str:
    body = unary_tests_body(text, input_source, names)
    if body == "True":
        return "True"
    return _checked(f"_feel_eval(lambda E: {body})", text)


def translate_unary_tests(text: str, input_source: str, *, known_names: Iterable[str] = ()) -> str:
    """A sandbox boolean expression (true, false or None for null) that applies the FEEL
    unary tests `text` (a decision-table input entry such as ``< 10``, ``"a","b"``,
    ``[1..5]``, ``not(3)``, ``-`` or an expression using ``?``) to the value of the
    sandbox expression `input_source` (e.g. a variable name; it may be evaluated more
    than once). Raises `ExpressionSyntaxError` with line and column."""
    if not isinstance(input_source, str) or not input_source.strip():
        raise ValueError("input_source must be a sandbox expression")
    if not isinstance(text, str):
        raise TypeError(f"unary tests must be a str, not {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise ExpressionSyntaxError(f"FEEL: the unary tests are longer than {MAX_TEXT:,} characters", source=text)
    return _translate_tests(text, input_source, frozenset(known_names))
