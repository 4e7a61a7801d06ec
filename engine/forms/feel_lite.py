"""A stand-in for FEEL, just big enough for form conditions (``conditional.hide``).

form-js hides a field when a FEEL expression such as ``=amount < 1000`` or ``=b and c``
is true. The real FEEL translator (``engine.expressions.feel``) is being written
elsewhere; until it lands, this module evaluates the small subset such conditions use,
and `engine.forms.conditions.condition_holds` is the only caller, so swapping it for
``expressions.evaluate(translate_feel(text), scope)`` is a one-function change.

Supported: literals (numbers, "strings", true, false, null), names and dotted paths
(``address.city``), ``=  !=  <  <=  >  >=``, ``+ - * /``, unary minus, ``and``/``or``,
``not(...)`` and parentheses. FEEL's three-valued logic is kept: a comparison or
arithmetic involving null (an unknown name, a missing path) or mismatched types is null,
``false and null`` is false, ``true or null`` is true, ``not(null)`` is null. Numbers are
compared as `decimal.Decimal`. Anything else (function calls, ``in``, ``between``, lists,
contexts, ``if``) raises `FeelUnsupported` when compiled, so the converter can warn.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

Compiled = Callable[[Mapping[str, Any]], Any]


class FeelUnsupported(ValueError):
    """The expression is not FEEL, or uses FEEL this stand-in does not evaluate."""


_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d+)?|\.\d+)"
    r'|(?P<string>"(?:[^"\\]|\\.)*")'
    r"|(?P<op><=|>=|!=|[=<>+\-*/().])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*))"
)
_KEYWORDS = {"and", "or", "not", "true", "false", "null"}
_COMPARISONS = {"=", "!=", "<", "<=", ">", ">="}


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise FeelUnsupported(f"cannot read {text[position:position + 20]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise FeelUnsupported(f"expected {value or 'more'}")
        self.index += 1
        return token

    def at(self, value: str) -> bool:
        token = self.peek()
        return token is not None and token[1] == value and token[0] in ("op", "name")

    def parse(self) -> Compiled:
        compiled = self.disjunction()
        if self.peek() is not None:
            raise FeelUnsupported(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return compiled

    def disjunction(self) -> Compiled:
        left = self.conjunction()
        while self.at("or"):
            self.take()
            left = _or(left, self.conjunction())
        return left

    def conjunction(self) -> Compiled:
        left = self.comparison()
        while self.at("and"):
            self.take()
            left = _and(left, self.comparison())
        return left

    def comparison(self) -> Compiled:
        left = self.sum()
        token = self.peek()
        if token is not None and token[0] == "op" and token[1] in _COMPARISONS:
            self.take()
            right = self.sum()
            return _compare(token[1], left, right)
        return left

    def sum(self) -> Compiled:
        left = self.product()
        while self.at("+") or self.at("-"):
            operator = self.take()[1]
            left = _arithmetic(operator, left, self.product())
        return left

    def product(self) -> Compiled:
        left = self.unary()
        while self.at("*") or self.at("/"):
            operator = self.take()[1]
            left = _arithmetic(operator, left, self.unary())
        return left

    def unary(self) -> Compiled:
        if self.at("-"):
            self.take()
            operand = self.unary()
            return _arithmetic("-", lambda scope: Decimal(0), operand)
        return self.path()

    def path(self) -> Compiled:
        compiled = self.primary()
        while self.at("."):
            self.take()
            kind, name = self.take()
            if kind != "name" or name in _KEYWORDS:
                raise FeelUnsupported(f"expected a name after '.', not {name!r}")
            compiled = _member(compiled, name)
        return compiled

    def primary(self) -> Compiled:
        kind, value = self.take()
        if kind == "number":
            number = Decimal(value)
            return lambda scope: number
        if kind == "string":
            text = _unescape(value[1:-1])
            return lambda scope: text
        if kind == "op" and value == "(":
            inner = self.disjunction()
            self.take(")")
            return inner
        if kind == "name":
            if value in ("true", "false"):
                constant = value == "true"
                return lambda scope: constant
            if value == "null":
                return lambda scope: None
            if value == "not":
                self.take("(")
                inner = self.disjunction()
                self.take(")")
                return _not(inner)
            if value in _KEYWORDS:
                raise FeelUnsupported(f"unexpected {value!r}")
            if self.at("("):
                raise FeelUnsupported(f"function {value}() is not supported")
            return lambda scope: _plain(scope.get(value))
        raise FeelUnsupported(f"unexpected {value!r}")


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)), text)


def _plain(value: Any) -> Any:
    """JSON numbers as Decimal (never floats, never booleans)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None
    return value


def _member(owner: Compiled, name: str) -> Compiled:
    def member(scope: Mapping[str, Any]) -> Any:
        value = owner(scope)
        return _plain(value.get(name)) if isinstance(value, Mapping) else None

    return member


def _kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    return None


def _compare(operator: str, left: Compiled, right: Compiled) -> Compiled:
    def compare(scope: Mapping[str, Any]) -> Any:
        a, b = left(scope), right(scope)
        if operator in ("=", "!="):
            if a is None or b is None:
                same = a is None and b is None
            elif _kind(a) is None or _kind(a) != _kind(b):
                return None
            else:
                same = a == b
            return same if operator == "=" else not same
        kind = _kind(a)
        if kind not in ("number", "string") or kind != _kind(b):
            return None
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[operator]

    return compare


def _arithmetic(operator: str, left: Compiled, right: Compiled) -> Compiled:
    def calculate(scope: Mapping[str, Any]) -> Any:
        a, b = left(scope), right(scope)
        if operator == "+" and isinstance(a, str) and isinstance(b, str):
            return a + b
        if _kind(a) != "number" or _kind(b) != "number":
            return None
        try:
            return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else None}[operator]
        except InvalidOperation:
            return None

    return calculate


def _and(left: Compiled, right: Compiled) -> Compiled:
    def conjunction(scope: Mapping[str, Any]) -> Any:
        a, b = left(scope), right(scope)
        if a is False or b is False:
            return False
        return True if a is True and b is True else None

    return conjunction


def _or(left: Compiled, right: Compiled) -> Compiled:
    def disjunction(scope: Mapping[str, Any]) -> Any:
        a, b = left(scope), right(scope)
        if a is True or b is True:
            return True
        return False if a is False and b is False else None

    return disjunction


def _not(inner: Compiled) -> Compiled:
    def negation(scope: Mapping[str, Any]) -> Any:
        value = inner(scope)
        return (not value) if isinstance(value, bool) else None

    return negation


@lru_cache(maxsize=1024)
def compile_expression(text: str) -> Compiled:
    """The FEEL expression `text` (without form-js's leading ``=``) as a function of a
    scope; raises `FeelUnsupported` for anything outside the subset (see module doc)."""
    if not text.strip():
        raise FeelUnsupported("the expression is empty")
    return _Parser(text).parse()


def evaluate(text: str, scope: Mapping[str, Any]) -> Any:
    """The value of FEEL `text` over `scope` (null as None); raises `FeelUnsupported`."""
    return compile_expression(text)(scope)


def supported(text: str) -> bool:
    """True when `text` is FEEL this stand-in evaluates."""
    try:
        compile_expression(text)
    except FeelUnsupported:
        return False
    return True
