"""Running one job as one instance step.

Every handler follows the same shape: take the job (a short transaction), do any
outside call with no transaction open, then in ONE transaction check that this worker
still owns the job, apply the outcome to the instance, write the step and finish the
job. If the worker dies anywhere in between, nothing is half-written: the lock expires
and another worker starts over; the instance's version check makes sure a step is
never committed twice.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from .. import values
from ..connectors import BpmnError, CallContext, ConnectorError, ConnectorRegistry
from ..context import EngineContext
from ..errors import ConcurrentModification
from ..histograms import JOB_LATENESS_SECONDS
from ..history.audit import EventRecord
from ..history.audit import anchor as audit_anchor
from ..identity.actors import SYSTEM
from ..instances.lifecycle import Lifecycle
from ..instances.messages import MessageDelivery
from ..notifications.dispatch import Notifier
from ..persistence.models import Instance, Job
from ..status import FINISHED, InstanceStatus, JobKind, JobStatus
from ..timeutil import as_utc
from ..webhooks.delivery import WebhookSender
from . import start_timers
from .heartbeat import Heartbeat
from .store import JobStore

log = logging.getLogger(__name__)
RETRY_LATER_SECONDS = 30
# A suspended instance's jobs are looked at again this rarely: resuming makes them due again
# itself (timers at their own time, the rest at once).
SUSPENDED_RECHECK_SECONDS = 3600


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Taken:
    """What a worker needs to know about a job it holds (read in the acquiring transaction)."""

    id: str
    kind: str
    instance_id: str | None
    element_id: str | None
    task_id: str | None
    attempts: int
    max_attempts: int
    payload: dict

    @classmethod
    def of(cls, job: Job) -> Taken:
        return cls(job.id, job.kind, job.instance_id, job.element_id, job.task_id, job.attempts, job.max_attempts,
                   values.decode(job.payload))


class JobExecutor:
    def __init__(self, context: EngineContext, connectors: ConnectorRegistry | None = None,
                 worker_id: str | None = None, outbox_dir: Path | None = None) -> None:
        self.context = context
        self.clock = context.clock
        self.worker_id = worker_id or default_worker_id()
        self.outbox_dir = outbox_dir or context.settings.outbox_dir
        self.connectors = connectors if connectors is not None else context.connectors
        self.store = JobStore(context.settings.job_lock_seconds, context.settings.worker_stale_seconds)
        self.jobs_done = 0
        self._counting = threading.Lock()  # the embedded worker's threads share one executor
        # Started by long-lived workers (embedded, celery): see jobs/heartbeat.py.
        self.heartbeat = Heartbeat(context, self.worker_id, jobs_done=lambda: self.jobs_done)
        self.steps = context.steps
        self.lifecycle = Lifecycle(context.clock, context.definitions, context.executions, context.steps)
        self.messages = MessageDelivery(self.lifecycle, context.executions, context.steps)
        notifier, webhooks = Notifier(context, self.outbox_dir), WebhookSender(context)
        self.after_step_handlers = {
            JobKind.NOTIFY: lambda t: notifier.notify(self.worker_id, t.id, t.payload),
            JobKind.MAIL: lambda t: notifier.mail(self.worker_id, t.id, t.attempts, t.payload),
            JobKind.WEBHOOK: lambda t: webhooks.deliver(self.worker_id, t.id, t.attempts, t.payload),
        }

    # -- the loop's view -------------------------------------------------------------------
    def run_due(self, limit: int = 20) -> int:
        """Run the jobs that are due now, up to ``limit`` taken in one statement; returns
        how many this worker ran."""
        now = self.clock.now()
        with self.context.transaction() as session:
            taken = [self._taken(job, now) for job in self.store.claim_due(session, self.worker_id, now, limit)]
        for job in taken:
            self._handle(job)
        return len(taken)

    def run_many(self, job_ids: list[str]) -> int:
        """Run those of ``job_ids`` that are due and free, taken in one statement (a celery
        message carries the jobs due together); how many this worker ran."""
        now = self.clock.now()
        with self.context.transaction() as session:
            taken = [self._taken(job, now) for job in self.store.claim(session, job_ids, self.worker_id, now)]
        for job in taken:
            self._handle(job)
        return len(taken)

    def anchor_audit(self) -> int:
        """Anchor the instance chains that moved into the global chain (workers and the
        dispatcher do this every ``FLOWDESK_AUDIT_ANCHOR_SECONDS``)."""
        with self.context.transaction() as session:
            return audit_anchor.anchor(session, self.context.audit)

    def next_due(self) -> datetime | None:
        with self.context.transaction() as session:
            return self.store.next_due(session)

    def run(self, job_id: str) -> bool:
        """Run one job if it is due and free; False when it was not ours to run."""
        with self.context.transaction() as session:
            now = self.clock.now()
            job = self.store.acquire(session, job_id, self.worker_id, now)
            if job is None:
                return False
            taken = self._taken(job, now)
        self._handle(taken)
        return True

    def _taken(self, job: Job, now: datetime) -> Taken:
        if job.due_at is not None:  # how late the job is taken: the workers keep up, or they do not
            JOB_LATENESS_SECONDS.observe(max(0.0, (now - as_utc(job.due_at)).total_seconds()), str(job.kind))
        return Taken.of(job)

    def _handle(self, taken: Taken) -> None:
        """Run a job this worker has just taken (its outcome is written by the handler)."""
        with self._counting:
            self.jobs_done += 1
        handler = {JobKind.TIMER: self._timer, JobKind.SERVICE: self._service, JobKind.MESSAGE: self._message,
                   JobKind.START_TIMER: self._start_timer, **self.after_step_handlers}.get(taken.kind)
        try:
            if handler is None:
                raise ValueError(f"unknown job kind {taken.kind!r}")
            handler(taken)
        except ConcurrentModification:
            # Someone changed the instance while we worked: nothing of ours was saved. Put
            # the job back (this attempt does not count) so it runs again on fresh state.
            self._release(taken, self.clock.now(), count_attempt=False)
        except Exception:
            log.exception("job %s (%s) failed unexpectedly", taken.id, taken.kind)
            self._release(taken, self.clock.now() + timedelta(seconds=RETRY_LATER_SECONDS), count_attempt=True)

    # -- kinds -----------------------------------------------------------------------------
    def _timer(self, taken: Taken) -> None:
        with self.context.transaction() as session:
            found = self.store.owned_with_instance(session, taken.id, self.worker_id)
            if found is None:
                return
            job, instance, definition = found
            if not self._runnable(session, job, instance):
                return
            definition, execution = self.context.executions.load(session, instance, definition)
            execution.fire_due_timers()
            self._finish(job)
            self.steps.write(session, instance, definition, execution, SYSTEM.username)

    def _start_timer(self, taken: Taken) -> None:
        with self.context.transaction() as session:
            job = self.store.owned(session, taken.id, self.worker_id)
            if job is None:
                return
            definition = self.context.definitions.by_id(session, job.definition_id)
            self.lifecycle.start_by_timer(session, definition, taken.element_id, SYSTEM)
            cycles, period = taken.payload["cycles"], float(taken.payload["period_seconds"])
            if cycles == 1 or period <= 0:
                self._finish(job)
                return
            job.due_at = start_timers.next_occurrence(job.due_at, period, self.clock.now())
            job.payload = {**taken.payload, "cycles": cycles - 1 if cycles > 0 else cycles}
            job.status, job.locked_by, job.lock_expires_at, job.attempts = JobStatus.WAITING, None, None, 0

    def _service(self, taken: Taken) -> None:
        payload = taken.payload
        connector = self.connectors.get(payload["operation"])
        context = CallContext(payload["idempotency_key"], taken.attempts, taken.instance_id or "",
                              taken.element_id or "", self.outbox_dir)
        if connector is None:
            self.service_failed(taken, f"no connector named '{payload['operation']}' is installed", final=True)
            return
        try:
            result = connector.call(payload["params"], context)
        except BpmnError as err:
            self.service_bpmn_error(taken, err)
            return
        except ConnectorError as err:
            self.service_failed(taken, str(err), final=getattr(err, "final", False))
            return
        except Exception as err:
            self.service_failed(taken, f"{type(err).__name__}: {err}", final=False)
            return
        self.service_succeeded(taken, result)

    # -- outcomes of a service call (also reported by external workers) ---------------------
    def service_succeeded(self, taken: Taken, result: Any, merge: bool = False) -> bool:
        """Record the result and run the instance on; False when this worker no longer
        holds the job (its lock expired and someone else took over)."""
        payload = taken.payload
        with self.context.transaction() as session:
            job = self.store.owned(session, taken.id, self.worker_id)
            if job is None:
                return False  # our lock expired and another worker took over: its result counts
            instance = session.get(Instance, taken.instance_id)
            if not self._runnable(session, job, instance):
                return True
            definition, execution = self.context.executions.load(session, instance)
            execution.complete_service(taken.task_id, values.decode(values.encode(result)), merge=merge)
            self._finish(job)
            self.steps.write(session, instance, definition, execution, SYSTEM.username, [
                self._event(instance, taken, "service.completed", {
                    "connector": payload["operation"], "attempt": taken.attempts,
                    "idempotency_key": payload["idempotency_key"], "worker": self.worker_id,
                }),
            ])
            return True

    def service_bpmn_error(self, taken: Taken, err: BpmnError) -> bool:
        with self.context.transaction() as session:
            job = self.store.owned(session, taken.id, self.worker_id)
            if job is None:
                return False
            instance = session.get(Instance, taken.instance_id)
            if not self._runnable(session, job, instance):
                return True
            definition, execution = self.context.executions.load(session, instance)
            detail = {"connector": taken.payload["operation"], "attempt": taken.attempts,
                      "bpmn_error": err.code, "error": err.message, "worker": self.worker_id}
            if execution.throw_error(taken.task_id, err.code, err.message):
                self._finish(job)
                self.steps.write(session, instance, definition, execution, SYSTEM.username,
                                 [self._event(instance, taken, "service.failed", detail)])
                return True
            job.status, job.finished_at, job.last_error = JobStatus.FAILED, self.clock.now(), str(err)
            job.locked_by = None
            self.context.audit.append(session, [self._event(instance, taken, "service.failed", detail)])
            self.steps.open_incident(session, instance, taken.element_id, taken.task_id, "UncaughtBpmnError",
                                      f"the connector raised BPMN error '{err.code}' and no error boundary "
                                      "event catches it", SYSTEM.username, {"job_id": taken.id})
            return True

    def service_failed(self, taken: Taken, error: str, final: bool, retries: int | None = None,
                       retry_seconds: float | None = None) -> bool:
        """A failed attempt: try again after a backoff, or open an incident when attempts are
        used up (``retries`` and ``retry_seconds``, when given, override the model's)."""
        now = self.clock.now()
        with self.context.transaction() as session:
            job = self.store.owned(session, taken.id, self.worker_id)
            if job is None:
                return False
            instance = session.get(Instance, taken.instance_id)
            if retries is not None:
                job.max_attempts = taken.attempts + max(0, retries)
            exhausted = final or taken.attempts >= job.max_attempts
            detail: dict[str, Any] = {"connector": taken.payload["operation"], "attempt": taken.attempts,
                                      "max_attempts": taken.max_attempts, "error": error, "worker": self.worker_id}
            job.last_error, job.locked_by, job.lock_expires_at = error, None, None
            if not exhausted:
                delay = retry_seconds if retry_seconds is not None else (
                    float(taken.payload.get("backoff_base", 2.0)) * 2 ** (taken.attempts - 1))
                job.status, job.due_at = JobStatus.WAITING, now + timedelta(seconds=delay)
                detail["retry_at"] = job.due_at.isoformat()
            else:
                job.status, job.finished_at = JobStatus.FAILED, now
            if instance is None:
                return True
            self.context.audit.append(session, [self._event(instance, taken, "service.failed", detail)])
            if exhausted:
                self.steps.open_incident(session, instance, taken.element_id, taken.task_id, "ServiceFailed",
                                          f"{taken.payload['operation']} failed after {taken.attempts} "
                                          f"attempt(s): {error}", SYSTEM.username, {"job_id": taken.id})
            return True

    def _message(self, taken: Taken) -> None:
        payload = taken.payload
        name, correlation = payload["name"], payload.get("correlation") or {}
        with self.context.transaction() as session:
            job = self.store.owned(session, taken.id, self.worker_id)
            if job is None:
                return
            if taken.instance_id is not None:
                # A message that came for a suspended instance and waited for it to resume.
                receiver = session.get(Instance, taken.instance_id)
                if not self._runnable(session, job, receiver):
                    return
                self.messages.deliver_to(session, receiver, name, correlation, payload.get("payload"),
                                         payload.get("sender_instance_id"))
                self._finish(job)
                return
            if self.messages.deliver(session, name, correlation, payload.get("payload"),
                                     payload.get("sender_instance_id"), single=True):
                self._finish(job)
                return
            now = self.clock.now()
            expires_at = datetime.fromisoformat(payload["expires_at"])
            job.locked_by, job.lock_expires_at = None, None
            if now < expires_at:
                # Buffered: due again when it expires, or earlier when a receiver subscribes.
                job.status, job.due_at, job.attempts = JobStatus.WAITING, expires_at, 0
                return
            job.status, job.finished_at, job.last_error = JobStatus.FAILED, now, "expired: nothing received it"
            sender = session.get(Instance, payload.get("sender_instance_id"))
            if sender is not None and sender.status == InstanceStatus.RUNNING:
                self.steps.open_incident(session, sender, None, None, "MessageExpired",
                                          f"message '{name}' was not received by anyone before it expired "
                                          f"({expires_at.isoformat()})", SYSTEM.username,
                                          {"job_id": taken.id, "correlation": correlation})

    # -- helpers ---------------------------------------------------------------------------
    def _runnable(self, session: Session, job: Job, instance: Instance | None) -> bool:
        if instance is None or instance.status in FINISHED:
            self._finish(job, status=JobStatus.CANCELLED)
            return False
        if instance.status in (InstanceStatus.FAILED, InstanceStatus.SUSPENDED):
            # An incident stops the instance, and so does a suspension; the job waits until
            # it is resolved or resumed (resuming makes it due again at its own time).
            job.status, job.locked_by, job.lock_expires_at = JobStatus.WAITING, None, None
            later = SUSPENDED_RECHECK_SECONDS if instance.status == InstanceStatus.SUSPENDED else RETRY_LATER_SECONDS
            job.due_at = self.clock.now() + timedelta(seconds=later)
            return False
        return True

    def _finish(self, job: Job, status: str = JobStatus.DONE) -> None:
        job.status, job.finished_at, job.locked_by, job.lock_expires_at = status, self.clock.now(), None, None

    def _release(self, taken: Taken, due: datetime, count_attempt: bool) -> None:
        with self.context.transaction() as session:
            job = self.store.owned(session, taken.id, self.worker_id)
            if job is not None:
                job.status, job.due_at, job.locked_by, job.lock_expires_at = JobStatus.WAITING, due, None, None
                if not count_attempt:
                    job.attempts = max(0, job.attempts - 1)

    @staticmethod
    def _event(instance: Instance, taken: Taken, type_: str, payload: dict) -> EventRecord:
        return EventRecord(type_, SYSTEM.username, instance.id, instance.definition_key,
                           instance.definition_version, taken.element_id, taken.task_id, payload)
