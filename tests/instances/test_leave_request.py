"""The shipped leave request: lanes, a start form, a decision table, gateways and
separation of duties, worked through by several users."""

from __future__ import annotations

import pytest
from flowdesk.engine.errors import Forbidden, InvalidData, SeparationOfDutiesViolation
from flowdesk.engine.identity import SYSTEM

from tests.support.paths import LEAVE


@pytest.fixture
def people(engine, leave_files):
    engine.repository.deploy(leave_files, by=SYSTEM)
    engine.identity.create_user("alice", "password1", ["employees"], by=SYSTEM)
    engine.identity.create_user("bob", "password1", ["employees", "department_managers"], by=SYSTEM)
    engine.identity.create_user("carol", "password1", ["employees", "hr"], by=SYSTEM)
    engine.identity.create_user("dan", "password1", ["department_managers", "hr"], by=SYSTEM)
    return {name: engine.identity.actor(name) for name in ("alice", "bob", "carol", "dan")}


def history_types(engine, instance_id):
    return [e["type"] for e in engine.history.instance_history(instance_id, by=SYSTEM, limit=500).items]


def test_start_form_is_validated_and_nothing_is_saved_when_invalid(engine, people):
    with pytest.raises(InvalidData) as err:
        engine.instances.start_instance("leave_request", {**LEAVE, "days": 0, "start_date": "2026-02-30"}, by=people["alice"])
    assert {e.path for e in err.value.errors} == {"/days", "/start_date"}
    with engine.transaction() as s:
        from flowdesk.engine.persistence.models import Instance
        from sqlalchemy import func, select

        assert s.scalar(select(func.count()).select_from(Instance)) == 0


def test_only_the_start_lane_may_start(engine, people):
    engine.identity.create_user("outsider", "password1", ["hr"], by=SYSTEM)
    with pytest.raises(Forbidden):
        engine.instances.start_instance("leave_request", LEAVE, by=engine.identity.actor("outsider"))


def test_decision_table_routes_short_leave_straight_to_hr(engine, people):
    instance = engine.instances.start_instance("leave_request", {**LEAVE, "days": 2}, by=people["alice"])
    assert [t["element_id"] for t in instance["open_tasks"]] == ["hr_record"]
    decision = next(e for e in engine.history.instance_history(instance["id"], by=SYSTEM, limit=500).items if e["type"] == "decision.evaluated")
    assert decision["data"]["inputs"] == {"Leave type": "vacation", "Days": 2}
    assert decision["data"]["outputs"] == {"approval_level": "auto"}
    assert decision["data"]["table_version"]["definition_version"] == 1
    assert decision["data"]["table_version"]["file"] == "leave_approval.dmn"


def test_manager_approval_then_hr_completes_with_audit_trail(engine, people):
    instance = engine.instances.start_instance("leave_request", LEAVE, by=people["alice"], business_key="LEAVE-1")
    (approval,) = instance["open_tasks"]
    assert approval["candidate_groups"] == ["department_managers"]
    assert approval["due_at"] is not None and approval["priority"] == 50

    bob_inbox = engine.tasks.inbox(by=people["bob"]).items
    assert [t["id"] for t in bob_inbox] == [approval["id"]]
    assert engine.tasks.inbox(by=people["alice"]).items == []

    result = engine.tasks.complete_task(approval["id"], {"decision": "approve"}, by=people["bob"])
    assert result["task"]["status"] == "completed" and result["task"]["completed_by"] == "bob"
    (record,) = result["instance"]["open_tasks"]
    assert record["element_id"] == "hr_record"

    done = engine.tasks.complete_task(record["id"], {"payroll_reference": "PAY-1234"}, by=people["carol"])
    assert done["instance"]["status"] == "completed"
    assert done["instance"]["data"]["remaining_days"] == 24

    events = engine.history.instance_history(instance["id"], by=SYSTEM, limit=500).items
    completed = [(e["actor"], e["element_id"]) for e in events if e["type"] == "task.completed"]
    assert completed == [("bob", "manager_approval"), ("carol", "hr_record")]
    gateway = [e["data"] for e in events if e["type"] == "gateway.taken" and e["element_id"] == "approved"]
    assert gateway == [{"target": "hr_record", "condition": 'decision == "approve"', "default": False,
                        "values": {"decision": "approve"}}]
    assert history_types(engine, instance["id"])[0] == "instance.started"
    assert history_types(engine, instance["id"])[-1] == "instance.completed"


