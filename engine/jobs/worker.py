"""The embedded worker: background work inside ``flowdesk serve``, nothing else to run.

One thread loops: run every due job, then sleep until the next job falls due, at most
``poll_seconds`` (jobs created by other processes are seen at the latest then), waking
at once when this process creates work (``wake``). With the default 0.2 s a timer fires
well within a second of its due time.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from ..history.audit.anchor import AnchorSchedule
from ..persistence.models import WorkerHeartbeat
from ..persistence.upsert import dialect_insert
from .executor import JobExecutor

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 5.0


class EmbeddedWorker:
    def __init__(self, executor: JobExecutor, poll_seconds: float = 0.2, kind: str = "embedded") -> None:
        self.executor = executor
        self.poll_seconds = poll_seconds
        self.kind = kind
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._started_at: datetime | None = None
        self._last_beat = 0.0
        self._anchors = AnchorSchedule(executor.context.settings.audit_anchor_seconds)
        self.jobs_done = 0

    def start(self) -> None:
        self._started_at = self.executor.clock.now()
        self._thread = threading.Thread(target=self._loop, name=f"flowdesk-worker-{self.executor.worker_id}",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                ran = self.executor.run_due()
                self.jobs_done += ran
                self._heartbeat()
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

    def _heartbeat(self) -> None:
        now = self.executor.clock.now()
        if now.timestamp() - self._last_beat < HEARTBEAT_SECONDS:
            return
        self._last_beat = now.timestamp()
        values = {"worker_id": self.executor.worker_id, "kind": self.kind, "started_at": self._started_at or now,
                  "seen_at": now, "jobs_done": self.jobs_done}
        with self.executor.context.transaction() as session:
            stmt = dialect_insert(session)(WorkerHeartbeat).values(values)
            session.execute(stmt.on_conflict_do_update(
                index_elements=[WorkerHeartbeat.worker_id],
                set_={"seen_at": now, "jobs_done": self.jobs_done},
            ))
