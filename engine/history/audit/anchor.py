"""Anchoring instance chains into the global chain.

An instance chain on its own could be rewritten from its first event on, hashes and all,
by someone who can write the database. An anchor is a global-chain event that records
the head (length and hash) of every chain that moved since the last anchor; rewriting an
anchored chain then means rewriting the global chain from that anchor on as well, which
`verify` reports, and which an auditor who kept a copy of an older ``global_head`` (it is
printed by ``flowdesk audit verify``) can prove. Workers anchor every
``FLOWDESK_AUDIT_ANCHOR_SECONDS`` (1 s by default): the window in which the newest events
of a chain are protected by their own chain only.
"""

from __future__ import annotations

import time

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ...persistence.models import AuditChain
from . import chain
from .log import AuditLog, EventRecord
from .verify import ANCHOR_EVENT

MAX_CHAINS_PER_ANCHOR = 5000


def anchor(session: Session, log: AuditLog, actor: str = "system") -> int:
    """Anchor the chains that moved; returns how many. Chains being written right now are
    skipped (their rows are locked) and anchored next time, so anchoring never waits."""
    stmt = (select(AuditChain.chain_id, AuditChain.length, AuditChain.head)
            .where(AuditChain.dirty.is_(True), AuditChain.chain_id != chain.GLOBAL_CHAIN)
            .order_by(AuditChain.chain_id).limit(MAX_CHAINS_PER_ANCHOR)
            .with_for_update(skip_locked=True))
    moved = session.execute(stmt).all()
    if not moved:
        return 0
    (written,) = log.append(session, [EventRecord(ANCHOR_EVENT, actor, payload={
        "chains": {chain_id: [length, head] for chain_id, length, head in moved}})])
    for chain_id, length, _head in moved:
        session.execute(update(AuditChain).where(AuditChain.chain_id == chain_id)
                        .values(dirty=False, anchored_length=length, anchor_chain_seq=written["chain_seq"]))
    return len(moved)


class AnchorSchedule:
    """Tells a worker loop when the next anchor is due (monotonic time, not process time)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last = time.monotonic()

    def due(self) -> bool:
        if self.seconds <= 0:
            return False
        now = time.monotonic()
        if now - self._last < self.seconds:
            return False
        self._last = now
        return True
