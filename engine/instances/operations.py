"""The operations service: suspending, resuming, migrating and repairing instances.

What Camunda's Cockpit gives an operator, in Flowdesk's terms. Every method takes the
acting user and applies ``identity.authorization`` first; suspension and repair are one
transaction each, a migration one transaction per instance (so one instance that cannot
move leaves the others moved and itself exactly as it was).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..context import EngineContext
from ..identity import authorization
from ..identity.actors import Actor
from ..persistence.models import DefinitionSuspension, Instance, InstanceSuspension
from ..status import InstanceStatus
from ..timeutil import iso
from .lifecycle import Lifecycle
from .suspension import Suspensions, check_reason
from .views import InstanceView, instance_view


class OperationsService:
    def __init__(self, context: EngineContext) -> None:
        self._ctx = context
        self._lifecycle = Lifecycle(context.clock, context.definitions, context.executions, context.steps)
        self._suspensions = Suspensions(self._lifecycle)

    # -- suspension --------------------------------------------------------------------------------
    def suspend_instance(self, instance_id: str, *, by: Actor, reason: str) -> InstanceView:
        authorization.require_instance_suspender(by)
        with self._ctx.transaction() as session:
            instance = self._lifecycle.get(session, instance_id)
            self._suspensions.suspend(session, instance, by, check_reason(reason))
            return instance_view(instance, *self._lifecycle.open_tasks(session, instance.id))

    def resume_instance(self, instance_id: str, *, by: Actor, reason: str = "") -> InstanceView:
        authorization.require_instance_suspender(by)
        with self._ctx.transaction() as session:
            instance = self._lifecycle.get(session, instance_id)
            self._suspensions.resume(session, instance, by, (reason or "").strip()[:2000])
            return instance_view(instance, *self._lifecycle.open_tasks(session, instance.id))

    def suspend_definition(self, key: str, *, by: Actor, reason: str, instances: bool = False) -> dict[str, Any]:
        """Refuse new instances of ``key`` (designers and admins); with ``instances``, suspend
        its running ones too (admins)."""
        authorization.require_definition_suspender(by, instances)
        with self._ctx.transaction() as session:
            suspended = self._suspensions.suspend_definition(session, key, by, check_reason(reason), instances)
            return self._definition_view(session, key, suspended_instances=suspended)

    def resume_definition(self, key: str, *, by: Actor, reason: str = "") -> dict[str, Any]:
        authorization.require_definition_suspender(by, False)
        with self._ctx.transaction() as session:
            self._lifecycle.definitions.get(session, key, None)
            resumed = self._suspensions.resume_definition(session, key, by, (reason or "").strip()[:2000])
            return self._definition_view(session, key, resumed_instances=resumed)

    def definition_suspension(self, key: str, *, by: Actor) -> dict[str, Any]:
        """Whether ``key`` is suspended (readable by whoever reads definitions)."""
        with self._ctx.transaction() as session:
            self._lifecycle.definitions.get(session, key, None)
            return self._definition_view(session, key)

    def instance_suspension(self, instance_id: str, *, by: Actor) -> dict[str, Any] | None:
        """Why and since when an instance is suspended (None when it is not), for whoever
        may read it."""
        authorization.require_instance_reader(by)
        with self._ctx.transaction() as session:
            instance = self._lifecycle.get(session, instance_id)
            authorization.check_instance_visible(session, by, instance)
            held = session.get(InstanceSuspension, instance_id)
            if held is None:
                return None
            return {"reason": held.reason, "suspended_by": held.suspended_by, "suspended_at": iso(held.suspended_at),
                    "with_definition": held.with_definition}

    def suspended_instances(self, *, by: Actor, limit: int = 200) -> list[dict[str, Any]]:
        authorization.require_operations_reader(by)
        with self._ctx.transaction() as session:
            rows = session.execute(select(Instance, InstanceSuspension).join(
                InstanceSuspension, InstanceSuspension.instance_id == Instance.id)
                .where(Instance.status == InstanceStatus.SUSPENDED)
                .order_by(InstanceSuspension.suspended_at.desc()).limit(max(1, min(limit, 500))))
            return [{**instance_view(i, []), "suspension": {
                "reason": s.reason, "suspended_by": s.suspended_by, "suspended_at": iso(s.suspended_at)}}
                for i, s in rows]

    @staticmethod
    def _definition_view(session, key: str, **extra: Any) -> dict[str, Any]:
        held = session.get(DefinitionSuspension, key)
        return {"key": key, "suspended": held is not None,
                "suspension": None if held is None else {"reason": held.reason, "suspended_by": held.suspended_by,
                                                         "suspended_at": iso(held.suspended_at)},
                **extra}
