"""The application's own refusal to change an event after it was written.

The database refuses too (triggers, migration 0005); this catches a mistake in Flowdesk's
code at the line that makes it, on every database, before any SQL is sent.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, sessionmaker

from ..errors import AuditLogIsAppendOnly
from .models import Event


@event.listens_for(Event, "before_update")
def _refuse_update(_mapper, _connection, target: Event) -> None:
    raise AuditLogIsAppendOnly(f"event {target.seq} may not be changed")


@event.listens_for(Event, "before_delete")
def _refuse_delete(_mapper, _connection, target: Event) -> None:
    raise AuditLogIsAppendOnly(f"event {target.seq} may not be deleted")


def guard(sessions: sessionmaker) -> None:
    """Refuse ORM UPDATE and DELETE statements on events in the sessions of ``sessions``
    (Flowdesk's own factory, not every SQLAlchemy session of the process)."""
    event.listen(sessions, "do_orm_execute", _refuse_bulk_changes)


def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and state.bind_mapper is not None \
            and state.bind_mapper.class_ is Event:
        raise AuditLogIsAppendOnly("UPDATE and DELETE statements on events are refused")
