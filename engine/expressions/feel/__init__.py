"""FEEL, the expression language of DMN and Camunda 8, translated to sandbox Python.

Camunda 8 models write expressions as ``=amount > 1000``; DMN tables use FEEL unary tests
(``< 10``, ``"a","b"``, ``[1..5]``) in input entries and FEEL expressions elsewhere.
Rather than a second interpreter, FEEL is translated once, when a model is deployed, into
source for Flowdesk's sandboxed interpreter (`engine.expressions`), so one sandbox with
one set of limits runs everything. The translated code calls trusted helpers registered
as sandbox built-ins under the reserved prefix ``_feel_`` (`runtime`), and runs with
``expressions.evaluate(source, names)`` and nothing else::

    from flowdesk.engine import expressions
    from flowdesk.engine.expressions.feel import is_feel, translate_feel, translate_unary_tests

    is_feel("=approved")                                   # True
    source = translate_feel('= meal = "chicken"')          # deploy time, once
    expressions.evaluate(source, {"meal": "chicken"})      # True
    test = translate_unary_tests("[1..10], > 100", "x")
    expressions.evaluate(test, {"x": 5})                   # True

Modules: `lexer` (tokens; names with spaces), `syntax` (the parser), `translate` (text to
Python, cached) with `codegen` (one module of rules per family of constructs), `runtime`
(the ``_feel_`` helpers) with `environment` (scopes and functions), `operations`
(null-propagating, three-valued operators), `library` (the built-in functions, one module
per family), `values` (how FEEL values are Python values, temporal parsing, `to_data`),
`regex` (a linear-time regular-expression engine for ``matches``/``replace``/``split``) and
`clock` (``now()``/``today()``).

Why not a FEEL package from PyPI: ``bkflow-feel`` (1.2.0) interprets its own tree
(a second interpreter), computes in floats, parses ``1 + 2 + 3``, ``if``, ``for`` and
multi-word function names wrongly or not at all and runs ``matches`` on Python's
backtracking ``re``; ``jdmn-python-runtime`` is only the runtime of Python code that the
Java jDMN tool generates; ``feelfree`` is unrelated. Lark was considered for the parser;
FEEL's names with spaces and keywords (``Applicant Age``, ``date and time``, ``get or
else``), which also depend on the names a DMN model declares, need a lexer that consults
the parser's context, so a hand-written recursive-descent parser was simpler than a
grammar with a custom lexer, and adds no dependency.
"""

from __future__ import annotations

from .clock import reset_clock, set_clock, using_clock
from .translate import translate_feel, translate_unary_tests
from .values import to_data

__all__ = [
    "is_feel",
    "reset_clock",
    "set_clock",
    "to_data",
    "translate_feel",
    "translate_unary_tests",
    "using_clock",
]


def is_feel(text: object) -> bool:
    """Whether `text` is a Camunda 8 (Zeebe) expression: an attribute value whose first
    non-blank character is ``=``. Apply it to Zeebe attributes only: in Flowdesk's
    SpiffWorkflow and Camunda 7 properties a leading ``=`` marks a Python expression."""
    return isinstance(text, str) and text.lstrip().startswith("=")
