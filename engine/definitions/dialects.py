"""Translating BPMN dialects into the one SpiffWorkflow runs.

Models come from SpiffWorkflow's modeler and from Camunda Modeler. Rather than running
two parsers, Flowdesk rewrites the Camunda constructs it supports into their Spiff
equivalents on the XML tree before parsing, and checks every expression and script
against the sandbox at deploy time, so a model that deploys does not fail later on a
condition that never parsed:

- ``${...}`` conditions (variables, literals, comparisons, boolean logic) become the
  equivalent sandboxed Python expression;
- ``camunda:decisionRef`` on a business-rule task becomes ``spiffworkflow:calledDecisionId``;
- timer values written as bare ISO 8601 literals (``PT5M``) become quoted strings, which
  is what SpiffWorkflow evaluates (its users trip over this constantly).

Unsupported constructs (non-Python script languages, JUEL method calls, Java delegates)
are reported as problems with their line.
"""

from __future__ import annotations

import re

from lxml import etree

from .. import expressions
from ..errors import Problem
from .namespaces import BPMN, NSMAP, SPIFF, bpmn, camunda

_ISO_TIMER = re.compile(r"^(R\d*/)?([+-]?P[0-9YMWDTHS.,]+|\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?)(/.*)?$")
_PYTHON_SCRIPT_FORMATS = {"", "python", "py", "text/x-python"}


def translate_bpmn(name: str, root: etree._Element) -> list[Problem]:
    """Rewrite ``root`` in place into the Spiff dialect; return what cannot be run."""
    problems: list[Problem] = []
    for node in root.iter(bpmn("conditionExpression"), bpmn("completionCondition")):
        _translate_expression(name, node, problems)
    for node in root.iter(bpmn("timeDuration"), bpmn("timeDate"), bpmn("timeCycle")):
        _translate_timer(name, node, problems)
    for node in root.iter(bpmn("businessRuleTask")):
        _translate_decision_ref(name, node, problems)
    for node in root.iter(bpmn("scriptTask")):
        _check_script(name, node, problems)
    for node in root.iter(bpmn("serviceTask"), bpmn("sendTask")):
        if node.get(camunda("type")) == "external":
            _translate_external_task(name, node, problems)
            continue
        for attr in ("class", "delegateExpression", "expression", "type"):
            if node.get(camunda(attr)) is not None:
                problems.append(
                    Problem(
                        name,
                        node.sourceline,
                        f"service task '{node.get('id')}' uses camunda:{attr}; Java delegates and "
                        "Camunda connectors are not supported (use a Flowdesk connector)",
                    )
                )
    return problems


def _translate_expression(name: str, node: etree._Element, problems: list[Problem]) -> None:
    text = (node.text or "").strip()
    if not text:
        return
    if expressions.is_el(text):
        try:
            text = expressions.translate_el(text)
        except expressions.ExpressionError as err:
            problems.append(Problem(name, node.sourceline, f"condition {text!r}: {err.detail}"))
            return
        node.text = text
    try:
        expressions.check(text, "eval")
    except expressions.ExpressionError as err:
        problems.append(Problem(name, node.sourceline, f"condition {text!r}: {err.detail}"))


def _translate_timer(name: str, node: etree._Element, problems: list[Problem]) -> None:
    text = (node.text or "").strip()
    if not text:
        problems.append(Problem(name, node.sourceline, "timer has no value"))
        return
    if _ISO_TIMER.match(text):
        node.text = repr(text)
        return
    if expressions.is_el(text):
        try:
            text = expressions.translate_el(text)
        except expressions.ExpressionError as err:
            problems.append(Problem(name, node.sourceline, f"timer {text!r}: {err.detail}"))
            return
        node.text = text
    try:
        expressions.check(text, "eval")
    except expressions.ExpressionError as err:
        problems.append(Problem(name, node.sourceline, f"timer {text!r}: {err.detail}"))


def _translate_decision_ref(name: str, node: etree._Element, problems: list[Problem]) -> None:
    ref = node.get(camunda("decisionRef"))
    if ref is None:
        return
    extensions = node.find(bpmn("extensionElements"))
    if extensions is None:
        extensions = etree.Element(bpmn("extensionElements"))
        node.insert(0, extensions)
    if extensions.find(f"{{{SPIFF}}}calledDecisionId") is None:
        called = etree.SubElement(extensions, f"{{{SPIFF}}}calledDecisionId", nsmap={"spiffworkflow": SPIFF})
        called.text = ref


def _translate_external_task(name: str, node: etree._Element, problems: list[Problem]) -> None:
    """``camunda:type="external" camunda:topic="T"`` becomes a Flowdesk external task: a
    service task whose operation is ``external:T``, fetched and completed by outside
    workers through the external-task API, as in Camunda."""
    topic = node.get(camunda("topic"))
    if not topic:
        problems.append(Problem(name, node.sourceline, f"external task '{node.get('id')}' has no camunda:topic"))
        return
    extensions = node.find(bpmn("extensionElements"))
    if extensions is None:
        extensions = etree.Element(bpmn("extensionElements"))
        node.insert(0, extensions)
    if extensions.find(f"{{{SPIFF}}}serviceTaskOperator") is None:
        operator = etree.SubElement(extensions, f"{{{SPIFF}}}serviceTaskOperator", nsmap={"spiffworkflow": SPIFF})
        operator.set("id", f"external:{topic}")
        operator.set("resultVariable", f"{node.get('id')}_result")
        etree.SubElement(operator, f"{{{SPIFF}}}parameters")


def _check_script(name: str, node: etree._Element, problems: list[Problem]) -> None:
    language = (node.get("scriptFormat") or "").strip().lower()
    script = node.find(bpmn("script"))
    element_id = node.get("id")
    if language not in _PYTHON_SCRIPT_FORMATS:
        problems.append(
            Problem(name, node.sourceline, f"script task '{element_id}' is written in {language!r}; "
                    "scripts must be Python (run in the Flowdesk sandbox)")
        )
        return
    if script is None or not (script.text or "").strip():
        problems.append(Problem(name, node.sourceline, f"script task '{element_id}' has no script"))
        return
    try:
        expressions.check(script.text, "exec")
    except expressions.ExpressionError as err:
        line = script.sourceline
        if line is not None and err.line:
            line += err.line - 1
        problems.append(Problem(name, line, f"script task '{element_id}': {err.detail}"))


def executable_process_ids(root: etree._Element) -> list[str]:
    """Processes to deploy from a document: those marked executable, or, when a document
    marks none, every process that has flow nodes."""
    processes = root.findall(bpmn("process"))
    marked = [p.get("id") for p in processes if p.get("isExecutable") == "true"]
    if marked:
        return marked
    return [
        p.get("id")
        for p in processes
        if p.get("isExecutable") != "false" and p.find(bpmn("startEvent")) is not None
    ]


__all__ = ["BPMN", "NSMAP", "executable_process_ids", "translate_bpmn"]
