"""Checks of a process file against the rest of the deployment and what is deployed.

A process names forms, decision tables and other processes. Whether they exist is not
something the file can tell: they may be in the same upload or deployed earlier. The
deployment (`..pipeline`) answers through `References`; this module asks, and reports each
missing reference on the line that names it. It also checks that every variable a
decision table reads is provided before the step that evaluates it (see `dataflow`).
"""

from __future__ import annotations

from typing import Protocol

from ...errors import Problem
from ..inspect import form_name
from .dataflow import DecisionColumns, available_variables, describe, unprovided_inputs
from .model import ProcessModel


class References(Protocol):
    """What a deployment knows: the upload's files and everything deployed before."""

    def form_fields(self, name: str) -> frozenset[str] | None:
        """Field names of a form, or None when there is no such form."""
        ...

    def decision(self, decision_id: str) -> DecisionColumns | None:
        """A decision table's columns, or None when there is no such decision."""
        ...

    def has_process(self, key: str) -> bool: ...


def context_problems(model: ProcessModel, references: References) -> list[Problem]:
    """Missing forms, decision tables and called processes; decision inputs nothing provides."""
    problems: list[Problem] = []

    def report(line: int, message: str) -> None:
        problems.append(Problem(model.file, line, message))

    known_forms: dict[str, frozenset[str] | None] = {}

    def fields(reference: str) -> frozenset[str] | None:
        name = form_name(reference) or reference
        if name not in known_forms:
            known_forms[name] = references.form_fields(name)
        return known_forms[name]

    if model.start.form and fields(model.start.form) is None:
        report(model.start.at("form"), f"the start event uses form '{form_name(model.start.form)}', which is "
                                       "neither in this deployment nor deployed")
    for step in model.steps:
        if step.kind == "user" and step.form and fields(step.form) is None:
            report(step.at("form"), f"step '{step.id}' uses form '{form_name(step.form)}', which is neither in "
                                    "this deployment nor deployed")
        elif step.kind == "decide" and step.table and references.decision(step.table) is None:
            inline = ", ".join(model.decisions) or "none"
            report(step.at("table"), f"step '{step.id}' uses decision table '{step.table}', which is neither in "
                                     f"this deployment nor deployed (decisions in this file: {inline})")
        elif step.kind == "call" and step.process and step.process != model.key \
                and not references.has_process(step.process):
            report(step.at("process"), f"step '{step.id}' calls process '{step.process}', which is neither in "
                                       "this deployment nor deployed")

    def columns(decision_id: str) -> DecisionColumns | None:
        return references.decision(decision_id)

    def form_fields_or_anything(reference: str) -> frozenset[str] | None:
        return fields(reference)  # an unknown form was reported above; treat it as "anything"

    available = available_variables(model, form_fields_or_anything, columns)
    for step in model.steps:
        if step.kind != "decide" or not step.table or step.id not in available:
            continue
        table = references.decision(step.table)
        if table is None:
            continue
        missing = unprovided_inputs(model, step, available[step.id], table)
        if missing:
            report(step.at("table"),
                   f"step '{step.id}': decision table '{step.table}' reads {describe(missing)}, which nothing "
                   "before the step provides (a start form field, `start.data`, a form, a script, a decision "
                   "or a connector result)")
    return problems
