"""Instances and tasks as the API shows them."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from .. import values
from ..persistence.models import Instance, Task
from ..timeutil import iso

# An instance shows at most this many of its open tasks (the oldest first) and how many
# are open in all: a 1000-item multi-instance would otherwise send a thousand summaries
# with every completion. The rest are a ``GET /api/v1/tasks?instance_id=`` away.
OPEN_TASKS_SHOWN = 50


class TaskSummary(TypedDict):
    id: str
    name: str
    element_id: str
    instance_id: str
    definition_key: str
    definition_version: int
    business_key: str | None
    assignee: str | None
    candidate_groups: list[str]
    status: str
    created_at: str | None
    due_at: str | None
    priority: int
    form: str | None
    completed_at: str | None
    completed_by: str | None


class TaskDetail(TaskSummary):
    documentation: str | None
    name_i18n: dict[str, str]
    documentation_i18n: dict[str, str]
    form: Any  # {"name", "schema", "ui"} or None (the summary's form name, expanded)
    data: dict[str, Any]
    summary: list[dict[str, Any]]
    requester: str | None
    instance_status: str


class InstanceView(TypedDict):
    id: str
    definition_key: str
    definition_version: int
    business_key: str | None
    status: str
    started_by: str | None
    started_at: str | None
    ended_at: str | None
    data: dict[str, Any]
    open_tasks: list[TaskSummary]
    open_tasks_total: int
    active_elements: list[str]
    parent_instance_id: str | None
    # Only where one instance is read (GET /instances/{id}): the instances its call activities started.
    children: NotRequired[list[ChildSummary]]


class ChildSummary(TypedDict):
    """A child instance as its parent shows it: enough to see that it is stuck, and where."""

    id: str
    definition_key: str
    definition_version: int
    status: str
    started_at: str | None
    ended_at: str | None
    open_incidents: int
    # Cancelled by its own starter (or their step to an end event that cancels): lists only.
    withdrawn: NotRequired[bool]


class CompletedTask(TypedDict):
    task: TaskSummary
    instance: InstanceView


def task_summary(task: Task) -> TaskSummary:
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
        "created_at": iso(task.created_at),
        "due_at": iso(task.due_at),
        "priority": task.priority,
        "form": task.form,
        "completed_at": iso(task.completed_at),
        "completed_by": task.completed_by,
    }


def child_summary(instance: Instance, open_incidents: int) -> ChildSummary:
    return {
        "id": instance.id,
        "definition_key": instance.definition_key,
        "definition_version": instance.definition_version,
        "status": instance.status,
        "started_at": iso(instance.started_at),
        "ended_at": iso(instance.ended_at),
        "open_incidents": open_incidents,
    }


def instance_view(instance: Instance, open_tasks: list[Task], open_total: int = 0) -> InstanceView:
    """``open_tasks``: the first open tasks in creation order (at most
    :data:`OPEN_TASKS_SHOWN`); ``open_total``: how many are open in all."""
    return {
        "id": instance.id,
        "definition_key": instance.definition_key,
        "definition_version": instance.definition_version,
        "business_key": instance.business_key,
        "status": instance.status,
        "started_by": instance.started_by,
        "started_at": iso(instance.started_at),
        "ended_at": iso(instance.ended_at),
        "data": values.stored_to_plain(instance.data),
        "open_tasks": [task_summary(t) for t in open_tasks],
        "open_tasks_total": open_total,
        "active_elements": list(instance.active_elements),
        "parent_instance_id": instance.parent_instance_id,
    }
