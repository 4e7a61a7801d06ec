"""Code generation: a FEEL syntax tree to sandbox Python source, one module per family of
constructs (see `feel.translate` for what each construct becomes)."""

from __future__ import annotations

from ..syntax import Tree
from . import calls, iteration, literals, operators, unary_tests
from .compiler import Compiler, Rule

RULES: dict[str, Rule] = {
    **literals.RULES,
    **operators.RULES,
    **iteration.RULES,
    **calls.RULES,
    **unary_tests.RULES,
}


def compile_expression(tree: Tree, known: frozenset[str], input_code: str | None = None) -> str:
    """The sandbox Python of an expression's tree; `input_code` reads the value of ``?``."""
    return Compiler(tree, known, RULES, input_code).c(tree.root)


def compile_unary_tests(tree: Tree, known: frozenset[str], input_code: str) -> str:
    """The sandbox boolean of a unary-tests tree applied to the value `input_code` reads."""
    return unary_tests.unary_tests(Compiler(tree, known, RULES, input_code), tree.root)
