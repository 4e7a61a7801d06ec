"""Delivering messages and signals to instances, across instances.

SpiffWorkflow matches messages only inside one workflow; finding the receiving instance
is Flowdesk's job. Waiting catch events are projected into ``message_subscriptions``
(name + the correlation values the instance expects) by every step, so a delivery is an
indexed lookup by name, then a correlation check, then one step of the receiver.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import values
from ..history.audit import EventRecord
from ..identity.actors import SYSTEM, Actor
from ..persistence.models import Instance, Job, MessageSubscription
from ..status import InstanceStatus, JobKind, JobStatus
from .correlation import matches, shaped_like
from .lifecycle import Lifecycle
from .loader import ExecutionLoader
from .steps import StepWriter

SIGNAL_PREFIX = "signal:"


class MessageDelivery:
    def __init__(self, lifecycle: Lifecycle, executions: ExecutionLoader, steps: StepWriter) -> None:
        self.lifecycle = lifecycle
        self.executions = executions
        self.steps = steps

    def deliver(self, session: Session, name: str, correlation: dict, payload: Any, sender: str | None,
                single: bool, actor: Actor = SYSTEM, from_outside: bool = False) -> list[dict]:
        """Deliver a message to the waiting instances whose correlation values match (all of
        them, or only the longest waiting when ``single``, as for a message thrown by a
        process); when none waits, start the processes whose message start event has this
        name. Returns one entry per instance reached.

        A name ``signal:NAME`` is a signal thrown by a process: it reaches every instance
        waiting for it and starts the processes with that signal start event; reaching
        nobody is fine for a signal (the answer is then one entry without an instance).

        ``from_outside``: sent through the API, so a process it starts checks the data against
        its start form (a message thrown by a process is that process's business)."""
        if name.startswith(SIGNAL_PREFIX):
            reached = self.broadcast_signal(session, name[len(SIGNAL_PREFIX):], payload, actor, sender)
            return reached or [{"instance_id": None, "started": False}]
        delivered = self._to_subscribers(session, name, correlation, payload, sender, single, actor, signal=False)
        if delivered:
            return delivered
        starter = self._origin(session, sender) or actor
        for definition in self.lifecycle.definitions_started_by(session, name):
            started = self.lifecycle.start_with_message(session, definition, name, payload, correlation, starter,
                                                        sender, check_form=from_outside)
            delivered.append({"instance_id": started.id, "started": True})
            if single:
                break
        return delivered

    @staticmethod
    def _origin(session: Session, sender: str | None) -> Actor | None:
        """Who an instance started by another instance's message is started for: the user
        who started the sender (itself propagated along a chain of such starts), so that
        separation-of-duties rules on ``@starter`` still refuse the original requester.
        None when the message did not come from an instance started by a person."""
        if not sender:
            return None
        origin = session.get(Instance, sender)
        if origin is None or not origin.started_by or origin.started_by == SYSTEM.username:
            return None
        return Actor(origin.started_by)

    def broadcast_signal(self, session: Session, name: str, payload: Any, actor: Actor,
                         sender: str | None = None) -> list[dict]:
        """A signal reaches every instance waiting for it, and starts every process whose
        signal start event catches it."""
        reached = self._to_subscribers(session, name, {}, payload, sender, False, actor, signal=True)
        starter = self._origin(session, sender) or actor
        for definition in self.lifecycle.definitions_started_by(session, SIGNAL_PREFIX + name):
            started = self.lifecycle.start_with_message(session, definition, SIGNAL_PREFIX + name, payload, {},
                                                        starter, sender)
            reached.append({"instance_id": started.id, "started": True})
        return reached

    def _to_subscribers(self, session, name, correlation, payload, sender, single, actor, signal) -> list[dict]:
        delivered: list[dict] = []
        key = SIGNAL_PREFIX + name if signal else name
        subscriptions = session.scalars(
            select(MessageSubscription).where(MessageSubscription.name == key)
            .order_by(MessageSubscription.created_at, MessageSubscription.task_id)
        ).all()
        for sub in subscriptions:
            expected = values.decode(sub.correlation)
            if not signal and not matches(expected, correlation):
                continue
            instance = session.get(Instance, sub.instance_id)
            if instance is None or instance.status not in (InstanceStatus.RUNNING, InstanceStatus.SUSPENDED):
                continue
            if any(d["instance_id"] == instance.id for d in delivered):
                continue
            if instance.status == InstanceStatus.SUSPENDED:
                # Kept for it as a job of its own, delivered once it is resumed.
                self._buffer(session, instance, key, correlation, payload, sender, sub.element_id)
                delivered.append({"instance_id": instance.id, "started": False, "buffered": True})
            elif not self._catch(session, instance, key, correlation, payload, sender, actor, sub, expected):
                continue
            else:
                delivered.append({"instance_id": instance.id, "started": False})
            if single:
                break
        return delivered

    def deliver_to(self, session: Session, instance: Instance, name: str, correlation: dict, payload: Any,
                   sender: str | None, actor: Actor = SYSTEM) -> bool:
        """Deliver a message (or ``signal:NAME``) kept for one instance while it was
        suspended; False when the instance no longer waits for it."""
        sub = session.scalars(select(MessageSubscription).where(
            MessageSubscription.instance_id == instance.id, MessageSubscription.name == name)
            .order_by(MessageSubscription.created_at)).first()
        if sub is None:
            return False
        return self._catch(session, instance, name, correlation, payload, sender, actor, sub,
                           values.decode(sub.correlation))

    def _catch(self, session, instance, key, correlation, payload, sender, actor, sub, expected) -> bool:
        signal = key.startswith(SIGNAL_PREFIX)
        name = key[len(SIGNAL_PREFIX):] if signal else key
        definition, execution = self.executions.load(session, instance)
        if signal:
            caught = execution.deliver_signal(name, payload)
        else:
            caught = execution.deliver_message(name, payload, shaped_like(expected, correlation))
        if not caught:
            return False
        event_type = "signal.received" if signal else "message.correlated"
        self.steps.write(session, instance, definition, execution, actor.username, [EventRecord(
            event_type, actor.username, instance.id, instance.definition_key, instance.definition_version,
            sub.element_id, sub.task_id, {"name": name, "correlation": correlation, "payload": payload,
                                          "sender": sender},
        )])
        return True

    def _buffer(self, session, instance, key, correlation, payload, sender, element_id) -> None:
        now = self.lifecycle.clock.now()
        session.add(Job(id=str(uuid.uuid4()), kind=JobKind.MESSAGE, name=key, instance_id=instance.id,
                        element_id=element_id, due_at=now, status=JobStatus.WAITING, attempts=0, max_attempts=1,
                        created_at=now, payload=values.encode({
                            "name": key, "payload": payload, "correlation": correlation,
                            "sender_instance_id": sender,
                            "expires_at": (now + timedelta(seconds=self.steps.message_ttl_seconds)).isoformat()})))
        self.steps.audit.append(session, [EventRecord(
            "message.buffered", SYSTEM.username, instance.id, instance.definition_key, instance.definition_version,
            element_id, None, {"name": key, "correlation": correlation, "sender": sender})])
