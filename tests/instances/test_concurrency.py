"""Competing transactions: of many writers on one task, exactly one wins."""

from __future__ import annotations

import threading

import pytest
from flowdesk.engine.errors import Conflict
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.persistence.models import Event
from sqlalchemy import func, select

from tests.support.engines import make_engine
from tests.support.models import one_task_process

WRITERS = 8


def race(url, clock, action):
    """Run ``action(engine, actor, index)`` from WRITERS threads at once; return outcomes."""
    engine = make_engine(url, clock)
    engine.repository.deploy([one_task_process()], by=SYSTEM)
    for i in range(WRITERS):
        engine.identity.create_user(f"clerk{i}", "password1", ["clerks"], by=SYSTEM)
    instance = engine.instances.start_instance("one_task", {}, by=engine.identity.actor("system"))
    task_id = instance["open_tasks"][0]["id"]
    actors = [engine.identity.actor(f"clerk{i}") for i in range(WRITERS)]
    barrier = threading.Barrier(WRITERS)
    outcomes: list[object] = [None] * WRITERS

    def run(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = action(engine, task_id, actors[i])
        except Conflict as err:
            outcomes[i] = err
        except Exception as err:  # anything else is a bug the assertions will show
            outcomes[i] = err

    threads = [threading.Thread(target=run, args=(i,)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return engine, instance["id"], task_id, outcomes


def assert_exactly_one_completion(engine, instance_id, outcomes):
    winners = [o for o in outcomes if isinstance(o, dict)]
    losers = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(winners) == 1, outcomes
    assert len(losers) == WRITERS - 1, outcomes
    with engine.transaction() as s:
        completions = s.scalar(select(func.count()).select_from(Event).where(
            Event.instance_id == instance_id, Event.type == "task.completed"))
        finished = s.scalar(select(func.count()).select_from(Event).where(
            Event.instance_id == instance_id, Event.type == "instance.completed"))
    assert (completions, finished) == (1, 1)
    assert engine.instances.get_instance(instance_id, by=SYSTEM)["status"] == "completed"


def complete(engine, task_id, actor):
    return engine.tasks.complete_task(task_id, {}, by=actor)


def claim(engine, task_id, actor):
    return engine.tasks.claim_task(task_id, by=actor)


@pytest.mark.postgres
def test_many_threads_complete_one_task_on_postgres(postgres_url, clock):
    engine, instance_id, _, outcomes = race(postgres_url, clock, complete)
    try:
        assert_exactly_one_completion(engine, instance_id, outcomes)
    finally:
        engine.close()


def test_many_threads_complete_one_task_on_sqlite(sqlite_url, clock):
    engine, instance_id, _, outcomes = race(sqlite_url, clock, complete)
    try:
        assert_exactly_one_completion(engine, instance_id, outcomes)
    finally:
        engine.close()


@pytest.mark.postgres
def test_many_threads_claim_one_task_on_postgres(postgres_url, clock):
    engine, _, task_id, outcomes = race(postgres_url, clock, claim)
    try:
        winners = [o for o in outcomes if isinstance(o, dict)]
        assert len(winners) == 1, outcomes
        assert all(isinstance(o, Conflict) for o in outcomes if not isinstance(o, dict)), outcomes
        assert engine.tasks.get_task(task_id, by=SYSTEM)["assignee"] == winners[0]["assignee"]
    finally:
        engine.close()


def test_a_writer_holding_a_stale_instance_loses(engine):
    """Optimistic locking itself: two sessions load version N; the second write fails."""
    from flowdesk.engine.errors import ConcurrentModification
    from flowdesk.engine.persistence.models import Instance

    engine.repository.deploy([one_task_process()], by=SYSTEM)
    instance_id = engine.instances.start_instance("one_task", {}, by=engine.identity.actor("system"))["id"]
    with engine.transaction() as s:
        stale = s.get(Instance, instance_id)
    with engine.transaction() as s:
        s.get(Instance, instance_id).business_key = "first"
    with pytest.raises(ConcurrentModification), engine.transaction() as s:
        stale = s.merge(stale, load=False)
        stale.business_key = "second"
    assert engine.instances.get_instance(instance_id, by=SYSTEM)["business_key"] == "first"
