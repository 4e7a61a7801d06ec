"""A Flowdesk deployment on the suite's own services: a fresh database with the bench
models and the clerk, ``flowdesk serve`` and ``flowdesk worker`` subprocesses that can
be killed and started again, and the in-process engine the checks read through."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from flowdesk.engine.clock import SystemClock
from flowdesk.engine.config import Settings
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.process_engine import ProcessEngine
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from .. import MODELS, REPO
from ..databases import CLERK, CLERK_PASSWORD, sqlalchemy_url
from ..procs import free_port, stop, wait_until
from .clients import health

PROBE_CONNECTOR = "bench.faults.probe:ProbeConnector"


class Stack:
    def __init__(self, url: str, folder: Path, models: tuple[str, ...], extra_env: dict[str, str]) -> None:
        self.url = url
        self.folder = folder
        self.port = free_port()
        self.models = models
        self.env = {"FLOWDESK_DATABASE_URL": url, "FLOWDESK_HOST": "127.0.0.1", "FLOWDESK_PORT": str(self.port),
                    "FLOWDESK_OUTBOX": str(folder),
                    "FLOWDESK_DEFINITIONS": os.pathsep.join(str(MODELS / m) for m in models),
                    "FLOWDESK_CONNECTORS": PROBE_CONNECTOR, "FLOWDESK_PROBE_DIR": str(folder),
                    "PYTHONPATH": str(REPO), **extra_env}
        self.engine = ProcessEngine(Settings(database_url=url, definitions=(), connector_modules=(PROBE_CONNECTOR,)),
                                    clock=SystemClock())
        self.engine.repository.deploy([MODELS / m for m in models], by=SYSTEM)
        self.engine.identity.create_user(CLERK.username, CLERK_PASSWORD, sorted(CLERK.groups), by=SYSTEM)
        self.procs: list[subprocess.Popen] = []
        self._logs = 0

    def spawn(self, *args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, Path]:
        """``python -m flowdesk ARGS`` in its own process group (stopped when the stack closes)."""
        self._logs += 1
        log = self.folder / f"{args[0]}-{self._logs}.log"
        with log.open("w") as out:
            proc = subprocess.Popen([sys.executable, "-m", "flowdesk", *args],
                                    env={**os.environ, **self.env, **(env or {})}, cwd=REPO,
                                    stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        self.procs.append(proc)
        return proc, log

    def serve(self) -> subprocess.Popen:
        """A server (no embedded worker) that answers its health check."""
        proc, log = self.spawn("serve", "--no-worker")
        wait_until(lambda: health(self.port) == 200, 90, "the server to answer /api/v1/health", proc, log)
        return proc

    def worker(self, concurrency: int = 2, queue: str = "faults") -> tuple[subprocess.Popen, Path]:
        proc, log = self.spawn("worker", "--concurrency", str(concurrency), env={"FLOWDESK_CELERY_QUEUE": queue})
        wait_until(lambda: " ready." in log.read_text(), 90, "the celery worker to be ready", proc, log)
        return proc, log

    def reconnect(self) -> None:
        """Drop the in-process engine's pooled connections (after the database restarted)."""
        self.engine.db.engine.dispose()

    def close(self) -> None:
        for proc in self.procs:
            stop(proc, grace=5)
        self.engine.close()


@contextmanager
def database(server_url: str, label: str) -> Iterator[str]:
    """A new database, dropped on exit; a new connection for each (the server may have restarted)."""
    admin = create_engine(sqlalchemy_url(server_url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"flowdesk_faults_{label}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{server_url.rpartition('/')[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def stack(server_url: str, label: str, models: tuple[str, ...], extra_env: dict[str, str] | None = None
          ) -> Iterator[Stack]:
    with ExitStack() as cleanup:
        url = cleanup.enter_context(database(server_url, label))
        folder = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix=f"flowdesk-faults-{label}-")))
        built = Stack(url, folder, models, extra_env or {})
        cleanup.callback(built.close)
        yield built


def first_after(samples, since: float, kind: str = "complete", status: int = 200) -> float | None:
    """Seconds from ``since`` to the first request of ``kind`` sent after it that got ``status``."""
    times = [s.at for s in samples if s.at >= since and s.kind == kind and s.status == status]
    return min(times) - since if times else None


def wait_for(predicate, timeout: float, poll: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except Exception:  # the database may be on its way back
            pass
        time.sleep(poll)
    return False
