"""Running jobs on celery workers, for installations that outgrow one machine.

The job table stays the source of truth; celery only carries "run job X now" messages.
A dispatcher (``flowdesk worker`` runs one, ``--no-dispatcher`` turns it off) watches
the table and sends each job to the broker when it falls due (with a 1 s look-ahead
and an ETA, so timers do not wait for any polling interval). A celery task runs the job
through the same :class:`JobExecutor` as the embedded worker, so a duplicate message,
a redelivery after a worker was killed, or two dispatchers are all harmless: whoever
acquires the job's lock runs it, everyone else finds nothing to do.

Jobs due within the same ``BATCH_WINDOW`` travel in one message (at most ``BATCH_SIZE``),
and the worker takes them in one statement (:meth:`JobExecutor.run_many`): 10,000 timers
due in a minute are a few thousand messages and claims, not 10,000 of each.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from celery import Celery
from sqlalchemy import select

from ..history.audit.anchor import AnchorSchedule
from ..persistence.models import Job
from ..status import JobKind, JobStatus
from .executor import JobExecutor
from .store import abandoned

log = logging.getLogger(__name__)
LOOKAHEAD = timedelta(seconds=1)
REDISPATCH_AFTER = timedelta(seconds=30)
TASK_NAME = "flowdesk.run_job"
BATCH_TASK_NAME = "flowdesk.run_jobs"
BATCH_WINDOW = timedelta(milliseconds=50)
BATCH_SIZE = 10

_executor: JobExecutor | None = None
_executor_lock = threading.Lock()
_factory: Callable[[], JobExecutor] | None = None


def worker_executor() -> JobExecutor:
    """The executor of this worker process, made on first use by the factory given to
    :func:`make_celery` (in each forked pool process, so each has its own worker id)."""
    global _executor
    with _executor_lock:
        if _executor is None:
            if _factory is None:
                raise RuntimeError("make_celery() was not given an executor factory")
            _executor = _factory()
            _executor.heartbeat.kind = "celery"
        _executor.heartbeat.ensure_running()  # beats beside the jobs, so others see it alive
        return _executor


def make_celery(broker_url: str, queue: str = "flowdesk",
                executor_factory: Callable[[], JobExecutor] | None = None) -> Celery:
    """The celery app; ``executor_factory`` builds a job executor in each worker process."""
    global _factory
    if executor_factory is not None:
        _factory = executor_factory
    app = Celery("flowdesk", broker=broker_url)
    app.conf.update(
        task_default_queue=queue,
        task_acks_late=True,               # a killed worker's message is delivered again
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        # A broker that goes away is waited for, however long: celery reconnects with
        # backoff while the jobs wait in the table (the dispatcher sends them once it is back).
        broker_connection_retry_on_startup=True,
        broker_connection_retry=True,
        broker_connection_max_retries=None,
        worker_hijack_root_logger=False,
    )

    @app.task(name=TASK_NAME)
    def run_job(job_id: str) -> bool:
        return worker_executor().run(job_id)

    @app.task(name=BATCH_TASK_NAME)
    def run_jobs(job_ids: list[str]) -> int:
        return worker_executor().run_many(job_ids)

    return app


def backoff_seconds(failures: int) -> float:
    """How long to wait after ``failures`` failed rounds in a row: 0.5 s doubling, at most 10 s
    (so jobs that fell due meanwhile are late by seconds once the broker is back)."""
    return min(10.0, 0.5 * 2 ** min(failures - 1, 10))


def run_celery_worker(app: Celery, argv: list[str]) -> int:
    """Run ``celery worker`` in this process until it stops; its exit status (celery's own
    ``worker_main`` drops it, so a worker that died of an error would exit 0)."""
    from celery.bin.celery import celery as command
    from click.exceptions import Exit

    command.params[0].default = app
    try:
        code = command.main(args=argv, standalone_mode=False)
    except Exit as stopped:
        code = stopped.exit_code
    finally:
        command.params[0].default = None
    return code if isinstance(code, int) else 0


class Dispatcher:
    """Sends due jobs to the broker; one thread, cheap indexed queries."""

    def __init__(self, executor: JobExecutor, app: Celery, poll_seconds: float = 0.2) -> None:
        self.executor = executor
        self.app = app
        self.poll_seconds = poll_seconds
        self._sent: dict[str, tuple[datetime, datetime]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # The dispatcher also anchors the audit chains: one per deployment, like it.
        self._anchors = AnchorSchedule(executor.context.settings.audit_anchor_seconds)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.loop, name="flowdesk-dispatcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def loop(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self.dispatch_due()
                if self._anchors.due():
                    self.executor.anchor_audit()
                if failures:
                    log.warning("dispatcher running again after %d failed rounds", failures)
                failures = 0
            except Exception as err:
                # Broker or database away: the jobs wait in the table and are sent once
                # both answer. Back off (0.5 s doubling up to 10 s), log once per outage.
                failures += 1
                if failures == 1:
                    log.warning("dispatcher cannot send jobs (%s); they wait in the jobs table, retrying "
                                "with backoff", err)
                else:
                    log.debug("dispatcher still failing: %s", err)
                self._stop.wait(backoff_seconds(failures))
                continue
            self._stop.wait(self.poll_seconds)

    def dispatch_due(self) -> int:
        now = self.executor.clock.now()
        horizon = now + LOOKAHEAD
        with self.executor.context.transaction() as session:
            due = session.execute(
                select(Job.id, Job.due_at).where(
                    Job.kind != JobKind.EXTERNAL,
                    ((Job.status == JobStatus.WAITING) & (Job.due_at <= horizon))
                    | abandoned(now, self.executor.store.stale_seconds),
                ).order_by(Job.due_at).limit(500)
            ).all()
        sent = 0
        for batch in batches([(job_id, due_at) for job_id, due_at in due if self._to_send(job_id, due_at, now)]):
            eta = max(batch[-1][1], now)
            self.app.send_task(BATCH_TASK_NAME, args=[[job_id for job_id, _ in batch]], eta=eta,
                               queue=self.app.conf.task_default_queue)
            for job_id, due_at in batch:
                self._sent[job_id] = (due_at, now)
            sent += len(batch)
        for job_id in [j for j, (_, at) in self._sent.items() if now - at > REDISPATCH_AFTER * 4]:
            self._sent.pop(job_id, None)
        return sent

    def _to_send(self, job_id: str, due_at: datetime, now: datetime) -> bool:
        """Not sent yet, or sent for another due time, or sent long ago and still waiting."""
        previous = self._sent.get(job_id)
        return not (previous and previous[0] == due_at and now - previous[1] < REDISPATCH_AFTER)


def batches(due: list[tuple[str, datetime]]) -> list[list[tuple[str, datetime]]]:
    """(job id, due time) in due order, grouped into messages: jobs due within
    ``BATCH_WINDOW`` of a message's first job, at most ``BATCH_SIZE`` per message. The
    message's ETA is its last job's due time, so none runs early, and the first waits at
    most the window."""
    groups: list[list[tuple[str, datetime]]] = []
    for job_id, due_at in due:
        if groups and len(groups[-1]) < BATCH_SIZE and due_at - groups[-1][0][1] <= BATCH_WINDOW:
            groups[-1].append((job_id, due_at))
        else:
            groups.append([(job_id, due_at)])
    return groups
