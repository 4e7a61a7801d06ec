"""Service tasks call connectors from jobs: at least once, retried with backoff, with a
stable idempotency key, ending in an incident when attempts run out."""

from __future__ import annotations

import pytest
from flowdesk.engine.connectors import BpmnError, ConnectorError
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.persistence.models import Incident, Job
from sqlalchemy import select

ORDER = {"item": "WIDGET-1", "quantity": 4}


def service_job(engine, instance_id) -> Job:
    with engine.transaction() as s:
        return s.scalars(select(Job).where(Job.instance_id == instance_id, Job.kind == "service")).one()


def test_service_task_waits_for_a_worker_then_completes(engine, executor, deploy, stock):
    deploy("stock.bpmn")
    instance = engine.instances.start_instance("stock", ORDER, by=SYSTEM)
    assert instance["status"] == "running" and "reserve" in instance["active_elements"]
    assert stock.calls == []  # nothing is called inside the starting transaction

    assert executor.run_due() == 1
    done = engine.instances.get_instance(instance["id"], by=SYSTEM)
    assert done["status"] == "completed"
    assert done["data"]["reservation"] == {"reserved": 4} and done["data"]["status"] == "reserved"
    ((params, key, attempt),) = stock.calls
    assert params == ORDER and attempt == 1
    assert key == f"{instance['id']}:{service_job(engine, instance['id']).task_id}"


def test_fails_twice_then_succeeds_with_three_attempts_audited(engine, executor, deploy, stock, clock):
    deploy("stock.bpmn")
    stock.outcomes = [ConnectorError("timeout"), ConnectorError("503 from stock service"), {"reserved": 4}]
    instance = engine.instances.start_instance("stock", ORDER, by=SYSTEM)

    assert executor.run_due() == 1
    job = service_job(engine, instance["id"])
    assert (job.status, job.attempts, job.last_error) == ("waiting", 1, "timeout")
    assert (job.due_at - clock.now()).total_seconds() == 2  # backoff base 2 s, doubling
    assert executor.run_due() == 0  # backing off
    clock.advance(seconds=2)
    assert executor.run_due() == 1
    clock.advance(seconds=4)
    assert executor.run_due() == 1

    assert engine.instances.get_instance(instance["id"], by=SYSTEM)["status"] == "completed"
    keys = {key for _, key, _ in stock.calls}
    assert [attempt for _, _, attempt in stock.calls] == [1, 2, 3] and len(keys) == 1
    history = engine.history.instance_history(instance["id"], by=SYSTEM, limit=500).items
    attempts = [(e["type"], e["data"]["attempt"]) for e in history if e["type"].startswith("service.")]
    assert attempts == [("service.failed", 1), ("service.failed", 2), ("service.completed", 3)]


def test_exhausted_attempts_open_an_incident_that_a_retry_resolves(engine, executor, deploy, stock, clock):
    deploy("stock.bpmn")
    stock.outcomes = [ConnectorError("down")] * 3
    instance = engine.instances.start_instance("stock", ORDER, by=SYSTEM)
    for _ in range(3):
        executor.run_due()
        clock.advance(seconds=60)
    failed = engine.instances.get_instance(instance["id"], by=SYSTEM)
    assert failed["status"] == "failed"
    with engine.transaction() as s:
        (incident,) = s.scalars(select(Incident).where(Incident.instance_id == instance["id"])).all()
        incident_id = incident.id
    assert incident.kind == "ServiceFailed" and "after 3 attempt(s): down" in incident.message

    engine.management.retry_incident(incident_id, by=SYSTEM)
    assert engine.instances.get_instance(instance["id"], by=SYSTEM)["status"] == "running"
    assert executor.run_due() == 1
    assert engine.instances.get_instance(instance["id"], by=SYSTEM)["status"] == "completed"
    types = [e["type"] for e in engine.history.instance_history(instance["id"], by=SYSTEM, limit=500).items]
    assert types.count("incident.opened") == 1 and types.count("incident.resolved") == 1


def test_bpmn_error_follows_the_error_boundary_event(engine, executor, deploy, stock):
    deploy("stock.bpmn")
    stock.outcomes = [BpmnError("out_of_stock", "no widgets left")]
    instance = engine.instances.start_instance("stock", ORDER, by=SYSTEM)
    executor.run_due()
    done = engine.instances.get_instance(instance["id"], by=SYSTEM)
    assert done["status"] == "completed" and done["data"]["status"] == "backordered"
    assert service_job(engine, instance["id"]).status == "done"


def test_uncaught_bpmn_error_opens_an_incident(engine, executor, deploy, stock):
    deploy("stock.bpmn")
    stock.outcomes = [BpmnError("credit_refused")]
    instance = engine.instances.start_instance("stock", ORDER, by=SYSTEM)
    executor.run_due()
    assert engine.instances.get_instance(instance["id"], by=SYSTEM)["status"] == "failed"


def test_unknown_connector_is_an_incident_not_a_crash(engine, deploy):
    from flowdesk.engine.connectors import ConnectorRegistry
    from flowdesk.engine.jobs.executor import JobExecutor

    deploy("stock.bpmn")
    instance = engine.instances.start_instance("stock", ORDER, by=SYSTEM)
    JobExecutor(engine.context, ConnectorRegistry([]), worker_id="bare").run_due()
    assert engine.instances.get_instance(instance["id"], by=SYSTEM)["status"] == "failed"


def test_two_workers_racing_never_run_one_job_twice(engine, deploy, stock):
    from flowdesk.engine.connectors import ConnectorRegistry
    from flowdesk.engine.jobs.executor import JobExecutor

    deploy("stock.bpmn")
    instance = engine.instances.start_instance("stock", ORDER, by=SYSTEM)
    job_id = service_job(engine, instance["id"]).id
    first = JobExecutor(engine.context, ConnectorRegistry([stock]), worker_id="one")
    second = JobExecutor(engine.context, ConnectorRegistry([stock]), worker_id="two")
    with engine.transaction() as s:
        assert first.store.acquire(s, job_id, "one", engine.clock.now()) is not None
    assert second.run(job_id) is False  # held by "one", lock not expired
    assert stock.calls == []


def test_deploy_checks_service_tasks_against_installed_connectors(engine):
    from flowdesk.engine.definitions.sources import SourceFile
    from flowdesk.engine.errors import DefinitionInvalid

    from tests.support.paths import BACKGROUND

    text = (BACKGROUND / "stock.bpmn").read_text()
    unknown = text.replace('id="test_stock"', 'id="warehouse_api"')
    with pytest.raises(DefinitionInvalid) as err:
        engine.repository.deploy([SourceFile("stock.bpmn", unknown.encode())], by=SYSTEM)
    (problem,) = err.value.problems
    assert "connector 'warehouse_api', which is not installed" in problem.message and problem.line

    http = text.replace('id="test_stock"', 'id="http"').replace(
        '<spiffworkflow:parameter id="item" type="str" value="item"/>',
        '<spiffworkflow:parameter id="method" type="str" value="\'FETCH\'"/>')
    with pytest.raises(DefinitionInvalid) as err:
        engine.repository.deploy([SourceFile("stock.bpmn", http.encode())], by=SYSTEM)
    messages = sorted(p.message for p in err.value.problems)
    assert any("needs parameter 'url'" in m for m in messages)
    assert any("parameter 'method'" in m and "FETCH" in m for m in messages)
    assert any("has no parameter 'quantity'" in m for m in messages)
