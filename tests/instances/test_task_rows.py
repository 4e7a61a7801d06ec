"""A large instance's state is stored as a skeleton and one row per task, written by
difference (engine/runtime/taskrows.py, engine/instances/state_rows.py).

Most tests lower the size from which a state is split (SPLIT_AT) so that small models
exercise the split storage; the exactness tests compare, after every step, the workflow
restored from the rows with the live workflow the step ran on."""

from __future__ import annotations

import json
import threading

import pytest
from flowdesk.engine.errors import ConcurrentModification, Conflict
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.instances import state_rows
from flowdesk.engine.persistence.models import Instance, InstanceTaskState
from flowdesk.engine.runtime import serialization, taskrows
from flowdesk.engine.runtime.cache import WORKFLOWS
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import set_committed_value

from tests.support.engines import make_engine, open_tasks
from tests.support.models import CALLEE, CALLER, INCLUSIVE, LOOP, MULTI, PARALLEL, SEQUENTIAL, TIMER


@pytest.fixture
def split_everything(monkeypatch):
    monkeypatch.setattr(taskrows, "SPLIT_AT", 0)


def stored(engine, instance_id: str) -> tuple[dict, list]:
    with engine.transaction() as s:
        row = s.get(Instance, instance_id)
        return row.state, state_rows.task_rows(s, instance_id)


def restored_state(engine, instance_id: str) -> dict:
    """The state of the workflow restored from what is stored (skeleton and rows)."""
    with engine.transaction() as s:
        row = s.get(Instance, instance_id)
        definition = engine.context.definitions.by_id(s, row.definition_id)
        rows = state_rows.task_rows(s, instance_id) if state_rows.is_split(row.state) else None
        execution = engine.context.definitions.runtime(definition).restore(row.state, None, rows)
    return serialization.state_to_dict(execution._wf)


def live_state(instance_id: str) -> dict:
    """The state of the workflow the last step ran on (kept by the cache)."""
    _version, workflow, _size = WORKFLOWS._entries[instance_id]
    return serialization.state_to_dict(workflow)


def as_json(state: dict) -> str:
    """The state as text, independent of the order of keys (a restored task's data has
    its parent's keys first), which nothing reads."""
    for part in (state, *state.get("subprocesses", {}).values()):
        for entry in part.get("tasks", {}).values():
            if entry.get("delta"):
                entry["delta"]["deletions"] = sorted(entry["delta"]["deletions"])
    return json.dumps(state, sort_keys=True, default=repr)


def row_writes(monkeypatch) -> list:
    """Each step's task rows written, as (upserted ids, deleted ids)."""
    writes: list = []
    original = state_rows.queue_task_rows

    def recording(batch, session, instance_id, split):
        if split.split:
            writes.append(([u[0] for u in split.upserts], list(split.deletes)))
        original(batch, session, instance_id, split)

    monkeypatch.setattr("flowdesk.engine.instances.steps.queue_task_rows", recording)
    return writes


def check_every_step(engine, clerk, instance_id: str, steps: int, data=lambda task: {}) -> dict:
    """Complete open tasks one at a time; after each step the stored state restores to
    exactly the live workflow."""
    result = None
    for _ in range(steps):
        tasks = open_tasks(engine, instance_id)
        if not tasks:
            break
        task = tasks[0]
        result = engine.tasks.complete_task(task["id"], data(task), by=clerk)["instance"]
        if result["status"] == "completed":
            break
        assert state_rows.is_split(stored(engine, instance_id)[0])
        assert as_json(restored_state(engine, instance_id)) == as_json(live_state(instance_id))
    return result


@pytest.mark.parametrize("model,key,start,steps", [
    (MULTI, "multi", {"done": 0, "rounds": 2, "items": [f"i{n}" for n in range(6)], "results": []}, 14),
    (SEQUENTIAL, "multi", {"done": 0, "rounds": 2, "items": [f"i{n}" for n in range(4)], "results": []}, 10),
    (LOOP, "loop", {"done": 0, "rounds": 12}, 13),
    (PARALLEL, "parallel", {"done": 0, "rounds": 4}, 9),
    (INCLUSIVE, "inclusive", {"done": 0, "rounds": 6}, 12),
    (TIMER, "timer", {"done": 0, "rounds": 4, "escalated": 0}, 5),
])
def test_the_stored_rows_restore_exactly_the_workflow_of_every_step(engine, clerk, split_everything,
                                                                  model, key, start, steps):
    engine.repository.deploy([model], by=SYSTEM)
    instance = engine.instances.start_instance(key, start, by=SYSTEM)
    result = check_every_step(engine, clerk, instance["id"], steps,
                              data=lambda task: {"answer": task["id"], f"seen_{task['element_id']}": 1})
    assert result is not None and result["status"] in ("running", "completed")


