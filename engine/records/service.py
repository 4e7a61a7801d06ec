"""The record service: business records and uploaded files, read as the caller may.

Records (requisitions, orders, invoices, cases, reference data) are written by the
processes through connectors; people read them here, and only those linked to an
instance they may read. Files are uploaded for form fields and read back through the
instances they were submitted to.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from ..context import EngineContext
from ..errors import NotFound, PayloadTooLarge
from ..identity import authorization
from ..identity.actors import Actor
from ..pagination import Keyset, Page
from ..persistence.models import Record, RecordLink
from .files import FileView, file_view
from .store import read_seed, record_view

_NEWEST_FIRST = Keyset((Record.created_at, Record.id), (True, False), (datetime, str))


class RecordService:
    def __init__(self, context: EngineContext) -> None:
        self._ctx = context
        self._records = context.records
        self._files = context.files

    def load_seed(self, paths: Sequence[Path | str] | None = None, *, by: Actor) -> int:
        """Load reference data (items, suppliers, customers, employees) into records;
        entries that exist are refreshed. Returns how many records changed."""
        authorization.require_admin(by, "load reference data")
        documents = read_seed(self._ctx.settings.seed if paths is None else paths)
        with self._ctx.transaction() as session:
            return self._records.load_reference(session, documents, by.username)

    def list_records(self, type_: str, *, by: Actor, status: str | None = None, number: str | None = None,
                     instance_id: str | None = None, limit: int | None = None, cursor: str | None = None) -> Page:
        """Business records of one type, newest first, that the caller may read."""
        authorization.require_record_reader(by)
        stmt = select(Record).where(Record.type == type_, authorization.visible_records(by))
        if status is not None:
            stmt = stmt.where(Record.status == status)
        if number is not None:
            stmt = stmt.where(Record.number == number)
        if instance_id is not None:
            stmt = stmt.where(select(RecordLink.record_id).where(
                RecordLink.record_id == Record.id, RecordLink.instance_id == instance_id).exists())
        with self._ctx.transaction() as session:
            rows, next_cursor, limit = _NEWEST_FIRST.rows(session, stmt, limit, cursor)
            shown = rows[:limit]
            links = self._records.links(session, [r.id for r in shown])
            return Page([record_view(r, links.get(r.id, [])) for r in shown],
                        next_cursor(lambda r: (r.created_at, r.id)))

    def get_record(self, type_: str, ref: str, *, by: Actor) -> dict:
        """One record by id or number; 404 for records the caller may not read."""
        authorization.require_record_reader(by)
        with self._ctx.transaction() as session:
            record = session.scalars(select(Record).where(
                Record.type == type_, (Record.id == ref) | (Record.number == ref),
                authorization.visible_records(by))).first()
            if record is None:
                raise NotFound(f"no {type_} {ref!r}")
            return record_view(record, self._records.links(session, [record.id]).get(record.id, []))

    # -- files -------------------------------------------------------------------------------------
    def upload_file(self, name: str | None, media_type: str | None, content: bytes, *, by: Actor) -> FileView:
        authorization.require_uploader(by)
        if len(content) > self._ctx.settings.max_upload_bytes:
            raise PayloadTooLarge(f"the file is larger than {self._ctx.settings.max_upload_bytes} bytes")
        with self._ctx.transaction() as session:
            return file_view(self._files.store(session, name, media_type, content, by.username))

    def read_file(self, file_id: str, *, by: Actor) -> tuple[FileView, bytes]:
        with self._ctx.transaction() as session:
            stored = self._files.get(session, file_id)
            if not authorization.may_read_file(session, by, stored):
                raise NotFound(f"no file with id '{file_id}'")
            return file_view(stored), self._files.content(session, stored)
