"""Appending events to the hash-chained audit log, and reading them back.

This is the only writer of the ``events`` and ``audit_chains`` tables, and it only
inserts events. Each append locks the head of every chain it extends (one row per
instance by default), hashes the new events onto it and moves the head, all in the
caller's transaction: the events commit or vanish with the step that caused them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Select, bindparam, exists, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ... import request_id, values
from ...clock import Clock
from ...persistence.batch import Pending, WriteBatch
from ...persistence.models import AuditChain, Event, EventPayload
from . import chain

EVENTS, PAYLOADS, CHAINS = Event.__table__, EventPayload.__table__, AuditChain.__table__

ChainMode = Literal["instance", "global"]

# The statements of every append, built once (their cache keys are computed per object).
_INSERT_PAYLOADS, _INSERT_EVENTS = insert(PAYLOADS), insert(EVENTS)
# The compare-and-set of a chain head this process wrote last.
_MOVE_HEAD = (
    update(CHAINS)
    .where(CHAINS.c.chain_id == bindparam("chain"), CHAINS.c.length == bindparam("known_length"),
           CHAINS.c.head == bindparam("known_head"))
    .values(length=bindparam("new_length"), head=bindparam("new_head"), dirty=bindparam("new_dirty"))
    .returning(CHAINS.c.chain_id)
)
# The claim of a new chain (its first events), one statement per dialect.
_CLAIM_CHAIN = {
    name: dialect.insert(CHAINS).on_conflict_do_nothing().returning(CHAINS.c.chain_id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


@dataclass(frozen=True)
class _Claim:
    """An optimistic append prepared: the chained rows and the statement claiming the head."""

    heads: dict[str, tuple[int, str]]
    rows: list[dict[str, Any]]
    payloads: list[dict[str, Any]]
    statement: Any
    params: dict[str, Any]


_PAYLOAD_NAMES = ("hash", "salt", "content")
_EVENT_NAMES = ("at", "type", "actor", "instance_id", "definition_key", "definition_version", "element_id",
                "task_id", "chain_id", "chain_seq", "payload_hash", "prev_hash", "hash")


def _insert_if_claimed(table, names: tuple[str, ...]):
    """An INSERT of one row that writes it only if the chain's head is the one the row's
    append moved it to: queued behind the compare-and-set, it writes nothing when that
    failed (the append then chains the events again on the locked head)."""
    claimed = exists().where(CHAINS.c.chain_id == bindparam("claimed_chain"),
                             CHAINS.c.length == bindparam("claimed_length"),
                             CHAINS.c.head == bindparam("claimed_head"))
    values = select(*(bindparam(name, type_=table.c[name].type) for name in names)).where(claimed)
    return insert(table).from_select(list(names), values)


_INSERT_PAYLOADS_IF_CLAIMED = _insert_if_claimed(PAYLOADS, _PAYLOAD_NAMES)
_INSERT_EVENTS_IF_CLAIMED = _insert_if_claimed(EVENTS, _EVENT_NAMES)


# An instance's chain is seldom extended once the instance ended (a comment, an erasure:
# those read the head then), so its head is forgotten: the cache holds the chains of running
# instances, not of the last 20,000 written to (~350 bytes each, growing under steady load).
_ENDS_CHAIN = frozenset({"instance.completed", "instance.cancelled"})

# Where an event's payload keeps the request it was written for (see engine/request_id.py);
# event views show it as ``context``, apart from the event's own ``data``.
CONTEXT_KEY = "_context"


def with_request(payload: dict[str, Any]) -> dict[str, Any]:
    rid = request_id.current()
    if rid is None or CONTEXT_KEY in payload:
        return payload
    return {**payload, CONTEXT_KEY: {"request_id": rid}}


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
        # The heads this process last wrote: a hint for the compare-and-set, never trusted.
        self._heads = _HeadCache()
        # Called with (session, records) before events are chained, in the same transaction:
        # they may add to a payload and write rows that commit with the events (jobs).
        self.listeners: list[Callable[[Session, list[EventRecord]], None]] = []

    def chain_of(self, record: EventRecord) -> str:
        if self.chain_mode == "global" or record.instance_id is None:
            return chain.GLOBAL_CHAIN
        return record.instance_id

    def append(self, session: Session, records: Iterable[EventRecord],
               batch: WriteBatch | None = None) -> list[dict[str, Any]]:
        """Chain and insert the events in order, in the caller's transaction; returns the rows
        written (with their chain positions and hashes, not the database-assigned ``seq``).

        With a ``batch`` (a step's writes), the common case is queued with it, not sent:
        the compare-and-set and inserts that write only if it succeeded. Should it fail, the
        events are chained again on the locked head once the batch is back (the rows
        returned are then the first attempt's).

        The common case, one chain whose head this process wrote last, costs one statement
        for the chain: a compare-and-set ``UPDATE`` of the head, conditioned on the head this
        process remembers. It fails (and the append falls back to locking the head and
        reading it) when another process moved the chain, when this process's transaction
        that moved it rolled back, or when it forgot; the database's row is the authority.
        """
        records = list(records)
        if not records:
            return []
        for listener in self.listeners:
            listener(session, records)
        at = self.clock.now()
        chain_ids = sorted({self.chain_of(r) for r in records})
        if len(chain_ids) == 1:
            if batch is not None:
                rows = self._append_queued(session, batch, chain_ids[0], records, at)
            else:
                rows = self._append_optimistically(session, chain_ids[0], records, at)
            if rows is not None:
                return rows
        return self._append_locked(session, chain_ids, records, at)

    def _append_locked(self, session: Session, chain_ids: list[str], records: list[EventRecord],
                       at) -> list[dict[str, Any]]:
        """The append that cannot fail: the chains' heads locked and read, then moved."""
        heads = self._lock_heads(session, chain_ids)
        rows, payloads = self._chain(records, heads, at)
        for chain_id in chain_ids:
            length, head = heads[chain_id]
            session.execute(update(CHAINS).where(CHAINS.c.chain_id == chain_id)
                            .values(length=length, head=head, dirty=chain_id != chain.GLOBAL_CHAIN))
        self._insert(session, rows, payloads)
        self._remember(heads, records)
        return rows

    def _claim(self, session: Session, chain_id: str, records: list[EventRecord], at) -> _Claim | None:
        """The records chained onto the head this process remembers (or a new chain's
        genesis), with the statement that claims that head: a compare-and-set of the head,
        or the insert of a new chain. None when there is no head to try."""
        known = self._heads.get(chain_id)
        new_chain = known is None and records[0].type == "instance.started"
        if known is None and not new_chain:
            return None
        before = known or (0, chain.GENESIS)
        heads = {chain_id: before}
        rows, payloads = self._chain(records, heads, at)
        length, head = heads[chain_id]
        dirty = chain_id != chain.GLOBAL_CHAIN
        if new_chain:
            statement = _CLAIM_CHAIN[session.get_bind().dialect.name]
            params = {"chain_id": chain_id, "length": length, "head": head, "anchored_length": 0,
                      "anchor_chain_seq": None, "dirty": dirty}
        else:
            statement, params = _MOVE_HEAD, {"chain": chain_id, "known_length": before[0], "known_head": before[1],
                                             "new_length": length, "new_head": head, "new_dirty": dirty}
        return _Claim(heads, rows, payloads, statement, params)

    def _append_optimistically(self, session: Session, chain_id: str, records: list[EventRecord],
                               at) -> list[dict[str, Any]] | None:
        claim = self._claim(session, chain_id, records, at)
        if claim is None:
            return None
        # RETURNING, not rowcount: psycopg reports -1 for a single-row INSERT ... ON CONFLICT.
        if session.execute(claim.statement, claim.params).first() is None:
            self._heads.pop(chain_id, None)
            return None
        self._insert(session, claim.rows, claim.payloads)
        self._remember(claim.heads, records)
        return claim.rows

    def _append_queued(self, session: Session, batch: WriteBatch, chain_id: str, records: list[EventRecord],
                       at) -> list[dict[str, Any]] | None:
        """:meth:`_append_optimistically` queued in ``batch``; None when there is no head to
        try (the caller takes the locked path at once)."""
        claim = self._claim(session, chain_id, records, at)
        if claim is None:
            return None

        def claimed(pending: Pending) -> None:
            if pending.rows:
                self._remember(claim.heads, records)
                return
            self._heads.pop(chain_id, None)  # another writer moved the chain: its inserts wrote nothing
            self._append_locked(session, [chain_id], records, at)

        batch.add(claim.statement, claim.params, claimed)
        length, head = claim.heads[chain_id]
        guard = {"claimed_chain": chain_id, "claimed_length": length, "claimed_head": head}
        batch.add(_INSERT_PAYLOADS_IF_CLAIMED, [{**p, **guard} for p in claim.payloads])
        batch.add(_INSERT_EVENTS_IF_CLAIMED, [{**r, **guard} for r in claim.rows])
        return claim.rows

    def _chain(self, records: list[EventRecord], heads: dict[str, tuple[int, str]], at) -> tuple[list, list]:
        """Hash the records onto ``heads`` (moved along in place); the event and payload rows."""
        rows: list[dict[str, Any]] = []
        payloads: list[dict[str, Any]] = []
        for record in records:
            chain_id = self.chain_of(record)
            length, prev = heads[chain_id]
            content = values.encode(with_request(record.payload))
            salt = chain.new_salt()
            digest = chain.payload_hash(content, salt)
            payloads.append({"hash": digest, "salt": salt, "content": content})
            row = {
                "at": at, "type": record.type, "actor": record.actor, "instance_id": record.instance_id,
                "definition_key": record.definition_key, "definition_version": record.definition_version,
                "element_id": record.element_id, "task_id": record.task_id,
                "chain_id": chain_id, "chain_seq": length + 1, "payload_hash": digest, "prev_hash": prev,
            }
            row["hash"] = chain.event_hash(row, prev)
            heads[chain_id] = (length + 1, row["hash"])
            rows.append(row)
        return rows, payloads

    @staticmethod
    def _insert(session: Session, rows: list[dict[str, Any]], payloads: list[dict[str, Any]]) -> None:
        # Core tables, not the ORM classes: the ORM's bulk path costs more than the INSERT.
        session.execute(_INSERT_PAYLOADS, payloads)
        session.execute(_INSERT_EVENTS, rows)

    def _remember(self, heads: dict[str, tuple[int, str]], records: list[EventRecord]) -> None:
        ended = {self.chain_of(r) for r in records if r.type in _ENDS_CHAIN} - {chain.GLOBAL_CHAIN}
        for chain_id, head in heads.items():
            if chain_id in ended:
                self._heads.pop(chain_id, None)
            else:
                self._heads.put(chain_id, head)

    def _lock_heads(self, session: Session, chain_ids: Sequence[str]) -> dict[str, tuple[int, str]]:
        """Lock the chains' head rows (in a fixed order, so two writers cannot deadlock)."""
        stmt = (select(CHAINS.c.chain_id, CHAINS.c.length, CHAINS.c.head)
                .where(CHAINS.c.chain_id.in_(chain_ids)).order_by(CHAINS.c.chain_id).with_for_update())
        heads = {c: (n, h) for c, n, h in session.execute(stmt)}
        missing = [c for c in chain_ids if c not in heads]
        if missing:
            # A new chain. Two writers may race to create the row: the insert ignores the
            # loser's duplicate and both then wait on the same lock.
            session.execute(_dialect_insert(session)(CHAINS).on_conflict_do_nothing(), [
                {"chain_id": c, "length": 0, "head": chain.GENESIS, "anchored_length": 0, "anchor_chain_seq": None,
                 "dirty": False}
                for c in missing])
            heads.update({c: (n, h) for c, n, h in session.execute(stmt.where(CHAINS.c.chain_id.in_(missing)))})
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


class _HeadCache:
    """A bounded, thread-safe map of chain id -> (length, head), least recently used out."""

    def __init__(self, size: int = 20_000) -> None:
        self._size = size
        self._items: OrderedDict[str, tuple[int, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, chain_id: str) -> tuple[int, str] | None:
        with self._lock:
            return self._items.get(chain_id)

    def put(self, chain_id: str, head: tuple[int, str]) -> None:
        with self._lock:
            self._items[chain_id] = head
            self._items.move_to_end(chain_id)
            if len(self._items) > self._size:
                self._items.popitem(last=False)

    def pop(self, chain_id: str, default=None) -> tuple[int, str] | None:
        with self._lock:
            return self._items.pop(chain_id, default)


def _dialect_insert(session: Session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
