"""The workflow cache holds at most FLOWDESK_CACHE_MB of workflows whatever the load,
keeps nothing of finished instances, and has the workflows it lets go collected, so a
server's memory levels off under a steady load instead of growing with it."""

from __future__ import annotations

import gc

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


def test_workflows_let_go_are_collected_once_they_add_up_to_half_the_bound(sqlite_url, clock):
    engine = make_engine(sqlite_url, clock, cache_mb=2)
    full_collections = []

    def count(phase, info):
        if phase == "stop" and info["generation"] == 2:
            full_collections.append(info)

    gc.callbacks.append(count)
    try:
        engine.repository.deploy([one_task_process()], by=SYSTEM)
        WORKFLOWS.clear()
        before = WORKFLOWS.collections
        threshold = gc.get_threshold()
        gc.set_threshold(10**9, 1000, 1000)  # as a tuned server: the collector itself never runs
        try:
            for i in range(30):  # 3 MB of workflows started and cancelled: let go
                instance = engine.instances.start_instance("one_task", {"note": f"{i}" + "x" * 100_000}, by=SYSTEM)
                engine.instances.cancel_instance(instance["id"], by=SYSTEM, reason="no longer needed")
        finally:
            gc.set_threshold(*threshold)
        assert WORKFLOWS.collections > before and full_collections
    finally:
        gc.callbacks.remove(count)
        engine.close()


def test_the_estimate_follows_the_data():
    assert estimate_bytes({"a": "x" * 1000}) > 1000
    assert estimate_bytes({"a": ["x" * 1000] * 10}) > 10_000
    assert estimate_bytes({}) < estimate_bytes({"a": 1}) < estimate_bytes({"a": 1, "b": [1, 2]})
