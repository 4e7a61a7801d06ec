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

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..persistence.models import AuditChain, Event, EventPayload
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


def verify(session: Session, batch: int = 2000) -> Verification:
    result = Verification()
    anchored = _anchored_heads(session)
    heads = {c: (n, h) for c, n, h in session.execute(select(AuditChain.chain_id, AuditChain.length, AuditChain.head))}
    columns = [getattr(Event, name) for name in _COLUMNS]
    stmt = (select(*columns, EventPayload.content, EventPayload.salt)
            .outerjoin(EventPayload, EventPayload.hash == Event.payload_hash)
            .order_by(Event.chain_id, Event.chain_seq)
            .execution_options(yield_per=batch))
    current: _ChainWalk | None = None
    seen: set[str] = set()
    for event in session.execute(stmt):
        if current is None or event.chain_id != current.chain_id:
            if current is not None:
                current.finish(heads, result)
            current = _ChainWalk(event.chain_id, anchored.pop(event.chain_id, {}))
            seen.add(event.chain_id)
            result.chains += 1
        current.step(event, event.content, event.salt, result)
        result.events += 1
        if event.chain_id == chain.GLOBAL_CHAIN and event.type == ANCHOR_EVENT:
            result.anchors += 1
    if current is not None:
        current.finish(heads, result)
    for chain_id, (length, _head) in heads.items():
        if length > 0 and chain_id not in seen:
            result.add(Problem(None, chain_id, "chain_missing",
                               f"chain {chain_id} should hold {length} events but has none"))
    for chain_id, points in anchored.items():
        for length in sorted(points):
            result.add(Problem(None, chain_id, "anchor_unmatched",
                               f"an anchor names event {length} of chain {chain_id}, which is missing"))
    result.global_head = heads.get(chain.GLOBAL_CHAIN, (0, chain.GENESIS))[1]
    return result


class _ChainWalk:
    def __init__(self, chain_id: str, anchors: dict[int, str]) -> None:
        self.chain_id = chain_id
        self.anchors = anchors
        self.expected_seq = 1
        self.prev = chain.GENESIS
        self.last_global_seq = 0
        self.last_event_seq: int | None = None

    def step(self, event: Any, content: Any, salt: str | None, result: Verification) -> None:
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
        if content is None:
            result.erased_payloads += 1
        elif chain.payload_hash(content, salt) != event.payload_hash:
            result.add(Problem(event.seq, self.chain_id, "payload_modified",
                               f"the data of event {event.seq} was modified"))
        anchored = self.anchors.pop(event.chain_seq, None)
        if anchored is not None and anchored != event.hash:
            result.add(Problem(event.seq, self.chain_id, "anchor_mismatch",
                               f"event {event.seq} differs from what an anchor recorded: chain {self.chain_id} "
                               "was rewritten"))
        self.expected_seq = event.chain_seq + 1
        self.prev = event.hash
        self.last_global_seq = max(self.last_global_seq, event.seq)
        self.last_event_seq = event.seq

    def finish(self, heads: dict[str, tuple[int, str]], result: Verification) -> None:
        length, head = heads.get(self.chain_id, (None, None))
        if length is None:
            result.add(Problem(self.last_event_seq, self.chain_id, "unknown_chain",
                               f"chain {self.chain_id} has events but no recorded head"))
        elif length != self.expected_seq - 1 or head != self.prev:
            result.add(Problem(self.last_event_seq, self.chain_id, "truncated",
                               f"chain {self.chain_id} ends at event {self.expected_seq - 1} but its head "
                               f"records {length} events: events were removed from its end"))
        for length in sorted(self.anchors):
            result.add(Problem(self.last_event_seq, self.chain_id, "anchor_unmatched",
                               f"an anchor names event {length} of chain {self.chain_id}, which is missing"))


_HASHED = ("chain_id", "chain_seq", "at", "type", "actor", "instance_id", "definition_key", "definition_version",
           "element_id", "task_id", "payload_hash")
_COLUMNS = ("seq", *_HASHED, "prev_hash", "hash")


def _fields(event: Any) -> dict[str, Any]:
    return {name: getattr(event, name) for name in _HASHED}


def _anchored_heads(session: Session) -> dict[str, dict[int, str]]:
    """chain id -> {chain_seq: hash} as recorded by the anchors in the global chain."""
    anchored: dict[str, dict[int, str]] = defaultdict(dict)
    stmt = (select(EventPayload.content)
            .join(Event, Event.payload_hash == EventPayload.hash)
            .where(Event.chain_id == chain.GLOBAL_CHAIN, Event.type == ANCHOR_EVENT)
            .order_by(Event.chain_seq))
    for content in session.scalars(stmt):
        for chain_id, (length, head) in (content.get("chains") or {}).items():
            anchored[chain_id][int(length)] = head
    return anchored
