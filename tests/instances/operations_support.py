"""What the operations tests share: the review models (v1, v2) and reading rows."""

from __future__ import annotations

from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.persistence.models import Job
from sqlalchemy import select

from tests.support.paths import FIXTURES

OPERATIONS = FIXTURES / "operations"


def deploy_review(engine, version: int = 1) -> None:
    engine.repository.deploy([OPERATIONS / f"review_v{version}.bpmn"], by=SYSTEM)


def jobs_of(engine, instance_id: str) -> list[Job]:
    with engine.transaction() as s:
        return list(s.scalars(select(Job).where(Job.instance_id == instance_id).order_by(Job.due_at)))


def event_types(engine, instance_id: str) -> list[str]:
    return [e["type"] for e in engine.history.instance_history(instance_id, by=SYSTEM, limit=500).items]


def events_of(engine, instance_id: str, type_: str) -> list[dict]:
    return [e for e in engine.history.instance_history(instance_id, by=SYSTEM, limit=500).items
            if e["type"] == type_]
