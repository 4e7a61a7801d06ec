"""Finding instances by a document number: the business key, or the number of any record
an instance created, changed or read (a PR, PO, goods receipt, invoice or case number).

Matching is partial and ignores case, so "PO-2026-0000" finds every such purchase order
and "000001" finds every document numbered so; wildcards typed by the user are literal.
"""

from __future__ import annotations

from sqlalchemy import Select, func, or_, select

from ..persistence.models import Instance, Record, RecordLink

MAX_FRAGMENT = 80


def instances_with_document(fragment: str) -> Select:
    """The ids of the instances whose business key or linked records' numbers contain
    ``fragment`` (a subquery for ``Instance.id.in_(...)``)."""
    needle = fragment.strip()[:MAX_FRAGMENT].lower()
    by_record = (select(RecordLink.instance_id).join(Record, Record.id == RecordLink.record_id)
                 .where(func.lower(Record.number).contains(needle, autoescape=True)))
    return select(Instance.id).where(or_(func.lower(Instance.business_key).contains(needle, autoescape=True),
                                         Instance.id.in_(by_record)))
