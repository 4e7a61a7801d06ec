"""Suspending and resuming instances and definitions, in the caller's transaction.

A suspended instance keeps everything it waits for, but nothing moves it: its tasks refuse
claim and completion (409), its jobs are put back when a worker takes them (a timer that
fell due meanwhile fires once the instance is resumed), and a message for it waits as a
job of its own until then. A suspended definition starts no new instances (409 by hand;
message and timer starts pass it by); with ``instances`` its running instances are
suspended too, and resuming the definition resumes those (not the ones suspended on
their own). Every change is audited with its reason.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..errors import ConcurrentModification, Conflict, FieldError, InvalidData
from ..history.audit import EventRecord
from ..identity.actors import Actor
from ..persistence.models import DefinitionSuspension, Instance, InstanceSuspension, Job
from ..status import FINISHED, InstanceStatus, JobKind, JobStatus
from .lifecycle import Lifecycle

MAX_REASON = 2000


def check_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidData([FieldError("/reason", "give a reason: it is kept in the audit trail")])
    if len(text) > MAX_REASON:
        raise InvalidData([FieldError("/reason", f"at most {MAX_REASON} characters")])
    return text


def definition_suspended(session: Session, key: str) -> DefinitionSuspension | None:
    return session.get(DefinitionSuspension, key)


class Suspensions:
    def __init__(self, lifecycle: Lifecycle) -> None:
        self.lifecycle = lifecycle
        self.clock = lifecycle.clock

    # -- instances ---------------------------------------------------------------------------------
    def suspend(self, session: Session, instance: Instance, actor: Actor, reason: str,
                with_definition: bool = False, parent: InstanceSuspension | None = None) -> None:
        """Suspend the instance and, with it, its running or failed child instances (call
        activities), recursively: a child suspended with its parent carries the parent's
        suspension moment, actor and reason, which is how resuming the parent knows it."""
        if instance.status in FINISHED:
            raise Conflict(f"instance {instance.id} is already {instance.status}")
        if instance.status == InstanceStatus.SUSPENDED:
            raise Conflict(f"instance {instance.id} is already suspended")
        held = InstanceSuspension(instance_id=instance.id, previous_status=instance.status, reason=reason,
                                  suspended_by=actor.username,
                                  suspended_at=parent.suspended_at if parent is not None else self.clock.now(),
                                  with_definition=with_definition)
        session.add(held)
        self._set_status(session, instance, InstanceStatus.SUSPENDED)
        payload = {"reason": reason, "with_definition": with_definition}
        if parent is not None:
            payload["with_parent"] = parent.instance_id
        self._audit(session, instance, "instance.suspended", actor, payload)
        for child in self._children(session, instance.id, (InstanceStatus.RUNNING, InstanceStatus.FAILED)):
            self.suspend(session, child, actor, reason, parent=held)

    def resume(self, session: Session, instance: Instance, actor: Actor, reason: str) -> None:
        """Back to the status it had; its workflow is written once more as a step, so its
        timer jobs are due when their timers are (one that fell due fires now) and its
        service calls and buffered messages are due at once."""
        held = session.get(InstanceSuspension, instance.id)
        if instance.status != InstanceStatus.SUSPENDED or held is None:
            raise Conflict(f"instance {instance.id} is not suspended")
        previous = held.previous_status
        with_parent = [
            child for child in self._children(session, instance.id, (InstanceStatus.SUSPENDED,))
            if (own := session.get(InstanceSuspension, child.id)) is not None
            and (own.suspended_at, own.suspended_by, own.reason) == (held.suspended_at, held.suspended_by, held.reason)]
        session.delete(held)
        now = self.clock.now()
        session.execute(
            update(Job).where(Job.instance_id == instance.id, Job.status == JobStatus.WAITING,
                              Job.kind.in_((JobKind.SERVICE, JobKind.MESSAGE)))
            .values(due_at=now).execution_options(synchronize_session=False))
        instance.status = previous
        loaded = self.lifecycle.executions.load(session, instance)
        resumed = EventRecord("instance.resumed", actor.username, instance.id, instance.definition_key,
                              instance.definition_version, payload={"reason": reason, "status": previous})
        self.lifecycle.steps.write(session, instance, loaded.definition, loaded.execution, actor.username,
                                   [resumed])
        for child in with_parent:  # the children suspended with it, not those suspended on their own
            self.resume(session, child, actor, reason)

    # -- definitions -------------------------------------------------------------------------------
    def suspend_definition(self, session: Session, key: str, actor: Actor, reason: str,
                           instances: bool) -> list[str]:
        """Refuse new instances of ``key``; with ``instances``, suspend its running and
        failed ones too. Returns the ids of the instances suspended."""
        self.lifecycle.definitions.get(session, key, None)  # 404 for an unknown process
        if definition_suspended(session, key) is not None:
            raise Conflict(f"process '{key}' is already suspended")
        session.add(DefinitionSuspension(definition_key=key, reason=reason, suspended_by=actor.username,
                                         suspended_at=self.clock.now()))
        version = self.lifecycle.definitions.get(session, key, None).version
        session.flush()
        self.lifecycle.steps.audit.append(session, [EventRecord(
            "definition.suspended", actor.username, None, key, version,
            payload={"reason": reason, "instances": instances})])
        if not instances:
            return []
        suspended = []
        for instance in self._instances_of(session, key, (InstanceStatus.RUNNING, InstanceStatus.FAILED)):
            self.suspend(session, instance, actor, reason, with_definition=True)
            suspended.append(instance.id)
        return suspended

    def resume_definition(self, session: Session, key: str, actor: Actor, reason: str) -> list[str]:
        """Start instances of ``key`` again, and resume the instances suspended with it."""
        held = definition_suspended(session, key)
        if held is None:
            raise Conflict(f"process '{key}' is not suspended")
        session.delete(held)
        version = self.lifecycle.definitions.get(session, key, None).version
        session.flush()
        self.lifecycle.steps.audit.append(session, [EventRecord(
            "definition.resumed", actor.username, None, key, version, payload={"reason": reason})])
        resumed = []
        with_it = select(InstanceSuspension.instance_id).where(InstanceSuspension.with_definition.is_(True))
        for instance in session.scalars(select(Instance).where(
                Instance.definition_key == key, Instance.status == InstanceStatus.SUSPENDED,
                Instance.id.in_(with_it)).order_by(Instance.started_at, Instance.id)):
            self.resume(session, instance, actor, reason)
            resumed.append(instance.id)
        return resumed

    # -- helpers -----------------------------------------------------------------------------------
    @staticmethod
    def _instances_of(session: Session, key: str, statuses) -> list[Instance]:
        return list(session.scalars(select(Instance).where(Instance.definition_key == key,
                                                           Instance.status.in_(statuses))
                                    .order_by(Instance.started_at, Instance.id)))

    @staticmethod
    def _children(session: Session, instance_id: str, statuses) -> list[Instance]:
        return list(session.scalars(select(Instance).where(Instance.parent_instance_id == instance_id,
                                                           Instance.status.in_(statuses))
                                    .order_by(Instance.started_at, Instance.id)))

    @staticmethod
    def _set_status(session: Session, instance: Instance, status: str) -> None:
        """Change the status under the instance's optimistic lock (a step running at the
        same time loses, or makes this one lose: never both)."""
        version = instance.lock_version
        result = session.execute(
            update(Instance).where(Instance.id == instance.id, Instance.lock_version == version)
            .values(status=status, lock_version=version + 1).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            raise ConcurrentModification(f"instance {instance.id} was changed by someone else at the same time")
        session.refresh(instance, ["status", "lock_version"])

    def _audit(self, session: Session, instance: Instance, type_: str, actor: Actor, payload: dict) -> None:
        self.lifecycle.steps.audit.append(session, [EventRecord(
            type_, actor.username, instance.id, instance.definition_key, instance.definition_version,
            payload=payload)])
