"""Business records: the documents processes create and the reference data they read.

ERP and CRM processes leave documents behind (requisitions, orders, receipts, invoices,
cases) with numbers people quote on the phone, and they read shared reference data
(items with stock, suppliers, customers with credit limits). Both are records: a type,
a number unique per type, a status and a JSON body, plus links to every instance that
created, changed or read them, which is what an auditor follows from a customer's order
to the supplier invoice it caused.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import values
from ..clock import Clock
from ..errors import BadRequest, Conflict, NotFound
from ..persistence.models import NumberSequence, Record, RecordLink
from ..persistence.upsert import dialect_insert

# Document types and the prefixes of their numbers (PO-2026-000123).
PREFIXES = {
    "purchase_requisition": "PR", "purchase_order": "PO", "goods_receipt": "GR", "supplier_invoice": "SINV",
    "payment": "PAY", "job_requisition": "JR", "offer": "OFR", "production_order": "MO", "sales_quote": "QT",
    "sales_order": "SO", "delivery": "DLV", "customer_invoice": "INV", "complaint_case": "CASE",
    "credit_note": "CN", "stock_move": "SM", "lead": "LEAD", "candidate": "CAND", "employee": "EMP",
}
NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


def record_view(record: Record, links: Iterable[RecordLink] = ()) -> dict[str, Any]:
    return {
        "id": record.id, "type": record.type, "number": record.number, "status": record.status,
        "data": values.to_plain(values.decode(record.data)),
        "created_at": record.created_at.isoformat(), "updated_at": record.updated_at.isoformat(),
        "created_by": record.created_by,
        "instances": [{"instance_id": link.instance_id, "relation": link.relation} for link in links],
    }


def _check_type(type_: str) -> str:
    if not type_ or len(type_) > 50 or not set(type_) <= NAME_CHARS:
        raise BadRequest(f"record type {type_!r} is not valid: use lowercase letters, digits and _")
    return type_


class RecordStore:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    # -- numbering -------------------------------------------------------------------------
    def next_number(self, session: Session, prefix: str, when: datetime | None = None) -> str:
        """The next number of a prefix in the current year; atomic on every database (one
        UPSERT ... RETURNING), so concurrent steps never hand out the same number."""
        year = (when or self.clock.now()).year
        name = f"{prefix}-{year}"
        stmt = dialect_insert(session)(NumberSequence).values(name=name, value=1)
        stmt = stmt.on_conflict_do_update(index_elements=[NumberSequence.name],
                                          set_={"value": NumberSequence.value + 1}).returning(NumberSequence.value)
        value = session.execute(stmt).scalar_one()
        return f"{prefix}-{year}-{value:06d}"

    # -- writing ---------------------------------------------------------------------------
    def create(self, session: Session, type_: str, data: Mapping[str, Any], actor: str, *,
               status: str = "draft", number: str | None = None, instance_id: str | None = None,
               idempotency_key: str | None = None) -> Record:
        _check_type(type_)
        if idempotency_key:
            existing = session.scalars(select(Record).where(Record.idempotency_key == idempotency_key)).first()
            if existing is not None:
                return existing
        now = self.clock.now()
        if number is None:
            number = self.next_number(session, PREFIXES.get(type_, type_.upper()[:4]))
        elif session.scalars(select(Record.id).where(Record.type == type_, Record.number == number)).first():
            raise Conflict(f"a {type_} numbered {number} already exists")
        record = Record(id=str(uuid.uuid4()), type=type_, number=number, status=status,
                        data=values.encode(dict(data)), created_at=now, updated_at=now, created_by=actor,
                        idempotency_key=idempotency_key)
        session.add(record)
        session.flush()
        if instance_id:
            self.link(session, record, instance_id, "created")
        return record

    def update(self, session: Session, type_: str, ref: str, actor: str, *, changes: Mapping[str, Any] | None = None,
               status: str | None = None, instance_id: str | None = None) -> Record:
        record = self.get(session, type_, ref)
        if changes:
            record.data = values.encode({**values.decode(record.data), **dict(changes)})
        if status:
            record.status = status
        record.updated_at = self.clock.now()
        session.flush()
        if instance_id:
            self.link(session, record, instance_id, "updated")
        return record

    def link(self, session: Session, record: Record, instance_id: str, relation: str) -> None:
        exists = session.get(RecordLink, (record.id, instance_id, relation))
        if exists is None:
            session.add(RecordLink(record_id=record.id, instance_id=instance_id, relation=relation,
                                   created_at=self.clock.now()))
            session.flush()

    def load_reference(self, session: Session, documents: Mapping[str, list[Mapping[str, Any]]],
                       actor: str = "system") -> int:
        """Create or refresh reference records (items, suppliers, customers, employees)
        from seed data: ``{type: [{number, status?, ...data}]}``. Returns how many changed."""
        changed = 0
        for type_, entries in documents.items():
            _check_type(type_)
            for entry in entries:
                body = dict(entry)
                number = str(body.pop("number", "") or body.pop("code", ""))
                if not number:
                    raise BadRequest(f"a {type_} entry in the seed data has no number")
                status = str(body.pop("status", "active"))
                existing = session.scalars(select(Record).where(Record.type == type_, Record.number == number)).first()
                if existing is None:
                    self.create(session, type_, body, actor, status=status, number=number)
                    changed += 1
                elif values.decode(existing.data) != body or existing.status != status:
                    existing.data, existing.status, existing.updated_at = values.encode(body), status, self.clock.now()
                    changed += 1
        session.flush()
        return changed

    # -- reading ---------------------------------------------------------------------------
    def get(self, session: Session, type_: str, ref: str) -> Record:
        record = session.scalars(select(Record).where(
            Record.type == type_, (Record.id == ref) | (Record.number == ref))).first()
        if record is None:
            raise NotFound(f"no {type_} {ref!r}")
        return record

    def links(self, session: Session, record_ids: list[str]) -> dict[str, list[RecordLink]]:
        found: dict[str, list[RecordLink]] = {}
        if record_ids:
            for link in session.scalars(select(RecordLink).where(RecordLink.record_id.in_(record_ids))
                                        .order_by(RecordLink.created_at)):
                found.setdefault(link.record_id, []).append(link)
        return found


def read_seed(paths: Iterable) -> dict[str, list[dict[str, Any]]]:
    """Reference data from YAML files (``{record type: [entries]}``), folders read in name
    order; problems name the file."""
    from pathlib import Path

    import yaml

    from .. import safe_yaml
    from ..errors import DefinitionInvalid, Problem

    documents: dict[str, list[dict[str, Any]]] = {}
    problems: list[Problem] = []
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        files.extend(sorted(p for p in path.glob("*.y*ml")) if path.is_dir() else [path])
    for file in files:
        try:
            content = safe_yaml.load(file.read_text()) or {}
        except (OSError, yaml.YAMLError) as err:
            problems.append(Problem(file.name, getattr(getattr(err, "problem_mark", None), "line", -1) + 1 or None,
                                    f"not readable seed data: {err}"))
            continue
        if not isinstance(content, dict) or not all(isinstance(v, list) for v in content.values()):
            problems.append(Problem(file.name, 1, "seed data must map record types to lists of entries"))
            continue
        for type_, entries in content.items():
            documents.setdefault(str(type_), []).extend(dict(e) for e in entries if isinstance(e, dict))
    if problems:
        raise DefinitionInvalid(problems)
    return documents
