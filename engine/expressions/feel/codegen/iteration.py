"""Iteration: filters, 'for', 'some' and 'every', and the spans of their domains."""

from __future__ import annotations

from ..syntax import Node
from .compiler import Compiler


def _filter(comp: Compiler, node: Node) -> str:
    target, condition = node.args
    if condition.kind == "number" and "." not in condition.args[0]:
        return f"_feel_index({comp.c(target)}, {comp.c(condition)})"
    return f"_feel_filter(E, {comp.c(target)}, lambda E: {comp.scoped(['item'], condition)})"


def _iteration(comp: Compiler, node: Node) -> tuple[str, str, list[str]]:
    iterations, _ = node.args
    names: list[str] = []
    domains: list[str] = []
    for name, domain in iterations:
        code = _domain(comp, domain, names)
        domains.append(f"lambda E: {code}")
        names.append(name)
    names_code = "(" + "".join(f"{n!r}, " for n in names) + ")"
    domains_code = "(" + "".join(f"{d}, " for d in domains) + ")"
    return names_code, domains_code, names


def _domain(comp: Compiler, domain: Node, bound: list[str]) -> str:
    if domain.kind == "span":
        low, high = domain.args
        comp.locals.append(set(bound))
        try:
            return f"_feel_span({comp.c(low)}, {comp.c(high)})"
        finally:
            comp.locals.pop()
    return comp.scoped(bound, domain)


def _for(comp: Compiler, node: Node) -> str:
    names_code, domains_code, names = _iteration(comp, node)
    body = comp.scoped([*names, "partial"], node.args[1])
    return f"_feel_for(E, {names_code}, {domains_code}, lambda E: {body})"


def _some(comp: Compiler, node: Node) -> str:
    names_code, domains_code, names = _iteration(comp, node)
    return f"_feel_some(E, {names_code}, {domains_code}, lambda E: {comp.scoped(names, node.args[1])})"


def _every(comp: Compiler, node: Node) -> str:
    names_code, domains_code, names = _iteration(comp, node)
    return f"_feel_every(E, {names_code}, {domains_code}, lambda E: {comp.scoped(names, node.args[1])})"


def _span(comp: Compiler, node: Node) -> str:
    raise comp.error(node, "'..' is only allowed in a 'for', 'some' or 'every' iteration or an interval")


RULES = {
    "filter": _filter,
    "for": _for,
    "some": _some,
    "every": _every,
    "span": _span,
}
