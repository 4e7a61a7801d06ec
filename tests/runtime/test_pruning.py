"""A stored instance state holds its live frontier, not its history.

Every model here loops, so that by the time the interesting part (a join, a
multi-instance, a timer, a call activity) runs, the finished history above it has been
pruned from the stored state; and each test checks the instance still ends with the
data an unpruned run would give.
"""

from __future__ import annotations

import copy

from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.instances import state_rows
from flowdesk.engine.jobs.executor import JobExecutor
from flowdesk.engine.persistence.models import Instance
from flowdesk.engine.runtime import execution as runtime_execution
from flowdesk.engine.runtime import serialization

from tests.support.engines import open_tasks
from tests.support.models import CALLEE, CALLER, INCLUSIVE, LOOP, MULTI, PARALLEL, SEQUENTIAL, TIMER


def stored_state(engine, instance_id: str) -> dict:
    with engine.transaction() as s:
        return copy.deepcopy(state_rows.stored_state(s, s.get(Instance, instance_id)))


def task_count(state: dict) -> int:
    return len(state["tasks"]) + sum(len(sub["tasks"]) for sub in state.get("subprocesses", {}).values())


def complete_all(engine, clerk, instance_id: str, data=None) -> dict:
    instance = None
    for task in open_tasks(engine, instance_id):
        instance = engine.tasks.complete_task(task["id"], data(task) if data else {}, by=clerk)["instance"]
    return instance


def test_the_state_of_a_long_loop_stays_the_same_size(engine, clerk):
    engine.repository.deploy([LOOP], by=SYSTEM)
    instance = engine.instances.start_instance("loop", {"done": 0, "rounds": 60}, by=SYSTEM)
    sizes = []
    for _ in range(59):
        complete_all(engine, clerk, instance["id"])
        sizes.append(task_count(stored_state(engine, instance["id"])))
    assert max(sizes) <= 12 and sizes[-1] == sizes[5]
    done = complete_all(engine, clerk, instance["id"])
    assert done["status"] == "completed" and done["data"]["done"] == 60


def test_parallel_joins_wait_for_every_branch_after_pruning(engine, clerk):
    engine.repository.deploy([PARALLEL], by=SYSTEM)
    instance = engine.instances.start_instance("parallel", {"done": 0, "rounds": 12}, by=SYSTEM)
    sizes = []
    for round_ in range(12):
        a, b = sorted(open_tasks(engine, instance["id"]), key=lambda t: t["element_id"])
        first, second = (a, b) if round_ % 2 else (b, a)
        after_first = engine.tasks.complete_task(first["id"], {f"{first['element_id']}{round_}": 1}, by=clerk)["instance"]
        # the join still waits for the other user task (the script branch is done)
        assert after_first["status"] == "running"
        assert [t["element_id"] for t in open_tasks(engine, instance["id"])] == [second["element_id"]]
        sizes.append(task_count(stored_state(engine, instance["id"])))
        last = engine.tasks.complete_task(second["id"], {f"{second['element_id']}{round_}": 1}, by=clerk)["instance"]
    assert max(sizes) == min(sizes[2:]) <= 40
    assert last["status"] == "completed"
    assert last["data"]["done"] == 12
    # both branches' data of every round made it through the joins
    assert all(last["data"][f"{x}{n}"] == 1 for x in "ab" for n in range(12))
    assert "c_ran" in last["data"]


def test_inclusive_joins_wait_for_the_branches_taken_after_pruning(engine, clerk):
    engine.repository.deploy([INCLUSIVE], by=SYSTEM)
    instance = engine.instances.start_instance("inclusive", {"done": 0, "rounds": 12}, by=SYSTEM)
    taken = []
    for round_ in range(12):
        tasks = open_tasks(engine, instance["id"])
        taken.append(sorted(t["element_id"] for t in tasks))
        for n, task in enumerate(tasks):
            result = engine.tasks.complete_task(task["id"], {f"seen_{task['element_id']}": round_}, by=clerk)["instance"]
            if n < len(tasks) - 1:
                assert result["status"] == "running" and len(open_tasks(engine, instance["id"])) == len(tasks) - n - 1
    assert taken[:7] == [["a", "b"], ["c"], ["a"], ["b"], ["a"], ["c"], ["a", "b"]]
    assert result["status"] == "completed" and result["data"]["done"] == 12
    assert task_count(stored_state(engine, instance["id"])) <= 12


