"""Retention and erasure remove data but keep the chain; exports carry what the API shows;
a database from before the chain is chained on upgrade."""

from __future__ import annotations

import csv
import io
import json

import pytest
from flowdesk.engine.errors import Conflict, Forbidden, InvalidData
from flowdesk.engine.identity.users import SYSTEM
from flowdesk.engine.persistence import Database
from flowdesk.engine.persistence.migrate import upgrade
from sqlalchemy import text
from typer.testing import CliRunner

from tests.audit.conftest import run_instances, tamper


def test_retention_erases_payloads_of_old_finished_instances_and_the_chain_still_verifies(engine, clock):
    old = run_instances(engine, 1)[0]
    clock.advance(days=40)
    recent = engine.start_instance("one_task", {"amount": 99}, SYSTEM)
    result = engine.apply_retention(SYSTEM, days=30)
    assert result["instances"] == 1 and result["payloads_erased"] > 0
    erased = {e["type"]: e for e in engine.history(old)}
    # The submitted data is gone; who did what, when, and the proof of it, stay.
    completed = erased["task.completed"]
    assert completed["erased"] and completed["data"] is None
    assert completed["actor"] == "cleo" and completed["hash"] and completed["payload_hash"]
    kept = engine.history(recent["id"])
    assert not any(e["erased"] for e in kept) and kept[0]["data"]["data"] == {"amount": 99}
    verification = engine.verify_audit(SYSTEM)
    assert verification["ok"] is True and verification["erased_payloads"] >= result["payloads_erased"]
    (applied,) = engine.audit_events(SYSTEM, type="audit.retention_applied").items
    assert applied["data"]["instances"] == 1 and applied["actor"] == "system"


def test_retention_needs_an_admin_and_a_period(engine):
    run_instances(engine, 1)
    engine.create_user("erin", "password1", ["auditor"])
    with pytest.raises(Forbidden):
        engine.apply_retention(engine.actor("erin"), days=1)
    with pytest.raises(InvalidData):
        engine.apply_retention(SYSTEM)  # no FLOWDESK_HISTORY_RETENTION_DAYS configured


def test_erasing_one_instance_needs_it_finished_and_a_reason(engine):
    done = run_instances(engine, 1)[0]
    running = engine.start_instance("one_task", {}, SYSTEM)
    with pytest.raises(Conflict):
        engine.erase_instance_history(running["id"], SYSTEM, "customer request")
    with pytest.raises(InvalidData):
        engine.erase_instance_history(done, SYSTEM, " ")
    result = engine.erase_instance_history(done, SYSTEM, "GDPR art. 17 request #12")
    assert result["payloads_erased"] > 0
    assert engine.verify_audit(SYSTEM)["ok"] is True


def test_exports_carry_exactly_what_the_api_lists(engine, history):
    listed = engine.audit_events(SYSTEM, limit=500).items
    lines = "".join(engine.export_audit(SYSTEM, "jsonl")).splitlines()
    assert [json.loads(line) for line in lines] == json.loads(json.dumps(listed, default=str))
    rows = list(csv.DictReader(io.StringIO("".join(engine.export_audit(SYSTEM, "csv")))))
    assert [int(r["seq"]) for r in rows] == [e["seq"] for e in listed]
    assert [r["hash"] for r in rows] == [e["hash"] for e in listed]
    by_instance = "".join(engine.export_audit(SYSTEM, "jsonl", instance_id=history[1])).splitlines()
    assert {json.loads(line)["instance_id"] for line in by_instance} == {history[1]}


def test_exports_stream_in_batches(engine, history, monkeypatch):
    from flowdesk.engine.history.audit import search

    monkeypatch.setattr(search, "EXPORT_BATCH", 3)
    chunks = list(engine.export_audit(SYSTEM, "jsonl"))
    total = len(engine.audit_events(SYSTEM, limit=500).items)
    assert len(chunks) >= total // 3 and sum(c.count("\n") for c in chunks) == total


def test_the_instances_a_user_touched(engine, history):
    page = engine.touched_instances("cleo", SYSTEM)
    assert sorted(r["instance_id"] for r in page.items) == sorted(history)
    assert all(r["events"] >= 1 and r["status"] == "completed" for r in page.items)


def test_an_instance_names_the_exact_sources_it_ran_on(engine, history):
    sources = engine.instance_definition(history[0], SYSTEM)
    assert sources["version"] == 1
    (bpmn,) = [s for s in sources["sources"] if s["kind"] == "bpmn"]
    assert bpmn["name"] == "one_task.bpmn" and "<bpmn:process" in bpmn["content"]


def test_upgrading_a_database_from_before_the_chain_chains_its_events(sqlite_url, clock):
    db = Database(sqlite_url)
    upgrade(db, "0004")
    with db.engine.begin() as conn:
        for n, (instance, type_) in enumerate([(None, "user.created"), ("i-1", "instance.started"),
                                               ("i-1", "task.completed"), ("i-2", "instance.started")]):
            conn.execute(text("INSERT INTO events (at, type, actor, instance_id, payload) "
                              "VALUES (:at, :type, 'system', :instance, :payload)"),
                         {"at": f"2026-01-0{n + 1} 09:00:00.000000", "type": type_, "instance": instance,
                          "payload": json.dumps({"n": n, "amount": {"$decimal": "1.10"}})})
    upgrade(db)
    db.engine.dispose()
    from tests.conftest import make_engine

    engine = make_engine(sqlite_url, clock)
    try:
        result = engine.verify_audit(SYSTEM)
        assert result["ok"] is True and result["events"] == 4 and result["chains"] == 3
        events = engine.audit_events(SYSTEM, instance_id="i-1").items
        assert [e["chain_seq"] for e in events] == [1, 2] and events[1]["data"]["n"] == 2
        tamper(engine, "UPDATE events SET actor = 'mallory' WHERE seq = 3")
        assert engine.verify_audit(SYSTEM)["first_bad_seq"] == 3
    finally:
        engine.close()


def test_cli_verify_exits_1_and_names_the_broken_event(engine, history, monkeypatch):
    from flowdesk.cli import app

    monkeypatch.setenv("FLOWDESK_DATABASE_URL", str(engine.db.url))
    runner = CliRunner()
    good = runner.invoke(app, ["audit", "verify"])
    assert good.exit_code == 0 and good.output.startswith("ok:")
    victim = engine.history(history[0])[1]
    tamper(engine, "UPDATE events SET element_id = 'forged' WHERE seq = :seq", seq=victim["seq"])
    bad = runner.invoke(app, ["audit", "verify"])
    assert bad.exit_code == 1 and f"first bad event seq {victim['seq']}" in bad.output
    exported = runner.invoke(app, ["audit", "export", "--format", "csv", "--instance", history[1]])
    assert exported.exit_code == 0 and exported.output.startswith("seq,at,type")
