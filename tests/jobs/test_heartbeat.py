"""A worker that stops beating loses its jobs within seconds: another worker (or the
dispatcher) takes them as soon as the heartbeat is older than
``FLOWDESK_WORKER_STALE_SECONDS``, long before the lock itself runs out. A worker that
still beats keeps its job however long the job takes."""

from __future__ import annotations

from flowdesk.engine.connectors import ConnectorRegistry
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.jobs.celery_app import Dispatcher
from flowdesk.engine.jobs.executor import JobExecutor
from flowdesk.engine.persistence.models import Job
from flowdesk.engine.status import JobStatus

ORDER = {"item": "WIDGET-1", "quantity": 4}


def held_job(engine, deploy, stock):
    """A service job taken by worker "one", which wrote one heartbeat and then went silent."""
    deploy("stock.bpmn")
    instance = engine.instances.start_instance("stock", ORDER, by=SYSTEM)
    one = JobExecutor(engine.context, ConnectorRegistry([stock]), worker_id="one")
    one.heartbeat.beat()
    with engine.transaction() as s:
        job_id = s.query(Job.id).filter(Job.instance_id == instance["id"]).scalar()
        assert one.store.acquire(s, job_id, "one", engine.clock.now()) is not None
    return instance, job_id, one


def test_a_silent_workers_job_is_taken_by_another_within_the_stale_time(engine, deploy, stock, clock):
    instance, job_id, _ = held_job(engine, deploy, stock)
    two = JobExecutor(engine.context, ConnectorRegistry([stock]), worker_id="two")
    assert two.run(job_id) is False  # "one" beat a moment ago
    stale = engine.settings.worker_stale_seconds
    assert stale < engine.settings.job_lock_seconds / 10
    clock.advance(seconds=stale + 1)  # no beat since: "one" is gone
    assert two.run(job_id) is True
    assert len(stock.calls) == 1
    with engine.transaction() as s:
        assert s.get(Job, job_id).status == JobStatus.DONE
    assert engine.instances.get_instance(instance["id"], by=SYSTEM)["status"] == "completed"


def test_a_worker_that_keeps_beating_keeps_its_job(engine, deploy, stock, clock):
    _, job_id, one = held_job(engine, deploy, stock)
    two = JobExecutor(engine.context, ConnectorRegistry([stock]), worker_id="two")
    for _ in range(5):
        clock.advance(seconds=engine.settings.worker_stale_seconds - 1)
        one.heartbeat.beat()
        assert two.run(job_id) is False
    assert stock.calls == []


def test_the_dispatcher_sends_a_silent_workers_job_again(engine, deploy, stock, clock):
    _, job_id, _ = held_job(engine, deploy, stock)
    sent: list[str] = []

    class Broker:
        conf = type("Conf", (), {"task_default_queue": "flowdesk"})()

        def send_task(self, name, args, eta, queue):
            sent.extend(args[0])

    dispatcher = Dispatcher(JobExecutor(engine.context, ConnectorRegistry([stock]), worker_id="d"), Broker())
    assert dispatcher.dispatch_due() == 0
    clock.advance(seconds=engine.settings.worker_stale_seconds + 1)
    assert dispatcher.dispatch_due() == 1 and sent == [job_id]
