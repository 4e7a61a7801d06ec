"""What a database error means for the caller: a lost race, or the database being away.

A PostgreSQL deadlock or serialization failure is two writers meeting: one of them wins,
and the other is told so like any other concurrent modification (409). A refused or
dropped connection, a pool that hands out no connection in time, or a database that is
shutting down is an outage: the request may be retried later (503 with ``Retry-After``),
and the pool replaces its dead connections by itself (see db.py). Anything else is a bug.
"""

from __future__ import annotations

from sqlalchemy import exc

from ..errors import ConcurrentModification, DatabaseUnavailable

#: SQLSTATEs of a transaction that lost to another: serialization failure, deadlock.
RACE_STATES = frozenset({"40001", "40P01"})
#: Seconds a client is asked to wait before retrying during an outage.
RETRY_AFTER_SECONDS = 2


def _sqlstate(err: BaseException) -> str | None:
    orig = getattr(err, "orig", None)
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def is_race(err: BaseException) -> bool:
    return isinstance(err, exc.DBAPIError) and _sqlstate(err) in RACE_STATES


def is_outage(err: BaseException) -> bool:
    """A refused, dropped or timed-out connection (or a locked SQLite file past its
    busy timeout): the database is not there for now."""
    if isinstance(err, (exc.TimeoutError, exc.DisconnectionError)):
        return True
    if isinstance(err, exc.DBAPIError):
        return err.connection_invalidated or isinstance(err, (exc.OperationalError, exc.InterfaceError))
    return False


def translate(err: BaseException) -> Exception | None:
    """The engine error ``err`` stands for, or None when it is not one of these."""
    if is_race(err):
        return ConcurrentModification("another request changed the same data at the same time; "
                                      "nothing was saved")
    if is_outage(err):
        return DatabaseUnavailable("the database is not reachable right now; retry later",
                                   retry_after=RETRY_AFTER_SECONDS)
    return None
