"""Pooled PostgreSQL connections: tested before use only after sitting idle, and a dead
one is replaced before a transaction runs on it."""

from __future__ import annotations

from flowdesk.engine.persistence import db
from sqlalchemy import create_engine, text


def kill_other_sessions(url: str) -> int:
    """Terminate every other backend of the database, as a database restart would."""
    admin = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return conn.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    finally:
        admin.dispose()


class Recording:
    """A DB-API cursor that notes the SQL it executes."""

    def __init__(self, cursor, seen: list[str]) -> None:
        self._cursor, self._seen = cursor, seen

    def execute(self, sql, *args, **kwargs):
        self._seen.append(str(sql))
        return self._cursor.execute(sql, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._cursor, name)


def pinged_transactions(database: db.Database, count: int) -> list[int]:
    """The backend pid each of ``count`` transactions ran on."""
    pids = []
    for _ in range(count):
        with database.transaction() as s:
            pids.append(s.execute(text("SELECT pg_backend_pid()")).scalar())
    return pids


def test_an_idle_connection_killed_meanwhile_is_replaced_before_use(postgres_url, monkeypatch):
    database = db.Database(postgres_url)
    try:
        before = pinged_transactions(database, 1)
        assert kill_other_sessions(postgres_url) >= 1
        monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)  # every pooled connection counts as idle
        after = pinged_transactions(database, 2)  # no error: the dead connection failed its test
        assert after[0] != before[0]
    finally:
        database.dispose()


def test_a_connection_used_a_moment_ago_is_handed_out_without_a_test(postgres_url):
    database = db.Database(postgres_url)
    tests = []
    try:
        pinged_transactions(database, 1)
        record = next(iter(database.engine.pool._pool.queue))  # the one pooled connection
        dbapi = record.dbapi_connection
        real = dbapi.cursor

        dbapi.cursor = lambda *args, **kwargs: Recording(real(*args, **kwargs), tests)
        pinged_transactions(database, 3)
        assert "SELECT 1" not in tests and len(tests) == 3  # the three transactions' own statements
        record.info["flowdesk.idle_since"] -= db.IDLE_PING_SECONDS + 1  # as if it sat idle
        pinged_transactions(database, 1)
        assert tests[3:] == ["SELECT 1", "SELECT pg_backend_pid()"]
    finally:
        database.dispose()
