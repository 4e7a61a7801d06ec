"""What a step leaves for after its commit: one ``notify`` job per batch of events that
someone wants to hear about (a user by e-mail, another system by webhook).

:class:`EventReactions` listens to the audit log: it is called with a batch of events in
the transaction that writes them, names on whose behalf task events were done, and
inserts the job row, which commits or vanishes with the step. The job runs once the step
has committed (workers only see committed rows), so nothing is sent for a step that
rolled back and nothing is lost when a process dies after the commit.
"""

from __future__ import annotations

import uuid

from sqlalchemy import insert
from sqlalchemy.orm import Session

from .. import values
from ..clock import Clock
from ..collaboration.substitutes import add_on_behalf_of, owners_recorded
from ..history.audit import EventRecord
from ..persistence.models import Job
from ..status import JobStatus
from ..webhooks.delivery import Interest

NOTIFY_KIND = "notify"
# Events that may make a notification; "timer.fired" marks the batch as an escalation.
NOTIFYING = frozenset({"task.created", "task.assigned", "task.delegated", "task.updated"})
_INSERT_JOB = insert(Job.__table__)
# A stored event's payload is cut down to this many characters of JSON for webhooks.
MAX_PAYLOAD_CHARS = 20_000


class EventReactions:
    def __init__(self, clock: Clock, interest: Interest) -> None:
        self.clock = clock
        self.interest = interest

    def __call__(self, session: Session, records: list[EventRecord]) -> None:
        if self.interest.anyone_delegated(session) or owners_recorded(session):
            add_on_behalf_of(session, records)
        subscribed = self.interest.webhook_types(session)
        mailing = NOTIFYING if any(r.type in NOTIFYING for r in records) and self.interest.anyone_mailed(session) \
            else frozenset()
        wanted = [r for r in records if r.type in mailing or r.type in subscribed or "*" in subscribed]
        if not wanted:
            return
        if any(r.type == "timer.fired" for r in records) and not any(r.type == "timer.fired" for r in wanted):
            wanted.append(next(r for r in records if r.type == "timer.fired"))
        now = self.clock.now()
        session.execute(_INSERT_JOB, {
            "id": str(uuid.uuid4()), "kind": NOTIFY_KIND, "name": None, "instance_id": None, "definition_id": None,
            "element_id": None, "task_id": None, "due_at": now, "status": JobStatus.WAITING, "attempts": 0,
            "max_attempts": 5, "last_error": None, "locked_by": None, "lock_expires_at": None,
            "payload": values.encode({"at": now.isoformat(), "events": [_compact(r) for r in wanted]}),
            "created_at": now, "finished_at": None,
        })


def _compact(record: EventRecord) -> dict:
    payload = record.payload
    if len(repr(payload)) > MAX_PAYLOAD_CHARS:
        payload = {"truncated": True}
    return {"type": record.type, "actor": record.actor, "instance_id": record.instance_id,
            "definition_key": record.definition_key, "definition_version": record.definition_version,
            "element_id": record.element_id, "task_id": record.task_id, "data": payload}
