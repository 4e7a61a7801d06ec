"""Files attached to instances: the only way a file becomes readable by others.

A form's file field holds the id of an upload. When data is submitted (a start form, a
task's form), every value in it that is the id of a stored file is *attached* to the
instance, provided the submitter may read that file already (they uploaded it, or it is
attached to an instance they may read): :func:`~..identity.authorization.check_may_attach`
refuses the others with 422. Whoever may read an instance may read the files attached to
it; citing a file's id in some text field no longer makes it readable (before, anyone
who learnt an id could start an instance naming it and then read the file).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..persistence.models import FileAttachment, StoredFile
from ..persistence.upsert import insert_ignore

_FILE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MAX_REFERENCES = 1000  # ids looked up per submission; data holding more is refused by its form


def _walk(value: Any, pointer: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{pointer}/{index}")
    elif isinstance(value, str) and len(value) == 36 and _FILE_ID.match(value):
        yield pointer, value


def referenced_files(session: Session, data: Any) -> list[tuple[str, StoredFile]]:
    """The stored files whose ids are values in ``data``, with the JSON Pointer of each."""
    found: list[tuple[str, str]] = []
    for pointer, value in _walk(data, ""):
        found.append((pointer, value))
        if len(found) >= MAX_REFERENCES:
            break
    if not found:
        return []
    files = {f.id: f for f in session.scalars(select(StoredFile).where(StoredFile.id.in_({v for _, v in found})))}
    return [(pointer, files[value]) for pointer, value in found if value in files]


def attach(session: Session, instance_id: str, files: list[StoredFile], by: str, now: datetime) -> None:
    for stored in {f.id: f for f in files}.values():
        insert_ignore(session, FileAttachment, {"file_id": stored.id, "instance_id": instance_id,
                                                "attached_by": by, "attached_at": now})
