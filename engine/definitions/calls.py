"""The called processes a deployed version pinned, as stored definitions.

A call activity runs the called process as a child instance on its own version (see
instances/calls.py); an instance started before that ran it inside the caller's instance
(SpiffWorkflow keeps the called spec in the caller's ``subprocess_specs``), and for its
tasks what Flowdesk knows about the called process's user tasks (form, candidate groups,
assignee, due date, separation of duties) was inspected into the *called* version's
`ProcessInfo`, and its forms are pinned in that version's manifest. The caller's manifest
records, per called key, the content hash of the version it was deployed with
(``manifest["calls"]``); these helpers find that version, following calls of calls.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..persistence.models import Definition
from .model import HumanTaskInfo, process_info


def _pinned(session: Session, key: str, content_hash: str | None) -> Definition | None:
    """The newest version of `key` with this content (the newest at all when the hash is
    unknown, e.g. a recursive call)."""
    query = select(Definition).where(Definition.key == key)
    if content_hash and content_hash != "recursive":
        pinned = session.scalars(
            query.where(Definition.content_hash == content_hash).order_by(Definition.version.desc()).limit(1)
        ).first()
        if pinned is not None:
            return pinned
    return session.scalars(query.order_by(Definition.version.desc()).limit(1)).first()


def called_definitions(session: Session, definition: Definition) -> Iterator[Definition]:
    """Every version `definition` calls, directly or through calls of calls, nearest first."""
    seen = {definition.key}
    queue = [definition]
    while queue:
        current = queue.pop(0)
        for key, content_hash in sorted((current.manifest or {}).get("calls", {}).items()):
            if key in seen:
                continue
            seen.add(key)
            called = _pinned(session, key, content_hash)
            if called is not None:
                yield called
                queue.append(called)


def called_definition(session: Session, definition: Definition, key: str) -> Definition | None:
    """The version of process `key` that `definition` calls (directly or not), or None."""
    return next((d for d in called_definitions(session, definition) if d.key == key), None)


def human_task_info(session: Session, definition: Definition, element_id: str) -> HumanTaskInfo | None:
    """What was inspected about user task `element_id` of an instance of `definition`: its
    own process first, then the processes it calls (nearest first). Used where only the
    task row is at hand (completion checks, the task page); when the task opened, its own
    process was known exactly (see steps._open_task)."""
    own = process_info(definition).human_tasks.get(element_id)
    if own is not None:
        return own
    for called in called_definitions(session, definition):
        found = process_info(called).human_tasks.get(element_id)
        if found is not None:
            return found
    return None
