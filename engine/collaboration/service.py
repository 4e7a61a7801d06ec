"""The collaboration service: comments, attachments, drafts, saved filters, and changes
to a task's due date, priority and follow-up date. Every method is one transaction,
takes the acting user, and audits what it changes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..context import EngineContext
from ..definitions.model import process_info
from ..errors import Conflict, FieldError, Forbidden, InvalidData, NotFound
from ..history.audit import EventRecord
from ..identity import authorization
from ..identity.actors import Actor
from ..instances.task_service import TaskService
from ..instances.views import task_summary
from ..pagination import Page
from ..persistence.collaboration import SavedFilter, TaskFollowUp
from ..persistence.models import Definition, Instance, Task
from ..status import TaskStatus
from ..timeutil import iso
from . import filters, notes
from .substitutes import owners_of


def supervising_groups(definition: Definition | None) -> list[str]:
    """The groups that supervise a process (``supervisors`` in YAML, ``supervisingGroups`` in BPMN)."""
    if definition is None:
        return []
    return list(process_info(definition).supervising_groups)


class CollaborationService:
    def __init__(self, context: EngineContext, tasks: TaskService) -> None:
        self._ctx = context
        self._tasks = tasks

    # -- reading rules --------------------------------------------------------------------------
    @staticmethod
    def _task(session: Session, task_id: str, by: Actor) -> Task:
        task = session.get(Task, task_id)
        if task is None:
            raise NotFound(f"no task with id '{task_id}'")
        authorization.check_task_visible(session, by, task)
        return task

    @staticmethod
    def _instance(session: Session, instance_id: str, by: Actor) -> Instance:
        instance = session.get(Instance, instance_id)
        if instance is None:
            raise NotFound(f"no instance with id '{instance_id}'")
        authorization.require_instance_reader(by)
        authorization.check_instance_visible(session, by, instance)
        return instance

    def _event(self, session: Session, type_: str, by: Actor, instance: Instance | None, task: Task | None,
               payload: dict) -> None:
        source = task or instance
        self._ctx.audit.append(session, [EventRecord(
            type_, by.username, getattr(source, "instance_id", None) or getattr(instance, "id", None),
            source.definition_key if source is not None else None,
            source.definition_version if source is not None else None,
            task.element_id if task is not None else None, task.id if task is not None else None, payload)])

    # -- comments --------------------------------------------------------------------------------
    def task_comments(self, task_id: str, *, by: Actor) -> Page:
        with self._ctx.transaction() as session:
            task = self._task(session, task_id, by)
            return Page(notes.comments(session, task.instance_id, task.id), None)

    def add_task_comment(self, task_id: str, text: str, *, by: Actor) -> dict[str, Any]:
        with self._ctx.transaction() as session:
            task = self._task(session, task_id, by)
            comment = notes.add_comment(session, task.instance_id, task.id, by.username, text, self._ctx.clock.now())
            self._event(session, "comment.added", by, None, task, {"comment_id": comment.id, "text": comment.text})
            return notes.comment_view(comment)

    def instance_comments(self, instance_id: str, *, by: Actor) -> Page:
        with self._ctx.transaction() as session:
            instance = self._instance(session, instance_id, by)
            return Page(notes.comments(session, instance.id), None)

    def add_instance_comment(self, instance_id: str, text: str, *, by: Actor) -> dict[str, Any]:
        with self._ctx.transaction() as session:
            instance = self._instance(session, instance_id, by)
            if not authorization.is_employee(by) and not authorization.has_role(by, authorization.ADMIN):
                raise Forbidden(f"'{by.username}' reads instances but does not comment on them")
            comment = notes.add_comment(session, instance.id, None, by.username, text, self._ctx.clock.now())
            self._event(session, "comment.added", by, instance, None, {"comment_id": comment.id,
                                                                        "text": comment.text})
            return notes.comment_view(comment)

    # -- attachments -----------------------------------------------------------------------------
    def add_attachment(self, task_id: str, file_id: str, *, by: Actor) -> dict[str, Any]:
        authorization.require_uploader(by)
        with self._ctx.transaction() as session:
            task = self._task(session, task_id, by)
            added = notes.add_attachment(session, task.instance_id, task.id, file_id, by.username,
                                         self._ctx.clock.now())
            self._event(session, "attachment.added", by, None, task, {"attachment_id": added["id"],
                                                                       "file_id": file_id, "name": added["name"]})
            return added

    def task_attachments(self, task_id: str, *, by: Actor) -> Page:
        with self._ctx.transaction() as session:
            task = self._task(session, task_id, by)
            return Page(notes.attachments(session, task.instance_id, task.id), None)

    def instance_attachments(self, instance_id: str, *, by: Actor) -> Page:
        with self._ctx.transaction() as session:
            instance = self._instance(session, instance_id, by)
            return Page(notes.attachments(session, instance.id), None)

    # -- drafts ----------------------------------------------------------------------------------
    def save_draft(self, task_id: str, data: Any, *, by: Actor) -> dict[str, Any]:
        authorization.require_task_worker(by)
        with self._ctx.transaction() as session:
            task = self._task(session, task_id, by)
            if task.status != TaskStatus.OPEN:
                raise Conflict(f"task '{task.name}' is {task.status}")
            draft = notes.save_draft(session, task.id, by.username, data, self._ctx.clock.now())
            self._event(session, "draft.saved", by, None, task, {"fields": sorted(draft["data"])[:100]})
            return draft

    def task_extras(self, task_id: str, *, by: Actor) -> dict[str, Any]:
        """What a task page shows beside the task: the caller's draft, on whose behalf it is
        worked, its follow-up date and its attachments."""
        with self._ctx.transaction() as session:
            task = self._task(session, task_id, by)
            follow_up = session.get(TaskFollowUp, task.id)
            return {"draft": notes.draft_of(session, task.id, by.username),
                    "on_behalf_of": owners_of(session, [task.id]).get(task.id),
                    "follow_up_at": iso(follow_up.follow_up_at) if follow_up is not None else None,
                    "attachments": notes.attachments(session, task.instance_id, task.id)}

    def owners(self, tasks: list[dict[str, Any]], *, by: Actor) -> dict[str, str]:
        """On whose behalf the listed tasks (of the caller's inbox) are worked, by task id."""
        with self._ctx.transaction() as session:
            return owners_of(session, [t["id"] for t in tasks])

    def with_owners(self, page: Page, *, by: Actor) -> Page:
        """An inbox page whose tasks say on whose behalf they are worked (``on_behalf_of``,
        None for one's own), as the web inbox shows "bob (on behalf of alice)"."""
        owners = self.owners(page.items, by=by)
        return Page([{**t, "on_behalf_of": owners.get(t["id"])} for t in page.items], page.next_cursor)

    # -- saved filters ---------------------------------------------------------------------------
    def filters(self, *, by: Actor) -> Page:
        authorization.require_task_worker(by)
        with self._ctx.transaction() as session:
            return Page(filters.listed(session, by), None)

    def create_filter(self, name: str, query: Mapping[str, Any], shared_with_groups: list[str], *,
                      by: Actor) -> dict[str, Any]:
        authorization.require_task_worker(by)
        with self._ctx.transaction() as session:
            saved = filters.create(session, by, name, query, shared_with_groups, self._ctx.clock.now())
            self._ctx.audit.append(session, [EventRecord("filter.created", by.username, payload=filters.filter_view(
                saved))])
            return filters.filter_view(saved)

    def delete_filter(self, filter_id: str, *, by: Actor) -> None:
        authorization.require_task_worker(by)
        with self._ctx.transaction() as session:
            saved = session.get(SavedFilter, filter_id)
            if saved is None or not filters.visible(by, saved):
                raise NotFound(f"no filter with id '{filter_id}'")
            if saved.owner != by.username:
                raise Forbidden("only its owner deletes a shared filter")
            session.delete(saved)
            self._ctx.audit.append(session, [EventRecord("filter.deleted", by.username,
                                                         payload={"filter_id": filter_id})])

    def filtered_inbox(self, filter_id: str, *, by: Actor, limit: int = 50, cursor: str | None = None) -> Page:
        """The inbox as a saved filter's query shows it."""
        authorization.require_task_worker(by)
        with self._ctx.transaction() as session:
            saved = session.get(SavedFilter, filter_id)
            if saved is None or not filters.visible(by, saved):
                raise NotFound(f"no filter with id '{filter_id}'")
            query = dict(saved.query)
        return self._tasks.inbox(filters.inbox_query(query, self._ctx.clock.now(), limit), by=by, cursor=cursor)

    # -- due date, priority, follow-up ----------------------------------------------------------
    def change_task(self, task_id: str, changes: Mapping[str, Any], *, by: Actor) -> dict[str, Any]:
        """Change a task's ``due_at``, ``priority`` or ``follow_up_at``: admins and members of
        the process's supervising groups (a follow-up date also its assignee), audited."""
        with self._ctx.transaction() as session:
            task = session.get(Task, task_id)
            if task is None:
                raise NotFound(f"no task with id '{task_id}'")
            definition = session.get(Definition, session.get(Instance, task.instance_id).definition_id)
            supervisor = authorization.has_role(by, authorization.ADMIN) or \
                by.in_any(supervising_groups(definition))
            if not supervisor:  # supervisors see the tasks they supervise; others as usual (404)
                authorization.check_task_visible(session, by, task)
            own_follow_up = set(changes) <= {"follow_up_at"} and task.assignee == by.username
            if not (supervisor or own_follow_up):
                raise Forbidden(f"only admins and the supervisors of '{task.definition_key}' change its tasks")
            if task.status != TaskStatus.OPEN:
                raise Conflict(f"task '{task.name}' is {task.status}")
            errors = [FieldError(f"/{k}", "cannot be changed") for k in changes
                      if k not in ("due_at", "priority", "follow_up_at")]
            priority = changes.get("priority")
            if "priority" in changes and (isinstance(priority, bool) or not isinstance(priority, int)
                                          or not 0 <= priority <= 100):
                errors.append(FieldError("/priority", "must be an integer 0-100"))
            if errors:
                raise InvalidData(errors)
            done: dict[str, dict[str, Any]] = {}
            if "due_at" in changes and changes["due_at"] != task.due_at:
                done["due_at"] = {"from": iso(task.due_at), "to": iso(changes["due_at"])}
                task.due_at = changes["due_at"]
            if "priority" in changes and priority != task.priority:
                done["priority"] = {"from": task.priority, "to": priority}
                task.priority = priority
            if "follow_up_at" in changes:
                self._follow_up(session, task, changes["follow_up_at"], by, done)
            session.flush()
            if done:
                self._event(session, "task.updated", by, None, task, {"changes": done})
            follow = session.get(TaskFollowUp, task.id)
            return {**task_summary(task), "follow_up_at": iso(follow.follow_up_at) if follow else None}

    def _follow_up(self, session: Session, task: Task, moment: datetime | None, by: Actor, done: dict) -> None:
        row = session.get(TaskFollowUp, task.id)
        before = row.follow_up_at if row is not None else None
        if before == moment:
            return
        if row is None:
            row = TaskFollowUp(task_id=task.id, set_by=by.username, set_at=self._ctx.clock.now())
            session.add(row)
        row.follow_up_at, row.set_by, row.set_at = moment, by.username, self._ctx.clock.now()
        done["follow_up_at"] = {"from": iso(before), "to": iso(moment)}
