"""INSERT ... ON CONFLICT on whichever database the session talks to.

PostgreSQL and SQLite both have ``ON CONFLICT DO NOTHING / DO UPDATE``, but SQLAlchemy
builds them from each dialect's own ``insert``; this picks the one the session needs.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def dialect_insert(session: Session):
    """The ``insert`` construct of the session's database (which has ``on_conflict_*``)."""
    name = session.get_bind().dialect.name
    try:
        return _INSERTS[name]
    except KeyError:
        raise RuntimeError(f"Flowdesk runs on PostgreSQL and SQLite, not on {name}") from None


def insert_ignore(session: Session, model: Any, row: dict[str, Any]) -> bool:
    """Insert ``row`` unless its key exists; True when this call inserted it.

    The answer comes from ``RETURNING`` (a driver's rowcount for ``ON CONFLICT DO NOTHING``
    is not reliable: psycopg reports -1)."""
    key = model.__table__.primary_key.columns.values()[0]
    stmt = dialect_insert(session)(model).values(row).on_conflict_do_nothing().returning(key)
    return session.execute(stmt).first() is not None
