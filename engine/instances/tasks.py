"""The inbox and the life of a human task (claim, unclaim, assign, complete), in the
caller's transaction.

Who may act on a task is decided here, not in the HTTP layer, so the CLI and any other
client get the same answers: the assignee, or, while a task is unassigned, a member of
one of its candidate groups; never a user a separation-of-duties rule excludes (the rule
is ``identity.eligibility.eligible_for_task``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, bindparam, exists, func, literal, select, type_coerce, union, update
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session, aliased, defer
from sqlalchemy.orm.attributes import set_committed_value

from .. import pagination
from ..clock import Clock
from ..definitions.calls import human_task_info
from ..definitions.model import HumanTaskInfo, process_info
from ..errors import Conflict, FieldError, Forbidden, InvalidData, NotFound, SeparationOfDutiesViolation
from ..history.audit import AuditLog, EventRecord
from ..identity import authorization
from ..identity.actors import Actor
from ..identity.eligibility import Eligibility, Ineligible, eligible_for_task
from ..local_time import today_where_acting
from ..persistence.batch import Pending, WriteBatch
from ..persistence.models import Definition, Instance, Task, TaskCandidate, TaskExclusion, UtcDateTime
from ..records import attachments
from ..records.documents import instances_with_document
from ..repository.store import DefinitionStore
from ..status import InstanceStatus, TaskStatus
from .loader import ExecutionLoader
from .steps import OpenKey, Prepared, StepResult, StepWriter
from .validation import check_rules

# Tasks without a due date sort after all others, on every database (keyset pagination
# needs a total order without NULLs).
NO_DUE_DATE = datetime(9999, 12, 31, tzinfo=UTC)
SORTS = {
    "created_at": Task.created_at,
    "due_at": func.coalesce(Task.due_at, literal(NO_DUE_DATE, UtcDateTime)),
    "priority": Task.priority,
}

# The inbox's inner branches read their own aliases of the tables (never correlated with
# the outer query's), made once: building aliases per query was a third of its Python time.
_MINE, _CANDIDATE, _CANDIDATE_TASK = aliased(Task), aliased(TaskCandidate), aliased(Task)
# Loader options made once (their cache keys are computed per use otherwise).
_WITHOUT_STATE, _WITHOUT_SPEC = [defer(Instance.state)], [defer(Definition.spec)]

# Built once: a statement's cache key is computed per statement object, and this one runs
# for every claim and completion.
_ACTION_READ = (
    select(Task, Instance, Definition, exists().where(
        TaskExclusion.task_id == Task.id, TaskExclusion.username == bindparam("username")))
    .join(Instance, Instance.id == Task.instance_id)
    .join(Definition, Definition.id == Instance.definition_id)
    .where(Task.id == bindparam("task_id"))
    .options(*_WITHOUT_STATE, *_WITHOUT_SPEC)
)
_CLOSE_TASK = update(Task.__table__).where(Task.__table__.c.id == bindparam("task_id"),
                                           Task.__table__.c.status == TaskStatus.OPEN)


def _open_keys_column(dialect: str):
    """The (id, element id) pairs of the instance's open tasks, oldest first, as one JSON
    array: what the step needs of them (steps.py), read with the action instead of after it."""
    other = aliased(Task.__table__)
    mine = (other.c.instance_id == Instance.id, other.c.status == TaskStatus.OPEN)
    if dialect == "postgresql":
        pairs = func.json_agg(aggregate_order_by(func.json_build_array(other.c.id, other.c.element_id),
                                                 other.c.created_at))
        return type_coerce(select(pairs).where(*mine).scalar_subquery(), JSON)
    # SQLite before 3.44 has no ORDER BY inside an aggregate: it keeps a subquery's order.
    ordered = select(other.c.id, other.c.element_id).where(*mine).order_by(other.c.created_at)
    ordered = ordered.correlate(Instance).subquery()
    return type_coerce(select(func.json_group_array(func.json_array(ordered.c.id, ordered.c.element_id)))
                       .scalar_subquery(), JSON)


# A completion's one read: the action read, the instance's open tasks, and the task's row
# locked (PostgreSQL; SQLite's writers queue on BEGIN IMMEDIATE): of two racing completions
# the second waits here until the first commits, then finds the task closed (409) before it
# reads any workflow state. The lock lets the task's UPDATE wait for the step's other writes.
_COMPLETION_READ = {
    dialect: _ACTION_READ.add_columns(_open_keys_column(dialect)).with_for_update(of=Task.__table__)
    for dialect in ("postgresql", "sqlite")
}


def inbox_sort_key(task: Task, sort: str) -> tuple:
    """The (sort value, id) key of a task in an inbox sorted by ``sort`` (for cursors)."""
    name = sort.lstrip("-")
    value = getattr(task, name)
    if name == "due_at" and value is None:
        value = NO_DUE_DATE
    return value, task.id


@dataclass(frozen=True)
class InboxQuery:
    assignee: str | None = None  # "me" | "unassigned" | None (both)
    definition_key: str | None = None
    instance_id: str | None = None
    business_key: str | None = None
    # Any part of the business key or of a document number the instance carries, any case.
    document: str | None = None
    due_before: datetime | None = None
    candidate_group: str | None = None
    priority_min: int | None = None
    created_after: datetime | None = None
    # overdue=true: due before this moment (now)
    due_by_now: datetime | None = None
    sort: str = "created_at"
    limit: int = 50
    # The sort key of the last task of the previous page (see ``inbox_sort_key``).
    after: tuple | None = None


@dataclass
class ActingOn:
    """A task about to be acted on, with its instance (without the state) and definition
    (without the spec), and whether a separation-of-duties row names the actor: all that
    acting on a task checks, read in one statement instead of four."""

    task: Task
    instance: Instance
    definition: Definition
    excluded: bool | None = None
    # Whom ``excluded`` is about.
    actor: str | None = None
    # The instance's open tasks when read with the action (a completion's read), else None.
    open_keys: list[OpenKey] | None = None


class TaskActions:
    def __init__(self, clock: Clock, definitions: DefinitionStore, executions: ExecutionLoader,
                 steps: StepWriter, audit: AuditLog) -> None:
        self.clock = clock
        self.definitions = definitions
        self.executions = executions
        self.steps = steps
        self.audit = audit

    # -- reading ---------------------------------------------------------------------------
    @staticmethod
    def get(session: Session, task_id: str) -> Task:
        task = session.get(Task, task_id)
        if task is None:
            raise NotFound(f"no task with id '{task_id}'")
        return task

    def acting_on(self, session: Session, task_id: str, actor: Actor, completing: bool = False) -> ActingOn:
        """The task, its instance and definition in one read; ``completing``: also the
        instance's open tasks, with the task's row locked until the transaction ends."""
        stmt = _COMPLETION_READ[session.get_bind().dialect.name] if completing else _ACTION_READ
        found = session.execute(stmt, {"task_id": task_id, "username": actor.username}).one_or_none()
        if found is None:
            task = self.get(session, task_id)  # NotFound, or a task whose instance is gone
            instance = session.get(Instance, task.instance_id)
            if instance is None:
                raise NotFound(f"no task with id '{task_id}'")
            return ActingOn(task, instance, self.definitions.by_id(session, instance.definition_id))
        if completing:
            task, instance, definition, excluded, keys = found
            return ActingOn(task, instance, definition, bool(excluded), actor.username,
                            [OpenKey(*pair) for pair in keys or ()])
        task, instance, definition, excluded = found
        return ActingOn(task, instance, definition, bool(excluded), actor.username)

    def inbox(self, session: Session, actor: Actor, query: InboxQuery = InboxQuery()) -> list[Task]:
        """Open tasks the actor may work on: assigned to them, or unassigned with one of
        their groups as candidate; never one a separation-of-duties rule bars them from.

        The visible ids are a UNION of two index-driven branches (``ix_tasks_status_assignee``
        for "assigned to me", ``ix_task_candidates_group`` joined to the task's primary key
        for "my groups, unassigned"), so the query's cost follows what the actor can see,
        not the backlog: an ``OR`` of the two made both databases read every unassigned open
        task and probe its candidates (0.8-1.3 s at 100,000 open tasks)."""
        branches = []
        if query.assignee in (None, "me"):
            mine = _MINE
            branches.append(select(mine.id).where(mine.status == TaskStatus.OPEN, mine.assignee == actor.username))
        if query.assignee in (None, "unassigned") and actor.groups:
            candidate, task = _CANDIDATE, _CANDIDATE_TASK
            branches.append(
                select(candidate.task_id).join(task, task.id == candidate.task_id)
                .where(candidate.group_name.in_(sorted(actor.groups)), task.status == TaskStatus.OPEN,
                       task.assignee.is_(None))
            )
        if not branches:
            return []
        visible = branches[0] if len(branches) == 1 else union(*branches)
        stmt = select(Task).where(
            Task.id.in_(visible),
            Task.status == TaskStatus.OPEN,
            ~exists().where(TaskExclusion.task_id == Task.id, TaskExclusion.username == actor.username),
        )
        for column, value in ((Task.definition_key, query.definition_key), (Task.instance_id, query.instance_id),
                              (Task.business_key, query.business_key)):
            if value is not None:
                stmt = stmt.where(column == value)
        if query.document:
            stmt = stmt.where(Task.instance_id.in_(instances_with_document(query.document)))
        if query.due_before is not None:
            stmt = stmt.where(Task.due_at < query.due_before)
        if query.due_by_now is not None:
            stmt = stmt.where(Task.due_at < query.due_by_now)
        if query.candidate_group is not None:
            stmt = stmt.where(exists().where(TaskCandidate.task_id == Task.id,
                                             TaskCandidate.group_name == query.candidate_group))
        if query.priority_min is not None:
            stmt = stmt.where(Task.priority >= query.priority_min)
        if query.created_after is not None:
            stmt = stmt.where(Task.created_at > query.created_after)
        descending = query.sort.startswith("-")
        column = SORTS[query.sort.lstrip("-")]
        if query.after is not None:
            stmt = stmt.where(pagination.after([column, Task.id], query.after, [descending, False]))
        stmt = stmt.order_by(column.desc() if descending else column.asc(), Task.id).limit(query.limit)
        return list(session.scalars(stmt))

    # -- who may hold a task -------------------------------------------------------------
    def eligibility(self, session: Session, acting: ActingOn, user: Actor | str) -> Eligibility:
        """Whether ``user`` may hold the task: the one rule (``eligible_for_task``) with the
        separation-of-duties exclusions as of now."""
        meta = self.task_info(session, acting.definition, acting.task.element_id)
        excluded = self.steps.excluded_users(session, acting.instance, meta)
        username = user if isinstance(user, str) else user.username
        # The action's read already asked whether an exclusion row names the acting user.
        listed = acting.excluded if acting.actor == username else None
        return eligible_for_task(session, acting.task, user, excluded=excluded, listed=listed)

    def _require_eligible(self, session: Session, acting: ActingOn, actor: Actor) -> None:
        verdict = self.eligibility(session, acting, actor)
        if verdict:
            return
        task = acting.task
        if verdict.reason == Ineligible.EXCLUDED:
            meta = self.task_info(session, acting.definition, task.element_id)
            raise SeparationOfDutiesViolation(
                f"'{actor.username}' may not work on '{task.name}': a separation-of-duties rule excludes "
                f"the user who {self._sod_reason(meta)}"
            )
        raise Forbidden(f"'{actor.username}' is not a candidate for task '{task.name}'")

    # -- acting ----------------------------------------------------------------------------
    def claim(self, session: Session, acting: ActingOn, actor: Actor) -> Task:
        task = acting.task
        self._require_eligible(session, acting, actor)
        self._require_open(task)
        self._require_not_suspended(acting.instance)
        if task.assignee == actor.username:
            return task  # already theirs: a repeated claim (a client's retry) changes nothing
        if task.assignee is not None:
            raise Conflict(f"task '{task.name}' is already claimed by '{task.assignee}'")
        self._set_assignee(session, task, actor.username, expected=None)
        self._event(session, task, actor, "task.claimed")
        return task

    def unclaim(self, session: Session, task: Task, actor: Actor) -> Task:
        if task.assignee != actor.username and "admin" not in actor.groups:
            raise Forbidden(f"only the assignee of task '{task.name}' can give it back")
        self._require_open(task)
        self._set_assignee(session, task, None, expected=task.assignee)
        self._event(session, task, actor, "task.unclaimed")
        return task

    def check_assign(self, session: Session, acting: ActingOn, actor: Actor, *, delegating: bool) -> None:
        """A task is assigned while it is open; someone handing on their own task must
        still be eligible for it themselves (admins assign any task)."""
        self._require_open(acting.task)
        if delegating:
            self._require_eligible(session, acting, actor)

    def assign(self, session: Session, acting: ActingOn, actor: Actor, username: str, *, delegating: bool) -> Task:
        """Hand the task to ``username``, who must be eligible for it (422 otherwise)."""
        task = acting.task
        self.check_assign(session, acting, actor, delegating=delegating)
        verdict = self.eligibility(session, acting, username)
        if not verdict:
            raise InvalidData([FieldError("/username", verdict.detail)])
        previous = task.assignee
        self._set_assignee(session, task, username, expected=previous)
        self._event(session, task, actor, "task.assigned", {"from": previous, "to": username})
        return task

    def check_can_complete(self, session: Session, acting: ActingOn, actor: Actor) -> None:
        """Raise in the contract's precedence: 403 (not eligible), 403 (separation of duties),
        409 (not open, or claimed by someone else)."""
        task = acting.task
        self._require_eligible(session, acting, actor)
        self._require_open(task)
        if task.assignee is not None and task.assignee != actor.username:
            raise Conflict(f"task '{task.name}' is claimed by '{task.assignee}'")
        self._require_not_suspended(acting.instance)

    def complete(self, session: Session, acting: ActingOn, actor: Actor,
                 data: Mapping[str, Any]) -> StepResult:
        """Complete the task and run the instance on. When ``acting`` comes from a
        completion's read (the task's row locked, the open tasks read), every write goes out
        with the step's batch; else the task's row is closed first."""
        self.check_can_complete(session, acting, actor)
        task, instance, definition = acting.task, acting.instance, acting.definition
        prepared = None if acting.open_keys is None else Prepared(acting.open_keys)
        if prepared is not None:
            self._close_with_step(session, task, actor, self.clock.now())
        else:
            # Close the row first: of two racing completions the second waits here for the
            # first one's row lock and then finds the task closed (409), before it reads any
            # workflow state, which by then may be the winner's, without this task.
            self._close(session, task, actor, self.clock.now())
        form = self.definitions.form(session, definition, task.form)
        if form is not None:
            # completed with the optional fields left out; "today" is the user's own date
            data = form.check(data, today=today_where_acting(self.steps.clock))
        execution = self.executions.load(session, instance, definition).execution
        meta = self.task_info(session, definition, task.element_id)
        if meta is not None and meta.validate:
            check_rules(session, self.clock, self.definitions, definition, meta.validate, data,
                        execution.ready_human_task(task.id).data, self.steps.functions)
        files = authorization.check_may_attach(session, actor, data)
        attachments.attach(session, instance.id, files, actor.username, self.clock.now())
        execution.complete_task(task.id, dict(data))
        completed = EventRecord("task.completed", actor.username, instance.id, instance.definition_key,
                                instance.definition_version, task.element_id, task.id, {"data": dict(data)})
        return self.steps.write(session, instance, definition, execution, actor.username, [completed],
                                prepared=prepared)

    # -- rules -----------------------------------------------------------------------------
    @staticmethod
    def task_info(session: Session, definition: Definition, element_id: str) -> HumanTaskInfo | None:
        """The inspected info of a user task, of the version's own process or of a process
        it calls."""
        meta = process_info(definition).human_tasks.get(element_id)
        if meta is None and (definition.manifest or {}).get("calls"):
            meta = human_task_info(session, definition, element_id)
        return meta

    @staticmethod
    def _sod_reason(meta) -> str:
        parts = []
        for ref in meta.separate_from if meta else ():
            parts.append("started the instance" if ref == "@starter" else f"completed '{ref}'")
        return " or ".join(parts) or "is excluded"

    @staticmethod
    def _require_not_suspended(instance: Instance) -> None:
        if instance.status == InstanceStatus.SUSPENDED:
            raise Conflict(f"instance {instance.id} is suspended: its tasks wait until it is resumed")

    @staticmethod
    def _require_open(task: Task) -> None:
        if task.status != TaskStatus.OPEN:
            raise Conflict(f"task '{task.name}' is {task.status}")

    @staticmethod
    def _close(session: Session, task: Task, actor: Actor, now: datetime) -> None:
        """Mark the task completed by ``actor`` with one Core UPDATE, only while it is open."""
        closed = {"status": TaskStatus.COMPLETED, "completed_at": now, "completed_by": actor.username,
                  "assignee": task.assignee or actor.username}
        if session.execute(_CLOSE_TASK, {**closed, "task_id": task.id}).rowcount != 1:
            raise Conflict(f"task '{task.name}' was closed by someone else at the same time")
        for name, value in closed.items():
            set_committed_value(task, name, value)

    @staticmethod
    def _close_with_step(session: Session, task: Task, actor: Actor, now: datetime) -> None:
        """:meth:`_close`, queued with the step's writes: the completion's read holds the
        row's lock, so nobody closes it meanwhile."""
        closed = {"status": TaskStatus.COMPLETED, "completed_at": now, "completed_by": actor.username,
                  "assignee": task.assignee or actor.username}
        name = task.name

        def still_open(pending: Pending) -> None:
            if pending.rowcount != 1:
                raise Conflict(f"task '{name}' was closed by someone else at the same time")

        WriteBatch.of(session).add(_CLOSE_TASK, {**closed, "task_id": task.id}, still_open)
        for column, value in closed.items():
            set_committed_value(task, column, value)

    @staticmethod
    def _set_assignee(session: Session, task: Task, username: str | None, expected: str | None) -> None:
        """Change the assignee only if nobody changed it (or closed the task) since we read
        it: of two users claiming at once, exactly one wins."""
        current = Task.assignee.is_(None) if expected is None else Task.assignee == expected
        result = session.execute(
            update(Task).where(Task.id == task.id, Task.status == TaskStatus.OPEN, current).values(assignee=username)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise Conflict(f"task '{task.name}' was changed by someone else at the same time")
        set_committed_value(task, "assignee", username)

    def _event(self, session: Session, task: Task, actor: Actor, type_: str, payload=None) -> None:
        self.audit.append(session, [EventRecord(
            type_, actor.username, task.instance_id, task.definition_key, task.definition_version,
            task.element_id, task.id, payload or {},
        )])
