"""A small, varied history, and tampering with the audit log the way someone with
database access could."""

from __future__ import annotations

from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.process_engine import ProcessEngine
from sqlalchemy import text

from .models import one_task_process


def tamper(engine: ProcessEngine, *statements: str, **params) -> None:
    """Run raw SQL past the append-only guard, as an attacker with the database file would."""
    with engine.db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE events DISABLE TRIGGER events_append_only"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS events_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS events_no_delete"))
        for statement in statements:
            conn.execute(text(statement), params)
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE events ENABLE TRIGGER events_append_only"))


def run_instances(engine: ProcessEngine, count: int = 2) -> list[str]:
    """Instances of a one-task process, each completed by cleo: a small, varied history."""
    engine.identity.create_user("cleo", "password1", ["clerks"], by=SYSTEM)
    engine.repository.deploy([one_task_process()], by=SYSTEM)
    ids = []
    for n in range(count):
        instance = engine.instances.start_instance("one_task", {"amount": n + 1}, by=SYSTEM)
        engine.tasks.complete_task(instance["open_tasks"][0]["id"], {"amount": n + 10}, by=engine.identity.actor("cleo"))
        ids.append(instance["id"])
    return ids
