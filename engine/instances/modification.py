"""Repairing one instance: cancel an activity, start before or after an element.

Camunda's process instance modification, for an admin who must get a stuck or wrongly
routed instance going again. The instructions run in order on the instance's workflow,
then the instance runs on to its next wait and the outcome is written as one step,
audited as ``instance.modified`` with the instructions and the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from ..errors import Conflict, FieldError, InvalidData
from ..history.audit import EventRecord
from ..identity.actors import Actor
from ..persistence.models import Instance
from ..runtime.migration import cancel_element, start_after, start_before
from ..status import FINISHED
from .lifecycle import Lifecycle
from .steps import StepResult

KINDS = ("cancel", "start_before", "start_after")
MAX_INSTRUCTIONS = 50


def check_instructions(instructions: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """``[{"cancel": "element"}, {"start_before": ...}, {"start_after": ...}]`` as (kind,
    element id) pairs; 422 with the instruction's path for anything else."""
    errors, steps = [], []
    if not isinstance(instructions, Sequence) or isinstance(instructions, str) or not instructions:
        raise InvalidData([FieldError("/instructions", "give at least one instruction")])
    if len(instructions) > MAX_INSTRUCTIONS:
        raise InvalidData([FieldError("/instructions", f"at most {MAX_INSTRUCTIONS} instructions")])
    for n, instruction in enumerate(instructions):
        if not isinstance(instruction, Mapping) or len(instruction) != 1:
            errors.append(FieldError(f"/instructions/{n}", "one of cancel, start_before, start_after"))
            continue
        (kind, element), = instruction.items()
        if kind not in KINDS:
            errors.append(FieldError(f"/instructions/{n}/{kind}", "one of cancel, start_before, start_after"))
        elif not isinstance(element, str) or not 0 < len(element) <= 255:
            errors.append(FieldError(f"/instructions/{n}/{kind}", "an element id"))
        else:
            steps.append((kind, element))
    if errors:
        raise InvalidData(errors)
    return steps


class Modifier:
    def __init__(self, lifecycle: Lifecycle) -> None:
        self.lifecycle = lifecycle

    def modify(self, session: Session, instance: Instance, steps: list[tuple[str, str]], actor: Actor,
               reason: str) -> StepResult:
        if instance.status in FINISHED:
            raise Conflict(f"instance {instance.id} is already {instance.status}")
        loaded = self.lifecycle.executions.load(session, instance)
        execution = loaded.execution
        for kind, element in steps:
            {"cancel": cancel_element, "start_before": start_before, "start_after": start_after}[kind](
                execution, element)
        execution.run()
        modified = EventRecord("instance.modified", actor.username, instance.id, instance.definition_key,
                               instance.definition_version, payload={
                                   "reason": reason, "instructions": [{k: e} for k, e in steps]})
        return self.lifecycle.steps.write(session, instance, loaded.definition, execution, actor.username,
                                          [modified])
