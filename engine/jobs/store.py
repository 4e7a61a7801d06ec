"""Acquiring jobs so that two workers never run one job at the same time.

A job is taken by a conditional UPDATE that only succeeds while the job is due and
unowned (or its owner is gone: its lock expired or its heartbeat went silent): of two
workers racing for it, the database lets exactly one UPDATE match. On PostgreSQL the candidates are picked with
``FOR UPDATE SKIP LOCKED`` so competing workers do not even wait on each other; SQLite
serializes writers anyway, and the conditional UPDATE is what keeps it correct there.

:meth:`JobStore.claim_due` takes a whole batch of due jobs in that one conditional
UPDATE (``RETURNING`` the rows): one round trip and one commit per batch instead of a
query for the ids and then a transaction per job, which was a third of a timer's cost
when thousands fall due together.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import Session

from ..persistence.models import Definition, Instance, Job, WorkerHeartbeat
from ..status import JobKind, JobStatus

LOCK_SECONDS = 300
STALE_SECONDS = 10


def abandoned(now: datetime, stale_seconds: float = STALE_SECONDS):
    """A running job whose worker is gone: its lock ran out, or the worker's heartbeat
    (jobs/heartbeat.py) is older than ``stale_seconds``. A worker that never wrote a
    heartbeat (a one-off executor) keeps its job until the lock runs out."""
    silent = exists().where(WorkerHeartbeat.worker_id == Job.locked_by,
                            WorkerHeartbeat.seen_at < now - timedelta(seconds=stale_seconds))
    return (Job.status == JobStatus.RUNNING) & ((Job.lock_expires_at < now) | silent)


def _due(now: datetime, stale_seconds: float = STALE_SECONDS):
    """Due for a Flowdesk worker; external tasks are fetched by outside workers instead."""
    # A timer is due strictly after its instant, as SpiffWorkflow's timers fire: taken at
    # the very instant, it would find its timer not yet fired and be rescheduled for the
    # same instant, again and again.
    return (Job.kind != JobKind.EXTERNAL) & or_(
        (Job.status == JobStatus.WAITING) & (Job.due_at <= now) & ~((Job.kind == JobKind.TIMER) & (Job.due_at == now)),
        abandoned(now, stale_seconds),
    )


class JobStore:
    def __init__(self, lock_seconds: int = LOCK_SECONDS, stale_seconds: float = STALE_SECONDS) -> None:
        self.lock_seconds = lock_seconds
        self.stale_seconds = stale_seconds

    def due_ids(self, session: Session, now: datetime, limit: int) -> list[str]:
        stmt = select(Job.id).where(_due(now, self.stale_seconds)).order_by(Job.due_at).limit(limit)
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return list(session.scalars(stmt))

    def claim_due(self, session: Session, worker_id: str, now: datetime, limit: int) -> list[Job]:
        """Take up to ``limit`` due jobs, the earliest first: their ids in one query, then
        one conditional UPDATE ``RETURNING`` the rows it took (locked by ``worker_id``,
        their attempt counted). A job another worker is taking at the same moment is
        skipped (PostgreSQL: ``SKIP LOCKED``) or no longer due when the UPDATE looks
        (SQLite): never taken twice.

        Two statements, not ``UPDATE ... WHERE id IN (SELECT ... LIMIT n FOR UPDATE SKIP
        LOCKED)``: PostgreSQL may run that subquery again for every row it updates, each
        run skipping the rows just taken, and so takes every due job, not ``limit``."""
        return self.claim(session, self.due_ids(session, now, limit), worker_id, now)

    def claim(self, session: Session, ids: list[str], worker_id: str, now: datetime) -> list[Job]:
        """Take those of ``ids`` that are due and free, in one conditional UPDATE; the jobs
        taken, earliest first (the others are someone else's, or not due)."""
        if not ids:
            return []
        stmt = (
            update(Job)
            .where(Job.id.in_(ids), _due(now, self.stale_seconds))
            .values(status=JobStatus.RUNNING, locked_by=worker_id, attempts=Job.attempts + 1,
                    lock_expires_at=now + timedelta(seconds=self.lock_seconds))
            .returning(Job)
        )
        jobs = list(session.scalars(stmt, execution_options={"synchronize_session": False,
                                                              "populate_existing": True}))
        return sorted(jobs, key=lambda job: job.due_at)

    def acquire(self, session: Session, job_id: str, worker_id: str, now: datetime) -> Job | None:
        """Take one job if it is due and free; None when someone else has it (or it is not due)."""
        result = session.execute(
            update(Job)
            .where(Job.id == job_id, _due(now, self.stale_seconds))
            .values(status=JobStatus.RUNNING, locked_by=worker_id, attempts=Job.attempts + 1,
                    lock_expires_at=now + timedelta(seconds=self.lock_seconds))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            return None
        return session.get(Job, job_id, populate_existing=True)

    def owned(self, session: Session, job_id: str, worker_id: str) -> Job | None:
        """The job, locked for update, if this worker still holds it."""
        stmt = select(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING, Job.locked_by == worker_id)
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        return session.scalars(stmt.execution_options(populate_existing=True)).first()

    def owned_with_instance(self, session: Session, job_id: str,
                            worker_id: str) -> tuple[Job, Instance | None, Definition | None] | None:
        """The job (locked for update) with its instance and the instance's definition
        version, in one statement, if this worker still holds the job: what a timer step
        reads before it loads the workflow, instead of three reads."""
        stmt = (select(Job, Instance, Definition)
                .outerjoin(Instance, Instance.id == Job.instance_id)
                .outerjoin(Definition, Definition.id == Instance.definition_id)
                .where(Job.id == job_id, Job.status == JobStatus.RUNNING, Job.locked_by == worker_id))
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(of=Job)
        row = session.execute(stmt.execution_options(populate_existing=True)).first()
        return None if row is None else (row[0], row[1], row[2])

    def next_due(self, session: Session) -> datetime | None:
        return session.scalar(select(func.min(Job.due_at)).where(Job.status == JobStatus.WAITING,
                                                                 Job.kind != JobKind.EXTERNAL))
