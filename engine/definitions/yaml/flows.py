"""The sequence flows a process file means, made explicit.

The format writes flows only where they are not obvious: a step flows on to its ``next``
or, without one, to the step after it in the list; gateways list their branches and a
default; boundary events say where they lead; end steps stop. This module turns that
into the list of flows the validator walks and the compiler draws, each with the line
that caused it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import ProcessModel


@dataclass(frozen=True)
class Flow:
    source: str
    target: str
    line: int
    condition: str | None = None
    name: str | None = None
    default: bool = False


def derive_flows(model: ProcessModel) -> list[Flow]:
    """Every flow of the process, in document order (start, steps, then their boundaries)."""
    flows: list[Flow] = []
    if model.steps:
        first = model.steps[0]
        flows.append(Flow(model.start.id, first.id, model.start.line))
    for step in model.steps:
        if step.splits:
            for branch in (*step.branches, *([step.default] if step.default else [])):
                flows.append(Flow(step.id, branch.target, branch.line, branch.condition, branch.name, branch.default))
        elif step.flows_on:
            target = model.target_of(step)
            if target is not None:
                flows.append(Flow(step.id, target, step.at("next")))
        for boundary in step.boundaries:
            if boundary.target:
                flows.append(Flow(boundary.id, boundary.target, boundary.target_line))
    return flows