def test_a_called_process_state_restores_exactly_at_every_step(engine, clerk, split_everything):
    engine.repository.deploy([CALLEE, CALLER], by=SYSTEM)
    instance = engine.instances.start_instance("caller", {"done": 0, "rounds": 3, "called": 0}, by=SYSTEM)
    for _ in range(3):
        (task,) = open_tasks(engine, instance["id"]) or [None]
        if task is None:
            break
        engine.tasks.complete_task(task["id"], {}, by=clerk)
        if state_rows.is_split(stored(engine, instance["id"])[0]):
            assert as_json(restored_state(engine, instance["id"])) == as_json(live_state(instance["id"]))


def test_a_step_writes_only_the_task_rows_that_changed(engine, clerk, split_everything, monkeypatch):
    engine.repository.deploy([MULTI], by=SYSTEM)
    items = [f"item-{n}" for n in range(40)]
    instance = engine.instances.start_instance("multi", {"done": 0, "rounds": 1, "items": items, "results": []},
                                               by=SYSTEM)
    writes = row_writes(monkeypatch)
    tasks = open_tasks(engine, instance["id"])
    for task in tasks[:5]:
        engine.tasks.complete_task(task["id"], {"answer": task["id"]}, by=clerk)
    with engine.transaction() as s:
        total = s.scalar(select(func.count()).select_from(InstanceTaskState)
                         .where(InstanceTaskState.instance_id == instance["id"]))
    assert total > 40
    # after the first completions (the items' deltas settle once the output list changed),
    # a completion writes the completed item, the multi-instance task and the root
    for upserted, _deleted in writes[2:]:
        assert len(upserted) <= 3
        untouched = {t["id"] for t in tasks[5:]}
        assert not untouched & set(upserted)
    # the finished items that pruning dropped are deleted
    assert any(deleted for _upserted, deleted in writes)


def test_an_instance_stored_as_one_document_still_loads_runs_and_is_split_on_its_next_step(engine, clerk,
                                                                                          monkeypatch):
    engine.repository.deploy([MULTI], by=SYSTEM)
    items = [f"item-{n}" for n in range(8)]
    monkeypatch.setattr(taskrows, "SPLIT_AT", 10_000)  # stored the old way: one document
    instance = engine.instances.start_instance("multi", {"done": 0, "rounds": 1, "items": items, "results": []},
                                               by=SYSTEM)
    state, rows = stored(engine, instance["id"])
    assert state["format"] == serialization.STATE_FORMAT and "tasks" in state and rows == []
    WORKFLOWS.clear()  # the next step restores from the database
    monkeypatch.setattr(taskrows, "SPLIT_AT", 0)
    tasks = open_tasks(engine, instance["id"])
    engine.tasks.complete_task(tasks[0]["id"], {"answer": "first"}, by=clerk)
    state, rows = stored(engine, instance["id"])
    assert state["format"] == taskrows.SPLIT_FORMAT and "tasks" not in state and len(rows) > 8
    WORKFLOWS.clear()
    for task in tasks[1:]:
        result = engine.tasks.complete_task(task["id"], {"answer": task["id"]}, by=clerk)["instance"]
    assert result["status"] == "completed"
    assert sorted(result["data"]["results"]) == sorted(["first", *(t["id"] for t in tasks[1:])])


def test_a_split_instance_restored_in_another_process_writes_only_what_changes(engine, clerk, split_everything,
                                                                              monkeypatch):
    engine.repository.deploy([MULTI], by=SYSTEM)
    items = [f"item-{n}" for n in range(30)]
    instance = engine.instances.start_instance("multi", {"done": 0, "rounds": 1, "items": items, "results": []},
                                               by=SYSTEM)
    tasks = open_tasks(engine, instance["id"])
    for task in tasks[:3]:
        engine.tasks.complete_task(task["id"], {"answer": task["id"]}, by=clerk)
    writes = row_writes(monkeypatch)
    WORKFLOWS.clear()  # as if another server process took the next step
    engine.tasks.complete_task(tasks[3]["id"], {"answer": tasks[3]["id"]}, by=clerk)
    assert as_json(restored_state(engine, instance["id"])) == as_json(live_state(instance["id"]))
    (upserted, _deleted), = writes
    assert len(upserted) < 10


