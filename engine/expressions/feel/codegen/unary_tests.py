"""Unary tests: a value checked against a list of tests (decision-table input entries, ``in``)."""

from __future__ import annotations

from ..syntax import Node
from .compiler import Compiler, uses_input


def _compare_test(comp: Compiler, node: Node) -> str:
    op, value = node.args
    if op in ("=", "!="):
        raise comp.error(node, f"'{op}' without a left operand is only allowed in unary tests")
    return f"_feel_onesided({op!r}, {comp.c(value)})"


def test(comp: Compiler, node: Node, value: str) -> str:
    kind = node.kind
    if kind == "compare_test":
        op, endpoint = node.args
        return f"_feel_cmp({op!r}, {value}, {comp.c(endpoint)})"
    if kind == "range":
        low, high, low_closed, high_closed = node.args
        return f"_feel_inrange({value}, {comp.c(low)}, {comp.c(high)}, {low_closed}, {high_closed})"
    if kind == "null_test":
        return f"_feel_cmp('=', {value}, None)"
    expression = node.args[0]
    if uses_input(expression):
        return comp.c(expression)
    return f"_feel_match({value}, {comp.c(expression)})"


def tests(comp: Compiler, tests: list[Node], value: str) -> str:
    if len(tests) == 1:
        return test(comp, tests[0], value)
    return f"_feel_any({', '.join(test(comp, t, value) for t in tests)})"


def unary_tests(comp: Compiler, root: Node) -> str:
    if root.kind == "any":
        return "True"
    assert comp.input_code is not None
    body = tests(comp, list(root.args[0]), comp.input_code)
    if root.kind == "not_tests":
        return f"_feel_not({body})"
    return body


RULES = {
    "compare_test": _compare_test,
}
