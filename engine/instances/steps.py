"""Writing one step of one instance: state, inbox, incidents and events, together.

After SpiffWorkflow has run an instance to its next wait state, :class:`StepWriter`
turns the outcome into rows in the caller's transaction: the new state with a bumped
version (so a concurrent writer of the same instance fails instead of both winning),
the human tasks that opened or closed, an incident when a step failed, and the audit
events of all of it. Nothing is written anywhere else, so a crash loses nothing and
duplicates nothing.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy import inspect as instance_state
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from .. import expressions, values
from ..clock import Clock
from ..definitions.calls import called_definition
from ..definitions.model import STARTER, HumanTaskInfo, process_info
from ..errors import ConcurrentModification
from ..expressions.feel import using_clock
from ..histograms import STEP_SECONDS
from ..history.audit import AuditLog, EventRecord
from ..history.audit.diff import diff
from ..persistence import after_commit
from ..persistence.batch import Pending, WriteBatch, duplicate_row, send_queued
from ..persistence.models import (
    Definition,
    Incident,
    Instance,
    Job,
    MessageSubscription,
    Task,
    TaskCandidate,
    TaskExclusion,
)
from ..runtime import Execution, ReadyTask
from ..status import FINISHED, IncidentStatus, InstanceStatus, JobKind, JobStatus, TaskStatus, ends_as_cancelled
from ..timeutil import as_instant
from . import views
from .state_rows import queue_task_rows

DEFAULT_PRIORITY = 50
DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF_SECONDS = 2.0
DEFAULT_MESSAGE_TTL_SECONDS = 7 * 24 * 3600
EXTERNAL_PREFIX = "external:"


class MetaExpressionError(Exception):
    """An assignee, due-date or priority expression of a task could not be evaluated."""

    def __init__(self, element_id: str, what: str, detail: str) -> None:
        super().__init__(f"task '{element_id}': its {what} could not be evaluated: {detail}")
        self.element_id = element_id


def _evaluate_meta(text: str, data: Mapping[str, Any], starter: str | None, functions: Mapping[str, Any]) -> Any:
    """Assignee/due/priority values are literals, unless written as ``${...}`` (Camunda
    EL) or ``=...`` (a sandboxed Python expression, e.g. ``=deadline("PT8H")``)."""
    if expressions.is_el(text):
        source = expressions.translate_el(text)
    elif text.startswith("="):
        source = text[1:].strip()
    else:
        return text
    scope = {**functions, **data, "starter": starter, "initiator": starter}
    return expressions.evaluate(source, scope)


def _called_task_info(session: Session, instance: Instance, ready: ReadyTask) -> HumanTaskInfo | None:
    """The inspected info of a user task that belongs to a process the instance's version
    calls (None for a task of the instance's own process, e.g. in an embedded sub-process)."""
    caller = session.get(Definition, instance.definition_id)
    called = called_definition(session, caller, ready.process_id) if caller is not None else None
    return process_info(called).human_tasks.get(ready.element_id) if called is not None else None


TASK_COLUMNS = tuple(getattr(Task, c.key) for c in Task.__table__.columns)
# What a step needs of the open tasks it did not touch: which they are, oldest first
# (built once, like the other statements every step runs: see _ACTION_READ in tasks.py).
_OPEN_TASK_KEYS = (select(Task.id, Task.element_id)
                   .where(Task.instance_id == bindparam("instance_id"), Task.status == TaskStatus.OPEN)
                   .order_by(Task.created_at))
# The instance row of a step, if nobody moved its version since it was read.
_UPDATE_INSTANCE = (update(Instance.__table__)
                    .where(Instance.__table__.c.id == bindparam("row_id"),
                           Instance.__table__.c.lock_version == bindparam("row_version")))
# Core tables, not the ORM classes: an ORM entity insert takes the slower bulk path.
_INSERT_CANDIDATES, _INSERT_EXCLUSIONS = insert(TaskCandidate.__table__), insert(TaskExclusion.__table__)
_NEW_TASK = {
    name: insert_of(Task.__table__).on_conflict_do_nothing().returning(Task.__table__.c.id)
    for name, insert_of in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))
}
# A new task whose row cannot exist (see Prepared): queued with the step's other writes.
_INSERT_TASK = insert(Task.__table__)
# An open task the step ended (one row per task, so the statement is built once).
_CANCEL_TASK = (update(Task.__table__)
                .where(Task.__table__.c.id == bindparam("task_id"), Task.__table__.c.status == TaskStatus.OPEN))