def test_rejection_needs_a_comment(engine, people):
    instance = engine.instances.start_instance("leave_request", LEAVE, by=people["alice"])
    task_id = instance["open_tasks"][0]["id"]
    with pytest.raises(InvalidData) as err:
        engine.tasks.complete_task(task_id, {"decision": "reject"}, by=people["bob"])
    assert [e.path for e in err.value.errors] == ["/comment"]
    result = engine.tasks.complete_task(task_id, {"decision": "reject", "comment": "Busy season"}, by=people["bob"])
    assert result["instance"]["status"] == "completed"
    assert result["instance"]["data"]["status"] == "rejected"


def test_requester_cannot_approve_their_own_request(engine, people):
    instance = engine.instances.start_instance("leave_request", LEAVE, by=people["bob"])
    task_id = instance["open_tasks"][0]["id"]
    assert engine.tasks.inbox(by=people["bob"]).items == []  # hidden from the excluded user's inbox
    with pytest.raises(SeparationOfDutiesViolation):
        engine.tasks.complete_task(task_id, {"decision": "approve"}, by=people["bob"])
    denied = [e for e in engine.history.instance_history(instance["id"], by=SYSTEM, limit=500).items if e["type"] == "access.denied"]
    assert len(denied) == 1 and denied[0]["actor"] == "bob"
    assert denied[0]["data"]["reason"] == "separation-of-duties"
    assert engine.tasks.get_task(task_id, by=SYSTEM)["status"] == "open"


def test_approver_cannot_also_record_the_leave(engine, people):
    instance = engine.instances.start_instance("leave_request", LEAVE, by=people["alice"])
    result = engine.tasks.complete_task(instance["open_tasks"][0]["id"], {"decision": "approve"}, by=people["dan"])
    record = result["instance"]["open_tasks"][0]
    with pytest.raises(SeparationOfDutiesViolation):
        engine.tasks.complete_task(record["id"], {"payroll_reference": "PAY-1234"}, by=people["dan"])
    assert [t["id"] for t in engine.tasks.inbox(by=people["carol"]).items] == [record["id"]]


def test_separation_of_duties_beats_invalid_data(engine, people):
    instance = engine.instances.start_instance("leave_request", LEAVE, by=people["bob"])
    with pytest.raises(SeparationOfDutiesViolation):
        engine.tasks.complete_task(instance["open_tasks"][0]["id"], {"decision": "maybe"}, by=people["bob"])


def test_claimed_task_belongs_to_its_claimer(engine, people):
    from flowdesk.engine.errors import Conflict

    instance = engine.instances.start_instance("leave_request", LEAVE, by=people["alice"])
    task_id = instance["open_tasks"][0]["id"]
    assert engine.tasks.claim_task(task_id, by=people["dan"])["assignee"] == "dan"
    assert engine.tasks.inbox(by=people["bob"]).items == []
    with pytest.raises(Conflict):
        engine.tasks.claim_task(task_id, by=people["bob"])
    with pytest.raises(Conflict):
        engine.tasks.complete_task(task_id, {"decision": "approve"}, by=people["bob"])
    engine.tasks.unclaim_task(task_id, by=people["dan"])
    assert engine.tasks.claim_task(task_id, by=people["bob"])["assignee"] == "bob"
    types = history_types(engine, instance["id"])
    assert types.count("task.claimed") == 2 and types.count("task.unclaimed") == 1


def test_non_candidate_is_refused(engine, people):
    from flowdesk.engine.errors import NotFound

    instance = engine.instances.start_instance("leave_request", LEAVE, by=people["alice"])
    task_id = instance["open_tasks"][0]["id"]
    with pytest.raises(NotFound):  # carol may not even read alice's request
        engine.tasks.complete_task(task_id, {"decision": "approve"}, by=people["carol"])
    with pytest.raises(Forbidden) as refused:  # alice may read it, but is no approver
        engine.tasks.complete_task(task_id, {"decision": "approve"}, by=people["alice"])
    assert not isinstance(refused.value, SeparationOfDutiesViolation)


def test_completed_task_cannot_be_completed_again(engine, people):
    from flowdesk.engine.errors import Conflict

    instance = engine.instances.start_instance("leave_request", LEAVE, by=people["alice"])
    task_id = instance["open_tasks"][0]["id"]
    engine.tasks.complete_task(task_id, {"decision": "approve"}, by=people["bob"])
    before = history_types(engine, instance["id"])
    with pytest.raises(Conflict):
        engine.tasks.complete_task(task_id, {"decision": "approve"}, by=people["bob"])
    assert history_types(engine, instance["id"]) == before
