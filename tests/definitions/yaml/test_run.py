"""YAML processes run on the engine exactly like drawn ones: people, gateways, decisions,
parallel and inclusive paths, multi-instance steps, called processes and their errors,
timers, connectors and messages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flowdesk.engine.connectors import BpmnError
from flowdesk.engine.errors import SeparationOfDutiesViolation
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.persistence.models import Instance
from sqlalchemy import select

from tests.support.definitions import EXAMPLE, fixture, source

CLAIM = {"amount": 640, "category": "equipment", "description": "Standing desk"}


@pytest.fixture
def people(engine):
    engine.repository.deploy([EXAMPLE], by=SYSTEM)
    for name, groups in {"ann": ["employees"], "max": ["employees", "department_managers"],
                         "fin": ["finance"], "fay": ["finance"]}.items():
        engine.identity.create_user(name, "password1", groups, by=SYSTEM)
    return {name: engine.identity.actor(name) for name in ("ann", "max", "fin", "fay")}


def open_tasks(engine, instance_id):
    return {t["element_id"]: t for t in engine.instances.get_instance(instance_id, by=SYSTEM)["open_tasks"]}


def test_the_documented_example_runs_from_claim_to_payment(engine, people):
    instance = engine.instances.start_instance("expense_claim", CLAIM, by=people["ann"])
    (approve,) = instance["open_tasks"]
    assert approve["element_id"] == "approve" and approve["candidate_groups"] == ["department_managers"]
    assert approve["due_at"] is not None
    assert instance["data"]["level"] == "manager"  # from the YAML decision table

    result = engine.tasks.complete_task(approve["id"], {"decision": "approve"}, by=people["max"])
    (pay,) = result["instance"]["open_tasks"]
    assert pay["element_id"] == "pay" and pay["candidate_groups"] == ["finance"]
    done = engine.tasks.complete_task(pay["id"], {"payment_reference": "EXP-0042"}, by=people["fin"])
    assert done["instance"]["status"] == "completed"
    decision = next(e for e in engine.history.instance_history(instance["id"], by=SYSTEM, limit=500).items if e["type"] == "decision.evaluated")
    assert decision["data"]["table_version"]["file"] == "approval_level.dmn"


def test_the_decision_table_sends_small_travel_claims_straight_to_finance(engine, people):
    instance = engine.instances.start_instance("expense_claim", {**CLAIM, "amount": 450, "category": "travel"}, by=people["ann"])
    assert [t["element_id"] for t in instance["open_tasks"]] == ["pay"]


def test_the_claimant_may_neither_approve_nor_pay_their_own_claim(engine, people):
    instance = engine.instances.start_instance("expense_claim", CLAIM, by=people["max"])
    with pytest.raises(SeparationOfDutiesViolation):
        engine.tasks.complete_task(instance["open_tasks"][0]["id"], {"decision": "approve"}, by=people["max"])


def test_a_rejected_claim_ends_without_payment(engine, people):
    instance = engine.instances.start_instance("expense_claim", CLAIM, by=people["ann"])
    done = engine.tasks.complete_task(instance["open_tasks"][0]["id"], {"decision": "reject", "comment": "Not in budget"}, by=people["max"])
    assert done["instance"]["status"] == "completed" and done["instance"]["data"]["status"] == "rejected"


def test_after_two_days_finance_chases_the_approval_which_stays_open(engine, people, executor, clock):
    instance = engine.instances.start_instance("expense_claim", CLAIM, by=people["ann"])
    clock.advance(days=1)
    assert executor.run_due() == 0
    clock.advance(days=1, seconds=1)
    assert executor.run_due() == 1
    tasks = open_tasks(engine, instance["id"])
    assert set(tasks) == {"approve", "chase_approval"}
    assert tasks["chase_approval"]["candidate_groups"] == ["finance"]
    engine.tasks.complete_task(tasks["chase_approval"]["id"], {}, by=people["fay"])
    result = engine.tasks.complete_task(tasks["approve"]["id"], {"decision": "approve"}, by=people["max"])
    assert [t["element_id"] for t in result["instance"]["open_tasks"]] == ["pay"]


def test_parallel_multi_instance_and_inclusive_paths_run(engine):
    engine.repository.deploy(fixture("review.yaml"), by=SYSTEM)
    engine.identity.create_user("cleo", "password1", ["clerks"], by=SYSTEM)
    engine.identity.create_user("mona", "password1", ["managers"], by=SYSTEM)
    instance = engine.instances.start_instance("review", {"lines": ["desk", "chair"], "gift": True, "express": False,
                                                "amount": 5000}, by=SYSTEM)
    tasks = instance["open_tasks"]
    assert sorted(t["element_id"] for t in tasks) == ["boss_look", "check_each", "check_each"]
    for task, verdict in zip([t for t in tasks if t["element_id"] == "check_each"], ["ok", "damaged"], strict=True):
        engine.tasks.complete_task(task["id"], {"verdict": verdict}, by=engine.identity.actor("cleo"))
    boss = next(t for t in tasks if t["element_id"] == "boss_look")
    done = engine.tasks.complete_task(boss["id"], {}, by=engine.identity.actor("mona"))["instance"]
    assert done["status"] == "completed"
    assert done["data"]["verdicts"] == ["ok", "damaged"]
    assert done["data"]["wrapped"] is True and "label" not in done["data"]  # inclusive: gift only
    assert done["data"]["size"] == "big"  # both conditions hold; the first listed wins


def test_an_error_ending_a_called_process_is_caught_on_the_call(engine):
    engine.repository.deploy(fixture("payment.yaml", "charge.yaml"), by=SYSTEM)
    paid = engine.instances.start_instance("payment", {"amount": 40, "limit": 100}, by=SYSTEM)
    declined = engine.instances.start_instance("payment", {"amount": 400, "limit": 100}, by=SYSTEM)
    assert (paid["status"], paid["data"]["outcome"], paid["data"]["charged"]) == ("completed", "paid", 40)
    assert (declined["status"], declined["data"]["outcome"]) == ("completed", "declined")


def test_messages_start_and_reach_the_right_instances_and_connectors_run(engine, executor, stock):
    engine.repository.deploy(fixture("shop_order.yaml", "shop_warehouse.yaml"), by=SYSTEM)
    engine.identity.create_user("wes", "password1", ["warehouse"], by=SYSTEM)
    first = engine.instances.start_instance("shop_order", {"order_id": "SO-1", "item": "desk"}, by=SYSTEM)
    second = engine.instances.start_instance("shop_order", {"order_id": "SO-2", "item": "chair"}, by=SYSTEM)
    assert executor.run_due() == 2  # each order_placed starts a warehouse instance
    assert executor.run_due() == 2  # each reserves stock through the connector
    assert sorted(c["item"] for c in stock.calls) == ["chair", "desk"]
    picks = engine.tasks.inbox(by=engine.identity.actor("wes")).items
    second_pick = next(t for t in picks if engine.instances.get_instance(t["instance_id"], by=SYSTEM)["data"]["order"]["order_id"] == "SO-2")
    engine.tasks.complete_task(second_pick["id"], {"tracking": "TRK-2"}, by=engine.identity.actor("wes"))
    assert executor.run_due() == 1  # order_shipped, correlated on order_id

    assert engine.instances.get_instance(second["id"], by=SYSTEM)["data"]["shipment"] == {"order_id": "SO-2", "tracking": "TRK-2"}
    assert engine.instances.get_instance(second["id"], by=SYSTEM)["status"] == "completed"
    assert engine.instances.get_instance(first["id"], by=SYSTEM)["status"] == "running"


def test_a_connector_error_is_caught_by_the_error_boundary_event(engine, executor, stock):
    engine.repository.deploy(fixture("shop_order.yaml", "shop_warehouse.yaml"), by=SYSTEM)
    stock.outcomes = [BpmnError("out_of_stock")]
    engine.instances.start_instance("shop_order", {"order_id": "SO-3", "item": "lamp"}, by=SYSTEM)
    assert executor.run_due() == 1  # order_placed starts the warehouse
    assert executor.run_due() == 1  # the connector answers out_of_stock
    with engine.transaction() as s:
        (row,) = s.scalars(select(Instance).where(Instance.definition_key == "shop_warehouse")).all()
        assert row.status == "completed" and row.data["status"] == "backordered"


def test_an_intermediate_timer_waits_for_its_duration(engine, executor, clock):
    engine.repository.deploy([source("""
        process: cooling_off
        steps:
          - wait: two_hours
            timer: PT2H
          - script: later
            code: waited = True
    """, "cooling_off.yaml")], by=SYSTEM)
    instance = engine.instances.start_instance("cooling_off", {}, by=SYSTEM)
    clock.advance(hours=1, minutes=59)
    assert executor.run_due() == 0
    clock.advance(minutes=1, seconds=1)
    assert executor.run_due() == 1
    assert engine.instances.get_instance(instance["id"], by=SYSTEM)["data"]["waited"] is True


def test_decision_cells_mean_what_the_format_says(engine):
    engine.repository.deploy([source("""
        decision: cells
        hit_policy: collect
        inputs: [kind, size, flag]
        outputs: [hit]
        rules:
          - {when: {kind: sick}, then: {hit: text}}
          - {when: {size: 5}, then: {hit: number}}
          - {when: {flag: true}, then: {hit: boolean}}
          - {when: {kind: [a, b, sick]}, then: {hit: one_of}}
          - {when: {size: "<= 5"}, then: {hit: comparison}}
          - {when: {size: "= ? % 2 == 1"}, then: {hit: expression}}
          - {when: {kind: "-"}, then: {hit: "= 'any ' + kind"}}
          - {when: {size: "> 5"}, then: {hit: never}}
    """, "cells.yaml"), source("""
        process: use_cells
        start: {data: [kind, size, flag]}
        steps:
          - decide: evaluate
            table: cells
    """, "use_cells.yaml")], by=SYSTEM)
    instance = engine.instances.start_instance("use_cells", {"kind": "sick", "size": 5, "flag": True}, by=SYSTEM)
    assert instance["data"]["hit"] == ["text", "number", "boolean", "one_of", "comparison", "expression",
                                       "any sick"]


def test_an_interrupting_timer_cancels_the_step_and_a_date_timer_waits_for_its_date(engine, executor, clock):
    engine.identity.create_user("sam", "password1", ["agents"], by=SYSTEM)
    engine.repository.deploy([source("""
        process: respond
        lanes: {agent: agents}
        steps:
          - user: answer
            boundary:
              - {timer: P3D, to: give_up}
          - end: answered
          - script: give_up
            code: outcome = "closed without answer"
          - wait: new_year
            timer: 2027-01-01T00:00:00Z
    """, "respond.yaml")], by=SYSTEM)
    instance = engine.instances.start_instance("respond", {}, by=SYSTEM)
    clock.advance(days=3, seconds=1)
    assert executor.run_due() == 1
    waiting = engine.instances.get_instance(instance["id"], by=SYSTEM)
    assert waiting["open_tasks"] == []  # the answer task was cancelled
    assert waiting["status"] == "running" and "new_year" in waiting["active_elements"]
    clock.advance(seconds=(datetime(2027, 1, 1, tzinfo=UTC) - clock.now()).total_seconds() - 1)
    assert executor.run_due() == 0
    clock.advance(seconds=2)
    assert executor.run_due() == 1
    done = engine.instances.get_instance(instance["id"], by=SYSTEM)
    assert done["status"] == "completed" and done["data"]["outcome"] == "closed without answer"
