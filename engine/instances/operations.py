"""The operations service: suspending, resuming, migrating and repairing instances.

What Camunda's Cockpit gives an operator, in Flowdesk's terms. Every method takes the
acting user and applies ``identity.authorization`` first; suspension and repair are one
transaction each, a migration one transaction per instance (so one instance that cannot
move leaves the others moved and itself exactly as it was).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select

from ..context import EngineContext
from ..errors import FlowdeskError
from ..identity import authorization
from ..identity.actors import Actor
from ..persistence.models import DefinitionSuspension, Instance, InstanceSuspension
from ..status import InstanceStatus
from ..timeutil import iso
from .lifecycle import Lifecycle
from .migration import MigrationPlan, Migrator
from .modification import Modifier, check_instructions
from .suspension import Suspensions, check_reason
from .views import InstanceView, instance_view

# A migration names at most this many instances (or finds at most this many running).
MAX_MIGRATED = 10_000


class OperationsService:
    def __init__(self, context: EngineContext) -> None:
        self._ctx = context
        self._lifecycle = Lifecycle(context.clock, context.definitions, context.executions, context.steps)
        self._suspensions = Suspensions(self._lifecycle)
        self._migrator = Migrator(self._lifecycle)
        self._modifier = Modifier(self._lifecycle)

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

    # -- migration ---------------------------------------------------------------------------------
    @staticmethod
    def check_migrator(*, by: Actor) -> None:
        """403 for whoever may not even make a dry run."""
        authorization.require_migrator(by, dry_run=True)

    def migrate(self, definition_key: str, from_version: int, to_version: int, *, by: Actor,
                instance_ids: Sequence[str] | None = None, mapping: Mapping[str, str] | None = None,
                dry_run: bool = True) -> dict[str, Any]:
        """Move instances of one version to another. Each instance is checked, and (unless
        ``dry_run``) moved, in its own transaction; the answer says per instance whether it
        can move (or moved) and why not."""
        authorization.require_migrator(by, dry_run)
        mapping = dict(mapping or {})
        with self._ctx.transaction() as session:
            plan = self._migrator.plan(session, definition_key, from_version, to_version, mapping,
                                       list(instance_ids) if instance_ids is not None else None, MAX_MIGRATED)
        results, migrated = [], 0
        for instance_id in plan.instance_ids:
            outcome = self._migrate_one(plan, instance_id, by, dry_run)
            migrated += bool(outcome["ok"]) and not dry_run
            results.append(outcome)
        return {"definition_key": definition_key, "from_version": from_version, "to_version": to_version,
                "mapping": mapping, "dry_run": dry_run, "instances": results, "migrated": migrated}

    def _migrate_one(self, plan: MigrationPlan, instance_id: str, by: Actor, dry_run: bool) -> dict[str, Any]:
        try:
            with self._ctx.transaction() as session:
                problems = self._migrator.migrate(session, plan, instance_id, by, dry_run)
                if problems and not dry_run:
                    raise _NothingMoved(problems)
        except _NothingMoved as stop:
            return {"id": instance_id, "ok": False, "problems": stop.problems}
        except FlowdeskError as err:
            return {"id": instance_id, "ok": False, "problems": [{"element_id": None, "message": err.detail}]}
        return {"id": instance_id, "ok": not problems, "problems": problems}

    # -- modification ------------------------------------------------------------------------------
    def modify_instance(self, instance_id: str, instructions: Sequence[Mapping[str, Any]], *, by: Actor,
                        reason: str, dry_run: bool = False) -> InstanceView | None:
        """Repair one instance: cancel an activity, start before or after an element (admins).
        ``dry_run``: only the checks that come before the instructions (403, 404)."""
        authorization.require_admin(by, "modify process instances")
        if dry_run:
            with self._ctx.transaction() as session:
                self._lifecycle.get(session, instance_id)
            return None
        steps = check_instructions(instructions)
        reason = check_reason(reason)
        with self._ctx.transaction() as session:
            instance = self._lifecycle.get(session, instance_id)
            step = self._modifier.modify(session, instance, steps, by, reason)
            return instance_view(instance, step.open_tasks, step.open_total)


class _NothingMoved(Exception):
    """Rolls back one instance's migration transaction (its problems are the answer)."""

    def __init__(self, problems: list[dict]) -> None:
        super().__init__("migration refused")
        self.problems = problems
