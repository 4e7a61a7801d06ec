"""Taking due jobs in batches: one statement takes many, and however workers interleave,
every due job is taken by exactly one of them, and only due ones."""

from __future__ import annotations

import threading

from flowdesk.engine.config import Settings
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.jobs.executor import JobExecutor
from flowdesk.engine.jobs.store import JobStore
from flowdesk.engine.jobs.worker import EmbeddedWorker
from flowdesk.engine.persistence.models import Job
from flowdesk.engine.status import JobStatus
from sqlalchemy import select

from tests.support.engines import make_engine
from tests.support.paths import BACKGROUND


def waiting_timers(engine, count: int) -> list[str]:
    """``count`` instances of wait.bpmn, each waiting at its ten-minute timer."""
    engine.repository.deploy([BACKGROUND / "wait.bpmn"], by=SYSTEM)
    return [engine.instances.start_instance("wait", {}, by=SYSTEM)["id"] for _ in range(count)]


def statuses(engine) -> dict[str, int]:
    with engine.transaction() as s:
        rows = s.execute(select(Job.status, Job.locked_by)).all()
    found: dict[str, int] = {}
    for status, owner in rows:
        key = f"{status}:{owner}" if owner else status
        found[key] = found.get(key, 0) + 1
    return found


def test_one_claim_takes_up_to_its_limit_of_due_jobs_and_no_job_twice(engine, clock):
    waiting_timers(engine, 5)
    store = JobStore()
    with engine.transaction() as s:
        assert store.claim_due(s, "one", clock.now(), 10) == []  # nothing is due yet
    clock.advance(minutes=11)
    with engine.transaction() as s:
        first = [job.id for job in store.claim_due(s, "one", clock.now(), 3)]
    with engine.transaction() as s:
        second = [job.id for job in store.claim_due(s, "two", clock.now(), 10)]
    with engine.transaction() as s:
        assert store.claim_due(s, "three", clock.now(), 10) == []
    assert len(first) == 3 and len(second) == 2 and not set(first) & set(second)
    assert statuses(engine) == {"running:one": 3, "running:two": 2}


def test_a_batch_is_run_to_the_end_and_counted_once(engine, clock):
    ids = waiting_timers(engine, 4)
    clock.advance(minutes=11)
    executor = JobExecutor(engine.context, worker_id="batch")
    assert executor.run_due(limit=3) == 3
    assert executor.run_due(limit=3) == 1
    assert executor.run_due(limit=3) == 0
    assert executor.jobs_done == 4
    assert {engine.instances.get_instance(i, by=SYSTEM)["status"] for i in ids} == {"completed"}
    with engine.transaction() as s:
        assert s.scalars(select(Job.attempts)).all() == [1, 1, 1, 1]


def test_competing_claims_on_postgres_split_the_due_jobs_between_them(postgres_url, clock):
    engine = make_engine(postgres_url, clock)
    try:
        waiting_timers(engine, 60)
        clock.advance(minutes=11)
        store, taken, sizes, start = JobStore(), {}, [], threading.Barrier(3)

        def claim(worker: str) -> None:
            start.wait()
            mine = []
            while True:
                with engine.transaction() as s:
                    batch = [job.id for job in store.claim_due(s, worker, clock.now(), 7)]
                if not batch:
                    break
                sizes.append(len(batch))
                mine.extend(batch)
            taken[worker] = mine

        threads = [threading.Thread(target=claim, args=(f"w{n}",)) for n in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        everything = [job_id for mine in taken.values() for job_id in mine]
        assert max(sizes) <= 7  # a claim takes at most its limit, whatever the others do
        assert len(everything) == 60 and len(set(everything)) == 60
        with engine.transaction() as s:
            owners = dict(s.execute(select(Job.id, Job.locked_by)).all())
        assert all(owners[job_id] == worker for worker, mine in taken.items() for job_id in mine)
    finally:
        engine.close()


def test_the_embedded_worker_runs_one_thread_on_sqlite_and_one_per_core_on_postgres(engine, monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)  # 4 cores to use
    assert EmbeddedWorker(JobExecutor(engine.context, worker_id="lite")).threads == 1
    assert Settings(database_url="postgresql+psycopg://db/flowdesk").embedded_worker_threads() == 4
    assert Settings(database_url="sqlite://", worker_threads=3).embedded_worker_threads() == 3
    assert Settings.from_env({"FLOWDESK_WORKER_THREADS": "2"}).worker_threads == 2


def test_embedded_worker_threads_fire_every_timer_once(postgres_url, clock):
    engine = make_engine(postgres_url, clock, worker_threads=2)
    try:
        ids = waiting_timers(engine, 30)
        clock.advance(minutes=11)
        worker = EmbeddedWorker(JobExecutor(engine.context, worker_id="pool"), poll_seconds=0.05)
        assert worker.threads == 2
        worker.start()
        try:
            deadline = threading.Event()
            for _ in range(600):
                if statuses(engine) == {JobStatus.DONE: 30}:
                    break
                deadline.wait(0.1)
        finally:
            worker.stop()
        assert statuses(engine) == {JobStatus.DONE: 30}
        fired = [e for i in ids for e in engine.history.instance_history(i, by=SYSTEM, limit=50).items
                 if e["type"] == "timer.fired"]
        assert len(fired) == 30
        assert {engine.instances.get_instance(i, by=SYSTEM)["status"] for i in ids} == {"completed"}
    finally:
        engine.close()


def test_a_celery_message_of_several_jobs_runs_those_due_and_free_once(engine, clock):
    ids = waiting_timers(engine, 3)
    with engine.transaction() as s:
        job_ids = list(s.scalars(select(Job.id).where(Job.instance_id.in_(ids)).order_by(Job.due_at)))
    executor = JobExecutor(engine.context, worker_id="celery-pool")
    assert executor.run_many(job_ids) == 0  # not due yet
    clock.advance(minutes=11)
    with engine.transaction() as s:
        assert len(JobStore().claim(s, job_ids[:1], "other", clock.now())) == 1  # someone else holds one
    assert executor.run_many(job_ids) == 2
    assert executor.run_many(job_ids) == 0  # a duplicate message finds nothing to do
    assert statuses(engine) == {JobStatus.DONE: 2, f"{JobStatus.RUNNING}:other": 1}


def test_the_dispatcher_groups_jobs_due_together_into_one_message():
    from datetime import UTC, datetime, timedelta

    from flowdesk.engine.jobs.celery_app import BATCH_SIZE, BATCH_WINDOW, batches

    start = datetime(2026, 1, 1, tzinfo=UTC)
    due = [(f"j{n}", start + timedelta(milliseconds=n)) for n in range(BATCH_SIZE + 2)]
    later = ("late", start + BATCH_WINDOW + timedelta(milliseconds=1))
    grouped = batches([*due, later])
    assert [[job_id for job_id, _ in group] for group in grouped] == [
        [f"j{n}" for n in range(BATCH_SIZE)], [f"j{BATCH_SIZE}", f"j{BATCH_SIZE + 1}", "late"]]
    assert batches([due[0], later]) == [[due[0]], [later]]
