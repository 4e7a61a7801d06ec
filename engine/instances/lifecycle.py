"""Starting and cancelling process instances, in the caller's transaction.

Three things start an instance: a person or system through the API (its start form
checked first), a message caught by a message start event, and a timer start event that
fell due. Each writes the new instance's first step with the step writer, like any
other step.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ..clock import Clock
from ..definitions.model import process_info
from ..errors import Conflict, FieldError, InvalidData, NotFound
from ..history.audit import EventRecord
from ..identity import authorization
from ..identity.actors import Actor
from ..local_time import today_where_acting
from ..persistence.models import (
    Definition,
    DefinitionSuspension,
    Instance,
    InstanceSuspension,
    Job,
    MessageSubscription,
    Task,
)
from ..records import attachments
from ..repository.store import DefinitionStore
from ..status import FINISHED, InstanceStatus, JobStatus, TaskStatus
from .loader import ExecutionLoader
from .steps import StepResult, StepWriter
from .validation import check_rules
from .views import OPEN_TASKS_SHOWN


class Lifecycle:
    def __init__(self, clock: Clock, definitions: DefinitionStore, executions: ExecutionLoader,
                 steps: StepWriter) -> None:
        self.clock = clock
        self.definitions = definitions
        self.executions = executions
        self.steps = steps

    # -- starting ----------------------------------------------------------------------------------
    def check_start(self, session: Session, key: str, version: int | None, actor: Actor) -> Definition:
        """The version to start, after the checks that come before the start data: 404 for
        an unknown process, 403 for someone outside its start lane, 409 for a process only
        a message or a timer starts."""
        definition = self.definitions.get(session, key, version)
        info = process_info(definition)
        authorization.check_may_start(actor, info)
        if not info.executable:
            raise Conflict(f"process '{key}' is not executable: it is deployed with its diagram to be viewed")
        if not info.plain_start:
            # Started by hand it would wait at its message or timer start for ever.
            triggers = ", ".join(f"message '{m}'" for m in info.message_starts) or "its timer"
            raise Conflict(f"process '{key}' is started by {triggers}, not by hand")
        self.check_not_suspended(session, key)
        return definition

    @staticmethod
    def check_not_suspended(session: Session, key: str) -> None:
        """409 while an operator has suspended the process (every version of it)."""
        held = session.get(DefinitionSuspension, key)
        if held is not None:
            raise Conflict(f"process '{key}' is suspended and starts no new instances: {held.reason}")

    def start(self, session: Session, definition: Definition, data: Mapping[str, Any], actor: Actor,
              business_key: str | None = None) -> tuple[Instance, StepResult]:
        info = process_info(definition)
        start_form = self.definitions.form(session, definition, info.start_form)
        if start_form is not None:
            # completed with the optional fields left out; "today" is the user's own date
            data = start_form.check(data, today=today_where_acting(self.steps.clock))
            check_rules(session, self.clock, self.definitions, definition, info.start_validate, data, {},
                        self.steps.functions)
        files = authorization.check_may_attach(session, actor, data)
        instance = self._new_instance(session, definition, actor, business_key)
        attachments.attach(session, instance.id, files, actor.username, instance.started_at)
        execution = self.executions.start(definition, data, business_key)
        started = EventRecord("instance.started", actor.username, instance.id, definition.key,
                              definition.version, payload = {"business_key": business_key, "data": dict(data)})
        return instance, self.steps.write(session, instance, definition, execution, actor.username, [started])

    def start_with_message(self, session: Session, definition: Definition, name: str, payload: Any,
                           correlation: dict, actor: Actor, sender: str | None = None,
                           check_form: bool = False) -> Instance:
        """Start an instance of ``definition`` through its message start event ``name``.

        ``check_form``: the message came from outside (``POST /messages``): its data must fit
        the process's start form, like data entered by hand (InvalidData, paths under
        ``/data``, and nothing is started)."""
        info = process_info(definition)
        start_form = self.definitions.form(session, definition, info.start_form)
        if check_form and start_form is not None and isinstance(payload, Mapping):
            try:
                payload = start_form.check(payload, today=today_where_acting(self.steps.clock))
                check_rules(session, self.clock, self.definitions, definition, info.start_validate, payload, {},
                            self.steps.functions)
            except InvalidData as invalid:
                raise InvalidData([FieldError("/data" + e.path, e.message, e.translations) for e in invalid.errors],
                                  detail=f"the message's data does not fit the start form of '{definition.key}': "
                                         + invalid.detail) from None
        instance = self._new_instance(session, definition, actor, None)
        execution = self.executions.start_with_message(definition, name, payload, correlation)
        lead = [
            EventRecord("instance.started", actor.username, instance.id, definition.key, definition.version,
                        payload={"message": name, "correlation": correlation}),
            EventRecord("message.correlated", actor.username, instance.id, definition.key, definition.version,
                        payload={"name": name, "correlation": correlation, "payload": payload, "sender": sender,
                                 "started": True}),
        ]
        self.steps.write(session, instance, definition, execution, actor.username, lead)
        return instance

    def start_by_timer(self, session: Session, definition: Definition, element_id: str,
                       actor: Actor) -> Instance | None:
        """Start an instance of ``definition`` because its timer start event fired (None:
        the process is suspended, and this occurrence starts nothing)."""
        if session.get(DefinitionSuspension, definition.key) is not None:
            return None
        instance = self._new_instance(session, definition, actor, None)
        execution = self.executions.start_by_timer(definition)
        lead = [EventRecord("instance.started", actor.username, instance.id, definition.key, definition.version,
                            element_id=element_id, payload={"timer": element_id})]
        self.steps.write(session, instance, definition, execution, actor.username, lead)
        return instance

    def _new_instance(self, session: Session, definition: Definition, actor: Actor,
                      business_key: str | None) -> Instance:
        instance = Instance(
            id=str(uuid.uuid4()), definition_id=definition.id, definition_key=definition.key,
            definition_version=definition.version, business_key=business_key, status=InstanceStatus.RUNNING,
            started_by=actor.username, started_at=self.clock.now(), state={}, data={}, active_elements=[],
        )
        session.add(instance)
        session.flush()  # the row exists before tasks and incidents refer to it
        return instance

    def definitions_started_by(self, session: Session, name: str) -> list[Definition]:
        """Latest versions of the processes that a message called ``name`` starts."""
        suspended = set(session.scalars(select(DefinitionSuspension.definition_key)))
        return [d for d in self.definitions.list_latest(session)
                if name in process_info(d).message_starts and d.key not in suspended]

    # -- reading -----------------------------------------------------------------------------------
    @staticmethod
    def get(session: Session, instance_id: str) -> Instance:
        instance = session.get(Instance, instance_id)
        if instance is None:
            raise NotFound(f"no instance with id '{instance_id}'")
        return instance

    def open_tasks(self, session: Session, instance_id: str) -> tuple[list[Task], int]:
        """The first :data:`~.views.OPEN_TASKS_SHOWN` open tasks of an instance, oldest
        first, and how many are open."""
        return self.open_tasks_of(session, [instance_id]).get(instance_id, ([], 0))

    @staticmethod
    def open_tasks_of(session: Session, instance_ids: list[str]) -> dict[str, tuple[list[Task], int]]:
        """:meth:`open_tasks` of several instances in one query (a page of an instance list):
        each one's first open tasks, numbered and counted per instance by window functions,
        so a 1000-item multi-instance in the page costs its 50 rows, not a thousand."""
        if not instance_ids:
            return {}
        ranked = select(
            Task.id,
            func.row_number().over(partition_by=Task.instance_id, order_by=Task.created_at).label("n"),
            func.count().over(partition_by=Task.instance_id).label("total"),
        ).where(Task.instance_id.in_(instance_ids), Task.status == TaskStatus.OPEN).subquery()
        found: dict[str, tuple[list[Task], int]] = {}
        for task, total in session.execute(
            select(Task, ranked.c.total).join(ranked, ranked.c.id == Task.id)
            .where(ranked.c.n <= OPEN_TASKS_SHOWN).order_by(Task.instance_id, ranked.c.n)
        ):
            found.setdefault(task.instance_id, ([], total))[0].append(task)
        return found

    # -- cancelling --------------------------------------------------------------------------------
    @staticmethod
    def check_cancellable(instance: Instance) -> None:
        if instance.status in FINISHED:
            raise Conflict(f"instance {instance.id} is already {instance.status}")

    def cancel(self, session: Session, instance: Instance, actor: Actor, reason: str) -> Instance:
        """Cancel an instance: its open tasks and waiting jobs are cancelled, its message
        subscriptions dropped, and the cancelled workflow stored through the step writer."""
        self.check_cancellable(instance)
        loaded = self.executions.load(session, instance)
        loaded.execution.cancel()
        now = self.clock.now()
        session.execute(
            update(Job).where(Job.instance_id == instance.id, Job.status == JobStatus.WAITING)
            .values(status=JobStatus.CANCELLED, finished_at=now).execution_options(synchronize_session=False)
        )
        session.execute(delete(MessageSubscription).where(MessageSubscription.instance_id == instance.id))
        session.execute(delete(InstanceSuspension).where(InstanceSuspension.instance_id == instance.id))
        cancelled = EventRecord("instance.cancelled", actor.username, instance.id, instance.definition_key,
                                instance.definition_version, payload = {"reason": reason})
        self.steps.write(session, instance, loaded.definition, loaded.execution, actor.username, [cancelled],
                         ends_cancelled=True)
        return instance
