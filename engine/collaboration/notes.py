"""Comments and attachments on instances and tasks, drafts of task forms: the rows and
their views, in the caller's transaction (the service checks who may read what)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from .. import values
from ..errors import FieldError, InvalidData, PayloadTooLarge
from ..persistence.batch import WriteBatch
from ..persistence.collaboration import Attachment, Comment, Draft
from ..persistence.models import StoredFile
from ..timeutil import iso

MAX_COMMENT_CHARS = 10_000
MAX_DRAFT_BYTES = 256 * 1024
LIST_LIMIT = 500


def comment_view(c: Comment) -> dict[str, Any]:
    return {"id": c.id, "instance_id": c.instance_id, "task_id": c.task_id, "author": c.author, "text": c.text,
            "created_at": iso(c.created_at)}


def add_comment(session: Session, instance_id: str, task_id: str | None, author: str, text: str,
                now: datetime) -> Comment:
    text = (text or "").strip()
    if not text:
        raise InvalidData([FieldError("/text", "must not be empty")])
    if len(text) > MAX_COMMENT_CHARS:
        raise InvalidData([FieldError("/text", f"must be at most {MAX_COMMENT_CHARS} characters")])
    comment = Comment(id=str(uuid.uuid4()), instance_id=instance_id, task_id=task_id, author=author, text=text,
                      created_at=now)
    session.add(comment)
    session.flush()
    return comment


def comments(session: Session, instance_id: str, task_id: str | None = None) -> list[dict[str, Any]]:
    stmt = select(Comment).where(Comment.instance_id == instance_id)
    if task_id is not None:
        stmt = stmt.where(Comment.task_id == task_id)
    return [comment_view(c) for c in session.scalars(stmt.order_by(Comment.created_at, Comment.id)
                                                     .limit(LIST_LIMIT))]


def attachment_view(a: Attachment, f: StoredFile) -> dict[str, Any]:
    return {"id": a.id, "instance_id": a.instance_id, "task_id": a.task_id, "file_id": a.file_id, "name": f.name,
            "size": f.size, "media_type": f.media_type, "added_by": a.added_by, "created_at": iso(a.created_at)}


def add_attachment(session: Session, instance_id: str, task_id: str | None, file_id: str, by: str,
                   now: datetime) -> dict[str, Any]:
    stored = session.get(StoredFile, file_id)
    if stored is None or stored.uploaded_by != by:
        raise InvalidData([FieldError("/file_id", "is not a file you uploaded (POST /api/v1/files first)")])
    attachment = Attachment(id=str(uuid.uuid4()), instance_id=instance_id, task_id=task_id, file_id=file_id,
                            added_by=by, created_at=now)
    session.add(attachment)
    session.flush()
    return attachment_view(attachment, stored)


def attachments(session: Session, instance_id: str, task_id: str | None = None) -> list[dict[str, Any]]:
    stmt = select(Attachment, StoredFile).join(StoredFile, StoredFile.id == Attachment.file_id) \
        .where(Attachment.instance_id == instance_id)
    if task_id is not None:
        stmt = stmt.where(Attachment.task_id == task_id)
    return [attachment_view(a, f) for a, f in session.execute(stmt.order_by(Attachment.created_at, Attachment.id)
                                                              .limit(LIST_LIMIT))]


def save_draft(session: Session, task_id: str, username: str, data: Any, now: datetime) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidData([FieldError("/data", "must be an object")])
    encoded = values.encode(data)
    if len(json.dumps(encoded, ensure_ascii=False, default=str).encode()) > MAX_DRAFT_BYTES:
        raise PayloadTooLarge(f"a draft holds at most {MAX_DRAFT_BYTES // 1024} KiB")
    draft = session.get(Draft, (task_id, username))
    if draft is None:
        draft = Draft(task_id=task_id, username=username, data=encoded, updated_at=now)
        session.add(draft)
    else:
        draft.data, draft.updated_at = encoded, now
    session.flush()
    return draft_view(draft)


def draft_view(draft: Draft) -> dict[str, Any]:
    return {"task_id": draft.task_id, "data": values.stored_to_plain(draft.data), "updated_at": iso(draft.updated_at)}


def draft_of(session: Session, task_id: str, username: str) -> dict[str, Any] | None:
    draft = session.get(Draft, (task_id, username))
    return None if draft is None else draft_view(draft)


# The events after which a task's form is never filled in again.
_TASK_CLOSED = frozenset({"task.completed", "task.cancelled"})


# Built once: queued in a step's write batch (persistence/batch.py compiles it once).
_DELETE_DRAFTS = delete(Draft.__table__).where(Draft.__table__.c.task_id == bindparam("task_id"))


class DraftCleanup:
    """An audit listener: the drafts of every task a step completes or cancels go with it
    (everyone's, not only the completer's), in the step's transaction. Not audited on their
    own: a draft was never part of the record, and the task's event says why it is gone.

    The DELETE is queued in the step's write batch: on PostgreSQL it travels in the step's one
    round trip, whichever server process saved the draft."""

    def __call__(self, session: Session, records: list[Any]) -> None:
        closed = sorted({r.task_id for r in records if r.type in _TASK_CLOSED and r.task_id})
        if closed:
            WriteBatch.of(session).add(_DELETE_DRAFTS, [{"task_id": task_id} for task_id in closed])
