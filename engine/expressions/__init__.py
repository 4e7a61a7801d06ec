"""A sandbox for the Python-syntax code written by process designers.

Gateway conditions, script tasks, timer and assignee expressions and DMN rule cells are
small pieces of Python written by people who design processes, not by the people who run
the engine. SpiffWorkflow's default script engine hands them to ``eval``/``exec``, which
is not a sandbox. Here they are parsed with `ast`, checked against an allow list
(`validate`), and run by a tree-walking interpreter (`interpreter`) that never compiles
user code: names, attributes, builtins and operators are all the interpreter's own, and
every step is counted against `Limits`, so an endless loop or a number with a billion
digits stops with an error instead of stalling a worker.

Layers, lowest first: `limits` (the cost model) and `sizes`, `meter` (enforcing it during
a run), `callables` (what the sandbox hands to code) and `functions` (scopes, lambdas),
then `attributes`, `operators` and FEEL's and EL's runtime helpers, then `builtins` (the
table of every name), `validate` and `interpreter`, and `sandbox` on top. Each imports only
from the layers below it.

Public interface::

    check(source, mode="eval")        # parse and validate only (deploy time)
    evaluate(expression, names, limits=DEFAULT_LIMITS) -> value
    execute(script, variables, limits=DEFAULT_LIMITS)   # mutates `variables`
    is_el(text) / translate_el(text)  # Camunda JUEL "${...}" subset -> Python expression
    check_data(variables, source=None)  # after a script: only data may stay (see `data`)

Every failure is an `ExpressionError`: `ExpressionSyntaxError`, `SandboxViolation`,
`ResourceLimitExceeded` or `EvaluationError`.
"""

from .data import check_data
from .el import is_el, translate_el
from .errors import (
    EvaluationError,
    ExpressionError,
    ExpressionSyntaxError,
    ResourceLimitExceeded,
    SandboxViolation,
)
from .limits import DEFAULT_LIMITS, Limits
from .sandbox import check, evaluate, execute

__all__ = [
    "DEFAULT_LIMITS",
    "EvaluationError",
    "ExpressionError",
    "ExpressionSyntaxError",
    "Limits",
    "ResourceLimitExceeded",
    "SandboxViolation",
    "check",
    "check_data",
    "evaluate",
    "execute",
    "is_el",
    "translate_el",
]
