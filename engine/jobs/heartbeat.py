"""A worker's heartbeat: its row in ``worker_heartbeats``, refreshed by a thread of its own.

The beat runs beside the jobs, not between them, so a worker busy with a long connector
call still beats. A worker that stops beating (killed, frozen, cut off) is stale once its
row is older than ``FLOWDESK_WORKER_STALE_SECONDS``, and every other worker (and the
dispatcher) treats the jobs it holds as free (store.py), seconds after it went silent
instead of when its lock runs out.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from ..context import EngineContext
from ..persistence.models import WorkerHeartbeat
from ..persistence.upsert import dialect_insert

log = logging.getLogger(__name__)


def beat_interval(stale_seconds: float) -> float:
    """Beat often enough that two missed beats still leave the worker fresh."""
    return max(0.2, stale_seconds / 4)


class Heartbeat:
    def __init__(self, context: EngineContext, worker_id: str, kind: str = "worker",
                 jobs_done: Callable[[], int] = lambda: 0) -> None:
        self.context = context
        self.worker_id = worker_id
        self.kind = kind
        self.jobs_done = jobs_done
        self.interval = beat_interval(context.settings.worker_stale_seconds)
        self._started_at = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def beat(self) -> None:
        """Write this worker's row now."""
        now = self.context.clock.now()
        if self._started_at is None:
            self._started_at = now
        values = {"worker_id": self.worker_id, "kind": self.kind, "started_at": self._started_at,
                  "seen_at": now, "jobs_done": self.jobs_done()}
        with self.context.transaction() as session:
            stmt = dialect_insert(session)(WorkerHeartbeat).values(values)
            session.execute(stmt.on_conflict_do_update(
                index_elements=[WorkerHeartbeat.worker_id],
                set_={"seen_at": now, "jobs_done": values["jobs_done"], "kind": self.kind},
            ))

    def ensure_running(self) -> None:
        """Beat now and keep beating in the background (idempotent; call before taking a job)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self.beat()
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name=f"flowdesk-heartbeat-{self.worker_id}",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
            except Exception as err:  # the database may be away for a while; keep trying
                log.warning("worker %s could not write its heartbeat: %s", self.worker_id, err)
