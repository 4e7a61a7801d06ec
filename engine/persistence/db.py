"""Database engine, sessions and the transaction boundary.

SQLite is the embedded default. Every SQLite transaction starts with ``BEGIN IMMEDIATE``
so writers queue on the database lock (with a busy timeout) instead of failing when a
read snapshot cannot be upgraded; WAL keeps readers of other connections unblocked.
PostgreSQL runs at READ COMMITTED; the instance row's version column decides races.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

from . import append_only
from .batch import drop_queued, send_queued

log = logging.getLogger(__name__)
_AFTER_COMMIT = "flowdesk.after_commit"


def _json_dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def make_engine(url: str, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            echo=echo,
            json_serializer=_json_dumps,
            connect_args={"check_same_thread": False, "timeout": 30},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection, _record) -> None:
            # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own handling
            # would defer it), and set the pragmas once per connection.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    engine = create_engine(
        url, echo=echo, json_serializer=_json_dumps, pool_size=10, max_overflow=20,
        # Waiting long for a connection only piles requests up: after this a request is
        # answered 503 with Retry-After (persistence/failures.py) and the client retries.
        pool_timeout=POOL_TIMEOUT_SECONDS,
        # JIT compilation costs far more than the short queries of a workflow engine save
        # (measured: 961 ms of a 1.2 s inbox query); switch it off for Flowdesk's sessions.
        # A database host that does not answer at all fails a connection attempt after
        # connect_timeout seconds instead of the operating system's minutes.
        connect_args={"options": "-c jit=off", "connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )
    _ping_idle_connections(engine)
    _begin_with_first_statement(engine)
    return engine


POOL_TIMEOUT_SECONDS = 10
CONNECT_TIMEOUT_SECONDS = 5
# A pooled connection unused for longer than this is tested before it is handed out.
IDLE_PING_SECONDS = 10.0


def _ping_idle_connections(engine: Engine) -> None:
    """Test a pooled connection before use only when it sat idle for a while.

    ``pool_pre_ping`` tests every checkout: one more round trip per transaction, a tenth
    of a task completion's database time. A connection used a moment ago is almost surely
    alive; one that idled (or the first after a database restart) is tested, and a dead
    one is replaced before anything runs on it. A connection that died within the window
    fails its transaction once; SQLAlchemy then discards the whole pool."""

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _fresh(_dbapi_connection, record) -> None:
        record.info["flowdesk.idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.get("flowdesk.idle_since")
        if idle_since is not None and time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:  # plain DB-API, whichever PostgreSQL driver the URL names
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            dbapi_connection.rollback()
        except Exception as err:  # any failure means: do not use this connection
            raise exc.DisconnectionError(f"pooled connection failed its test: {err}") from err


def _begin_with_first_statement(engine: Engine) -> None:
    """Send a transaction's BEGIN together with its first statement: one round trip, not two.

    psycopg opens a transaction by sending ``BEGIN`` and waiting for its answer before the
    first statement goes out; in pipeline mode both leave at once (a task completion's
    read, an inbox query). Only plain client-side cursors are pipelined."""
    try:
        import psycopg
    except ImportError:  # another PostgreSQL driver: it keeps its own BEGIN
        return
    idle = psycopg.pq.TransactionStatus.IDLE

    @event.listens_for(engine, "do_execute")
    def _first_statement(cursor, statement, parameters, _context) -> bool:
        raw = cursor.connection
        if type(cursor) is not psycopg.Cursor or raw.autocommit or raw.info.transaction_status != idle:
            return False
        with raw.pipeline():
            cursor.execute(statement, parameters)
        return True


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the session's transaction has committed (never after a
    rollback): e.g. offering a step's workflow to the cache only once its state is stored."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def _run_after_commit(session: Session) -> None:
    for callback in session.info.pop(_AFTER_COMMIT, ()):
        try:
            callback()
        except Exception:  # the transaction is committed: a failing hook must not undo that
            log.exception("an after-commit hook failed")


def _drop_after_commit(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)


class Database:
    """An engine plus a session factory; ``transaction()`` is the unit of work.

    Session events are registered on this factory only, so they fire for Flowdesk's own
    sessions and not for every SQLAlchemy session in the process."""

    def __init__(self, url: str, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        event.listen(self._sessions, "after_commit", _run_after_commit)
        event.listen(self._sessions, "after_rollback", _drop_after_commit)
        # A step's queued writes (batch.py) go out before the commit, never after or never.
        event.listen(self._sessions, "before_commit", send_queued)
        event.listen(self._sessions, "after_rollback", drop_queued)
        append_only.guard(self._sessions)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
