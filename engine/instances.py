"""Starting, reading and cancelling process instances."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from . import authorization, views
from .audit import EventRecord
from .clock import Clock
from .errors import Conflict, NotFound
from .identity import Actor
from .persistence.models import Incident, Instance, Job, MessageSubscription, Task
from .repository import RepositoryService
from .steps import OPEN_TASKS, StepWriter


class InstanceService:
    def __init__(self, clock: Clock, repository: RepositoryService, writer: StepWriter) -> None:
        self.clock = clock
        self.repository = repository
        self.writer = writer

    def start(
        self,
        session: Session,
        key: str,
        data: Mapping[str, Any],
        actor: Actor,
        business_key: str | None = None,
        version: int | None = None,
    ) -> Instance:
        definition = self.repository.get(session, key, version)
        info = self.repository.info(definition)
        authorization.check_may_start(actor, info)
        if not info.executable:
            raise Conflict(f"process '{key}' is not executable: it is deployed with its diagram to be viewed")
        if not info.plain_start:
            # Started by hand it would wait at its message or timer start for ever.
            triggers = ", ".join(f"message '{m}'" for m in info.message_starts) or "its timer"
            raise Conflict(f"process '{key}' is started by {triggers}, not by hand")
        start_form = self.repository.form(session, definition, info.start_form)
        if start_form is not None:
            data = start_form.check(data)  # completed with the optional fields left out
        instance = Instance(
            id=str(uuid.uuid4()), definition_id=definition.id, definition_key=definition.key,
            definition_version=definition.version, business_key=business_key, status="running",
            started_by=actor.username, started_at=self.clock.now(), state={}, data={}, active_elements=[],
        )
        session.add(instance)
        session.flush()  # the row exists before tasks and incidents refer to it
        execution = self.repository.runtime(definition).start(dict(data), self.clock)
        execution.run()
        started = EventRecord("instance.started", actor.username, instance.id, definition.key,
                              definition.version, payload={"business_key": business_key, "data": dict(data)})
        self.writer.write(session, instance, definition, execution, actor.username, [started])
        return instance

    def start_with_message(self, session: Session, definition, name: str, payload, correlation: dict,
                           actor: Actor, sender: str | None = None) -> Instance:
        """Start an instance of ``definition`` through its message start event ``name``."""
        instance = Instance(
            id=str(uuid.uuid4()), definition_id=definition.id, definition_key=definition.key,
            definition_version=definition.version, business_key=None, status="running",
            started_by=actor.username, started_at=self.clock.now(), state={}, data={}, active_elements=[],
        )
        session.add(instance)
        session.flush()
        execution = self.repository.runtime(definition).start_with_message(name, payload, correlation, self.clock)
        lead = [
            EventRecord("instance.started", actor.username, instance.id, definition.key, definition.version,
                        payload={"message": name, "correlation": correlation}),
            EventRecord("message.correlated", actor.username, instance.id, definition.key, definition.version,
                        payload={"name": name, "correlation": correlation, "payload": payload, "sender": sender,
                                 "started": True}),
        ]
        self.writer.write(session, instance, definition, execution, actor.username, lead)
        return instance

    def start_by_timer(self, session: Session, definition, element_id: str, actor: Actor) -> Instance:
        """Start an instance of ``definition`` because its timer start event fired."""
        instance = Instance(
            id=str(uuid.uuid4()), definition_id=definition.id, definition_key=definition.key,
            definition_version=definition.version, business_key=None, status="running",
            started_by=actor.username, started_at=self.clock.now(), state={}, data={}, active_elements=[],
        )
        session.add(instance)
        session.flush()
        execution = self.repository.runtime(definition).start_by_timer({}, self.clock)
        lead = [EventRecord("instance.started", actor.username, instance.id, definition.key, definition.version,
                            element_id=element_id, payload={"timer": element_id})]
        self.writer.write(session, instance, definition, execution, actor.username, lead)
        return instance

    def definitions_started_by(self, session: Session, name: str) -> list:
        """Latest versions of the processes that a message called ``name`` starts."""
        return [d for d in self.repository.list_latest(session)
                if name in self.repository.info(d).message_starts]

    def get(self, session: Session, instance_id: str) -> Instance:
        instance = session.get(Instance, instance_id)
        if instance is None:
            raise NotFound(f"no instance with id '{instance_id}'")
        return instance

    def open_tasks(self, session: Session, instance_id: str) -> tuple[list[Task], int]:
        """The first :data:`views.OPEN_TASKS_SHOWN` open tasks of an instance, oldest first,
        and how many are open (counted only when there are more)."""
        written = session.info.get(OPEN_TASKS, {}).get(instance_id)
        if written is not None:  # a step of this instance was just written in this transaction
            rows, total = written
            shown = [row for row in rows if row.status == "open"]
            return shown, total - (len(rows) - len(shown))
        return self.open_tasks_of(session, [instance_id]).get(instance_id, ([], 0))

    def open_tasks_of(self, session: Session, instance_ids: list[str]) -> dict[str, tuple[list[Task], int]]:
        """:meth:`open_tasks` of several instances in one query (a page of an instance list):
        each one's first open tasks, numbered and counted per instance by window functions,
        so a 1000-item multi-instance in the page costs its 50 rows, not a thousand."""
        if not instance_ids:
            return {}
        ranked = select(
            Task.id,
            func.row_number().over(partition_by=Task.instance_id, order_by=Task.created_at).label("n"),
            func.count().over(partition_by=Task.instance_id).label("total"),
        ).where(Task.instance_id.in_(instance_ids), Task.status == "open").subquery()
        found: dict[str, tuple[list[Task], int]] = {}
        for task, total in session.execute(
            select(Task, ranked.c.total).join(ranked, ranked.c.id == Task.id)
            .where(ranked.c.n <= views.OPEN_TASKS_SHOWN).order_by(Task.instance_id, ranked.c.n)
        ):
            found.setdefault(task.instance_id, ([], total))[0].append(task)
        return found

    def list(self, session: Session, *, definition_key=None, status=None, business_key=None, started_by=None,
             limit: int = 50, after: str | None = None) -> list[Instance]:
        stmt = select(Instance).order_by(Instance.started_at.desc(), Instance.id).limit(limit)
        for column, value in ((Instance.definition_key, definition_key), (Instance.status, status),
                              (Instance.business_key, business_key), (Instance.started_by, started_by)):
            if value is not None:
                stmt = stmt.where(column == value)
        return list(session.scalars(stmt))

    def cancel(self, session: Session, instance_id: str, actor: Actor, reason: str) -> Instance:
        instance = self.get(session, instance_id)
        if instance.status in {"completed", "cancelled"}:
            raise Conflict(f"instance {instance_id} is already {instance.status}")
        definition = self.repository.by_id(session, instance.definition_id)
        execution = self.repository.runtime(definition).restore(instance.state, self.clock)
        execution.cancel()
        now = self.clock.now()
        session.info.get(OPEN_TASKS, {}).pop(instance_id, None)
        for task in session.scalars(select(Task).where(Task.instance_id == instance_id, Task.status == "open")):
            task.status, task.completed_at = "cancelled", now
        instance.status, instance.ended_at = "cancelled", now
        session.execute(
            update(Job).where(Job.instance_id == instance_id, Job.status == "waiting")
            .values(status="cancelled", finished_at=now).execution_options(synchronize_session=False)
        )
        session.execute(delete(MessageSubscription).where(MessageSubscription.instance_id == instance_id))
        instance.state = execution.state()
        instance.active_elements = []
        session.flush()
        self.writer.audit.append(session, [EventRecord(
            "instance.cancelled", actor.username, instance.id, instance.definition_key,
            instance.definition_version, payload={"reason": reason},
        )])
        return instance

    def incidents(self, session: Session, instance_id: str | None = None, status: str | None = None) -> list[Incident]:
        stmt = select(Incident).order_by(Incident.created_at)
        if instance_id:
            stmt = stmt.where(Incident.instance_id == instance_id)
        if status:
            stmt = stmt.where(Incident.status == status)
        return list(session.scalars(stmt))
