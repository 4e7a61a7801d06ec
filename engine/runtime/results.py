"""What an execution reports, as plain data: the human tasks ready, the events worth
auditing, a failure, and what the instance waits on (timers, service calls, messages) or
sends. No SpiffWorkflow type appears here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import FlowdeskError


@dataclass(frozen=True)
class ReadyTask:
    """A human task waiting for someone (READY user or manual task)."""

    id: str
    element_id: str
    name: str
    lane: str | None
    process_id: str
    data: dict


@dataclass(frozen=True)
class RuntimeEvent:
    type: str
    element_id: str | None
    task_id: str | None
    payload: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Failure:
    element_id: str | None
    task_id: str | None
    message: str
    kind: str


@dataclass(frozen=True)
class TimerWait:
    """A timer the instance waits on, and when it is due."""

    task_id: str
    element_id: str
    due_at: datetime


@dataclass(frozen=True)
class ServiceCall:
    """A service task waiting for its connector to be called."""

    task_id: str
    element_id: str
    operation: str
    params: dict
    result_variable: str
    retries: int | None
    backoff_base: float | None


@dataclass(frozen=True)
class MessageWait:
    """A message catch the instance waits on, with the correlation values it expects."""

    task_id: str
    element_id: str
    name: str
    correlations: dict


@dataclass(frozen=True)
class ThrownMessage:
    name: str
    payload: Any
    correlations: dict


def root_cause(err: BaseException) -> BaseException:
    """The sandbox's own error behind SpiffWorkflow's wrappers, when there is one.

    SpiffWorkflow re-raises script and expression errors as WorkflowTaskException from
    inside its ``except`` blocks, so the original is on ``__cause__``/``__context__``.
    """
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, FlowdeskError):
            return current
        current = current.__cause__ or current.__context__
    return err
