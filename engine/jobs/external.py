"""External tasks: service tasks that outside workers fetch, work on and report back.

As with Camunda's external tasks, a service task whose operation is ``external:TOPIC``
is not called by Flowdesk. A worker anywhere asks for work on its topics
(fetch-and-lock), gets the task's parameters and a lock for a while, and then reports
success (variables merged into the instance), a failure (retried, or an incident), or a
BPMN error (taken by the model's error boundary event). The job table and the same
outcome handling as built-in connectors make it just as safe: an expired lock hands
the task to another worker, and a late report from the first one changes nothing.
Workers are integration accounts (or admins).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import exists, select

from .. import values
from ..connectors import BpmnError, ConnectorRegistry
from ..context import EngineContext
from ..errors import Conflict, NotFound
from ..identity import authorization
from ..identity.actors import Actor
from ..persistence.models import Instance, Job
from ..status import InstanceStatus, JobKind, JobStatus
from .executor import JobExecutor, Taken

MAX_LOCK_SECONDS = 24 * 3600


class ExternalTaskService:
    def __init__(self, context: EngineContext) -> None:
        self._ctx = context

    def fetch_and_lock(self, worker_id: str, topics: Sequence[str], *, by: Actor, max_tasks: int = 10,
                       lock_seconds: int = 300) -> list[dict[str, Any]]:
        authorization.require_external_worker(by)
        now = self._ctx.clock.now()
        lock_seconds = max(1, min(lock_seconds, MAX_LOCK_SECONDS))
        locked: list[dict[str, Any]] = []
        with self._ctx.transaction() as session:
            due = ((Job.status == JobStatus.WAITING) & (Job.due_at <= now)) | (
                (Job.status == JobStatus.RUNNING) & (Job.lock_expires_at < now))
            # A suspended instance's external tasks wait until it is resumed.
            suspended = exists().where(Instance.id == Job.instance_id, Instance.status == InstanceStatus.SUSPENDED)
            stmt = (select(Job).where(Job.kind == JobKind.EXTERNAL, Job.name.in_(list(topics)), due, ~suspended)
                    .order_by(Job.due_at).limit(max(1, min(max_tasks, 100))))
            if session.get_bind().dialect.name == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            for job in session.scalars(stmt):
                job.status, job.locked_by = JobStatus.RUNNING, worker_id
                job.lock_expires_at = now + timedelta(seconds=lock_seconds)
                job.attempts += 1
                payload = values.decode(job.payload)
                locked.append({
                    "id": job.id, "topic": job.name, "instance_id": job.instance_id, "element_id": job.element_id,
                    "variables": values.to_plain(payload["params"]), "attempt": job.attempts,
                    "idempotency_key": payload["idempotency_key"],
                    "lock_expires_at": job.lock_expires_at.isoformat(),
                })
        return locked

    def complete(self, task_id: str, worker_id: str, variables: Mapping[str, Any], *, by: Actor) -> None:
        authorization.require_external_worker(by)
        taken, executor = self._held(task_id, worker_id)
        if not executor.service_succeeded(taken, dict(variables), merge=True):
            raise Conflict(f"external task {task_id} is no longer locked by '{worker_id}'")

    def fail(self, task_id: str, worker_id: str, error: str, *, by: Actor, retries: int | None = None,
             retry_seconds: float | None = None) -> None:
        authorization.require_external_worker(by)
        taken, executor = self._held(task_id, worker_id)
        if not executor.service_failed(taken, error, final=retries == 0, retries=retries,
                                       retry_seconds=retry_seconds):
            raise Conflict(f"external task {task_id} is no longer locked by '{worker_id}'")

    def bpmn_error(self, task_id: str, worker_id: str, code: str, message: str = "", *, by: Actor) -> None:
        authorization.require_external_worker(by)
        taken, executor = self._held(task_id, worker_id)
        if not executor.service_bpmn_error(taken, BpmnError(code, message)):
            raise Conflict(f"external task {task_id} is no longer locked by '{worker_id}'")

    def _held(self, job_id: str, worker_id: str) -> tuple[Taken, JobExecutor]:
        with self._ctx.transaction() as session:
            job = session.get(Job, job_id)
            if job is None or job.kind != JobKind.EXTERNAL:
                raise NotFound(f"no external task with id '{job_id}'")
            if job.status != JobStatus.RUNNING or job.locked_by != worker_id:
                raise Conflict(f"external task {job_id} is not locked by '{worker_id}'")
            taken = Taken.of(job)
        return taken, JobExecutor(self._ctx, ConnectorRegistry([]), worker_id=worker_id)
