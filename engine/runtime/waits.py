"""What a task spec waits for, read from its (possibly nested) event definitions.

A process whose specs can never wait for a job or a message lets the step writer skip the
job and subscription queries altogether, so these are asked once per spec, not per step.
"""

from __future__ import annotations

from collections.abc import Iterator

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from .service import DeferredServiceTask


def event_definitions(definition) -> Iterator:
    """The definition and, for a multiple event, every one inside it."""
    yield definition
    for inner in getattr(definition, "event_definitions", None) or ():
        yield from event_definitions(inner)


def waits_for_job(task_spec) -> bool:
    """A deferred service call or a timer: something the job table will hold."""
    if isinstance(task_spec, DeferredServiceTask):
        return True
    definition = getattr(task_spec, "event_definition", None)
    return definition is not None and any(isinstance(d, TimerEventDefinition) for d in event_definitions(definition))


def catches_message(task_spec) -> bool:
    """A message or signal catch: something a subscription row will hold."""
    definition = getattr(task_spec, "event_definition", None)
    return definition is not None and any(
        isinstance(d, MessageEventDefinition | SignalEventDefinition) for d in event_definitions(definition))