class OpenKey(NamedTuple):
    """An open task of the instance as a step needs it: which it is."""

    id: str
    element_id: str


@dataclass(frozen=True)
class Prepared:
    """What a caller read and queued before the step, so that the step neither reads
    again nor waits for each write (a task completion: one read, one round trip of writes).

    ``open_keys``: the instance's open tasks, read in the caller's transaction. A step
    given these inserts its new tasks without asking whether their rows exist: the ids are
    new to the workflow, and one that exists (a row closed behind the engine's back) fails
    the batch with :class:`TaskRowExists`, after which the caller runs the step again
    without ``Prepared`` (``ON CONFLICT DO NOTHING``, one statement per new task)."""

    open_keys: list[OpenKey]


class TaskRowExists(Exception):
    """A task the step opened already has a row (see :class:`Prepared`): nothing was
    written; run the step again without ``Prepared``."""


def _new_task_insert(session: Session):
    """INSERT a task row unless it exists, returning its id only when it was new."""
    return _NEW_TASK[session.get_bind().dialect.name]


@dataclass(frozen=True)
class StepResult:
    """What a written step leaves for its caller's answer, so nothing is read again."""

    # The human tasks that opened in this step.
    opened: list[Task]
    # The instance's first OPEN_TASKS_SHOWN open tasks, oldest first, and how many are open.
    open_tasks: list
    open_total: int


