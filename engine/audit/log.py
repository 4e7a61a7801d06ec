"""Appending events to the hash-chained audit log, and reading them back.

This is the only writer of the ``events`` and ``audit_chains`` tables, and it only
inserts events. Each append locks the head of every chain it extends (one row per
instance by default), hashes the new events onto it and moves the head, all in the
caller's transaction: the events commit or vanish with the step that caused them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Select, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .. import values
from ..clock import Clock
from ..persistence.models import AuditChain, Event, EventPayload
from . import chain

ChainMode = Literal["instance", "global"]


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


@dataclass(frozen=True)
class StoredEvent:
    """An event row with its payload; ``payload`` is None when it was erased."""

    event: Event
    payload: dict[str, Any] | None


class AuditLog:
    def __init__(self, clock: Clock, chain_mode: ChainMode = "instance") -> None:
        if chain_mode not in ("instance", "global"):
            raise ValueError(f"unknown audit chain mode {chain_mode!r} (instance or global)")
        self.clock = clock
        self.chain_mode = chain_mode

    def chain_of(self, record: EventRecord) -> str:
        if self.chain_mode == "global" or record.instance_id is None:
            return chain.GLOBAL_CHAIN
        return record.instance_id

    def append(self, session: Session, records: Iterable[EventRecord]) -> list[dict[str, Any]]:
        """Chain and insert the events in order, in the caller's transaction; returns the rows
        written (with their chain positions and hashes, not the database-assigned ``seq``)."""
        records = list(records)
        if not records:
            return []
        at = self.clock.now()
        chain_ids = sorted({self.chain_of(r) for r in records})
        heads = self._lock_heads(session, chain_ids)
        rows: list[dict[str, Any]] = []
        payload_rows: list[dict[str, Any]] = []
        for record in records:
            chain_id = self.chain_of(record)
            length, prev = heads[chain_id]
            content = values.encode(record.payload)
            salt = chain.new_salt()
            digest = chain.payload_hash(content, salt)
            payload_rows.append({"hash": digest, "salt": salt, "content": content})
            row = {
                "at": at, "type": record.type, "actor": record.actor, "instance_id": record.instance_id,
                "definition_key": record.definition_key, "definition_version": record.definition_version,
                "element_id": record.element_id, "task_id": record.task_id,
                "chain_id": chain_id, "chain_seq": length + 1, "payload_hash": digest, "prev_hash": prev,
            }
            row["hash"] = chain.event_hash(row, prev)
            heads[chain_id] = (length + 1, row["hash"])
            rows.append(row)
        session.execute(insert(EventPayload), payload_rows)
        session.execute(insert(Event), rows)
        for chain_id in chain_ids:
            length, head = heads[chain_id]
            session.execute(update(AuditChain).where(AuditChain.chain_id == chain_id)
                            .values(length=length, head=head, dirty=chain_id != chain.GLOBAL_CHAIN))
        return rows

    def _lock_heads(self, session: Session, chain_ids: Sequence[str]) -> dict[str, tuple[int, str]]:
        """Lock the chains' head rows (in a fixed order, so two writers cannot deadlock)."""
        stmt = (select(AuditChain.chain_id, AuditChain.length, AuditChain.head)
                .where(AuditChain.chain_id.in_(chain_ids)).order_by(AuditChain.chain_id).with_for_update())
        heads = {c: (n, h) for c, n, h in session.execute(stmt)}
        missing = [c for c in chain_ids if c not in heads]
        if missing:
            # A new instance's first event. Two writers may race to create the row: the
            # insert ignores the loser's duplicate and both then wait on the same lock.
            dialect = _dialect_insert(session)
            session.execute(dialect(AuditChain).on_conflict_do_nothing(), [
                {"chain_id": c, "length": 0, "head": chain.GENESIS, "anchored_length": 0, "anchor_chain_seq": None,
                 "dirty": False}
                for c in missing])
            heads.update({c: (n, h) for c, n, h in session.execute(stmt.where(AuditChain.chain_id.in_(missing)))})
        return heads

    # -- reading -----------------------------------------------------------------------------------
    @staticmethod
    def with_payloads(stmt: Select) -> Select:
        """Extend a ``select(Event)`` with each event's payload (NULL once erased)."""
        return stmt.add_columns(EventPayload.content).outerjoin(
            EventPayload, EventPayload.hash == Event.payload_hash)

    def read(self, session: Session, stmt: Select) -> list[StoredEvent]:
        return [StoredEvent(e, c) for e, c in session.execute(self.with_payloads(stmt))]

    def history(self, session: Session, instance_id: str, after_seq: int = 0, limit: int = 500) -> list[StoredEvent]:
        stmt = (
            select(Event)
            .where(Event.instance_id == instance_id, Event.seq > after_seq)
            .order_by(Event.seq)
            .limit(limit)
        )
        return self.read(session, stmt)


def _dialect_insert(session: Session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
