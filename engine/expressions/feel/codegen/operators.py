"""Operators: arithmetic, negation, comparison, and/or, between, in, instance of, if."""

from __future__ import annotations

from ..syntax import Node
from . import unary_tests
from .compiler import Compiler


def _arith(comp: Compiler, node: Node) -> str:
    op, left, right = node.args
    # a chain of the same precedence becomes one call (a + b - c + d ...)
    chain = [right]
    ops = [op]
    group = ("+", "-") if op in ("+", "-") else ("*", "/") if op in ("*", "/") else ("**",)
    while left.kind == "arith" and left.args[0] in group:
        ops.append(left.args[0])
        chain.append(left.args[2])
        left = left.args[1]
    if len(chain) == 1:
        return f"_feel_op({op!r}, {comp.c(left)}, {comp.c(right)})"
    parts = [comp.c(left)]
    for operator, operand in zip(reversed(ops), reversed(chain), strict=True):
        parts.append(repr(operator))
        parts.append(comp.c(operand))
    return f"_feel_ops({', '.join(parts)})"


def _negate(comp: Compiler, node: Node) -> str:
    return f"_feel_neg({comp.c(node.args[0])})"


def _compare(comp: Compiler, node: Node) -> str:
    op, left, right = node.args
    return f"_feel_cmp({op!r}, {comp.c(left)}, {comp.c(right)})"


def _flatten(comp: Compiler, node: Node, kind: str) -> list[Node]:
    items: list[Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.kind == kind:
            stack.append(current.args[1])
            stack.append(current.args[0])
        else:
            items.append(current)
    return items


def _and(comp: Compiler, node: Node) -> str:
    return f"_feel_and({', '.join(comp.c(n) for n in _flatten(comp, node, 'and'))})"


def _or(comp: Compiler, node: Node) -> str:
    return f"_feel_or({', '.join(comp.c(n) for n in _flatten(comp, node, 'or'))})"


def _between(comp: Compiler, node: Node) -> str:
    value, low, high = node.args
    return f"_feel_between({comp.c(value)}, {comp.c(low)}, {comp.c(high)})"


def _in(comp: Compiler, node: Node) -> str:
    value, tests = node.args
    comp.temps += 1
    temp = f"_v{comp.temps}"
    saved = comp.input_code
    comp.input_code = temp
    try:
        body = unary_tests.tests(comp, list(tests), temp)
    finally:
        comp.input_code = saved
    return f"(({temp} := {comp.c(value)}), {body})[1]"


def _instance(comp: Compiler, node: Node) -> str:
    return f"_feel_instance({comp.c(node.args[0])}, {node.args[1]!r})"


def _if(comp: Compiler, node: Node) -> str:
    condition, then, otherwise = node.args
    return f"({comp.c(then)} if {comp.c(condition)} is True else {comp.c(otherwise)})"


RULES = {
    "arith": _arith,
    "negate": _negate,
    "compare": _compare,
    "and": _and,
    "or": _or,
    "between": _between,
    "in": _in,
    "instance": _instance,
    "if": _if,
}
