"""Flowdesk's DMN evaluator: decision tables, literal expressions, contexts, invocations and
business knowledge models from DMN 1.1-1.5 files, with FEEL or Python cells, run in the
expression sandbox. It does not use SpiffWorkflow.

Usage::

    from flowdesk.engine.decisions import parse_decisions

    model = parse_decisions("leave_approval.dmn", content)      # DefinitionInvalid lists problems
    model.decision_ids                                           # ("leave_approval",)
    result = model.evaluate("leave_approval", {"leave_type": "sick", "days": 3})
    result.value        # "manager": the DMN result (see DecisionResult)
    result.rules        # (RuleMatch(number=1, id="sick_leave"),)
    result.inputs       # {"Leave type": "sick", "Days": 3}, for the audit trail
    result.variables()  # {"approval_level": "manager"}: what a business rule task stores

Modules: `reader` (XML to the model; every expression translated once, every problem
with file and line), `dialect` (FEEL or Python, and SpiffWorkflow's reading of Python
cells; the rule is in its docstring), `model` (the parsed model and `DecisionResult`,
whose docstring gives the shape of results), `evaluator` (requirements, hit policies,
one operation budget per evaluation).

Hit policies: UNIQUE (a second match is an error; in the Python dialect the first match
wins, as in SpiffWorkflow), FIRST, PRIORITY and OUTPUT ORDER (ranked by the output
values' order, column by column, ties in rule order), ANY (matches must agree), RULE
ORDER, COLLECT with no aggregation or SUM, MIN, MAX, COUNT (nulls are skipped; COUNT of
nothing is 0, the others null). When no rule matches, the default output entries are
the result (one row), else null for single-hit and an empty list for multiple-hit tables.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable

from ..errors import DefinitionInvalid, Problem
from ..expressions import DEFAULT_LIMITS, Limits
from .errors import DecisionError
from .evaluator import DecisionModel
from .model import DecisionResult, RuleMatch
from .reader import read_document

__all__ = [
    "DecisionError",
    "DecisionModel",
    "DecisionResult",
    "RuleMatch",
    "parse_decisions",
    "parsed_decisions",
    "read_decisions",
]

_PARSED: dict[str, DecisionModel] = {}  # by the content's SHA-256: a stored file never changes
_PARSED_LOCK = threading.Lock()
_PARSED_MAX = 512


def parsed_decisions(name: str, sha256: str | None, content: Callable[[], bytes] | bytes) -> DecisionModel:
    """The model of a DMN document, parsed once per content for the whole process (business
    rule tasks and task rules' ``decide`` share it). ``content`` may be a function, so a
    caller that knows the hash reads the file only when the model is not parsed yet."""
    if sha256 is None:
        raw = content() if callable(content) else content
        sha256 = hashlib.sha256(raw).hexdigest()
        content = raw
    model = _PARSED.get(sha256)
    if model is None:
        model = parse_decisions(name, content() if callable(content) else content)
        with _PARSED_LOCK:
            if len(_PARSED) >= _PARSED_MAX:
                _PARSED.clear()
            _PARSED[sha256] = model
    return model


def read_decisions(name: str, content: bytes, limits: Limits = DEFAULT_LIMITS
                   ) -> tuple[DecisionModel | None, list[Problem]]:
    """The model of a DMN document and every problem found in it (file and line); the
    model is None when there are problems."""
    reader, decisions, knowledge, inputs = read_document(name, content)
    problems = sorted(reader.problems, key=lambda p: (p.line or 0, p.message)) if reader else []
    if problems:
        return None, problems
    dialect = reader.dialect.default if reader and reader.dialect else "feel"
    return DecisionModel(name, decisions, knowledge, inputs, limits, dialect), []


def parse_decisions(name: str, content: bytes, limits: Limits = DEFAULT_LIMITS) -> DecisionModel:
    """The model of a DMN document; raises `DefinitionInvalid` listing every problem."""
    model, problems = read_decisions(name, content, limits)
    if model is None:
        raise DefinitionInvalid(problems, f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {name}")
    return model
