"""Appending events and reading an instance's history.

This is the only writer of the ``events`` table, and it only inserts. (The hash chain,
field-level diffs and auditor searches build on this table in the audit issue.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from .. import values
from ..clock import Clock
from ..persistence.models import Event


@dataclass(frozen=True)
class EventRecord:
    type: str
    actor: str
    instance_id: str | None = None
    definition_key: str | None = None
    definition_version: int | None = None
    element_id: str | None = None
    task_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


class AuditLog:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def append(self, session: Session, records: Iterable[EventRecord]) -> None:
        """Insert the events in order, in the caller's transaction, with one statement."""
        at = self.clock.now()
        rows = [
            {
                "at": at,
                "type": r.type,
                "actor": r.actor,
                "instance_id": r.instance_id,
                "definition_key": r.definition_key,
                "definition_version": r.definition_version,
                "element_id": r.element_id,
                "task_id": r.task_id,
                "payload": values.encode(r.payload),
            }
            for r in records
        ]
        if rows:
            session.execute(insert(Event), rows)

    def history(self, session: Session, instance_id: str, after_seq: int = 0, limit: int = 500) -> list[Event]:
        stmt = (
            select(Event)
            .where(Event.instance_id == instance_id, Event.seq > after_seq)
            .order_by(Event.seq)
            .limit(limit)
        )
        return list(session.scalars(stmt))

    def events(self, session: Session, type: str | None = None, limit: int = 500) -> list[Event]:
        stmt = select(Event).order_by(Event.seq).limit(limit)
        if type:
            stmt = stmt.where(Event.type == type)
        return list(session.scalars(stmt))
