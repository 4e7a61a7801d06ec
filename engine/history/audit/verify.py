"""Recomputing the audit chains, to prove nobody edited, deleted or reordered an event.

The check streams the events chain by chain (``ORDER BY chain_id, chain_seq`` on the
unique index), so memory stays flat however long the log is. For every event it checks:

- ``hash`` equals the recomputed hash of its fields (an edited column breaks it);
- ``prev_hash`` equals the previous event's hash and ``chain_seq`` has no gap (a deleted
  or inserted event breaks it);
- ``seq`` grows along the chain (two events swapped in the global order break it);
- a payload still present hashes to ``payload_hash`` (an edited payload breaks it; an
  erased one is counted, not an error).

Then for every chain, its stored head (``audit_chains``) must be its last event, and
every anchor in the global chain must name an event that is there with that hash: a
truncated or rewritten instance chain shows up against the anchors.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, select, tuple_
from sqlalchemy.orm import Session

from ...persistence.models import AuditChain, Event, EventPayload
from . import chain

ANCHOR_EVENT = "audit.anchored"
MAX_PROBLEMS = 100


@dataclass
class Problem:
    seq: int | None
    chain_id: str
    kind: str
    detail: str

    def view(self) -> dict[str, Any]:
        return {"seq": self.seq, "chain_id": self.chain_id, "kind": self.kind, "detail": self.detail}


@dataclass
class Verification:
    events: int = 0
    chains: int = 0
    anchors: int = 0
    erased_payloads: int = 0
    global_head: str = chain.GENESIS
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0

    def add(self, problem: Problem) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def view(self) -> dict[str, Any]:
        located = [p.seq for p in self.problems if p.seq is not None]
        first = min(located) if located else None
        return {
            "ok": self.ok,
            "events": self.events,
            "chains": self.chains,
            "anchors": self.anchors,
            "erased_payloads": self.erased_payloads,
            "global_head": self.global_head,
            "first_bad_seq": first,
            "reason": next((p.detail for p in self.problems if p.seq == first), None) if not self.ok else None,
            "problem_count": self.problem_count,
            "problems": [p.view() for p in sorted(self.problems, key=lambda p: (p.seq is None, p.seq or 0))],
        }


def verify(session: Session, chain_id: str | None = None, batch: int = 2000) -> Verification:
    """Check every chain, or only ``chain_id`` (an instance's: what its timeline page shows).

    Memory stays flat: events stream in chain order with their chain's head joined in, and
    anchors are checked in batches of point lookups on the ``(chain_id, chain_seq)`` index.
    For one chain, its newest anchor is checked (its hash commits to everything before it).
    """
    result = Verification()
    columns = [getattr(Event, name) for name in _COLUMNS]
    stmt = (select(*columns, EventPayload.content, EventPayload.salt,
                   AuditChain.length.label("head_length"), AuditChain.head.label("head_hash"))
            .outerjoin(EventPayload, EventPayload.hash == Event.payload_hash)
            .outerjoin(AuditChain, AuditChain.chain_id == Event.chain_id)
            .order_by(Event.chain_id, Event.chain_seq)
            .execution_options(yield_per=batch))
    if chain_id is not None:
        stmt = stmt.where(Event.chain_id == chain_id)
    current: _ChainWalk | None = None
    for event in session.execute(stmt):
        if current is None or event.chain_id != current.chain_id:
            if current is not None:
                current.finish(result)
            current = _ChainWalk(event.chain_id, event.head_length, event.head_hash)
            result.chains += 1
        current.step(event, result)
        result.events += 1
        if event.chain_id == chain.GLOBAL_CHAIN and event.type == ANCHOR_EVENT:
            result.anchors += 1
    if current is not None:
        current.finish(result)
    _check_missing_chains(session, result, chain_id)
    if chain_id is None:
        _check_anchors(session, result, _all_anchor_entries(session), batch)
    else:
        _check_anchors(session, result, _latest_anchor_entry(session, chain_id), batch)
    result.global_head = session.scalar(
        select(AuditChain.head).where(AuditChain.chain_id == chain.GLOBAL_CHAIN)) or chain.GENESIS
    return result


def _check_missing_chains(session: Session, result: Verification, chain_id: str | None) -> None:
    stmt = select(AuditChain.chain_id, AuditChain.length).where(
        AuditChain.length > 0, ~exists().where(Event.chain_id == AuditChain.chain_id))
    if chain_id is not None:
        stmt = stmt.where(AuditChain.chain_id == chain_id)
    for missing, length in session.execute(stmt):
        result.add(Problem(None, missing, "chain_missing", f"chain {missing} should hold {length} events but has none"))


def _all_anchor_entries(session: Session, page: int = 200) -> Iterator[tuple[str, int, str]]:
    """(chain id, chain_seq, hash) for every head every anchor recorded, in anchor order;
    read a page of anchors at a time (keyset on seq), so no cursor stays open meanwhile."""
    after = 0
    while True:
        rows = session.execute(
            select(Event.seq, EventPayload.content).join(EventPayload, EventPayload.hash == Event.payload_hash)
            .where(Event.chain_id == chain.GLOBAL_CHAIN, Event.type == ANCHOR_EVENT, Event.seq > after)
            .order_by(Event.seq).limit(page)).all()
        for seq, content in rows:
            after = seq
            for anchored_chain, (length, head) in (content.get("chains") or {}).items():
                yield anchored_chain, int(length), head
        if len(rows) < page:
            return


def _latest_anchor_entry(session: Session, chain_id: str) -> Iterator[tuple[str, int, str]]:
    row = session.execute(select(AuditChain.anchored_length, AuditChain.anchor_chain_seq)
                          .where(AuditChain.chain_id == chain_id)).first()
    if row is None or row.anchor_chain_seq is None:
        return
    content = session.scalar(select(EventPayload.content).join(Event, Event.payload_hash == EventPayload.hash)
                             .where(Event.chain_id == chain.GLOBAL_CHAIN, Event.chain_seq == row.anchor_chain_seq))
    entry = ((content or {}).get("chains") or {}).get(chain_id)
    if entry is None:
        return
    yield chain_id, int(entry[0]), entry[1]


def _check_anchors(session: Session, result: Verification, entries: Iterable[tuple[str, int, str]],
                   batch: int) -> None:
    pending: list[tuple[str, int, str]] = []

    def lookup() -> None:
        found = {(c, n): (seq, h) for seq, c, n, h in session.execute(
            select(Event.seq, Event.chain_id, Event.chain_seq, Event.hash)
            .where(tuple_(Event.chain_id, Event.chain_seq).in_([(c, n) for c, n, _ in pending])))}
        for anchored_chain, length, head in pending:
            seq, stored = found.get((anchored_chain, length), (None, None))
            if seq is None:
                result.add(Problem(None, anchored_chain, "anchor_unmatched",
                                   f"an anchor names event {length} of chain {anchored_chain}, which is missing"))
            elif stored != head:
                result.add(Problem(seq, anchored_chain, "anchor_mismatch",
                                   f"event {seq} differs from what an anchor recorded: chain {anchored_chain} "
                                   "was rewritten"))
        pending.clear()

    for entry in entries:
        pending.append(entry)
        if len(pending) >= batch:
            lookup()
    if pending:
        lookup()


class _ChainWalk:
    def __init__(self, chain_id: str, head_length: int | None, head_hash: str | None) -> None:
        self.chain_id = chain_id
        self.head_length = head_length
        self.head_hash = head_hash
        self.expected_seq = 1
        self.prev = chain.GENESIS
        self.last_global_seq = 0
        self.last_event_seq: int | None = None

    def step(self, event: Any, result: Verification) -> None:
        if event.chain_seq != self.expected_seq:
            result.add(Problem(event.seq, self.chain_id, "gap",
                               f"event {event.seq} is number {event.chain_seq} of chain {self.chain_id}, "
                               f"expected {self.expected_seq}: an event was deleted or inserted"))
        if event.prev_hash != self.prev:
            result.add(Problem(event.seq, self.chain_id, "broken_link",
                               f"event {event.seq} does not follow the event before it in chain {self.chain_id}"))
        recomputed = chain.event_hash(_fields(event), event.prev_hash)
        if recomputed != event.hash:
            result.add(Problem(event.seq, self.chain_id, "modified",
                               f"event {event.seq} was modified: its fields no longer match its hash"))
        if event.seq <= self.last_global_seq:
            result.add(Problem(event.seq, self.chain_id, "reordered",
                               f"event {event.seq} comes after event {self.last_global_seq} in chain "
                               f"{self.chain_id}: events were reordered"))
        if event.content is None and event.type == ANCHOR_EVENT and event.chain_id == chain.GLOBAL_CHAIN:
            result.add(Problem(event.seq, self.chain_id, "anchor_erased",
                               f"the content of anchor {event.seq} was deleted; anchors are never erased"))
        elif event.content is None:
            result.erased_payloads += 1
        elif chain.payload_hash(event.content, event.salt) != event.payload_hash:
            result.add(Problem(event.seq, self.chain_id, "payload_modified",
                               f"the data of event {event.seq} was modified"))
        self.expected_seq = event.chain_seq + 1
        self.prev = event.hash
        self.last_global_seq = max(self.last_global_seq, event.seq)
        self.last_event_seq = event.seq

    def finish(self, result: Verification) -> None:
        length, head = self.head_length, self.head_hash
        if length is None:
            result.add(Problem(self.last_event_seq, self.chain_id, "unknown_chain",
                               f"chain {self.chain_id} has events but no recorded head"))
        elif length != self.expected_seq - 1 or head != self.prev:
            result.add(Problem(self.last_event_seq, self.chain_id, "truncated",
                               f"chain {self.chain_id} ends at event {self.expected_seq - 1} but its head "
                               f"records {length} events: events were removed from its end"))


_HASHED = ("chain_id", "chain_seq", "at", "type", "actor", "instance_id", "definition_key", "definition_version",
           "element_id", "task_id", "payload_hash")
_COLUMNS = ("seq", *_HASHED, "prev_hash", "hash")


def _fields(event: Any) -> dict[str, Any]:
    return {name: getattr(event, name) for name in _HASHED}
