"""History retention and erasure: remove event payloads, keep the chain verifiable.

Both are deliberate admin operations, audited in the global chain. Only payloads are
removed: the events (who, what, when, which element, which version) and their hashes
stay, so ``verify`` still proves the trail and shows which events were erased. Every
payload belongs to exactly one event (salted hashes), so nothing else is touched.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from ...persistence.models import Event, EventPayload, Instance
from ...status import FINISHED
from .log import AuditLog, EventRecord


def retain(session: Session, log: AuditLog, actor: str, ended_before: datetime) -> dict[str, Any]:
    """Erase the payloads of instances that finished before ``ended_before``."""
    instances = select(Instance.id).where(Instance.status.in_(FINISHED), Instance.ended_at < ended_before)
    count = session.scalar(select(func.count()).select_from(instances.subquery())) or 0
    erased = _erase(session, instances)
    result = {"ended_before": ended_before.isoformat(), "instances": count, "payloads_erased": erased}
    log.append(session, [EventRecord("audit.retention_applied", actor, payload=result)])
    return result


def erase_instance(session: Session, log: AuditLog, actor: str, instance: Instance, reason: str) -> dict[str, Any]:
    """A lawful erasure request for one finished instance."""
    erased = _erase(session, select(Instance.id).where(Instance.id == instance.id))
    result = {"instance_id": instance.id, "payloads_erased": erased, "reason": reason}
    log.append(session, [EventRecord("audit.payloads_erased", actor, payload=result)])
    return result


def _erase(session: Session, instances: Select) -> int:
    doomed = select(Event.payload_hash).where(Event.instance_id.in_(instances))
    result = session.execute(
        delete(EventPayload).where(EventPayload.hash.in_(doomed)).execution_options(synchronize_session=False))
    return result.rowcount or 0
