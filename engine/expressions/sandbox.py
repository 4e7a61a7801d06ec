"""The three entry points: check, evaluate, execute.

Each run gets its own `Meter` (steps, sizes, depth) and its own interpreter; the parsed
and checked program comes from the per-source cache in `validate`. Errors leave with the
source attached so the incident shows what failed and where.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from .errors import ExpressionError, ResourceLimitExceeded
from .interpreter import Interpreter, Scope
from .limits import DEFAULT_LIMITS, Limits
from .meter import Meter, activate, deactivate
from .release import inspect_value, release_variables
from .validate import Program, check, load

__all__ = ["check", "evaluate", "execute"]


def _fits(program: Program, limits: Limits) -> None:
    """Literals are part of the code, so they are measured once when it is checked and
    compared with the limits of each run here."""
    if program.largest_int_bits > limits.max_int_bits:
        raise ResourceLimitExceeded(
            f"a number in the code has {program.largest_int_bits} bits, more than the limit of "
            f"{limits.max_int_bits}"
        )
    if program.longest_string > limits.max_string_length:
        raise ResourceLimitExceeded(
            f"a text in the code has {program.longest_string:,} characters, more than the limit of "
            f"{limits.max_string_length:,}"
        )


def evaluate(expression: str, names: Mapping[str, Any], limits: Limits = DEFAULT_LIMITS) -> Any:
    """Evaluates one expression (a gateway condition, a timer or assignee expression, a
    DMN cell) against `names`, which is only read: assignment expressions inside it bind
    in a scope of their own. Raises an `ExpressionError` subclass on any failure."""
    program = load(expression, "eval")
    meter = Meter(limits)
    token = activate(meter)
    try:
        _fits(program, limits)
        interpreter = Interpreter(meter, Scope({}, Scope(names, None)))
        assert isinstance(program.tree, ast.Expression)
        result = interpreter.ev(program.tree.body)
        inspect_value(result, limits, "the result")
        return result
    except ExpressionError as exc:
        if exc.source is None:
            exc.source = expression
        raise
    finally:
        deactivate(token)


def execute(script: str, variables: dict[str, Any], limits: Limits = DEFAULT_LIMITS) -> None:
    """Runs a script task's statements. Top-level assignments write into `variables` (the
    task data) in place, and data reachable from it may be changed in place too.

    When the script ends, lambdas (and other functions made inside) that were assigned to
    top-level variables are dropped from `variables`; a function stored inside data is
    refused. If the script fails, the changes it made before failing stay in `variables`:
    pass a copy when the task must be all-or-nothing.
    """
    if not isinstance(variables, dict):
        raise TypeError(f"variables must be a dict, not {type(variables).__name__}")
    program = load(script, "exec")
    meter = Meter(limits)
    token = activate(meter)
    try:
        _fits(program, limits)
        assert isinstance(program.tree, ast.Module)
        Interpreter(meter, Scope(variables, None)).run(program.tree.body)
        release_variables(variables, program.names, limits)
    except ExpressionError as exc:
        if exc.source is None:
            exc.source = script
        raise
    finally:
        deactivate(token)

