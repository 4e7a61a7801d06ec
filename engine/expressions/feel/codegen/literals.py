"""Literals: numbers, strings, booleans, null, temporal values, lists, contexts, ranges."""

from __future__ import annotations

from ..syntax import Node
from ..values import parse_temporal
from .compiler import Compiler, mentions


def _number(comp: Compiler, node: Node) -> str:
    text = node.args[0]
    digits = text.lstrip("-")
    if "." not in text and len(digits.lstrip("0")) <= 34:
        return f"({int(text)})" if text.startswith("-") else str(int(text))
    return f"_feel_num({text!r})"


def _string(comp: Compiler, node: Node) -> str:
    return repr(node.args[0])


def _boolean(comp: Compiler, node: Node) -> str:
    return "True" if node.args[0] else "False"


def _null(comp: Compiler, node: Node) -> str:
    return "None"


def _temporal(comp: Compiler, node: Node) -> str:
    text = node.args[0]
    if parse_temporal(text) is None:
        raise comp.error(node, f"@{text!r} is not a date, time, date and time or duration")
    return f"_feel_at({text!r})"


def _list(comp: Compiler, node: Node) -> str:
    return "[" + ", ".join(comp.c(item) for item in node.args[0]) + "]"


def _context(comp: Compiler, node: Node) -> str:
    entries = node.args[0]
    keys = [key for key, _ in entries]
    dependent = any(
        mentions(value, set(keys[:index])) for index, (_, value) in enumerate(entries)
    )
    if not dependent:
        return "{" + ", ".join(f"{key!r}: {comp.c(value)}" for key, value in entries) + "}"
    keys_code = "(" + "".join(f"{k!r}, " for k in keys) + ")"
    values = []
    for index, (_, value) in enumerate(entries):
        values.append(f"lambda E: {comp.scoped(keys[:index], value)}")
    return f"_feel_ctx(E, {keys_code}, (" + "".join(f"{v}, " for v in values) + "))"


def _range(comp: Compiler, node: Node) -> str:
    low, high, low_closed, high_closed = node.args
    return f"_feel_range({comp.c(low)}, {comp.c(high)}, {low_closed}, {high_closed})"


RULES = {
    "number": _number,
    "string": _string,
    "boolean": _boolean,
    "null": _null,
    "temporal": _temporal,
    "list": _list,
    "context": _context,
    "range": _range,
}
