"""Plain-data representations of instances, tasks and events (the API's shapes)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .. import values
from ..history.audit.log import StoredEvent
from ..persistence.models import Instance, Job, Task


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    # SQLite hands back naive values; everything Flowdesk stores is UTC.
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def task_summary(task: Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "name": task.name,
        "element_id": task.element_id,
        "instance_id": task.instance_id,
        "definition_key": task.definition_key,
        "definition_version": task.definition_version,
        "business_key": task.business_key,
        "assignee": task.assignee,
        "candidate_groups": list(task.candidate_groups),
        "status": task.status,
        "created_at": _iso(task.created_at),
        "due_at": _iso(task.due_at),
        "priority": task.priority,
        "form": task.form,
        "completed_at": _iso(task.completed_at),
        "completed_by": task.completed_by,
    }


# An instance shows at most this many of its open tasks (the oldest first) and how many
# are open in all: a 1000-item multi-instance would otherwise send a thousand summaries
# with every completion. The rest are a ``GET /api/v1/tasks?instance_id=`` away.
OPEN_TASKS_SHOWN = 50


def instance_view(instance: Instance, open_tasks: list[Task], open_total: int = 0) -> dict[str, Any]:
    """``open_tasks``: the first open tasks in creation order (at most
    :data:`OPEN_TASKS_SHOWN`); ``open_total``: how many are open in all."""
    return {
        "id": instance.id,
        "definition_key": instance.definition_key,
        "definition_version": instance.definition_version,
        "business_key": instance.business_key,
        "status": instance.status,
        "started_by": instance.started_by,
        "started_at": _iso(instance.started_at),
        "ended_at": _iso(instance.ended_at),
        "data": values.stored_to_plain(instance.data),
        "open_tasks": [task_summary(t) for t in open_tasks],
        "open_tasks_total": open_total,
        "active_elements": list(instance.active_elements),
        "parent_instance_id": instance.parent_instance_id,
    }


def job_view(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "name": job.name,
        "instance_id": job.instance_id,
        "element_id": job.element_id,
        "task_id": job.task_id,
        "due_at": _iso(job.due_at),
        "status": job.status,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "last_error": job.last_error,
        "locked_by": job.locked_by,
        "created_at": _iso(job.created_at),
        "finished_at": _iso(job.finished_at),
    }


def event_view(stored: StoredEvent) -> dict[str, Any]:
    """An event as the API shows it; ``data`` is None (and ``erased`` true) once retention or
    an erasure removed its payload, while the chain fields still prove what was there."""
    event = stored.event
    return {
        "seq": event.seq,
        "at": _iso(event.at),
        "type": event.type,
        "actor": event.actor,
        "instance_id": event.instance_id,
        "definition_key": event.definition_key,
        "definition_version": event.definition_version,
        "element_id": event.element_id,
        "task_id": event.task_id,
        "data": None if stored.payload is None else values.to_plain(values.decode(stored.payload)),
        "erased": stored.payload is None,
        "chain_id": event.chain_id,
        "chain_seq": event.chain_seq,
        "payload_hash": event.payload_hash,
        "hash": event.hash,
        "prev_hash": event.prev_hash,
    }
