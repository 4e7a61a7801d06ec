"""A step starts from the workflow the instance's last committed step left in memory
, and only when that is exactly the stored state."""

from __future__ import annotations

import pytest
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.instances.tasks import TaskActions
from flowdesk.engine.persistence.models import Instance
from flowdesk.engine.runtime.cache import WORKFLOWS, json_stable
from sqlalchemy import event

from tests.support.engines import open_tasks
from tests.support.models import LOOP, one_task_process


class StateReads:
    """Counts the statements that read an instance's stored state."""

    def __init__(self, engine) -> None:
        self.count = 0
        event.listen(engine.db.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, *rest) -> None:
        if statement.lstrip().startswith("SELECT") and "instances.state" in statement:
            self.count += 1


def test_consecutive_steps_reuse_the_committed_workflow(engine, clerk):
    engine.repository.deploy([LOOP], by=SYSTEM)
    done = engine.instances.start_instance("loop", {"done": 0, "rounds": 5}, by=SYSTEM)
    reads = StateReads(engine)
    for _ in range(5):
        (task,) = done["open_tasks"]
        done = engine.tasks.complete_task(task["id"], {}, by=clerk)["instance"]
    assert reads.count == 0
    assert done["status"] == "completed" and done["data"]["done"] == 5


def test_a_step_written_elsewhere_makes_the_next_one_restore(engine, clerk):
    engine.repository.deploy([LOOP], by=SYSTEM)
    instance = engine.instances.start_instance("loop", {"done": 0, "rounds": 3}, by=SYSTEM)
    with engine.transaction() as s:  # another writer: the row's version moves on
        row = s.get(Instance, instance["id"])
        row.state = {**row.state, "data": {**row.state.get("data", {}), "touched": True}}
    (task,) = open_tasks(engine, instance["id"])
    reads = StateReads(engine)
    after = engine.tasks.complete_task(task["id"], {}, by=clerk)["instance"]
    assert reads.count == 1
    engine.tasks.complete_task(after["open_tasks"][0]["id"], {}, by=clerk)
    assert reads.count == 1  # cached again after that step


def test_a_rolled_back_step_leaves_nothing_behind(engine, clerk):
    engine.repository.deploy([LOOP], by=SYSTEM)
    instance = engine.instances.start_instance("loop", {"done": 0, "rounds": 3}, by=SYSTEM)
    (task,) = open_tasks(engine, instance["id"])
    ctx = engine.context
    actions = TaskActions(ctx.clock, ctx.definitions, ctx.executions, ctx.steps, ctx.audit)
    with pytest.raises(RuntimeError), engine.transaction() as s:
        actions.complete(s, actions.acting_on(s, task["id"], clerk), clerk, {"x": 1})
        raise RuntimeError("the request failed after the step")
    # the rolled-back step is neither stored nor cached: the task is still open
    (again,) = open_tasks(engine, instance["id"])
    assert again["id"] == task["id"]
    done = engine.tasks.complete_task(task["id"], {}, by=clerk)["instance"]
    assert done["data"]["done"] == 1 and "x" not in done["data"]


def test_data_a_json_round_trip_would_change_is_never_cached(engine, clerk):
    engine.repository.deploy([one_task_process(script="pair = (1, 2)")], by=SYSTEM)
    instance = engine.instances.start_instance("one_task", {}, by=SYSTEM)
    assert json_stable({"a": [1, {"b": None}], "c": 1.5})
    assert not json_stable({"a": (1, 2)}) and not json_stable({1: "x"})
    WORKFLOWS.clear()
    engine.tasks.complete_task(instance["open_tasks"][0]["id"], {}, by=clerk)
    assert WORKFLOWS.take(instance["id"], 3) is None and len(WORKFLOWS._entries) == 0


def test_the_cache_is_bounded_by_the_bytes_it_holds():
    from flowdesk.engine.runtime.cache import WorkflowCache

    cache = WorkflowCache(max_bytes=10_000)
    small, other, big = object(), object(), object()
    cache.put("a", 1, small, 4_000)
    cache.put("b", 1, other, 4_000)
    cache.put("huge", 1, big, 11_000)  # larger than the whole cache: never kept
    assert cache.take("huge", 1) is None
    cache.put("c", 1, object(), 4_000)  # 12,000 bytes: the least recently kept goes
    assert cache.bytes_held <= 10_000
    assert cache.take("a", 1) is None and cache.take("b", 1) is other
    cache.put("b", 2, other, 4_000)
    cache.put("b", 1, small, 4_000)  # an older version never replaces a newer one
    assert cache.take("b", 2) is other
