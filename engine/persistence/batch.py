"""A step's writes, sent to the database together: one round trip on PostgreSQL.

A step writes a handful of rows (the task it closed, the tasks it opened and their
candidates, the instance with its version check, the audit chain's head and events).
Sent one by one, each waits for the database's answer before the next leaves: on
PostgreSQL that wait, not the work, was most of a completion's database time. A
:class:`WriteBatch` queues those statements and sends them when the step is written:
on PostgreSQL in psycopg's pipeline mode (all statements out, one sync, all answers
back), on SQLite one after the other (in-process: a round trip costs nothing there).
The answers the step checks (an UPDATE's row count for the optimistic lock, a
``RETURNING`` row for the audit chain's compare-and-set) are read once they are back.

Only statements built once (module constants) are queued: each is compiled once per
database dialect and set of parameter names, and its parameters go through the column
types' bind processors as SQLAlchemy would, without its per-execution machinery.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import exc
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

#: The marker a pipelined batch's event carries instead of one statement (bench/profile.py
#: counts such an event as one round trip).
PIPELINE_MARK = "-- flowdesk pipeline"


class Pending:
    """One queued statement; its answer (``rowcount``, ``rows``) once the batch is sent."""

    __slots__ = ("check", "params", "rowcount", "rows", "statement")

    def __init__(self, statement: Executable, params: Mapping[str, Any] | Sequence[Mapping[str, Any]],
                 check: Callable[[Pending], None] | None) -> None:
        self.statement = statement
        self.params = params
        self.check = check
        self.rowcount: int | None = None
        self.rows: list[tuple] = []

    @property
    def many(self) -> bool:
        return not isinstance(self.params, Mapping)


class WriteBatch:
    """Statements queued during a transaction and sent together by :meth:`send`, in order.

    One batch per session (:meth:`of`). Whatever reads rows a queued statement writes sends
    the batch first (:func:`send_queued`); the batch is also sent before the transaction
    commits, so a queued write is never lost."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.queued: list[Pending] = []

    @classmethod
    def of(cls, session: Session) -> WriteBatch:
        batch = session.info.get(_SESSION_KEY)
        if batch is None:
            batch = session.info[_SESSION_KEY] = cls(session)
        return batch

    def add(self, statement: Executable, params: Mapping[str, Any] | Sequence[Mapping[str, Any]],
            check: Callable[[Pending], None] | None = None) -> Pending:
        """Queue ``statement`` (built once, see the module's docstring) with its parameters
        (one mapping, or a list of them for one row each). ``check`` is called with the
        answer once it is back (and may raise: the transaction then rolls back)."""
        pending = Pending(statement, params, check)
        if pending.many and not params:
            pending.rowcount = 0
            return pending
        self.queued.append(pending)
        return pending

    def send(self) -> None:
        """Execute what is queued, in order; then each statement's check, in order."""
        queued, self.queued = self.queued, []
        if not queued:
            return
        if self.session.get_bind().dialect.name == "postgresql":
            _send_pipelined(self.session, queued)
        else:
            for pending in queued:
                result = self.session.execute(pending.statement, pending.params)
                pending.rowcount = result.rowcount
                pending.rows = [tuple(row) for row in result] if result.returns_rows else []
        for pending in queued:
            if pending.check is not None:
                pending.check(pending)


_SESSION_KEY = "flowdesk.write_batch"


def send_queued(session: Session) -> None:
    """Send the session's queued writes, if any: before reading rows they may write."""
    batch = session.info.get(_SESSION_KEY)
    if batch is not None:
        batch.send()


def duplicate_row(err: exc.IntegrityError, table: str) -> bool:
    """Whether ``err`` is a primary-key or unique violation on ``table`` (either database)."""
    orig = err.orig
    diag = getattr(orig, "diag", None)
    if diag is not None:  # psycopg
        return getattr(orig, "sqlstate", None) == "23505" and diag.table_name == table
    return str(orig).startswith(f"UNIQUE constraint failed: {table}.")


def drop_queued(session: Session) -> None:
    """Forget the session's queued writes (its transaction rolled back)."""
    session.info.pop(_SESSION_KEY, None)


# (statement id, dialect name, parameter names) -> (statement, SQL, bind processors, compiled).
# The statement is held so that its id is never reused; only module constants are queued,
# so the cache is bounded by the code.
_COMPILED: dict[tuple, tuple] = {}
_COMPILED_LOCK = threading.Lock()


def _compiled(statement: Executable, dialect, names: tuple[str, ...]) -> tuple:
    key = (id(statement), dialect.name, names)
    found = _COMPILED.get(key)
    if found is None:
        compiled = statement.compile(dialect=dialect, column_keys=list(names))
        found = (statement, compiled.string, compiled._bind_processors, compiled)
        with _COMPILED_LOCK:
            _COMPILED[key] = found
    return found


def _driver_params(compiled, processors, params: Mapping[str, Any]) -> dict[str, Any]:
    bound = compiled.construct_params(params, _check=False)
    return {name: (processors[name](value) if name in processors else value) for name, value in bound.items()}


def _send_pipelined(session: Session, queued: list[Pending]) -> None:
    """All statements through psycopg's pipeline: sent at once, answered after one sync.

    A database error surfaces at the sync; it is raised as SQLAlchemy's wrapped error (the
    edge turns a lost race or an outage into 409 or 503 as for any statement), and a
    dropped connection is invalidated so that the pool replaces it."""
    connection = session.connection()
    dialect = connection.dialect
    raw = connection.connection.driver_connection
    work = []
    for pending in queued:
        rows = list(pending.params) if pending.many else [pending.params]
        _, sql, processors, compiled = _compiled(pending.statement, dialect, tuple(sorted(rows[0])))
        work.append((pending, sql, [_driver_params(compiled, processors, row) for row in rows]))
    text = f"{PIPELINE_MARK}: {len(work)} statements\n" + ";\n".join(sql for _, sql, _ in work)
    events = connection._has_events or connection.engine._has_events
    if events:
        connection.dispatch.before_cursor_execute(connection, None, text, (), None, False)
    cursors = []
    try:
        with raw.pipeline():
            for pending, sql, rows in work:
                cursor = raw.cursor()
                cursors.append(cursor)
                if pending.many:
                    cursor.executemany(sql, rows)
                else:
                    cursor.execute(sql, rows[0])
        for (pending, _, _), cursor in zip(work, cursors, strict=True):
            pending.rowcount = cursor.rowcount
            pending.rows = [tuple(row) for row in cursor.fetchall()] if cursor.description else []
    except dialect.loaded_dbapi.Error as err:
        invalidated = dialect.is_disconnect(err, raw, None)
        if invalidated:
            connection.invalidate(err)
        raise exc.DBAPIError.instance(text, None, err, dialect.loaded_dbapi.Error,
                                      connection_invalidated=invalidated, dialect=dialect) from err
    finally:
        for cursor in cursors:
            cursor.close()
    if events:
        connection.dispatch.after_cursor_execute(connection, None, text, (), None, False)
