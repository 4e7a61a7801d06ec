"""Which language a DMN expression is written in, and SpiffWorkflow's reading of Python cells.

The rule, applied to every expression (input expressions, input entries, output entries,
default outputs, literal expressions):

1. An ``expressionLanguage`` attribute on the element or its nearest ancestor (the entry,
   input/output clause, decision table, decision, ``definitions``) decides: a URI or name
   containing ``FEEL`` (any DMN version) means FEEL, one containing ``python`` means
   Python, ``juel`` means Camunda 7's JUEL (translated like ``${...}`` conditions);
   anything else is reported as a problem.
2. Undeclared, the whole document gets one dialect, so a table never mixes readings. In
   this order: Python when the document is Flowdesk's own (namespace
   ``https://flowdesk.dev/decisions``: the shipped ``processes/*.dmn`` and what the YAML
   compiler writes); Python when any expression is Python only (``True``/``False``/
   ``None``, ``==``, single-quoted text, slices ``[-10:]``, ``not x``, method calls, or
   text that is not FEEL but is Python under SpiffWorkflow's rule below); FEEL when any
   expression is FEEL that SpiffWorkflow could not run (``[1..10]``, ``date("...")``
   comparisons, ``?``-free disjunctions of ranges, ...); FEEL for DMN 1.4/1.5 documents
   and Camunda models (a ``camunda`` namespace or an ``executionPlatform``); otherwise,
   when every cell reads the same in both (``"sick"``, ``<= 2``), Python: such a file was
   written for SpiffWorkflow and Flowdesk has run it as Python until now, so it keeps
   SpiffWorkflow's numbers (int and float), empty outputs and first-match UNIQUE.

Python cells are read as SpiffWorkflow 3.2's DMN engine reads them: empty or ``-`` matches
anything; a cell with ``?`` outside quotes is an expression in which ``?`` is the input;
a cell that is a complete expression is compared as ``input == (cell)``; otherwise the
cell is appended to the input (``<= 2`` becomes ``input <= 2``). A matching rule is one
whose cells are all truthy, an empty output cell gives ``""``, and in the Python dialect
hit policy UNIQUE returns the first matching rule without checking that it is the only
one (SpiffWorkflow never checked, and the shipped ``leave_approval.dmn`` relies on it).
In the FEEL dialect UNIQUE is strict: a second match is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from ..expressions import ExpressionError, ExpressionSyntaxError, check
from ..expressions.feel.translate import expression_body, unary_tests_body
from . import model as m

FLOWDESK_NAMESPACE = "https://flowdesk.dev/decisions"
JUEL = "juel"

# SpiffWorkflow's pattern for a '?' outside quotes (DMNEngine.evaluate)
_QUESTION = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_PYTHON_ONLY = re.compile(
    r"\b(True|False|None|lambda|elif|is)\b|==|'|\[[^\]]*:[^\]]*\]|\bnot\s+(?!\()|\.\w+\s*\("
    r"|\b(len|str|int|float|isinstance|dict|list|range|sorted|set|tuple)\s*\("
)


@dataclass(frozen=True)
class Dialect:
    default: str  # m.FEEL or m.PYTHON
    reason: str


def classify(language: str) -> str:
    lowered = language.lower()
    if "feel" in lowered:
        return m.FEEL
    if "python" in lowered:
        return m.PYTHON
    if "juel" in lowered:
        return JUEL
    return "unknown:" + language


def language_of(element: etree._Element, dialect: Dialect) -> str:
    node: etree._Element | None = element
    while node is not None:
        declared = node.get("expressionLanguage")
        if declared:
            return classify(declared)
        node = node.getparent()
    return dialect.default


def looks_python(text: str) -> bool:
    """Whether an expression uses a construct only Python has (see the module docstring)."""
    bare = _STRINGS.sub('""', text)
    if _PYTHON_ONLY.search(bare):
        return True
    stripped = text.strip()
    if not stripped or stripped == "-":
        return False
    feel = True
    try:
        unary_tests_body(stripped, "_", frozenset())
    except ExpressionError:
        try:
            expression_body(stripped, frozenset())
        except ExpressionError:
            feel = False
    if feel:
        return False
    try:
        python_test(stripped, "_")
    except ExpressionError:
        return False
    return True


def _is_python_cell(text: str) -> bool:
    try:
        python_test(text, "_")
    except ExpressionError:
        return False
    return True


def _feel_only(text: str) -> bool:
    """Valid FEEL (unary tests or an expression) that SpiffWorkflow could not evaluate."""
    stripped = text.strip()
    if not stripped or stripped == "-" or _is_python_cell(stripped):
        return False
    try:
        unary_tests_body(stripped, "_", frozenset())
    except ExpressionError:
        try:
            expression_body(stripped, frozenset())
        except ExpressionError:
            return False
    return True


_MODERN_DMN = ("20211108", "20230324")  # DMN 1.4 and 1.5: never written for SpiffWorkflow 3.2
_CAMUNDA = ("http://camunda.org/schema/1.0/dmn", "http://camunda.org/schema/modeler/1.0")


def choose_dialect(root: etree._Element, texts: list[str]) -> Dialect:
    declared = root.get("expressionLanguage")
    if declared:
        language = classify(declared)
        return Dialect(language if language in (m.FEEL, m.PYTHON) else m.FEEL, f"declared {declared!r}")
    if root.get("namespace") == FLOWDESK_NAMESPACE:
        return Dialect(m.PYTHON, "Flowdesk's own decisions are Python")
    for text in texts:
        if looks_python(text):
            return Dialect(m.PYTHON, f"the expression {text.strip()[:40]!r} is Python")
    for text in texts:
        if _feel_only(text):
            return Dialect(m.FEEL, f"the expression {text.strip()[:40]!r} is FEEL")
    namespace = etree.QName(root.tag).namespace or ""
    if any(version in namespace for version in _MODERN_DMN):
        return Dialect(m.FEEL, "DMN 1.4 and later are FEEL")
    if any(uri in root.nsmap.values() for uri in _CAMUNDA) or any("executionPlatform" in a for a in root.attrib):
        return Dialect(m.FEEL, "a Camunda model")
    return Dialect(m.PYTHON, "written for SpiffWorkflow: every cell is Python, as SpiffWorkflow read it")


def python_test(text: str, input_source: str) -> str:
    """A Python input entry as SpiffWorkflow 3.2 evaluates it, as a boolean fragment on
    `input_source`; "True" for any value. Raises `ExpressionError` if it cannot run."""
    cell = (text or "").strip()
    if not cell or cell == "-":
        return "True"
    if "?" in cell and _QUESTION.search(cell):
        code = _QUESTION.sub(f"({input_source})", cell)
        check(code, "eval")
        return f"({code})"
    try:
        check(cell, "eval")
        return f"({input_source}) == ({cell})"
    except ExpressionSyntaxError:
        pass
    try:
        check(f"v {cell}", "eval")
    except ExpressionSyntaxError as exc:
        raise ExpressionSyntaxError(
            f"the cell is neither an expression nor a comparison to complete ({exc.detail})", line=exc.line
        ) from None
    return f"({input_source}) {cell}"
