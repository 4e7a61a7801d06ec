"""Migration 0012_mistate: the table of task rows, and a way back for split states."""

from __future__ import annotations

import json

from alembic import command
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.persistence.migrate import alembic_config
from flowdesk.engine.runtime import STATE_FORMAT, taskrows
from flowdesk.engine.runtime.cache import WORKFLOWS
from sqlalchemy import create_engine, inspect, text

from tests.support.engines import make_engine, open_tasks
from tests.support.models import MULTI


def test_downgrading_puts_split_states_back_into_one_document_and_upgrading_reads_them(sqlite_url, clock,
                                                                                       monkeypatch):
    monkeypatch.setattr(taskrows, "SPLIT_AT", 0)
    engine = make_engine(sqlite_url, clock)
    engine.repository.deploy([MULTI], by=SYSTEM)
    engine.identity.create_user("cleo", "password1", ["clerks"], by=SYSTEM)
    items = [f"item-{n}" for n in range(5)]
    instance = engine.instances.start_instance("multi", {"done": 0, "rounds": 1, "items": items, "results": []},
                                               by=SYSTEM)
    tasks = open_tasks(engine, instance["id"])
    engine.tasks.complete_task(tasks[0]["id"], {"answer": "first"}, by=engine.identity.actor("cleo"))
    engine.close()
    WORKFLOWS.clear()

    command.downgrade(alembic_config(sqlite_url), "0011_collaboration")
    raw = create_engine(sqlite_url)
    try:
        assert "instance_task_states" not in inspect(raw).get_table_names()
        with raw.connect() as conn:
            state = json.loads(conn.execute(text("SELECT state FROM instances WHERE id = :id"),
                                            {"id": instance["id"]}).scalar_one())
        assert state["format"] == STATE_FORMAT and len(state["tasks"]) > 5
    finally:
        raw.dispose()

    engine = make_engine(sqlite_url, clock)  # upgrades to head again
    try:
        for task in tasks[1:]:
            result = engine.tasks.complete_task(task["id"], {"answer": task["id"]},
                                                by=engine.identity.actor("cleo"))["instance"]
        assert result["status"] == "completed"
        assert sorted(result["data"]["results"]) == sorted(["first", *(t["id"] for t in tasks[1:])])
    finally:
        engine.close()
