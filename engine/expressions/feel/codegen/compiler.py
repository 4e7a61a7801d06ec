"""The state of translating one FEEL tree, and what the rules ask of a tree.

A `Compiler` walks one tree: `c` translates a node by the rule for its kind (the rules of
the sibling modules, handed over as a table), keeping the names bound by ``for``,
quantifiers, filters, functions and contexts (`scoped`) and the code that reads the input
value ``?`` of unary tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from ...errors import ExpressionSyntaxError
from ..lexer import syntax_error
from ..syntax import Node, Tree

Rule = Callable[["Compiler", Node], str]


class Compiler:
    def __init__(self, tree: Tree, known: frozenset[str], rules: Mapping[str, Rule],
                 input_code: str | None = None) -> None:
        self.text = tree.text
        self.known = known
        self.rules = rules
        self.input_code = input_code
        self.locals: list[set[str]] = [set()]
        self.temps = 0

    def error(self, node: Node, message: str) -> ExpressionSyntaxError:
        return syntax_error(self.text, node.at, message)

    def is_local(self, name: str) -> bool:
        return any(name in scope for scope in self.locals)

    def scoped(self, names: Iterable[str], node: Node) -> str:
        self.locals.append(set(names))
        try:
            return self.c(node)
        finally:
            self.locals.pop()

    def c(self, node: Node) -> str:
        rule = self.rules.get(node.kind)
        if rule is None:
            raise self.error(node, f"'{node.kind}' is not allowed here")
        return rule(self, node)


def _walk(node: object) -> Iterable[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Node):
            yield current
            stack.extend(current.args)
        elif isinstance(current, tuple | list):
            stack.extend(current)


def uses_input(node: Node) -> bool:
    """Whether `?` appears outside a nested ``in`` (which binds its own ``?``)."""
    stack: list[object] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Node):
            if current.kind == "input":
                return True
            if current.kind == "in":
                stack.append(current.args[0])
                continue
            stack.extend(current.args)
        elif isinstance(current, tuple | list):
            stack.extend(current)
    return False


def mentions(node: Node, names: set[str]) -> bool:
    return bool(names) and any(n.kind == "name" and n.args[0] in names for n in _walk(node))