def test_a_multi_instance_completes_with_every_output_and_drops_finished_items(engine, clerk):
    engine.repository.deploy([MULTI], by=SYSTEM)
    items = [f"item-{n}" for n in range(30)]
    instance = engine.instances.start_instance("multi", {"done": 0, "rounds": 2, "items": items, "results": []}, by=SYSTEM)
    for _ in range(2):
        tasks = open_tasks(engine, instance["id"])
        assert len(tasks) == 30
        counts = []
        for task in tasks:
            result = engine.tasks.complete_task(task["id"], {"answer": task["id"]}, by=clerk)["instance"]
            counts.append(task_count(stored_state(engine, instance["id"])))
        # finished items leave the state as the others are worked on
        assert counts[-2] < counts[0] - 20
    assert result["status"] == "completed"
    # every item's answer landed in its own slot
    assert sorted(result["data"]["results"]) == sorted(t["id"] for t in tasks)


def test_a_sequential_multi_instance_keeps_a_bounded_state(engine, clerk):
    engine.repository.deploy([SEQUENTIAL], by=SYSTEM)
    items = [f"item-{n}" for n in range(25)]
    instance = engine.instances.start_instance("multi", {"done": 0, "rounds": 2, "items": items, "results": []}, by=SYSTEM)
    answers, counts = [], []
    for _ in range(50):
        (task,) = open_tasks(engine, instance["id"])
        answers.append(task["id"])
        result = engine.tasks.complete_task(task["id"], {"answer": task["id"]}, by=clerk)["instance"]
        counts.append(task_count(stored_state(engine, instance["id"])))
    assert result["status"] == "completed" and result["data"]["results"] == answers[25:]
    assert max(counts[5:-1]) <= counts[3] + 1


def test_a_boundary_timer_still_fires_on_a_pruned_instance(engine, clerk, clock):
    engine.repository.deploy([TIMER], by=SYSTEM)
    executor = JobExecutor(engine.context, worker_id="test-worker")
    instance = engine.instances.start_instance("timer", {"done": 0, "rounds": 8, "escalated": 0}, by=SYSTEM)
    for _ in range(4):  # four rounds done by hand: history to prune
        complete_all(engine, clerk, instance["id"])
    for _ in range(4):  # four rounds in which the timer is faster
        clock.advance(hours=1, seconds=1)
        assert executor.run_due() == 1
        assert task_count(stored_state(engine, instance["id"])) <= 16
    final = engine.instances.get_instance(instance["id"], by=SYSTEM)
    assert final["status"] == "completed"
    assert final["data"]["escalated"] == 4 and final["data"]["done"] == 8


def test_a_call_activity_in_a_loop_runs_every_time_on_a_pruned_instance(engine, clerk):
    engine.repository.deploy([CALLER, CALLEE], by=SYSTEM)
    instance = engine.instances.start_instance("caller", {"done": 0, "rounds": 10, "called": 0}, by=SYSTEM)
    sizes = []
    for _ in range(10):  # each round calls the callee as a child instance of its own
        (child,) = engine.instances.list_instances(by=SYSTEM, parent_instance_id=instance["id"],
                                                   status="running").items
        (task,) = open_tasks(engine, child["id"])
        assert task["element_id"] == "inner"
        engine.tasks.complete_task(task["id"], {}, by=clerk)
        sizes.append(task_count(stored_state(engine, instance["id"])))
    result = engine.instances.get_instance(instance["id"], by=SYSTEM)
    assert result["status"] == "completed"
    assert result["data"]["called"] == 10 and result["data"]["done"] == 10
    assert max(sizes[2:]) == min(sizes[2:-1])  # finished subprocesses are gone too


def test_a_state_stored_before_pruning_still_loads_and_runs(engine, clerk, monkeypatch):
    engine.repository.deploy([PARALLEL], by=SYSTEM)
    instance = engine.instances.start_instance("parallel", {"done": 0, "rounds": 6}, by=SYSTEM)
    with monkeypatch.context() as m:  # how states were stored before pruning existed
        m.setattr(runtime_execution, "prune", lambda workflow: 0)
        m.setattr(runtime_execution, "state_to_dict_stable",
                  lambda workflow: (serialization.legacy_state_to_dict(workflow), False))
        for round_ in range(3):
            complete_all(engine, clerk, instance["id"], lambda t, n=round_: {f"{t['element_id']}{n}": 1})
        old = task_count(stored_state(engine, instance["id"]))
        first = open_tasks(engine, instance["id"])[0]
        engine.tasks.complete_task(first["id"], {f"{first['element_id']}3": 1}, by=clerk)  # the join waits on an old state
    complete_all(engine, clerk, instance["id"], lambda t: {f"{t['element_id']}3": 1})  # the join fires
    assert task_count(stored_state(engine, instance["id"])) < old
    for round_ in range(4, 6):
        done = complete_all(engine, clerk, instance["id"], lambda t, n=round_: {f"{t['element_id']}{n}": 1})
    assert done["status"] == "completed" and done["data"]["done"] == 6
    assert all(done["data"][f"{x}{n}"] == 1 for x in "ab" for n in range(6))
