"""The workflow cache holds at most FLOWDESK_CACHE_MB of workflows whatever the load,
keeps nothing of finished instances, and the workflows it lets go are freed at once,
without the garbage collector (a step never waits for a full collection), so a server's
memory levels off under a steady load instead of growing with it."""

from __future__ import annotations

import gc
import weakref
from contextlib import contextmanager

from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.runtime.cache import WORKFLOWS, estimate_bytes

from tests.support.engines import make_engine
from tests.support.models import one_task_process

MB = 1024 * 1024


def test_the_cache_never_holds_more_than_its_bound_and_drops_finished_instances(sqlite_url, clock):
    engine = make_engine(sqlite_url, clock, cache_mb=1)
    try:
        engine.repository.deploy([one_task_process()], by=SYSTEM)
        engine.identity.create_user("cleo", "password1", ["clerks"], by=SYSTEM)
        clerk = engine.identity.actor("cleo")
        WORKFLOWS.clear()
        started = []
        for i in range(40):  # about 100 KB of data each: 4 MB in all, four times the bound
            instance = engine.instances.start_instance("one_task", {"note": f"{i}" + "x" * 100_000}, by=SYSTEM)
            started.append(instance)
            assert WORKFLOWS.bytes_held <= 1 * MB
        assert 0 < len(WORKFLOWS) < 40  # the oldest went
        assert started[-1]["id"] in WORKFLOWS._entries  # the newest stayed
        for instance in started[-5:]:
            engine.tasks.complete_task(instance["open_tasks"][0]["id"], {}, by=clerk)
            assert engine.instances.get_instance(instance["id"], by=SYSTEM)["status"] == "completed"
            assert instance["id"] not in WORKFLOWS._entries  # finished: nothing kept
    finally:
        engine.close()


def test_a_cancelled_instance_is_not_kept(sqlite_url, clock):
    engine = make_engine(sqlite_url, clock)
    try:
        engine.repository.deploy([one_task_process()], by=SYSTEM)
        WORKFLOWS.clear()
        instance = engine.instances.start_instance("one_task", {}, by=SYSTEM)
        assert instance["id"] in WORKFLOWS._entries
        engine.instances.cancel_instance(instance["id"], by=SYSTEM, reason="no longer needed")
        assert instance["id"] not in WORKFLOWS._entries
    finally:
        engine.close()


@contextmanager
def collector_off():
    """As a tuned server between its rare full collections: nothing but reference
    counting frees anything, and nothing in the engine may run a collection either."""
    runs = []

    def count(phase, info):
        if phase == "start":
            runs.append(info["generation"])

    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    gc.callbacks.append(count)
    try:
        yield
    finally:
        gc.callbacks.remove(count)
        if was_enabled:
            gc.enable()
    assert runs == [], "the garbage collector ran"


def cached_workflow(instance_id: str) -> weakref.ref:
    return weakref.ref(WORKFLOWS._entries[instance_id][1])


def test_a_finished_instances_workflow_is_freed_without_the_garbage_collector(sqlite_url, clock):
    engine = make_engine(sqlite_url, clock)
    try:
        engine.repository.deploy([one_task_process()], by=SYSTEM)
        engine.identity.create_user("cleo", "password1", ["clerks"], by=SYSTEM)
        clerk = engine.identity.actor("cleo")
        WORKFLOWS.clear()
        with collector_off():
            done = engine.instances.start_instance("one_task", {"note": "x" * 10_000}, by=SYSTEM)
            cancelled = engine.instances.start_instance("one_task", {}, by=SYSTEM)
            workflows = [cached_workflow(done["id"]), cached_workflow(cancelled["id"])]
            engine.tasks.complete_task(done["open_tasks"][0]["id"], {}, by=clerk)
            engine.instances.cancel_instance(cancelled["id"], by=SYSTEM, reason="no longer needed")
            assert [workflow() for workflow in workflows] == [None, None]
    finally:
        engine.close()


def test_workflows_the_cache_evicts_are_freed_without_the_garbage_collector(sqlite_url, clock):
    engine = make_engine(sqlite_url, clock, cache_mb=1)
    try:
        engine.repository.deploy([one_task_process()], by=SYSTEM)
        WORKFLOWS.clear()
        with collector_off():
            first = engine.instances.start_instance("one_task", {"note": "x" * 100_000}, by=SYSTEM)
            workflow = cached_workflow(first["id"])
            for i in range(20):  # 2 MB of workflows: the first goes
                engine.instances.start_instance("one_task", {"note": f"{i}" + "x" * 100_000}, by=SYSTEM)
            assert first["id"] not in WORKFLOWS._entries
            assert workflow() is None
    finally:
        engine.close()


def test_a_stale_entry_is_freed_when_the_instance_moved_on_elsewhere(sqlite_url, clock):
    engine = make_engine(sqlite_url, clock)
    try:
        engine.repository.deploy([one_task_process()], by=SYSTEM)
        instance = engine.instances.start_instance("one_task", {}, by=SYSTEM)
        with collector_off():
            workflow = cached_workflow(instance["id"])
            version = WORKFLOWS._entries[instance["id"]][0]
            assert WORKFLOWS.take(instance["id"], version + 1) is None  # another process wrote a step
            assert workflow() is None
    finally:
        engine.close()


def test_the_estimate_follows_the_data():
    assert estimate_bytes({"a": "x" * 1000}) > 1000
    assert estimate_bytes({"a": ["x" * 1000] * 10}) > 10_000
    assert estimate_bytes({}) < estimate_bytes({"a": 1}) < estimate_bytes({"a": 1, "b": [1, 2]})
