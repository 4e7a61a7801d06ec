"""The embedded worker: background work inside ``flowdesk serve``, nothing else to run.

Each of its threads loops: take a batch of due jobs in one statement and run them, then
sleep until the next job falls due, at most ``poll_seconds`` (jobs created by other
processes are seen at the latest then), waking at once when this process creates work
(``wake``). With the default 0.2 s a timer fires well within a second of its due time.

Threads: ``Settings.embedded_worker_threads()`` (one per core on PostgreSQL, one on
SQLite). On PostgreSQL a timer step spends about half its time waiting for the database
(its statements, its commit): with a second thread taking its own batches (``SKIP
LOCKED``) 10,000 timers due within a minute fire on time where one thread fell behind.
"""

from __future__ import annotations

import logging
import threading

from ..history.audit.anchor import AnchorSchedule
from .executor import JobExecutor

log = logging.getLogger(__name__)


class EmbeddedWorker:
    def __init__(self, executor: JobExecutor, poll_seconds: float = 0.2, kind: str = "embedded",
                 threads: int | None = None) -> None:
        self.executor = executor
        self.poll_seconds = poll_seconds
        self.kind = kind
        self.threads = threads or executor.context.settings.embedded_worker_threads()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._anchors = AnchorSchedule(executor.context.settings.audit_anchor_seconds)
        executor.heartbeat.kind = kind

    @property
    def jobs_done(self) -> int:
        return self.executor.jobs_done

    def start(self) -> None:
        try:
            self.executor.heartbeat.ensure_running()
        except Exception:  # the database may be away at start: the loop waits for it
            log.exception("worker %s could not write its first heartbeat", self.executor.worker_id)
        self._threads = [threading.Thread(target=self._loop, args=(n == 0,), daemon=True,
                                          name=f"flowdesk-worker-{self.executor.worker_id}-{n}")
                         for n in range(self.threads)]
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)
        self.executor.heartbeat.stop()

    def wake(self) -> None:
        self._wake.set()

    def _loop(self, first: bool) -> None:
        while not self._stop.is_set():
            try:
                self.executor.heartbeat.ensure_running()
                ran = self.executor.run_due()
                if first and self._anchors.due():  # one thread anchors
                    self.executor.anchor_audit()
                if ran:
                    continue
                self._wake.wait(self._sleep_seconds())
                self._wake.clear()
            except Exception:  # the loop must survive a database restart or a bad job
                log.exception("background worker loop failed; retrying shortly")
                self._stop.wait(1.0)

    def _sleep_seconds(self) -> float:
        due = self.executor.next_due()
        if due is None:
            return self.poll_seconds
        return max(0.0, min(self.poll_seconds, (due - self.executor.clock.now()).total_seconds()))
