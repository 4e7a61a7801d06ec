"""The people service: a user's preferences, their substitute while away, and handing
a task to a colleague while keeping its owner (delegation)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..context import EngineContext
from ..errors import Conflict, FieldError, Forbidden, InvalidData, NotFound
from ..history.audit import EventRecord
from ..identity import authorization
from ..identity.actors import Actor
from ..instances.tasks import TaskActions
from ..instances.views import TaskSummary, task_summary
from ..persistence.collaboration import Substitute, TaskOwner
from ..persistence.models import Instance, Task
from ..status import TaskStatus
from ..timeutil import iso
from .preferences import Preferences, PreferencesView
from .substitutes import DELEGATION, may_take_over, record_owner


def _substitute_view(row: Substitute, now: datetime) -> dict[str, Any]:
    return {"username": row.username, "substitute": row.substitute, "from": iso(row.starts_at),
            "until": iso(row.ends_at),
            "active": row.starts_at <= now and (row.ends_at is None or now < row.ends_at)}


class PeopleService:
    def __init__(self, context: EngineContext, on_change: Callable[[], None] = lambda: None) -> None:
        self._ctx = context
        self._on_change = on_change  # an address saved: notifications may now have someone to go to
        default_tz = context.settings.time_zone
        self._prefs = Preferences(context.clock, default_time_zone=default_tz)
        self._tasks = TaskActions(context.clock, context.definitions, context.executions, context.steps,
                                  context.audit)

    # -- preferences ---------------------------------------------------------------------------
    def preferences(self, *, by: Actor) -> PreferencesView:
        with self._ctx.transaction() as session:
            return self._prefs.view(session, by.username)

    def save_preferences(self, changes: Mapping[str, Any], *, by: Actor) -> PreferencesView:
        with self._ctx.transaction() as session:
            self._ctx.users.get(session, by.username)
            saved = self._prefs.save(session, by.username, changes)
        self._on_change()
        return saved

    # -- out of office -------------------------------------------------------------------------
    def substitute(self, *, by: Actor) -> dict[str, Any] | None:
        with self._ctx.transaction() as session:
            row = session.get(Substitute, by.username)
            return None if row is None else _substitute_view(row, self._ctx.clock.now())

    def set_substitute(self, username: str, starts_at: datetime | None, ends_at: datetime | None, *,
                       by: Actor) -> dict[str, Any]:
        """Name who gets the user's new tasks from ``starts_at`` (now) until ``ends_at``
        (open). 422 when the substitute is not an active colleague eligible for the tasks
        the user holds now."""
        authorization.require_task_worker(by)
        now = self._ctx.clock.now()
        starts_at = starts_at or now
        with self._ctx.transaction() as session:
            self._check_substitute(session, by, username, starts_at, ends_at)
            row = session.get(Substitute, by.username)
            if row is None:
                row = Substitute(username=by.username, created_at=now)
                session.add(row)
            row.substitute, row.starts_at, row.ends_at, row.created_at = username, starts_at, ends_at, now
            session.flush()
            self._ctx.audit.append(session, [EventRecord("substitute.set", by.username, payload={
                "substitute": username, "from": iso(starts_at), "until": iso(ends_at)})])
            return _substitute_view(row, now)

    def clear_substitute(self, *, by: Actor) -> None:
        with self._ctx.transaction() as session:
            row = session.get(Substitute, by.username)
            if row is None:
                raise NotFound(f"'{by.username}' has no substitute")
            session.delete(row)
            self._ctx.audit.append(session, [EventRecord("substitute.cleared", by.username,
                                                         payload={"substitute": row.substitute})])

    def _check_substitute(self, session: Session, by: Actor, username: str, starts_at: datetime,
                          ends_at: datetime | None) -> None:
        if ends_at is not None and ends_at <= starts_at:
            raise InvalidData([FieldError("/until", "must be after 'from'")])
        if username == by.username:
            raise InvalidData([FieldError("/username", "you cannot be your own substitute")])
        try:
            substitute = self._ctx.users.actor(session, username)
        except NotFound:
            raise InvalidData([FieldError("/username", f"there is no active user '{username}'")]) from None
        mine = authorization.business_groups(by)
        if mine and not substitute.in_any(mine):
            raise InvalidData([FieldError("/username", f"'{username}' is in none of your groups, so may not do "
                                                       "your tasks")])
        held = session.scalars(select(Task).where(Task.assignee == by.username, Task.status == TaskStatus.OPEN)
                               .order_by(Task.created_at).limit(500))
        for task in held:
            if not self._eligible(session, task, username):
                raise InvalidData([FieldError("/username", f"'{username}' may not work on your task "
                                                           f"'{task.name}' ({task.id})")])

    def _eligible(self, session: Session, task: Task, username: str) -> bool:
        definition = self._ctx.definitions.by_id(session, self._instance_definition(session, task))
        meta = self._tasks.task_info(session, definition, task.element_id)
        return may_take_over(session, self._ctx.steps, task, meta, username)

    @staticmethod
    def _instance_definition(session: Session, task: Task) -> str:
        return session.scalar(select(Instance.definition_id).where(Instance.id == task.instance_id))

    # -- delegation ----------------------------------------------------------------------------
    def delegate_task(self, task_id: str, username: str, *, by: Actor) -> TaskSummary:
        """Hand a task to an eligible colleague; its owner stays (the events say on whose
        behalf the delegate works). Only its assignee (or an admin) delegates."""
        authorization.require_task_assigner(by)
        with self._ctx.transaction() as session:
            task = self._tasks.get(session, task_id)
            authorization.check_task_visible(session, by, task)
            authorization.check_may_assign(by, task)
            if task.status != TaskStatus.OPEN:
                raise Conflict(f"task '{task.name}' is {task.status}")
            if username == task.assignee:
                raise InvalidData([FieldError("/username", f"'{username}' holds the task already")])
            definition = self._ctx.definitions.by_id(session, self._instance_definition(session, task))
            meta = self._tasks.task_info(session, definition, task.element_id)
            if not may_take_over(session, self._ctx.steps, task, meta, username):
                raise InvalidData([FieldError("/username", f"'{username}' may not work on '{task.name}' "
                                                           "(not a candidate, or barred by separation of duties)")])
            owner_row = session.get(TaskOwner, task.id)
            owner = owner_row.owner if owner_row is not None else task.assignee
            if owner is None:
                raise Forbidden("only a task someone holds can be delegated; claim it first")
            previous = task.assignee
            task.assignee = username
            record_owner(session, task.id, owner, username, DELEGATION, self._ctx.clock.now())
            session.flush()
            self._ctx.audit.append(session, [EventRecord(
                "task.delegated", by.username, task.instance_id, task.definition_key, task.definition_version,
                task.element_id, task.id, {"from": previous, "to": username, "on_behalf_of": owner})])
            summary = task_summary(task)
        self._on_change()
        return summary
