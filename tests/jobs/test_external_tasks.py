"""External tasks: outside workers fetch-and-lock, complete, fail or raise a BPMN error."""

from __future__ import annotations

import pytest
from flowdesk.engine.errors import Conflict
from flowdesk.engine.identity.users import SYSTEM
from flowdesk.engine.jobs.external import ExternalTaskService


@pytest.fixture
def external(engine, deploy) -> ExternalTaskService:
    deploy("credit.bpmn")
    return ExternalTaskService(engine)


def test_fetch_lock_and_complete_merges_the_variables(engine, external, executor):
    instance = engine.start_instance("credit", {"customer": "ACME", "amount": 1200}, SYSTEM)
    assert executor.run_due() == 0  # Flowdesk's own workers leave external tasks alone
    (task,) = external.fetch_and_lock("erp-worker-1", ["credit_check"], lock_seconds=60)
    assert task["topic"] == "credit_check" and task["attempt"] == 1
    assert external.fetch_and_lock("erp-worker-2", ["credit_check"]) == []  # locked
    external.complete(task["id"], "erp-worker-1", {"credit_ok": True, "limit": 5000})
    done = engine.get_instance(instance["id"])
    assert done["status"] == "completed" and done["data"]["limit"] == 5000
    with pytest.raises(Conflict):
        external.complete(task["id"], "erp-worker-1", {})


def test_an_expired_lock_passes_the_task_to_another_worker(engine, external, clock):
    engine.start_instance("credit", {}, SYSTEM)
    (first,) = external.fetch_and_lock("slow", ["credit_check"], lock_seconds=30)
    clock.advance(seconds=31)
    (second,) = external.fetch_and_lock("fast", ["credit_check"])
    assert second["id"] == first["id"] and second["attempt"] == 2
    assert second["idempotency_key"] == first["idempotency_key"]
    with pytest.raises(Conflict):  # the slow worker's late report changes nothing
        external.complete(first["id"], "slow", {"credit_ok": True})
    external.complete(second["id"], "fast", {"credit_ok": False})


def test_failure_with_retries_then_incident(engine, external, clock):
    instance = engine.start_instance("credit", {}, SYSTEM)
    (task,) = external.fetch_and_lock("w", ["credit_check"])
    external.failure(task["id"], "w", "ERP timeout", retries=1, retry_seconds=10)
    assert external.fetch_and_lock("w", ["credit_check"]) == []
    clock.advance(seconds=11)
    (again,) = external.fetch_and_lock("w", ["credit_check"])
    external.failure(again["id"], "w", "ERP still down", retries=0)
    assert engine.get_instance(instance["id"])["status"] == "failed"


def test_bpmn_error_takes_the_error_boundary_event(engine, external):
    instance = engine.start_instance("credit", {}, SYSTEM)
    (task,) = external.fetch_and_lock("w", ["credit_check"])
    external.bpmn_error(task["id"], "w", "credit_refused", "over the limit")
    done = engine.get_instance(instance["id"])
    assert done["status"] == "completed" and done["data"]["credit_status"] == "blocked"
