"""Retention and erasure remove data but keep the chain; exports carry what the API shows;
a database from before the chain is chained on upgrade."""

from __future__ import annotations

import csv
import io
import json

import pytest
from flowdesk.engine.errors import Conflict, Forbidden, InvalidData
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.persistence import Database
from flowdesk.engine.persistence.migrate import upgrade
from sqlalchemy import text
from typer.testing import CliRunner

from tests.support.audit import run_instances, tamper


def test_retention_erases_payloads_of_old_finished_instances_and_the_chain_still_verifies(engine, clock):
    old = run_instances(engine, 1)[0]
    clock.advance(days=40)
    recent = engine.instances.start_instance("one_task", {"amount": 99}, by=SYSTEM)
    result = engine.history.apply_retention(by=SYSTEM, days=30)
    assert result["instances"] == 1 and result["payloads_erased"] > 0
    erased = {e["type"]: e for e in engine.history.instance_history(old, by=SYSTEM, limit=500).items}
    # The submitted data is gone; who did what, when, and the proof of it, stay.
    completed = erased["task.completed"]
    assert completed["erased"] and completed["data"] is None
    assert completed["actor"] == "cleo" and completed["hash"] and completed["payload_hash"]
    kept = engine.history.instance_history(recent["id"], by=SYSTEM, limit=500).items
    assert not any(e["erased"] for e in kept) and kept[0]["data"]["data"] == {"amount": 99}
    verification = engine.history.verify_audit(by=SYSTEM)
    assert verification["ok"] is True and verification["erased_payloads"] >= result["payloads_erased"]
    (applied,) = engine.history.audit_events(by=SYSTEM, type="audit.retention_applied").items
    assert applied["data"]["instances"] == 1 and applied["actor"] == "system"


def test_retention_needs_an_admin_and_a_period(engine):
    run_instances(engine, 1)
    engine.identity.create_user("erin", "password1", ["auditor"], by=SYSTEM)
    with pytest.raises(Forbidden):
        engine.history.apply_retention(by=engine.identity.actor("erin"), days=1)
    with pytest.raises(InvalidData):
        engine.history.apply_retention(by=SYSTEM)  # no FLOWDESK_HISTORY_RETENTION_DAYS configured


def test_erasing_one_instance_needs_it_finished_and_a_reason(engine):
    done = run_instances(engine, 1)[0]
    running = engine.instances.start_instance("one_task", {}, by=SYSTEM)
    with pytest.raises(Conflict):
        engine.history.erase_instance_history(running["id"], by=SYSTEM, reason="customer request")
    with pytest.raises(InvalidData):
        engine.history.erase_instance_history(done, by=SYSTEM, reason=" ")
    result = engine.history.erase_instance_history(done, by=SYSTEM, reason="GDPR art. 17 request #12")
    assert result["payloads_erased"] > 0
    assert engine.history.verify_audit(by=SYSTEM)["ok"] is True


def test_exports_carry_exactly_what_the_api_lists(engine, history):
    listed = engine.history.audit_events(by=SYSTEM, limit=500).items
    lines = "".join(engine.history.export_audit("jsonl", by=SYSTEM)).splitlines()
    assert [json.loads(line) for line in lines] == json.loads(json.dumps(listed, default=str))
    rows = list(csv.DictReader(io.StringIO("".join(engine.history.export_audit("csv", by=SYSTEM)))))
    assert [int(r["seq"]) for r in rows] == [e["seq"] for e in listed]
    assert [r["hash"] for r in rows] == [e["hash"] for e in listed]
    by_instance = "".join(engine.history.export_audit("jsonl", by=SYSTEM, instance_id=history[1])).splitlines()
    assert {json.loads(line)["instance_id"] for line in by_instance} == {history[1]}


def test_exports_stream_in_batches(engine, history, monkeypatch):
    from flowdesk.engine.history.audit import search

    monkeypatch.setattr(search, "EXPORT_BATCH", 3)
    chunks = list(engine.history.export_audit("jsonl", by=SYSTEM))
    total = len(engine.history.audit_events(by=SYSTEM, limit=500).items)
    assert len(chunks) >= total // 3 and sum(c.count("\n") for c in chunks) == total


def test_the_instances_a_user_touched(engine, history):
    page = engine.history.touched_instances("cleo", by=SYSTEM)
    assert sorted(r["instance_id"] for r in page.items) == sorted(history)
    assert all(r["events"] >= 1 and r["status"] == "completed" for r in page.items)


def test_an_instance_names_the_exact_sources_it_ran_on(engine, history):
    sources = engine.history.instance_definition(history[0], by=SYSTEM)
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
    from tests.support.engines import make_engine

    engine = make_engine(sqlite_url, clock)
    try:
        result = engine.history.verify_audit(by=SYSTEM)
        assert result["ok"] is True and result["events"] == 4 and result["chains"] == 3
        events = engine.history.audit_events(by=SYSTEM, instance_id="i-1").items
        assert [e["chain_seq"] for e in events] == [1, 2] and events[1]["data"]["n"] == 2
        tamper(engine, "UPDATE events SET actor = 'mallory' WHERE seq = 3")
        assert engine.history.verify_audit(by=SYSTEM)["first_bad_seq"] == 3
    finally:
        engine.close()


def test_cli_verify_exits_1_and_names_the_broken_event(engine, history, monkeypatch):
    from flowdesk.cli import app

    monkeypatch.setenv("FLOWDESK_DATABASE_URL", str(engine.db.url))
    runner = CliRunner()
    good = runner.invoke(app, ["audit", "verify"])
    assert good.exit_code == 0 and good.output.startswith("ok:")
    victim = engine.history.instance_history(history[0], by=SYSTEM, limit=500).items[1]
    tamper(engine, "UPDATE events SET element_id = 'forged' WHERE seq = :seq", seq=victim["seq"])
    bad = runner.invoke(app, ["audit", "verify"])
    assert bad.exit_code == 1 and f"first bad event seq {victim['seq']}" in bad.output
    exported = runner.invoke(app, ["audit", "export", "--format", "csv", "--instance", history[1]])
    assert exported.exit_code == 0 and exported.output.startswith("seq,at,type")
