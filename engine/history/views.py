"""Events as the API shows them."""

from __future__ import annotations

from typing import Any, TypedDict

from .. import values
from ..timeutil import iso
from .audit.log import CONTEXT_KEY, StoredEvent


class EventView(TypedDict):
    seq: int
    at: str | None
    type: str
    actor: str
    instance_id: str | None
    definition_key: str | None
    definition_version: int | None
    element_id: str | None
    task_id: str | None
    data: dict[str, Any] | None
    # Where the event came from: {"request_id": ...} for events written while serving a request.
    context: dict[str, Any] | None
    erased: bool
    chain_id: str
    chain_seq: int
    payload_hash: str
    hash: str
    prev_hash: str


def event_view(stored: StoredEvent) -> EventView:
    """An event as the API shows it; ``data`` is None (and ``erased`` true) once retention or
    an erasure removed its payload, while the chain fields still prove what was there."""
    event = stored.event
    data = None if stored.payload is None else values.to_plain(values.decode(stored.payload))
    context = data.pop(CONTEXT_KEY, None) if isinstance(data, dict) else None
    return {
        "seq": event.seq,
        "at": iso(event.at),
        "type": event.type,
        "actor": event.actor,
        "instance_id": event.instance_id,
        "definition_key": event.definition_key,
        "definition_version": event.definition_version,
        "element_id": event.element_id,
        "task_id": event.task_id,
        "data": data,
        "context": context,
        "erased": stored.payload is None,
        "chain_id": event.chain_id,
        "chain_seq": event.chain_seq,
        "payload_hash": event.payload_hash,
        "hash": event.hash,
        "prev_hash": event.prev_hash,
    }
