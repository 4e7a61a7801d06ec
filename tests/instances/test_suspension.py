"""Suspending instances and definitions: nothing moves a suspended instance until it is
resumed, and every suspension is audited with its reason."""

from __future__ import annotations

import pytest
from flowdesk.engine.errors import Conflict, Forbidden, InvalidData
from flowdesk.engine.identity import SYSTEM

from tests.instances.operations_support import deploy_review, event_types, events_of, jobs_of
from tests.support.paths import BACKGROUND


@pytest.fixture
def admin(engine):
    engine.identity.create_user("ada", "password1", ["admin"], by=SYSTEM)
    return engine.identity.actor("ada")


@pytest.fixture
def designer(engine):
    engine.identity.create_user("dan", "password1", ["designer"], by=SYSTEM)
    return engine.identity.actor("dan")


def test_a_suspended_instance_refuses_claim_and_completion_until_resumed(engine, clerk, admin):
    deploy_review(engine)
    instance = engine.instances.start_instance("review", {}, by=clerk)
    task = instance["open_tasks"][0]

    suspended = engine.operations.suspend_instance(instance["id"], by=admin, reason="supplier dispute")
    assert suspended["status"] == "suspended"
    assert [t["id"] for t in engine.tasks.inbox(by=clerk).items] == [task["id"]]  # still in the inbox
    with pytest.raises(Conflict):
        engine.tasks.claim_task(task["id"], by=clerk)
    with pytest.raises(Conflict):
        engine.tasks.complete_task(task["id"], {}, by=clerk)
    assert engine.tasks.get_task(task["id"], by=clerk)["status"] == "open"

    resumed = engine.operations.resume_instance(instance["id"], by=admin, reason="dispute settled")
    assert resumed["status"] == "running"
    engine.tasks.complete_task(task["id"], {}, by=clerk)
    suspension, resumption = (events_of(engine, instance["id"], t)[0]
                              for t in ("instance.suspended", "instance.resumed"))
    assert (suspension["actor"], suspension["data"]["reason"]) == ("ada", "supplier dispute")
    assert (resumption["actor"], resumption["data"]["reason"]) == ("ada", "dispute settled")


def test_a_timer_that_falls_due_while_suspended_fires_only_after_resume(engine, clerk, admin, executor, clock):
    deploy_review(engine)
    instance = engine.instances.start_instance("review", {}, by=clerk)
    engine.tasks.complete_task(instance["open_tasks"][0]["id"], {}, by=clerk)  # now waits ten minutes
    engine.operations.suspend_instance(instance["id"], by=admin, reason="audit")

    clock.advance(minutes=30)
    executor.run_due()
    after = engine.instances.get_instance(instance["id"], by=SYSTEM)
    assert after["status"] == "suspended" and after["open_tasks"] == []
    assert "timer.fired" not in event_types(engine, instance["id"])

    engine.operations.resume_instance(instance["id"], by=admin, reason="done")
    assert executor.run_due() == 1
    after = engine.instances.get_instance(instance["id"], by=SYSTEM)
    assert [t["element_id"] for t in after["open_tasks"]] == ["approve"]
    assert [j.status for j in jobs_of(engine, instance["id"])] == ["done"]


def test_a_message_for_a_suspended_instance_waits_for_it(engine, executor, admin):
    engine.repository.deploy([BACKGROUND / "orders.bpmn"], by=SYSTEM)
    order = engine.instances.start_instance("order", {"order_id": "SO-1", "item": "bolt"}, by=SYSTEM)
    engine.operations.suspend_instance(order["id"], by=admin, reason="customer on hold")

    sent = engine.instances.send_message("order_shipped", {"order_id": "SO-1"}, {"order_id": "SO-1", "carrier": "DHL"},
                                      by=admin)
    assert sent["correlated_instances"] == [order["id"]]
    executor.run_due()
    assert engine.instances.get_instance(order["id"], by=SYSTEM)["active_elements"] == ["shipped"]
    assert "message.correlated" not in event_types(engine, order["id"])

    engine.operations.resume_instance(order["id"], by=admin, reason="released")
    executor.run_due()
    done = engine.instances.get_instance(order["id"], by=SYSTEM)
    assert done["status"] == "completed" and done["data"]["shipment"]["carrier"] == "DHL"


