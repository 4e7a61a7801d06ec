"""The embedded worker: background work inside ``flowdesk serve``, nothing else to run.

One thread loops: run every due job, then sleep until the next job falls due, at most
``poll_seconds`` (jobs created by other processes are seen at the latest then), waking
at once when this process creates work (``wake``). With the default 0.2 s a timer fires
well within a second of its due time.
"""

from __future__ import annotations

import logging
import threading

from ..history.audit.anchor import AnchorSchedule
from .executor import JobExecutor

log = logging.getLogger(__name__)


class EmbeddedWorker:
    def __init__(self, executor: JobExecutor, poll_seconds: float = 0.2, kind: str = "embedded") -> None:
        self.executor = executor
        self.poll_seconds = poll_seconds
        self.kind = kind
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
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
        self._thread = threading.Thread(target=self._loop, name=f"flowdesk-worker-{self.executor.worker_id}",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.executor.heartbeat.stop()

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.executor.heartbeat.ensure_running()
                ran = self.executor.run_due()
                if self._anchors.due():
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
