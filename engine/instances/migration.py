"""Migrating running instances from one version of their process to another.

The plan (versions, mapping, which instances) is checked once; then each instance moves in
its own transaction (:meth:`Migrator.migrate`): its workflow is re-bound to the target
version (runtime/migration.py), its row points at the target version, its open tasks keep
their ids and assignees but take name, form and candidate groups from the target model,
its timer jobs and message subscriptions are written again from the re-bound workflow by
the step writer, and ``instance.migrated`` records both versions and the mapping. A
problem leaves the instance exactly as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, defer

from ..definitions.calls import human_task_info
from ..errors import ConcurrentModification, FieldError, InvalidData
from ..history.audit import EventRecord
from ..identity.actors import Actor
from ..identity.eligibility import eligible_for_task
from ..persistence.models import Definition, Instance, Job, Task, TaskCandidate, TaskExclusion
from ..runtime.migration import element_ids, rebind
from ..status import FINISHED, InstanceStatus, JobStatus, TaskStatus
from .lifecycle import Lifecycle
from .state_rows import forget_task_rows, stored_state

MAX_MAPPING = 1000
MIGRATABLE = (InstanceStatus.RUNNING, InstanceStatus.FAILED, InstanceStatus.SUSPENDED)
_WITHOUT_SPEC = [defer(Definition.spec)]


@dataclass(frozen=True)
class MigrationPlan:
    definition_key: str
    source_id: str
    target_id: str
    from_version: int
    to_version: int
    mapping: dict[str, str]
    instance_ids: list[str]


class Migrator:
    def __init__(self, lifecycle: Lifecycle) -> None:
        self.lifecycle = lifecycle
        self.definitions = lifecycle.definitions

    def plan(self, session: Session, key: str, from_version: int, to_version: int, mapping: Mapping[str, str],
             instance_ids: list[str] | None, limit: int) -> MigrationPlan:
        """The versions and the mapping checked (404 unknown, 422 a mapping that names
        elements the versions lack), and the instances to move."""
        source = self.definitions.get(session, key, from_version)
        target = self.definitions.get(session, key, to_version)
        if from_version == to_version:
            raise InvalidData([FieldError("/to_version", "the target version is the version the instances run on")])
        errors = []
        if len(mapping) > MAX_MAPPING:
            errors.append(FieldError("/mapping", f"at most {MAX_MAPPING} elements"))
        known_source = element_ids(self.definitions.runtime(source))
        known_target = element_ids(self.definitions.runtime(target))
        for old, new in mapping.items():
            if old not in known_source:
                errors.append(FieldError(f"/mapping/{old}", f"version {from_version} has no element '{old}'"))
            if new not in known_target:
                errors.append(FieldError(f"/mapping/{old}", f"version {to_version} has no element '{new}'"))
        if instance_ids is not None and len(instance_ids) > limit:
            errors.append(FieldError("/instance_ids", f"at most {limit} instances at once"))
        if errors:
            raise InvalidData(errors)
        if instance_ids is None:
            instance_ids = list(session.scalars(
                select(Instance.id).where(Instance.definition_id == source.id, Instance.status.in_(MIGRATABLE))
                .order_by(Instance.started_at, Instance.id).limit(limit)))
        return MigrationPlan(key, source.id, target.id, from_version, to_version, dict(mapping),
                             list(dict.fromkeys(instance_ids)))

    def migrate(self, session: Session, plan: MigrationPlan, instance_id: str, actor: Actor,
                dry_run: bool) -> list[dict]:
        """Move one instance (or, ``dry_run``, only find out whether it can move); returns
        its problems (empty when it moves). Writes nothing when there are problems."""
        instance = session.get(Instance, instance_id)
        if instance is None or instance.definition_key != plan.definition_key:
            return [_problem(None, f"no instance '{instance_id}' of process '{plan.definition_key}'")]
        if instance.definition_id != plan.source_id:
            return [_problem(None, f"the instance runs on version {instance.definition_version}, "
                                   f"not {plan.from_version}")]
        if instance.status in FINISHED:
            return [_problem(None, f"the instance is {instance.status}")]
        # The versions' specs are restored once per process (DefinitionStore.runtime): not
        # read again with every instance.
        source = session.get(Definition, plan.source_id, options=_WITHOUT_SPEC)
        target = session.get(Definition, plan.target_id, options=_WITHOUT_SPEC)
        rebound = rebind(stored_state(session, instance), self.definitions.runtime(source),
                         self.definitions.runtime(target), plan.mapping, self.lifecycle.clock)
        if rebound.problems:
            return [_problem(element, message) for element, message in rebound.problems]
        if dry_run:
            return []
        self._repoint(session, instance, target)
        forget_task_rows(session, instance)  # the rebuilt workflow writes its state anew
        released = self._carry_tasks(session, instance, target, rebound, plan.mapping)
        migrated = EventRecord("instance.migrated", actor.username, instance.id, instance.definition_key,
                               target.version, payload={"from_version": plan.from_version,
                                                        "to_version": plan.to_version, "mapping": plan.mapping,
                                                        "moved": rebound.moved, "released": released})
        self.lifecycle.steps.write(session, instance, target, rebound.execution, actor.username, [migrated])
        return []

    @staticmethod
    def _repoint(session: Session, instance: Instance, target: Definition) -> None:
        version = instance.lock_version
        done = session.execute(
            update(Instance).where(Instance.id == instance.id, Instance.lock_version == version)
            .values(definition_id=target.id, definition_version=target.version, lock_version=version + 1)
            .execution_options(synchronize_session=False))
        if done.rowcount != 1:
            raise ConcurrentModification(f"instance {instance.id} was changed by someone else at the same time")
        session.refresh(instance, ["definition_id", "definition_version", "lock_version"])

    def _carry_tasks(self, session: Session, instance: Instance, target: Definition, rebound,
                     mapping) -> list[dict]:
        """Open tasks keep id and assignee; name, form, candidates and exclusions come from
        the target model (the task's element as mapped). An assignee the target model no
        longer names for the task would hold work they may not complete, so the task goes
        back to its candidates; the returned list says whose tasks did, and why."""
        released: list[dict] = []
        execution = rebound.execution
        ready = set(execution.ready_human_task_ids())
        for task in session.scalars(select(Task).where(Task.instance_id == instance.id,
                                                       Task.status == TaskStatus.OPEN)):
            if task.id not in ready:
                continue  # the step writer closes it
            now_ready = execution.ready_human_task(task.id)
            meta = human_task_info(session, target, now_ready.element_id)
            candidates = list(meta.candidate_groups) if meta and meta.candidate_groups else (
                [now_ready.lane] if now_ready.lane else [])
            task.element_id = now_ready.element_id
            task.name = (meta.name if meta and meta.name else now_ready.name)
            task.form = meta.form if meta else None
            task.candidate_groups = candidates
            task.definition_version = target.version
            session.execute(delete(TaskCandidate).where(TaskCandidate.task_id == task.id))
            if candidates:
                session.execute(insert(TaskCandidate.__table__),
                                [{"task_id": task.id, "group_name": g} for g in dict.fromkeys(candidates)])
            session.execute(delete(TaskExclusion).where(TaskExclusion.task_id == task.id))
            excluded = self.lifecycle.steps.excluded_users(session, instance, meta)
            if excluded:
                session.execute(insert(TaskExclusion.__table__),
                                [{"task_id": task.id, "username": u} for u in sorted(excluded)])
            if task.assignee:
                verdict = eligible_for_task(session, task, task.assignee, excluded=excluded or (), listed=False)
                if not verdict:
                    released.append({"task_id": task.id, "assignee": task.assignee, "reason": verdict.detail})
                    task.assignee = None
        for old, new in mapping.items():
            session.execute(update(Job).where(Job.instance_id == instance.id, Job.element_id == old,
                                              Job.status.in_((JobStatus.WAITING, JobStatus.RUNNING)))
                            .values(element_id=new).execution_options(synchronize_session=False))
        return released


def _problem(element_id: str | None, message: str) -> dict:
    return {"element_id": element_id, "message": message}
