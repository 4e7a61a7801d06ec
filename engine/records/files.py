"""Files uploaded for form fields: stored once by content hash, referred to by id.

A form field with ``format: binary`` (or a ``contentMediaType``) holds the id of an
upload. Who may read a file is decided in ``identity.authorization``: the uploader,
admins, auditors, and whoever may read an instance it was submitted to (``.attachments``).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import TypedDict

from sqlalchemy.orm import Session

from ..clock import Clock
from ..errors import NotFound
from ..persistence.models import FileContent, StoredFile
from ..persistence.upsert import insert_ignore

DEFAULT_MEDIA_TYPE = "application/octet-stream"
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


def clean_media_type(raw: str | None) -> str:
    """The media type a client declared, without parameters, or octet-stream when it is not one."""
    value = (raw or "").split(";", 1)[0].strip().lower()
    return value if _MEDIA_TYPE.match(value) else DEFAULT_MEDIA_TYPE


def clean_file_name(raw: str | None) -> str:
    """The last path segment of a client's file name, without control characters."""
    base = re.split(r"[/\\]", raw or "")[-1]
    name = _UNSAFE_NAME.sub("", base).strip()[:255]
    return name or "upload"


class FileView(TypedDict):
    id: str
    name: str
    size: int
    sha256: str
    media_type: str
    uploaded_by: str
    uploaded_at: str


def file_view(stored: StoredFile) -> FileView:
    return {
        "id": stored.id,
        "name": stored.name,
        "size": stored.size,
        "sha256": stored.sha256,
        "media_type": stored.media_type,
        "uploaded_by": stored.uploaded_by,
        "uploaded_at": stored.uploaded_at.isoformat(),
    }


class FileStore:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def store(self, session: Session, name: str | None, media_type: str | None, content: bytes,
              uploaded_by: str) -> StoredFile:
        sha256 = hashlib.sha256(content).hexdigest()
        insert_ignore(session, FileContent, {"sha256": sha256, "content": content, "size": len(content)})
        stored = StoredFile(id=str(uuid.uuid4()), sha256=sha256, name=clean_file_name(name),
                            media_type=clean_media_type(media_type), size=len(content),
                            uploaded_by=uploaded_by, uploaded_at=self.clock.now())
        session.add(stored)
        session.flush()
        return stored

    def get(self, session: Session, file_id: str) -> StoredFile:
        stored = session.get(StoredFile, file_id)
        if stored is None:
            raise NotFound(f"no file with id '{file_id}'")
        return stored

    def content(self, session: Session, stored: StoredFile) -> bytes:
        return session.get(FileContent, stored.sha256).content