def test_a_suspended_definition_starts_nothing_and_can_take_its_instances_along(engine, clerk, admin, designer):
    deploy_review(engine)
    running = engine.instances.start_instance("review", {}, by=clerk)

    engine.operations.suspend_definition("review", by=designer, reason="new rules coming")
    with pytest.raises(Conflict):
        engine.instances.start_instance("review", {}, by=clerk)
    assert engine.instances.get_instance(running["id"], by=SYSTEM)["status"] == "running"
    engine.operations.resume_definition("review", by=designer, reason="rules in place")
    engine.instances.start_instance("review", {}, by=clerk)

    with pytest.raises(Forbidden):  # suspending the instances too is for admins
        engine.operations.suspend_definition("review", by=designer, reason="again", instances=True)
    own = engine.instances.start_instance("review", {}, by=clerk)
    engine.operations.suspend_instance(own["id"], by=admin, reason="on its own")
    answer = engine.operations.suspend_definition("review", by=admin, reason="freeze", instances=True)
    assert running["id"] in answer["suspended_instances"] and own["id"] not in answer["suspended_instances"]
    assert engine.instances.get_instance(running["id"], by=SYSTEM)["status"] == "suspended"

    engine.operations.resume_definition("review", by=admin, reason="thaw")
    assert engine.instances.get_instance(running["id"], by=SYSTEM)["status"] == "running"
    assert engine.instances.get_instance(own["id"], by=SYSTEM)["status"] == "suspended"  # suspended on its own


def test_suspension_is_for_admins_needs_a_reason_and_a_live_instance(engine, clerk, admin):
    deploy_review(engine)
    instance = engine.instances.start_instance("review", {}, by=clerk)
    with pytest.raises(Forbidden):
        engine.operations.suspend_instance(instance["id"], by=clerk, reason="mine")
    with pytest.raises(InvalidData):
        engine.operations.suspend_instance(instance["id"], by=admin, reason="  ")
    with pytest.raises(Conflict):
        engine.operations.resume_instance(instance["id"], by=admin, reason="not suspended")
    engine.instances.cancel_instance(instance["id"], by=admin, reason="duplicate")
    with pytest.raises(Conflict):
        engine.operations.suspend_instance(instance["id"], by=admin, reason="too late")
    assert "instance.suspended" not in event_types(engine, instance["id"])


def test_outside_workers_get_no_external_task_of_a_suspended_instance(engine, admin):
    engine.repository.deploy([BACKGROUND / "credit.bpmn"], by=SYSTEM)
    instance = engine.instances.start_instance("credit", {"customer": "ACME", "amount": 10}, by=SYSTEM)
    engine.operations.suspend_instance(instance["id"], by=admin, reason="credit line under review")
    assert engine.external_tasks.fetch_and_lock("erp", ["credit_check"], by=SYSTEM) == []
    engine.operations.resume_instance(instance["id"], by=admin, reason="reviewed")
    (task,) = engine.external_tasks.fetch_and_lock("erp", ["credit_check"], by=SYSTEM)
    engine.external_tasks.complete(task["id"], "erp", {"credit_ok": True}, by=SYSTEM)
    assert engine.instances.get_instance(instance["id"], by=SYSTEM)["status"] == "completed"


def test_a_suspended_instance_is_resumed_before_its_incident_is_retried_and_may_be_cancelled(engine, admin):
    from tests.support.models import script_process

    engine.repository.deploy([script_process("broken", "x = 1 / 0")], by=SYSTEM)
    failed = engine.instances.start_instance("broken", {}, by=SYSTEM)
    assert failed["status"] == "failed"
    engine.operations.suspend_instance(failed["id"], by=admin, reason="look at it later")
    (incident,) = engine.management.list_incidents(by=admin, instance_id=failed["id"]).items
    with pytest.raises(Conflict):
        engine.management.retry_incident(incident["id"], by=admin)
    assert engine.operations.resume_instance(failed["id"], by=admin, reason="now")["status"] == "failed"

    engine.operations.suspend_instance(failed["id"], by=admin, reason="again")
    assert engine.instances.cancel_instance(failed["id"], by=admin, reason="obsolete")["status"] == "cancelled"
    assert engine.operations.instance_suspension(failed["id"], by=admin) is None