class StepWriter:
    def __init__(self, clock: Clock, audit: AuditLog, message_ttl_seconds: int = DEFAULT_MESSAGE_TTL_SECONDS,
                 functions: Mapping[str, Any] | None = None) -> None:
        self.clock = clock
        self.audit = audit
        self.message_ttl_seconds = message_ttl_seconds
        self.functions = dict(functions or {})
        # Who gets a new task named for a user (an out-of-office substitute): set by the engine.
        self.assignments: Any = None
        # Child instances of call activities (calls.CalledInstances): set by the engine.
        self.calls: Any = None

    def write(
        self,
        session: Session,
        instance: Instance,
        definition: Definition,
        execution: Execution,
        actor: str,
        leading_events: list[EventRecord] | None = None,
        ends_cancelled: bool = False,
        prepared: Prepared | None = None,
    ) -> StepResult:
        """Persist the step; the workflow is offered to the cache once it is committed.

        ``ends_cancelled``: the step cancelled the instance (its workflow was cancelled): it ends
        now as ``cancelled``, with its data as it was. The step's writes are queued in the
        session's :class:`WriteBatch` and sent together at the end (with whatever the caller
        queued before, such as the completed task's UPDATE)."""
        try:
            return self._write(session, instance, definition, execution, actor, leading_events, ends_cancelled,
                               prepared)
        except IntegrityError as err:
            if prepared is not None and duplicate_row(err, "tasks"):
                raise TaskRowExists(str(err.orig)) from None
            raise

    def _write(self, session: Session, instance: Instance, definition: Definition, execution: Execution,
               actor: str, leading_events: list[EventRecord] | None, ends_cancelled: bool,
               prepared: Prepared | None) -> StepResult:
        now = self.clock.now()
        batch = WriteBatch.of(session)
        info = process_info(definition)
        events = list(leading_events or [])
        if self.calls is not None and execution.may_have_calls and not ends_cancelled:
            events.extend(self.calls.start_children(session, instance, execution, actor))

        def event(type_: str, element_id=None, task_id=None, payload=None) -> None:
            events.append(EventRecord(type_, actor, instance.id, instance.definition_key,
                                      instance.definition_version, element_id, task_id, payload or {}))

        for e in execution.events:
            payload = dict(e.payload)
            if e.type == "decision.evaluated":
                decision = info.decision_tasks.get(e.element_id)
                pinned = definition.manifest.get("decisions", {}).get(decision, {})
                payload["decision"] = decision
                payload["table_version"] = {"definition_version": definition.version, **pinned}
            event(e.type, e.element_id, e.task_id, payload)

        ready = dict.fromkeys(execution.ready_human_task_ids())  # ids in the model's order
        open_rows = self._open_rows(session, instance.id, prepared.open_keys if prepared else None)
        cancelled = []
        for task_id, row in open_rows.items():
            if task_id not in ready:
                if isinstance(row, Task):
                    row.status, row.completed_at = TaskStatus.CANCELLED, now
                else:
                    cancelled.append({"task_id": task_id, "status": TaskStatus.CANCELLED, "completed_at": now})
                event("task.cancelled", row.element_id, row.id)
        batch.add(_CANCEL_TASK, cancelled)

        # Ready tasks without an open row are new, unless a row exists already (the insert
        # skips those: ON CONFLICT DO NOTHING).
        opened: list[Task] = []
        for task_id in ready:
            if task_id in open_rows:
                continue
            ready_task = execution.ready_human_task(task_id)
            try:
                row = self._open_task(session, batch, instance, ready_task, info.human_tasks.get(ready_task.element_id),
                                      now, fresh=prepared is not None)
            except MetaExpressionError as err:
                if session.get(Task, task_id) is not None:
                    continue  # not a new task: its row was written by an earlier step
                execution.failure = None
                self._fail(session, instance, err.element_id, task_id, "MetaExpressionError", str(err), now, event)
                continue
            if row is None:
                continue
            opened.append(row)
            event("task.created", row.element_id, row.id, {
                "name": row.name, "assignee": row.assignee, "candidate_groups": row.candidate_groups,
                "due_at": row.due_at.isoformat() if row.due_at else None, "priority": row.priority,
            })

        self._sync_background(session, instance, execution, now, event)

        row_values: dict[str, Any] = {}
        if ends_cancelled:
            row_values.update(status=InstanceStatus.CANCELLED, ended_at=now, active_elements=[])
        else:
            row_values.update(self._outcome(session, instance, execution, now, event, events))
        stored = execution.split_state()
        row_values["state"] = stored.skeleton
        self._save_instance(session, batch, instance, row_values)
        # In the same batch, after the versioned UPDATE: a competing writer is stopped by the
        # version check before any of these rows is kept (state_rows.py).
        queue_task_rows(batch, session, instance.id, stored)
        # The instance's open tasks now, for the caller's answer without querying them again.
        still_open = [row for task_id, row in open_rows.items() if task_id in ready] + opened
        result = StepResult(opened, self._shown(session, still_open), len(still_open))
        instance_id = instance.id  # the row cannot be read once its flush failed
        if instance_state(instance).committed_state:
            batch.send()  # the ORM writes more of the instance: after its version moved, as before
        try:
            session.flush()
        except StaleDataError:
            raise ConcurrentModification(
                f"instance {instance_id} was changed by someone else at the same time; nothing was saved"
            ) from None
        # Once committed, the workflow is the stored state at the row's new version: the
        # next step of the instance in this process may start from it (runtime/cache.py).
        version = instance.lock_version  # already the version the queued UPDATE writes
        finished = row_values.get("status", instance.status) in FINISHED
        after_commit(session, lambda: execution.keep(instance_id, version, finished))
        started, key = getattr(execution, "step_started", None), instance.definition_key
        if started is not None:  # the step's latency, from loading the workflow to the commit
            after_commit(session, lambda: STEP_SECONDS.observe(time.perf_counter() - started, key))
        self.audit.append(session, events, batch)
        batch.send()  # the step's writes, one round trip on PostgreSQL; their checks raise here
        if self.calls is not None:
            self.calls.after_step(session, instance, execution, actor)
        return result

    def _outcome(self, session: Session, instance: Instance, execution: Execution, now, event,
                 events: list[EventRecord]) -> dict[str, Any]:
        """The instance's status, data and active elements after a step that ran it on,
        with the events that say so (completed, failed, data changed)."""
        status = execution.status
        if execution.failure is not None:
            f = execution.failure
            self._fail(session, instance, f.element_id, f.task_id, f.kind, f.message, now, event)
        if instance.status == InstanceStatus.FAILED:
            status = InstanceStatus.FAILED
        if instance.status == InstanceStatus.SUSPENDED and status in (InstanceStatus.RUNNING, InstanceStatus.FAILED):
            status = InstanceStatus.SUSPENDED  # only resuming ends a suspension
        row_values: dict[str, Any] = {}
        if status == InstanceStatus.COMPLETED and instance.status != InstanceStatus.COMPLETED:
            row_values["ended_at"] = now
            end = execution.final_end_event()
            declared = process_info(session.get(Definition, instance.definition_id)).end_outcomes
            if end is not None and ends_as_cancelled(end, declared):  # withdrawn or cancelled, not done
                status = InstanceStatus.CANCELLED
                event("instance.cancelled", end, None, {"end_event": end})
            else:
                event("instance.completed", end)
        after = execution.data()
        changes = diff(values.decode(instance.data or {}), after)
        if changes:
            completed = next((e for e in events if e.type == "task.completed"), None)
            if completed is not None:
                completed.payload["diff"] = changes
            else:
                event("data.changed", None, None, {"diff": changes})
        row_values.update(status=status, data=values.encode(after), active_elements=execution.active_elements())
        return row_values

    @staticmethod
    def _save_instance(session: Session, batch: WriteBatch, instance: Instance, row_values: dict[str, Any]) -> None:
        """Queue the step's instance columns as one Core UPDATE conditioned on the row's
        version (what the ORM's versioned flush does, without its unit of work); a new
        instance is left to the flush that inserts it. The row count is checked once the
        batch is back: another writer of the instance makes the step fail with 409."""
        if instance_state(instance).key is None:
            for name, value in row_values.items():
                setattr(instance, name, value)
            return
        version, instance_id = instance.lock_version, instance.id

        def saved(pending: Pending) -> None:
            if pending.rowcount != 1:
                raise ConcurrentModification(
                    f"instance {instance_id} was changed by someone else at the same time; nothing was saved")

        # The SET clause is the parameters named after columns: the step's, and the version.
        batch.add(_UPDATE_INSTANCE, {**row_values, "row_id": instance_id, "row_version": version,
                                     "lock_version": version + 1}, saved)
        # Held as written now (the ORM must not flush them again); a failed check rolls back.
        for name, value in row_values.items():
            set_committed_value(instance, name, value)
        set_committed_value(instance, "lock_version", version + 1)

    @staticmethod
    def _open_rows(session: Session, instance_id: str, keys: list[OpenKey] | None) -> dict:
        """The instance's open tasks, oldest first: their id and element read with one Core
        query (a multi-instance can have a thousand, and the step needs no more of them),
        unless the caller read them already (``keys``), except those the session already
        holds as objects, whose in-memory state wins (the task completed in this step is
        closed in memory only)."""
        held = {obj.id: obj for obj in session.identity_map.values()
                if type(obj) is Task and obj.instance_id == instance_id}
        rows = {}
        if keys is None:
            send_queued(session)
            keys = session.execute(_OPEN_TASK_KEYS, {"instance_id": instance_id})
        for row in keys:
            obj = held.get(row.id)
            if obj is None:
                rows[row.id] = row
            elif obj.status == TaskStatus.OPEN:
                rows[row.id] = obj
        return rows

    @staticmethod
    def _shown(session: Session, still_open: list) -> list:
        """The first :data:`views.OPEN_TASKS_SHOWN` open tasks as whole rows, for the
        response; only those not already held as objects are read (most steps: none)."""
        shown = still_open[:views.OPEN_TASKS_SHOWN]
        missing = [row.id for row in shown if not isinstance(row, Task)]
        if not missing:
            return shown
        full = {row.id: row for row in session.execute(select(*TASK_COLUMNS).where(Task.id.in_(missing)))}
        return [full.get(row.id, row) if not isinstance(row, Task) else row for row in shown]

    def _sync_background(self, session: Session, instance: Instance, execution: Execution, now, event) -> None:
        """Make the instance's jobs and message subscriptions match what it now waits for.

        A process without timers or service tasks has no such jobs, and one without message
        or signal events no subscriptions: the queries are skipped for them."""
        timers, calls = execution.waiting_timers(), execution.service_calls()
        jobs = {
            (job.kind, job.task_id): job
            for job in session.scalars(select(Job).where(
                Job.instance_id == instance.id, Job.status.in_((JobStatus.WAITING, JobStatus.RUNNING)),
                Job.kind.in_((JobKind.TIMER, JobKind.SERVICE, JobKind.EXTERNAL)),
            ))
            if job.status in (JobStatus.WAITING, JobStatus.RUNNING)  # the job driving this step is finished in memory
        } if timers or calls or execution.may_have_jobs else {}
        wanted: set[tuple[str, str]] = set()
        for timer in timers:
            wanted.add((JobKind.TIMER, timer.task_id))
            job = jobs.get((JobKind.TIMER, timer.task_id))
            if job is None:
                session.add(self._job(JobKind.TIMER, instance, timer.element_id, timer.task_id, timer.due_at, now))
            elif job.status == JobStatus.WAITING and job.due_at != timer.due_at:
                job.due_at = timer.due_at
        for call in calls:
            wanted.add((JobKind.SERVICE, call.task_id))
            wanted.add((JobKind.EXTERNAL, call.task_id))
            if (JobKind.SERVICE, call.task_id) not in jobs and (JobKind.EXTERNAL, call.task_id) not in jobs:
                # "external:TOPIC" tasks wait for an outside worker to fetch them (no connector).
                external = call.operation.startswith(EXTERNAL_PREFIX)
                kind, name = ((JobKind.EXTERNAL, call.operation[len(EXTERNAL_PREFIX):]) if external
                              else (JobKind.SERVICE, call.operation))
                job = self._job(kind, instance, call.element_id, call.task_id, now, now, name=name)
                job.max_attempts = int(call.retries) if call.retries else DEFAULT_ATTEMPTS
                job.payload = values.encode({
                    "operation": call.operation, "params": call.params, "result_variable": call.result_variable,
                    "backoff_base": float(call.backoff_base) if call.backoff_base else DEFAULT_BACKOFF_SECONDS,
                    "idempotency_key": f"{instance.id}:{call.task_id}",
                })
                session.add(job)
        for key, job in jobs.items():
            if key not in wanted and job.status == JobStatus.WAITING:
                job.status, job.finished_at = JobStatus.CANCELLED, now

        waits = execution.waiting_messages()
        if waits or execution.may_have_subscriptions:
            session.execute(delete(MessageSubscription).where(MessageSubscription.instance_id == instance.id))
        if waits:
            session.add_all(
                MessageSubscription(task_id=w.task_id, instance_id=instance.id, element_id=w.element_id,
                                    name=w.name, correlation=values.encode(w.correlations), created_at=now)
                for w in waits
            )
            # Messages buffered for a receiver that did not exist yet are due again now.
            session.execute(
                update(Job).where(Job.kind == JobKind.MESSAGE, Job.status == JobStatus.WAITING,
                                  Job.name.in_({w.name for w in waits}))
                .values(due_at=now).execution_options(synchronize_session=False)
            )
        for message in execution.thrown:
            job = self._job(JobKind.MESSAGE, None, None, None, now, now, name=message.name)
            job.payload = values.encode({
                "name": message.name, "payload": message.payload, "correlation": message.correlations,
                "sender_instance_id": instance.id,
                "expires_at": (now + timedelta(seconds=self.message_ttl_seconds)).isoformat(),
            })
            session.add(job)
            event("message.sent", None, None, {"name": message.name, "correlation": message.correlations,
                                               "job_id": job.id})

    def open_incident(self, session: Session, instance: Instance, element_id: str | None, task_id: str | None,
                      kind: str, message: str, actor: str, payload: dict | None = None) -> Incident:
        """Open an incident outside a step (a service call that ran out of attempts, a
        message nobody took in time) and mark the instance failed."""
        events: list[EventRecord] = []

        def event(type_: str, element_id=None, task_id=None, data=None) -> None:
            events.append(EventRecord(type_, actor, instance.id, instance.definition_key, instance.definition_version,
                                      element_id, task_id, {**(payload or {}), **(data or {})}))

        incident = self._fail(session, instance, element_id, task_id, kind, message, self.clock.now(), event)
        session.flush()
        self.audit.append(session, events)
        return incident

    @staticmethod
    def _job(kind, instance, element_id, task_id, due_at, now, name=None) -> Job:
        return Job(id=str(uuid.uuid4()), kind=kind, name=name, instance_id=instance.id if instance else None,
                   element_id=element_id, task_id=task_id, due_at=due_at, status=JobStatus.WAITING, attempts=0,
                   max_attempts=1, payload={}, created_at=now)

    def _fail(self, session, instance, element_id, task_id, kind, message, now, event) -> None:
        incident = Incident(id=str(uuid.uuid4()), instance_id=instance.id, element_id=element_id,
                            task_id=task_id, kind=kind, message=message, status=IncidentStatus.OPEN, created_at=now)
        session.add(incident)
        instance.status = InstanceStatus.FAILED
        event("incident.opened", element_id, task_id, {"incident_id": incident.id, "kind": kind,
                                                       "message": message})
        return incident

    def _open_task(self, session: Session, batch: WriteBatch, instance: Instance, ready: ReadyTask,
                   meta: HumanTaskInfo | None, now, fresh: bool) -> Task | None:
        """Open the task's row, with its candidates and exclusions (queued in ``batch``);
        None when the row exists. ``fresh``: the row cannot exist (see :class:`Prepared`),
        so its INSERT is queued too."""
        if ready.process_id != instance.definition_key:
            # A task of a called process (call activity): its form, groups and rules were
            # inspected into the called version, not the caller's (whose ids may even clash).
            called = _called_task_info(session, instance, ready)
            if called is not None:
                meta = called
        meta = meta or HumanTaskInfo(element_id=ready.element_id, name=ready.name, lane=ready.lane)
        candidates = list(meta.candidate_groups) or ([ready.lane] if ready.lane else [])
        assignee = None
        try:
            with using_clock(self.clock):  # FEEL's now() in due dates is the engine's time
                if meta.assignee:
                    what = "assignee"
                    value = _evaluate_meta(meta.assignee, ready.data, instance.started_by, self.functions)
                    assignee = str(value) if value else None
                due_at = None
                if meta.due:
                    what = "due date"
                    value = _evaluate_meta(meta.due, ready.data, instance.started_by, self.functions)
                    due_at = as_instant(value, now) if value else None
                priority = DEFAULT_PRIORITY
                if meta.priority:
                    what = "priority"
                    priority = int(_evaluate_meta(meta.priority, ready.data, instance.started_by, self.functions))
                    if not 0 <= priority <= 100:
                        raise ValueError(f"priority must be 0-100, got {priority}")
        except (expressions.ExpressionError, ValueError, TypeError) as err:
            detail = err.detail if isinstance(err, expressions.ExpressionError) else str(err)
            raise MetaExpressionError(ready.element_id, what, detail) from err
        if not candidates and not assignee:
            # A task nobody is named for goes to whoever started the instance.
            assignee = instance.started_by
        if assignee and self.assignments is not None:
            assignee = self.assignments.assignee_for(session, instance, meta, ready.id, assignee, candidates, now)
        values = dict(
            id=ready.id, instance_id=instance.id, definition_key=instance.definition_key,
            definition_version=instance.definition_version, business_key=instance.business_key,
            element_id=ready.element_id, name=meta.name or ready.name, status=TaskStatus.OPEN, assignee=assignee,
            candidate_groups=candidates, form=meta.form, priority=priority, created_at=now, due_at=due_at,
            completed_at=None, completed_by=None, designated_assignee=assignee,
        )
        # One Core statement, not the ORM's unit of work (a third of opening a task); the
        # row is returned as a transient Task for the step's events and response.
        if fresh:
            batch.add(_INSERT_TASK, values)
        else:
            send_queued(session)
            if session.execute(_new_task_insert(session), values).first() is None:
                return None  # the row exists: the task is not new
        row = Task(**values)
        batch.add(_INSERT_CANDIDATES, [{"task_id": row.id, "group_name": g} for g in candidates])
        excluded = self.excluded_users(session, instance, meta)
        batch.add(_INSERT_EXCLUSIONS, [{"task_id": row.id, "username": u} for u in sorted(excluded)])
        return row

    @staticmethod
    def excluded_users(session: Session, instance: Instance, meta: HumanTaskInfo | None) -> set[str]:
        """Users a separation-of-duties rule bars from a task, as of now."""
        if meta is None or not meta.separate_from:
            return set()
        users: set[str] = set()
        if STARTER in meta.separate_from and instance.started_by:
            users.add(instance.started_by)
        elements = [e for e in meta.separate_from if e != STARTER]
        if elements:
            session.flush()  # tasks closed in memory in this transaction count (no autoflush)
            send_queued(session)  # and those closed by a queued UPDATE
            users.update(session.scalars(
                select(Task.completed_by).where(
                    Task.instance_id == instance.id, Task.element_id.in_(elements),
                    Task.status == TaskStatus.COMPLETED, Task.completed_by.is_not(None),
                )
            ))
        return users
