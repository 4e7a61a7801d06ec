"""Jobs and incidents as the API shows them."""

from __future__ import annotations

from typing import NotRequired, TypedDict

from ..persistence.models import Incident, Job
from ..timeutil import iso


class JobView(TypedDict):
    id: str
    kind: str
    name: str | None
    instance_id: str | None
    element_id: str | None
    task_id: str | None
    due_at: str | None
    status: str
    attempts: int
    max_attempts: int
    last_error: str | None
    locked_by: str | None
    created_at: str | None
    finished_at: str | None


class CallerView(TypedDict):
    """An instance that called the one an incident stopped (directly or further up)."""

    instance_id: str
    definition_key: str


class IncidentView(TypedDict):
    id: str
    instance_id: str
    element_id: str | None
    task_id: str | None
    kind: str
    message: str
    status: str
    created_at: str | None
    resolved_at: str | None
    # Lists only: the chain of callers above the failed instance, nearest first, so an
    # operator sees which process a failing called process holds up.
    called_by: NotRequired[list[CallerView]]


def job_view(job: Job) -> JobView:
    return {
        "id": job.id, "kind": job.kind, "name": job.name, "instance_id": job.instance_id,
        "element_id": job.element_id, "task_id": job.task_id, "due_at": iso(job.due_at), "status": job.status,
        "attempts": job.attempts, "max_attempts": job.max_attempts, "last_error": job.last_error,
        "locked_by": job.locked_by, "created_at": iso(job.created_at), "finished_at": iso(job.finished_at),
    }


def incident_view(incident: Incident) -> IncidentView:
    return {
        "id": incident.id, "instance_id": incident.instance_id, "element_id": incident.element_id,
        "task_id": incident.task_id, "kind": incident.kind, "message": incident.message,
        "status": incident.status, "created_at": iso(incident.created_at), "resolved_at": iso(incident.resolved_at),
    }