def test_competing_steps_of_a_split_instance_still_conflict(tmp_path, clock, monkeypatch):
    monkeypatch.setattr(taskrows, "SPLIT_AT", 0)
    engine = make_engine(f"sqlite:///{tmp_path / 'race.db'}", clock)
    try:
        engine.repository.deploy([MULTI], by=SYSTEM)
        clerks = []
        for i in range(2):
            engine.identity.create_user(f"clerk{i}", "password1", ["clerks"], by=SYSTEM)
            clerks.append(engine.identity.actor(f"clerk{i}"))
        items = [f"item-{n}" for n in range(6)]
        instance = engine.instances.start_instance(
            "multi", {"done": 0, "rounds": 1, "items": items, "results": []}, by=SYSTEM)
        tasks = open_tasks(engine, instance["id"])
        barrier, outcomes = threading.Barrier(2), [None, None]

        def run(i: int) -> None:
            barrier.wait()
            WORKFLOWS.clear()  # each writer restores the same version
            try:
                outcomes[i] = engine.tasks.complete_task(tasks[i]["id"], {"answer": i}, by=clerks[i])
            except Conflict as err:
                outcomes[i] = err

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # both won (one after the other, each on its own version) or exactly one lost;
        # whichever, the stored state holds exactly the completions that won
        won = [o for o in outcomes if isinstance(o, dict)]
        assert len(won) + sum(isinstance(o, Conflict) for o in outcomes) == 2
        WORKFLOWS.clear()
        remaining = {t["id"] for t in open_tasks(engine, instance["id"])}
        assert remaining == {t["id"] for t in tasks} - {tasks[i]["id"] for i, o in enumerate(outcomes)
                                                       if isinstance(o, dict)}
    finally:
        engine.close()


def test_a_step_on_a_stale_split_state_is_a_concurrent_modification(engine, clerk, split_everything):
    engine.repository.deploy([MULTI], by=SYSTEM)
    items = [f"item-{n}" for n in range(6)]
    instance = engine.instances.start_instance("multi", {"done": 0, "rounds": 1, "items": items, "results": []},
                                               by=SYSTEM)
    tasks = open_tasks(engine, instance["id"])
    WORKFLOWS.clear()
    with engine.transaction() as s:  # a step reads the instance (version v) ...
        row = s.get(Instance, instance["id"])
        version = row.lock_version
        loaded = engine.context.executions.load(s, row)
    # ... another one commits meanwhile (version v + 1) ...
    engine.tasks.complete_task(tasks[1]["id"], {"answer": "other"}, by=clerk)
    loaded.execution.complete_task(tasks[0]["id"], {"answer": "late"})
    # ... and the first one writes what it read at version v
    with pytest.raises(ConcurrentModification), engine.transaction() as s:
        row = s.get(Instance, instance["id"])
        set_committed_value(row, "lock_version", version)
        engine.context.steps.write(s, row, loaded.definition, loaded.execution, clerk.username)
    _state, rows = stored(engine, instance["id"])
    assert not any('"late"' in entry for _task_id, _owner, entry in rows)
    assert any('"other"' in entry for _task_id, _owner, entry in rows)


@pytest.mark.postgres
def test_split_states_on_postgres_restore_exactly_and_conflict(postgres_url, clock, monkeypatch):
    monkeypatch.setattr(taskrows, "SPLIT_AT", 0)
    engine = make_engine(postgres_url, clock)
    try:
        engine.repository.deploy([MULTI], by=SYSTEM)
        engine.identity.create_user("cleo", "password1", ["clerks"], by=SYSTEM)
        clerk = engine.identity.actor("cleo")
        items = [f"item-{n}" for n in range(5)]
        instance = engine.instances.start_instance(
            "multi", {"done": 0, "rounds": 1, "items": items, "results": []}, by=SYSTEM)
        tasks = open_tasks(engine, instance["id"])
        WORKFLOWS.clear()
        with engine.transaction() as s:
            row = s.get(Instance, instance["id"])
            version = row.lock_version
            loaded = engine.context.executions.load(s, row)
        result = check_every_step(engine, clerk, instance["id"], 2, data=lambda task: {"answer": task["id"]})
        loaded.execution.complete_task(tasks[0]["id"], {"answer": "late"})
        with pytest.raises(ConcurrentModification), engine.transaction() as s:
            row = s.get(Instance, instance["id"])
            set_committed_value(row, "lock_version", version)
            engine.context.steps.write(s, row, loaded.definition, loaded.execution, clerk.username)
        result = check_every_step(engine, clerk, instance["id"], 5, data=lambda task: {"answer": task["id"]})
        assert result["status"] == "completed" and "late" not in result["data"]["results"]
    finally:
        engine.close()
