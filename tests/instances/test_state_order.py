"""Instance state survives storage that reorders JSON keys (PostgreSQL's JSONB)."""

from __future__ import annotations

import json
import random

import pytest
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.instances import state_rows
from flowdesk.engine.persistence.models import Instance
from sqlalchemy import select

from tests.support.engines import make_engine
from tests.support.models import one_task_process


def shuffled(mapping: dict) -> dict:
    items = list(mapping.items())
    random.Random(7).shuffle(items)
    return dict(items)


def test_restored_tasks_keep_their_data_whatever_the_key_order(engine):
    engine.identity.create_user("cleo", "password1", ["clerks"], by=SYSTEM)
    engine.repository.deploy([one_task_process(script="total = quantity * price")], by=SYSTEM)
    instance = engine.instances.start_instance("one_task", {"quantity": 3, "price": 4}, by=SYSTEM)
    with engine.transaction() as s:
        row = s.get(Instance, instance["id"])
        state = json.loads(json.dumps(state_rows.stored_state(s, row)))  # stored as one document
        state["tasks"] = shuffled(state["tasks"])
        row.state = state
    done = engine.tasks.complete_task(instance["open_tasks"][0]["id"], {}, by=engine.identity.actor("cleo"))
    assert done["instance"]["status"] == "completed" and done["instance"]["data"]["total"] == 12


@pytest.mark.postgres
def test_start_data_survives_a_restore_on_postgres(postgres_url, clock):
    engine = make_engine(postgres_url, clock)
    try:
        engine.identity.create_user("cleo", "password1", ["clerks"], by=SYSTEM)
        engine.repository.deploy([one_task_process(script="total = quantity * price")], by=SYSTEM)
        ids = [engine.instances.start_instance("one_task", {"quantity": n, "price": 2}, by=SYSTEM)["id"] for n in range(1, 6)]
        with engine.transaction() as s:
            tasks = {i: s.scalars(select(Instance).where(Instance.id == i)).one() for i in ids}
            assert all(tasks.values())
        for n, instance_id in enumerate(ids, 1):
            (task,) = engine.instances.get_instance(instance_id, by=SYSTEM)["open_tasks"]
            done = engine.tasks.complete_task(task["id"], {}, by=engine.identity.actor("cleo"))
            assert done["instance"]["status"] == "completed"
            assert done["instance"]["data"]["total"] == n * 2
    finally:
        engine.close()
