"""Appending trusts the database's chain head, never this process's memory of it."""

from __future__ import annotations

import pytest
from flowdesk.engine.history.audit import EventRecord
from flowdesk.engine.identity import SYSTEM
from sqlalchemy import event

from tests.support.engines import make_engine


def _append(engine, instance: str, type_: str) -> None:
    with engine.transaction() as s:
        engine.context.audit.append(s, [EventRecord(type_, "tester", instance)])


def _chain_of(engine, instance: str) -> list[tuple[str, int]]:
    return [(e["type"], e["chain_seq"]) for e in engine.history.audit_events(by=SYSTEM, instance_id=instance).items]


def test_a_chain_moved_by_another_process_is_read_again(sqlite_url, clock):
    first, second = make_engine(sqlite_url, clock), make_engine(sqlite_url, clock)
    try:
        _append(first, "i-1", "instance.started")
        _append(second, "i-1", "by.the.other.process")
        _append(first, "i-1", "after")  # first remembers a head that is no longer the head
        assert _chain_of(first, "i-1") == [("instance.started", 1), ("by.the.other.process", 2), ("after", 3)]
        assert first.history.verify_audit(by=SYSTEM)["ok"] is True
    finally:
        first.close()
        second.close()


def test_a_rolled_back_append_leaves_no_trace_in_the_next_one(engine):
    _append(engine, "i-1", "instance.started")
    with pytest.raises(RuntimeError), engine.transaction() as s:
        engine.context.audit.append(s, [EventRecord("lost", "tester", "i-1")])
        raise RuntimeError("the step failed after its events were chained")
    _append(engine, "i-1", "kept")
    assert _chain_of(engine, "i-1") == [("instance.started", 1), ("kept", 2)]
    assert engine.history.verify_audit(by=SYSTEM)["ok"] is True


def test_a_remembered_head_costs_one_statement_for_the_chain(engine):
    _append(engine, "i-1", "instance.started")
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        tables = [t for t in ("audit_chains", "event_payloads", "events") if t in statement]
        seen.append(" ".join([statement.split()[0], *tables[:1]]))

    event.listen(engine.db.engine, "before_cursor_execute", record)
    try:
        _append(engine, "i-1", "next")
    finally:
        event.remove(engine.db.engine, "before_cursor_execute", record)
    assert [s for s in seen if not s.startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))] == [
        "UPDATE audit_chains", "INSERT event_payloads", "INSERT events"]
