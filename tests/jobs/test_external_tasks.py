"""External tasks: outside workers fetch-and-lock, complete, fail or raise a BPMN error."""

from __future__ import annotations

import pytest
from flowdesk.engine.errors import Conflict
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.jobs.external import ExternalTaskService


@pytest.fixture
def external(engine, deploy) -> ExternalTaskService:
    deploy("credit.bpmn")
    return engine.external_tasks


def test_fetch_lock_and_complete_merges_the_variables(engine, external, executor):
    instance = engine.instances.start_instance("credit", {"customer": "ACME", "amount": 1200}, by=SYSTEM)
    assert executor.run_due() == 0  # Flowdesk's own workers leave external tasks alone
    (task,) = external.fetch_and_lock("erp-worker-1", ["credit_check"], lock_seconds=60, by=SYSTEM)
    assert task["topic"] == "credit_check" and task["attempt"] == 1
    assert external.fetch_and_lock("erp-worker-2", ["credit_check"], by=SYSTEM) == []  # locked
    external.complete(task["id"], "erp-worker-1", {"credit_ok": True, "limit": 5000}, by=SYSTEM)
    done = engine.instances.get_instance(instance["id"], by=SYSTEM)
    assert done["status"] == "completed" and done["data"]["limit"] == 5000
    with pytest.raises(Conflict):
        external.complete(task["id"], "erp-worker-1", {}, by=SYSTEM)


def test_an_expired_lock_passes_the_task_to_another_worker(engine, external, clock):
    engine.instances.start_instance("credit", {}, by=SYSTEM)
    (first,) = external.fetch_and_lock("slow", ["credit_check"], lock_seconds=30, by=SYSTEM)
    clock.advance(seconds=31)
    (second,) = external.fetch_and_lock("fast", ["credit_check"], by=SYSTEM)
    assert second["id"] == first["id"] and second["attempt"] == 2
    assert second["idempotency_key"] == first["idempotency_key"]
    with pytest.raises(Conflict):  # the slow worker's late report changes nothing
        external.complete(first["id"], "slow", {"credit_ok": True}, by=SYSTEM)
    external.complete(second["id"], "fast", {"credit_ok": False}, by=SYSTEM)


def test_failure_with_retries_then_incident(engine, external, clock):
    instance = engine.instances.start_instance("credit", {}, by=SYSTEM)
    (task,) = external.fetch_and_lock("w", ["credit_check"], by=SYSTEM)
    external.fail(task["id"], "w", "ERP timeout", retries=1, retry_seconds=10, by=SYSTEM)
    assert external.fetch_and_lock("w", ["credit_check"], by=SYSTEM) == []
    clock.advance(seconds=11)
    (again,) = external.fetch_and_lock("w", ["credit_check"], by=SYSTEM)
    external.fail(again["id"], "w", "ERP still down", retries=0, by=SYSTEM)
    assert engine.instances.get_instance(instance["id"], by=SYSTEM)["status"] == "failed"


def test_bpmn_error_takes_the_error_boundary_event(engine, external):
    instance = engine.instances.start_instance("credit", {}, by=SYSTEM)
    (task,) = external.fetch_and_lock("w", ["credit_check"], by=SYSTEM)
    external.bpmn_error(task["id"], "w", "credit_refused", "over the limit", by=SYSTEM)
    done = engine.instances.get_instance(instance["id"], by=SYSTEM)
    assert done["status"] == "completed" and done["data"]["credit_status"] == "blocked"
