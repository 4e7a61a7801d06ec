"""Which variables can exist when a step runs, for "a decision table whose inputs are not
provided".

A decision table reads variables (``amount``, ``category``); if nothing before the
business-rule step sets them, the step fails at run time with a NameError, typically
weeks after the deployment. This is a forward "may" analysis over the flows: a variable
is available at a step when some path from the start to the step passes something that
provides it:

- the start form's fields, or the names listed under ``start.data`` (a process started
  through the API without a form), or the payload variable of a start message;
- the fields of a user step's form; a user step without a form accepts any data, so after
  it anything may exist (and nothing is reported);
- names a script assigns; a decision's outputs; a connector's ``result``; a received
  message's variable; a multi-instance step's item and collected list;
- a called process or a caught error may hand back anything (so again nothing is reported).

Because any path counts, the analysis never reports a variable that some path does
provide; it misses only variables that a path provides under a condition.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from ...expressions.builtins import BUILTINS
from .flows import derive_flows
from .model import ProcessModel, Step

#: Stands for "anything may be here".
ANYTHING = None
Names = frozenset[str] | None


@dataclass(frozen=True)
class DecisionColumns:
    """What a decision table reads (input expressions) and sets (output variables)."""

    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


def names_read(expression: str) -> set[str]:
    """Free variable names of an expression (builtins and comprehension variables excluded)."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        return set()
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.comprehension):
            bound |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.Lambda):
            bound |= {a.arg for a in node.args.args}
    read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return read - bound - set(BUILTINS)


def names_assigned(script: str) -> set[str]:
    """Top-level variables a script sets (names bound only inside comprehensions excluded)."""
    try:
        tree = ast.parse(script, mode="exec")
    except SyntaxError:
        return set()
    comprehension: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            comprehension |= {id(n) for n in ast.walk(node)}
    return {n.id for n in ast.walk(tree)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and id(n) not in comprehension}


def _union(a: Names, b: Names) -> Names:
    if a is ANYTHING or b is ANYTHING:
        return ANYTHING
    return a | b


def available_variables(model: ProcessModel, form_fields: Callable[[str], frozenset[str] | None],
                        decision: Callable[[str], DecisionColumns | None]) -> dict[str, Names]:
    """For every step, the variables that may exist when it starts (ANYTHING: unknown)."""
    steps = {s.id: s for s in model.steps}
    boundaries = {b.id: b for b in model.boundaries()}

    def provides(step: Step) -> Names:
        found: set[str] = set()
        if step.kind == "user":
            if not step.form:
                return ANYTHING
            fields = form_fields(step.form)
            if fields is ANYTHING:
                return ANYTHING
            found |= fields
        elif step.kind == "script" and step.code:
            found |= names_assigned(step.code)
        elif step.kind == "decide" and step.table:
            columns = decision(step.table)
            if columns is None:
                return ANYTHING
            found |= set(columns.outputs)
        elif step.kind == "service" and step.result:
            found.add(step.result)
        elif step.kind == "call":
            return ANYTHING
        elif step.kind == "receive" and step.message:
            found.add(step.variable or step.message)
        if step.for_each is not None and step.for_each.into:
            found.add(step.for_each.into)
        return frozenset(found)

    start = model.start
    if start.message:
        initial: Names = frozenset({start.variable or start.message})
    elif start.form:
        initial = form_fields(start.form)
    else:
        initial = frozenset(start.data)

    flows = derive_flows(model)
    available: dict[str, Names] = {start.id: initial}
    outputs: dict[str, Names] = {start.id: initial}
    changed = True
    while changed:
        changed = False
        for flow in flows:
            source = flow.source
            if source in boundaries:
                boundary = boundaries[source]
                before = available.get(boundary.host, frozenset())
                gained: Names = ANYTHING if boundary.kind == "error" else frozenset(
                    {boundary.variable or boundary.message} if boundary.kind == "message" and boundary.message
                    else set())
                out = _union(before, gained)
            else:
                out = outputs.get(source, frozenset())
            if flow.target not in steps:
                continue
            merged = _union(available.get(flow.target, frozenset()), out)
            if merged != available.get(flow.target, frozenset()) or flow.target not in available:
                available[flow.target] = merged
                target = steps[flow.target]
                outputs[flow.target] = _union(merged, provides(target))
                changed = True
    return available


def unprovided_inputs(model: ProcessModel, step: Step, available: Names,
                      columns: DecisionColumns) -> list[str]:
    """Variables the decision of `step` reads that nothing before it provides."""
    if available is ANYTHING:
        return []
    here = set(available)
    if step.for_each is not None:
        here.add(step.for_each.item)
    missing: list[str] = []
    for expression in columns.inputs:
        for name in sorted(names_read(expression)):
            if name not in here and name not in missing:
                missing.append(name)
    return missing


def dmn_decision_columns(root: Any, decision_id: str) -> DecisionColumns | None:
    """The columns of decision `decision_id` in a DMN document (any DMN version)."""
    for decision in root.iter():
        if not isinstance(decision.tag, str) or etree.QName(decision).localname != "decision" \
                or decision.get("id") != decision_id:
            continue
        inputs, outputs = [], []
        for element in decision.iter():
            if not isinstance(element.tag, str):
                continue
            name = etree.QName(element).localname
            if name == "inputExpression":
                text = next((t.text for t in element if etree.QName(t).localname == "text"), None)
                if text and text.strip():
                    inputs.append(text.strip())
            elif name == "output" and element.get("name"):
                outputs.append(element.get("name"))
        return DecisionColumns(tuple(inputs), tuple(outputs))
    return None


def form_field_names(schema: object) -> frozenset[str]:
    """Top-level field names of a form schema, including those declared in
    ``allOf``/``anyOf``/``oneOf`` and ``if``/``then``/``else`` branches."""
    found: set[str] = set()

    def visit(node: object) -> None:
        if not isinstance(node, dict):
            return
        properties = node.get("properties")
        if isinstance(properties, dict):
            found.update(str(k) for k in properties)
        for key in ("allOf", "anyOf", "oneOf"):
            for part in node.get(key, []) if isinstance(node.get(key), list) else []:
                visit(part)
        for key in ("then", "else"):
            visit(node.get(key))

    visit(schema)
    return frozenset(found)


def describe(names: Iterable[str]) -> str:
    listed = [f"'{n}'" for n in names]
    return listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + f" and {listed[-1]}"
