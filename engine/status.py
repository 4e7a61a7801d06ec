"""The states of what the engine keeps: instances, tasks, jobs and incidents.

Each is a :class:`~enum.StrEnum`: a member *is* its string, so it is stored in the
database and sent in JSON exactly as before, and a mistyped state is an AttributeError
where it is written instead of a query that silently finds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum


class InstanceStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    # An incident stopped it; retrying the incident puts it back to RUNNING.
    FAILED = "failed"
    # An operator paused it: its tasks refuse claim and completion, its jobs wait.
    SUSPENDED = "suspended"


# An instance in one of these states never moves again.
FINISHED = frozenset({InstanceStatus.COMPLETED, InstanceStatus.CANCELLED})


class TaskStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class JobKind(StrEnum):
    TIMER = "timer"
    SERVICE = "service"
    # A service task an outside worker fetches (fetch-and-lock), not a connector.
    EXTERNAL = "external"
    MESSAGE = "message"
    START_TIMER = "start_timer"
    # After a step commits: notifications and webhook deliveries of its events, and mails.
    NOTIFY = "notify"
    MAIL = "mail"
    WEBHOOK = "webhook"


class JobStatus(StrEnum):
    WAITING = "waiting"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class IncidentStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


# An end event whose id says the request was called off: "cancelled", "withdrawn",
# "hire_cancelled", "cancelled_order". A process that finishes there ends CANCELLED, not
# COMPLETED, so lists and reports count it as withdrawn or cancelled, not as work done.
_CALLED_OFF = re.compile(r"(^|_)(cancell?ed|withdrawn)(_|$)", re.IGNORECASE)
CALLED_OFF_OUTCOMES = frozenset({"withdrawn", "cancelled"})


def ends_as_cancelled(end_event_id: str, outcomes: Mapping[str, str] | None = None) -> bool:
    """Whether finishing at this end event calls the request off. The model's declared
    outcome (``outcome: withdrawn`` in YAML, ``flowdesk:outcome`` in Camunda; see
    ProcessInfo.end_outcomes) decides; an end without one falls back to its id."""
    declared = (outcomes or {}).get(end_event_id)
    if declared is not None:
        return declared in CALLED_OFF_OUTCOMES
    return bool(_CALLED_OFF.search(end_event_id))
