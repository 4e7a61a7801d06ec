"""Translating BPMN dialects into the one SpiffWorkflow runs.

Models come from SpiffWorkflow's modeler, Camunda Modeler (Camunda 7 and Camunda 8),
Flowable and other BPMN tools. Rather than running several parsers, Flowdesk rewrites
what it supports of each into SpiffWorkflow's dialect on the XML tree before parsing
(never in the stored file, which keeps its diagram), and checks every expression and
script against the sandbox at deploy time, so a model that deploys does not fail later on
a condition that never parsed. docs/dialects.md has the table of every element and
attribute and what Flowdesk does with it.

Per document, in this order: Flowable/Activiti attributes renamed to Camunda 7's
(`camunda.normalize`), embedded forms collected (`zeebe.embedded_forms`), then for each
executable process: BPMN structure (`structure.prepare`), Camunda 8 (`zeebe`), Camunda 7
(`camunda`), every condition, timer and script translated to sandbox Python
(`_expressions`), and the structure that depends on the result (`structure.finish`:
pass-through tasks, default flows, implicit splits). Processes that are not executable are
left as they are: they are stored for their diagram and never run.
"""

from __future__ import annotations

from lxml import etree

from ... import expressions
from ...errors import Problem
from ...runtime.mappings import expressions_of, is_directive
from ..namespaces import BPMN, NSMAP, bpmn, spiff
from . import camunda, structure, zeebe
from . import exprs as ex
from .context import Context, Translation, label, local
from .scripts import as_python

_PYTHON_SCRIPT_FORMATS = {"", "python", "py", "text/x-python", "python3", "flowdesk-io"}


def translate_document(name: str, root: etree._Element) -> Translation:
    """Rewrite ``root`` in place into the Spiff dialect; what cannot be run is in
    ``problems``, what is accepted but inert or approximated in ``warnings``."""
    ctx = Context(name, root)
    camunda.normalize(ctx)
    ctx.known_names |= _declared_names(root)
    zeebe.embedded_forms(ctx)
    structure.data_stores(ctx)
    processes = {p.get("id"): p for p in root.findall(bpmn("process"))}
    for key in executable_process_ids(root):
        process = processes[key]
        structure.prepare(ctx, process)
        if ctx.zeebe:
            zeebe.translate(ctx, process)
        if ctx.camunda:
            camunda.translate(ctx, process)
        _connector_proxy(ctx, process)
        _expressions(ctx, process)
        structure.finish(ctx, process)
    return ctx.result


def translate_bpmn(name: str, root: etree._Element) -> list[Problem]:
    """`translate_document`, returning only the problems."""
    return translate_document(name, root).problems


def executable_process_ids(root: etree._Element) -> list[str]:
    """Processes to deploy from a document: those marked executable, or, when a document
    marks none, every process that has flow nodes and is not marked non-executable."""
    processes = root.findall(bpmn("process"))
    marked = [p.get("id") for p in processes if p.get("isExecutable") == "true"]
    if marked:
        return marked
    return [
        p.get("id")
        for p in processes
        if p.get("isExecutable") != "false" and p.find(bpmn("startEvent")) is not None
    ]


def non_executable_process_ids(root: etree._Element) -> list[str]:
    """Processes a document holds but does not run: stored for their diagram."""
    executable = set(executable_process_ids(root))
    return [p.get("id") for p in root.findall(bpmn("process"))
            if p.get("id") and p.get("id") not in executable and len(p)]


def _connector_proxy(ctx: Context, process: etree._Element) -> None:
    """SpiffArena's connector-proxy commands (``aws/AddDynamoItem``, ``http/GetRequestV2``)
    are not Flowdesk connectors: such a service task is an external task on that topic."""
    for operator in process.iter(spiff("serviceTaskOperator")):
        operation = operator.get("id") or ""
        if "/" in operation and not operation.startswith("external:"):
            operator.set("id", f"external:{operation}")
            task = operator.getparent().getparent()
            ctx.warn(task, f"{label(task)} calls the connector-proxy command {operation!r}: in Flowdesk it is an "
                           f"external task on topic {operation!r} (bind a connector or run a worker on it)")


def _declared_names(root: etree._Element) -> set[str]:
    """Names a model declares (data objects, inputs, properties): FEEL may use them even
    when they contain spaces."""
    names = set()
    for tag in ("dataObject", "dataObjectReference", "dataInput", "dataOutput", "property", "dataStore"):
        for node in root.iter(bpmn(tag)):
            if node.get("name"):
                names.add(node.get("name").strip())
    return {n for n in names if n}


def _expressions(ctx: Context, process: etree._Element) -> None:
    for node in process.iter(bpmn("conditionExpression"), bpmn("completionCondition"), bpmn("condition"),
                             bpmn("loopCondition"), bpmn("loopCardinality")):
        what = {"conditionExpression": "condition", "completionCondition": "completion condition",
                "condition": "condition", "loopCondition": "loop condition",
                "loopCardinality": "loop cardinality"}[local(node)]
        ex.condition(ctx, node, what)
        if local(node) == "condition" and node.text:  # a conditional event's
            node.text = ex.lenient(node.text)
    for node in process.iter(bpmn("timeDuration"), bpmn("timeDate"), bpmn("timeCycle")):
        ex.timer(ctx, node)
    for node in process.iter(bpmn("scriptTask")):
        _check_script(ctx, node)
    for node in process.iter(spiff("preScript"), spiff("postScript")):
        _check_task_script(ctx, node)
    for node in process.iter():
        if isinstance(node.tag, str) and local(node) in ("bodyPreScript", "bodyPostScript"):
            _check_task_script(ctx, node)


def _check_script(ctx: Context, node: etree._Element) -> None:
    language = (node.get("scriptFormat") or "").strip().lower()
    script = node.find(bpmn("script"))
    if language not in _PYTHON_SCRIPT_FORMATS and script is not None:
        source = as_python(ctx, node, language, script.text or "", label(node))
        if source is not None:
            node.set("scriptFormat", "python")
            script.text, language = source, "python"
    if language not in _PYTHON_SCRIPT_FORMATS:
        if not any(p.line == node.sourceline and "script" in p.message for p in ctx.result.problems):
            ctx.error(node, f"script task '{node.get('id')}' is written in {language!r}: scripts must be Python "
                            "(run in Flowdesk's sandbox); JavaScript, Groovy and other script languages are not run")
        return
    if script is None or not (script.text or "").strip():
        return  # passes through (structure.finish warns)
    if is_directive(script.text):
        return
    quiet = ex.without_print(script.text)
    if quiet is not None:
        script.text = quiet
        ctx.warn(node, f"{label(node)}: print() calls are dropped (scripts have no output)")
    try:
        expressions.check(script.text, "exec")
    except expressions.ExpressionError as err:
        line = script.sourceline
        if line is not None and err.line:
            line += err.line - 1
        ctx.result.problems.append(Problem(ctx.file, line, f"script task '{node.get('id')}': {err.detail}"))


def _check_task_script(ctx: Context, node: etree._Element) -> None:
    text = node.text or ""
    if not text.strip():
        return
    if is_directive(text):
        for source in expressions_of(text):
            ex.checked(ctx, node, source, "mapping", source[:80])
        return
    try:
        expressions.check(text, "exec")
    except expressions.ExpressionError as err:
        owner = node.getparent().getparent() if node.getparent() is not None else None
        ctx.error(node, f"{label(owner) if owner is not None else 'script'}: {err.detail}")


__all__ = ["BPMN", "NSMAP", "Translation", "executable_process_ids", "non_executable_process_ids",
           "translate_bpmn", "translate_document"]
