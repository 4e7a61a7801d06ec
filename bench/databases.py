"""Fresh databases for each measurement, and a Flowdesk engine on them.

Each measurement gets its own empty database (a file for SQLite, ``CREATE DATABASE``
on the PostgreSQL server), so no measurement sees another's rows and every run starts
from the same state. PostgreSQL databases are dropped afterwards, even after an error.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flowdesk.engine.clock import SystemClock
from flowdesk.engine.config import Settings
from flowdesk.engine.identity import SYSTEM, Actor
from flowdesk.engine.process_engine import ProcessEngine
from sqlalchemy import create_engine, text

from . import MODELS

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
# The benchmark's user: every bench model puts its tasks in the "clerks" lane.
CLERK = Actor("bench-clerk", frozenset({"clerks"}))
CLERK_PASSWORD = "bench-clerk-password"


def sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


def postgres_problem(server_url: str | None) -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    if not server_url:
        return "no PostgreSQL URL given"
    try:
        probe = create_engine(sqlalchemy_url(server_url))
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
        probe.dispose()
    except Exception as err:
        return f"PostgreSQL at {server_url} is not reachable: {str(err).splitlines()[0]}"
    return None


@contextmanager
def postgres_database(server_url: str, label: str) -> Iterator[str]:
    """A new empty database on the server of ``server_url``; dropped on exit."""
    admin = create_engine(sqlalchemy_url(server_url), isolation_level="AUTOCOMMIT")
    name = f"flowdesk_bench_{label}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = server_url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def sqlite_database(label: str) -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix=f"flowdesk-bench-{label}-") as folder:
        yield f"sqlite:///{Path(folder) / 'flowdesk.db'}"


@contextmanager
def database(kind: str, server_url: str | None, label: str) -> Iterator[str]:
    """``kind`` is "sqlite" or "postgres"."""
    if kind == "sqlite":
        with sqlite_database(label) as url:
            yield url
    else:
        with postgres_database(server_url, label) as url:
            yield url


def flowdesk_engine(url: str, *models: str) -> ProcessEngine:
    """A migrated engine on ``url`` with the named bench models deployed, on the system clock."""
    engine = ProcessEngine(Settings(database_url=url, definitions=()), clock=SystemClock())
    if models:
        engine.repository.deploy([MODELS / name for name in models], by=SYSTEM)
    return engine
