"""The task service: the inbox, a task with its form, and acting on tasks.

Camunda's TaskService in Flowdesk's terms. Every method is one transaction and takes the
acting user. A refusal that must be audited (separation of duties, acting on someone
else's task) is recorded in its own transaction, because the refused action itself
changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import values
from ..context import EngineContext
from ..definitions import summary as summaries
from ..definitions.calls import human_task_info
from ..errors import Forbidden, NotFound
from ..history.audit import EventRecord
from ..identity import authorization
from ..identity.actors import Actor
from ..local_time import acting_in, lazy_user_zone
from ..pagination import Page, clamp_limit, decode_cursor, page_of
from ..persistence.models import Instance, Task
from . import facts
from .facts import TaskHeadline
from .steps import TaskRowExists
from .task_data import task_data
from .tasks import ActingOn, InboxQuery, TaskActions, inbox_sort_key
from .views import CompletedTask, TaskDetail, TaskSummary, instance_view, task_summary

Result = TypeVar("Result")


class TaskService:
    def __init__(self, context: EngineContext) -> None:
        self._ctx = context
        self._tasks = TaskActions(context.clock, context.definitions, context.executions, context.steps,
                                  context.audit)

    # -- reading -----------------------------------------------------------------------------------
    def inbox(self, query: InboxQuery = InboxQuery(), *, by: Actor, cursor: str | None = None) -> Page:
        """The actor's open tasks and their groups' unassigned ones, one page at a time."""
        authorization.require_task_worker(by)
        limit = clamp_limit(query.limit)
        after = decode_cursor(cursor, int if query.sort.lstrip("-") == "priority" else datetime, str)
        query = replace(query, limit=limit + 1, after=after)
        with self._ctx.transaction() as session:
            rows = self._tasks.inbox(session, by, query)
            return page_of(rows, limit, task_summary, lambda t: inbox_sort_key(t, query.sort))

    def get_task(self, task_id: str, *, by: Actor) -> TaskSummary:
        authorization.require_task_worker(by)
        with self._ctx.transaction() as session:
            return task_summary(self._visible(session, task_id, by))

    def task_detail(self, task_id: str, *, by: Actor, all_data: bool = False) -> TaskDetail:
        """A task with its form (schema and UI hints) and the instance data it may show: what
        its form refers to (task_data.py); ``all_data``: every variable, for auditors and
        admins (403 for others)."""
        if all_data:
            authorization.require_all_task_data_reader(by)  # auditors too, who work on no task
        else:
            authorization.require_task_worker(by)
        with self._ctx.transaction() as session:
            acting = self._acting_on(session, task_id, by)
            task, instance, definition = acting.task, acting.instance, acting.definition
            form = self._ctx.definitions.form(session, definition, task.form)
            meta = human_task_info(session, definition, task.element_id)
            data = values.to_plain(values.decode(instance.data))
            return {
                **task_summary(task),
                "documentation": meta.documentation if meta else None,
                "name_i18n": meta.name_i18n if meta else {},
                "documentation_i18n": meta.documentation_i18n if meta else {},
                "form": None if form is None else {"name": form.name, "schema": form.schema, "ui": form.ui},
                "data": data if all_data else task_data(data, form.schema if form is not None else None),
                # The facts the task needs (the process's or its form's summary), not raw variables.
                "summary": facts.resolve(self._declared_summary(meta, form), data, instance.started_by),
                "requester": instance.started_by,
                # "suspended": the task waits with its instance (claim and completion get 409).
                "instance_status": instance.status,
            }

    def headlines(self, task_ids: list[str], *, by: Actor) -> dict[str, TaskHeadline]:
        """What an inbox row shows of each task's request: title, amount with currency and
        requester, from the task's summary (or the facts most requests have). Tasks the actor
        may not see are left out; meant for one page of an inbox, read in one statement."""
        authorization.require_task_worker(by)
        found: dict[str, TaskHeadline] = {}
        with self._ctx.transaction() as session:
            rows = session.execute(select(Task, Instance.started_by, Instance.data, Instance.definition_id)
                                   .join(Instance, Instance.id == Task.instance_id).where(Task.id.in_(task_ids)))
            for task, starter, raw, definition_id in rows:
                try:
                    authorization.check_task_visible(session, by, task)
                except NotFound:
                    continue
                definition = self._ctx.definitions.by_id(session, definition_id)
                meta = self._tasks.task_info(session, definition, task.element_id)
                found[task.id] = facts.headline(list(meta.summary) if meta else [],
                                                values.to_plain(values.decode(raw)), starter)
        return found

    # -- acting ------------------------------------------------------------------------------------
    def claim_task(self, task_id: str, *, by: Actor) -> TaskSummary:
        authorization.require_task_worker(by)
        return self._act(task_id, by, lambda s: task_summary(
            self._tasks.claim(s, self._acting_on(s, task_id, by), by)))

    def unclaim_task(self, task_id: str, *, by: Actor) -> TaskSummary:
        authorization.require_task_worker(by)
        return self._act(task_id, by, lambda s: task_summary(
            self._tasks.unclaim(s, self._visible(s, task_id, by), by)))

    def assign_task(self, task_id: str, username: str, *, by: Actor, dry_run: bool = False) -> TaskSummary:
        """Assign a task (admins any; the assignee delegating theirs) to a user eligible for
        it (``identity.eligibility``; 422 otherwise, ``system`` included). ``dry_run`` makes
        the checks that come before the assignee named (404, 403, 409) and changes nothing."""
        authorization.require_task_assigner(by)

        def act(session: Session) -> TaskSummary:
            acting = self._acting_on(session, task_id, by)
            authorization.check_may_assign(by, acting.task)
            delegating = not authorization.has_role(by, "admin")
            if dry_run:
                self._tasks.check_assign(session, acting, by, delegating=delegating)
                return task_summary(acting.task)
            return task_summary(self._tasks.assign(session, acting, by, username, delegating=delegating))

        return self._act(task_id, by, act)

    def complete_task(self, task_id: str, data: Mapping[str, Any], *, by: Actor,
                      dry_run: bool = False) -> CompletedTask | None:
        """Complete a task with ``data`` checked against its form; the process runs on to
        its next wait state. ``dry_run`` makes the checks that come before the data (404,
        403, separation of duties, 409) and completes nothing."""
        authorization.require_task_worker(by)

        def act(session: Session, prepared: bool = True) -> CompletedTask | None:
            acting = self._acting_on(session, task_id, by, completing=prepared and not dry_run)
            if dry_run:
                self._tasks.check_can_complete(session, acting, by)
                return None
            with acting_in(lazy_user_zone(session, by.username, self._ctx.settings.time_zone)):
                step = self._tasks.complete(session, acting, by, data)
            return {"task": task_summary(acting.task),
                    "instance": instance_view(acting.instance, step.open_tasks, step.open_total)}

        try:
            return self._act(task_id, by, act)
        except TaskRowExists:
            # A task the step opened has a row already (closed behind the engine's back):
            # nothing was written; the step again, asking before each new task's insert.
            return self._act(task_id, by, lambda session: act(session, prepared=False))

    # -- helpers -----------------------------------------------------------------------------------
    @staticmethod
    def _declared_summary(meta: Any, form: Any) -> list[dict[str, Any]]:
        """The task's summary as its process declares it, else as its form does (``x-summary``)."""
        if meta is not None and meta.summary:
            return list(meta.summary)
        declared = (form.schema or {}).get("x-summary") if form is not None else None
        try:
            return summaries.entries(declared) if declared else []
        except summaries.SummaryError:
            return []

    def _visible(self, session: Session, task_id: str, by: Actor) -> Task:
        task = self._tasks.get(session, task_id)
        authorization.check_task_visible(session, by, task)
        return task

    def _acting_on(self, session: Session, task_id: str, by: Actor, completing: bool = False) -> ActingOn:
        acting = self._tasks.acting_on(session, task_id, by, completing)
        authorization.check_task_visible(session, by, acting.task)
        return acting

    def _act(self, task_id: str, by: Actor, act: Callable[[Session], Result]) -> Result:
        try:
            with self._ctx.transaction() as session:
                return act(session)
        except Forbidden as refusal:
            self._record_refusal(task_id, by, refusal)
            raise

    def _record_refusal(self, task_id: str, by: Actor, refusal: Forbidden) -> None:
        with self._ctx.transaction() as session:
            task = session.get(Task, task_id)
            if task is None:
                return
            self._ctx.audit.append(session, [EventRecord(
                "access.denied", by.username, task.instance_id, task.definition_key, task.definition_version,
                task.element_id, task.id, {"reason": refusal.slug, "detail": refusal.detail},
            )])
        refusal.audited = True
