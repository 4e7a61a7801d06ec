"""Finding events across instances: the auditor's search, export and "who touched what"."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ... import values
from ...persistence.models import Event, Instance
from ...records.documents import instances_with_document
from .log import AuditLog, StoredEvent

EXPORT_BATCH = 1000
BOM = "\ufeff"
CSV_COLUMNS = ["seq", "at", "type", "actor", "instance_id", "definition_key", "definition_version", "element_id",
               "task_id", "data", "erased", "chain_id", "chain_seq", "payload_hash", "hash", "prev_hash"]


@dataclass(frozen=True)
class AuditQuery:
    instance_id: str | None = None
    actor: str | None = None
    type: str | None = None
    definition_key: str | None = None
    business_key: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    # A document number, or part of one: the business key or a linked record's number.
    document: str | None = None

    def statement(self, after_seq: int | None = None) -> Select:
        """Events matching every given filter, in ``seq`` order, from after ``after_seq``."""
        stmt = select(Event)
        for column, value in ((Event.instance_id, self.instance_id), (Event.actor, self.actor),
                              (Event.type, self.type), (Event.definition_key, self.definition_key)):
            if value is not None:
                stmt = stmt.where(column == value)
        if self.business_key is not None:
            stmt = stmt.where(Event.instance_id.in_(
                select(Instance.id).where(Instance.business_key == self.business_key)))
        if self.document:
            stmt = stmt.where(Event.instance_id.in_(instances_with_document(self.document)))
        if self.since is not None:
            stmt = stmt.where(Event.at >= self.since)
        if self.until is not None:
            stmt = stmt.where(Event.at < self.until)
        if after_seq is not None:
            stmt = stmt.where(Event.seq > after_seq)
        return stmt.order_by(Event.seq)


def export(transaction: Callable[[], Any], log: AuditLog, query: AuditQuery, format: str,
           view: Callable[[StoredEvent], dict], bom: bool = False) -> Iterator[str]:
    """Every matching event as CSV or JSON lines, streamed in batches.

    Each batch is its own short read transaction, continuing after the last ``seq`` sent
    (keyset paging), so a million events leave memory flat and hold no long transaction.
    Events appended while the export runs are included up to the moment it reaches them.
    ``bom``: CSV starts with a UTF-8 byte-order mark, which Excel needs to read UTF-8 (on a
    Chinese Windows it reads GBK otherwise and garbles every name).
    """
    if format not in ("csv", "jsonl"):
        raise ValueError(f"unknown export format {format!r}")
    yield header(format, bom)
    after: int | None = None
    while True:
        with transaction() as session:
            batch = log.read(session, query.statement(after).limit(EXPORT_BATCH))
            rows = [view(stored) for stored in batch]
        if not rows:
            return
        yield render(rows, format)
        after = rows[-1]["seq"]
        if len(rows) < EXPORT_BATCH:
            return


def header(format: str, bom: bool = False) -> str:
    """What an export starts with: the CSV column names (after a BOM when asked), nothing for
    JSON lines."""
    return ((BOM if bom else "") + _csv_row(CSV_COLUMNS)) if format == "csv" else ""


def render(events: list[dict], format: str) -> str:
    """Event views as CSV rows or JSON lines (the same text whether streamed or paged)."""
    if format == "jsonl":
        return "".join(values.dumps(event) + "\n" for event in events)
    return "".join(_csv_row([_cell(event.get(c)) for c in CSV_COLUMNS]) for event in events)


def _cell(value: Any) -> Any:
    if isinstance(value, bool):  # as in JSON (and every other Flowdesk answer), not Python's True/False
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return values.dumps(value)
    if value is None:
        return ""
    return value


def _csv_row(cells: list[Any]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue()


def touched_instances(session: Session, actor: str, limit: int, after: tuple[str, str] | None = None) -> list[dict]:
    """The instances an actor wrote events on (started, claimed, completed, was refused on...)."""
    stmt = (select(Event.instance_id, Event.definition_key, func.min(Event.at), func.max(Event.at),
                   func.count(), Instance.business_key, Instance.status)
            .join(Instance, Instance.id == Event.instance_id, isouter=True)
            .where(Event.actor == actor, Event.instance_id.is_not(None))
            .group_by(Event.instance_id, Event.definition_key, Instance.business_key, Instance.status)
            .order_by(Event.instance_id))
    if after is not None:
        stmt = stmt.where(Event.instance_id > after[0])
    return [{"instance_id": i, "definition_key": k, "first_at": first, "last_at": last, "events": n,
             "business_key": bk, "status": status}
            for i, k, first, last, n, bk, status in session.execute(stmt.limit(limit))]
