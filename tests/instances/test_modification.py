"""Repairing one instance: an admin cancels an activity or starts before or after an
element, with a reason that the audit trail keeps."""

from __future__ import annotations

import pytest
from flowdesk.engine.errors import Conflict, Forbidden, InvalidData
from flowdesk.engine.identity import SYSTEM

from tests.instances.operations_support import deploy_review, events_of, jobs_of


@pytest.fixture
def admin(engine):
    engine.identity.create_user("ada", "password1", ["admin"], by=SYSTEM)
    return engine.identity.actor("ada")


def test_cancel_an_activity_and_start_before_another(engine, clerk, admin):
    deploy_review(engine)
    instance = engine.instances.start_instance("review", {"amount": 3}, by=clerk)
    check = instance["open_tasks"][0]

    repaired = engine.operations.modify_instance(
        instance["id"], [{"cancel": "check"}, {"start_before": "approve"}], by=admin, reason="checked by phone")
    assert [t["element_id"] for t in repaired["open_tasks"]] == ["approve"]
    assert engine.tasks.get_task(check["id"], by=SYSTEM)["status"] == "cancelled"
    (audit,) = events_of(engine, instance["id"], "instance.modified")
    assert audit["actor"] == "ada" and audit["data"]["reason"] == "checked by phone"
    assert audit["data"]["instructions"] == [{"cancel": "check"}, {"start_before": "approve"}]

    engine.tasks.complete_task(repaired["open_tasks"][0]["id"], {}, by=clerk)
    done = engine.instances.get_instance(instance["id"], by=SYSTEM)
    assert done["status"] == "completed" and done["data"]["amount"] == 3


def test_start_after_skips_the_element_itself(engine, clerk, admin):
    deploy_review(engine)
    instance = engine.instances.start_instance("review", {}, by=clerk)
    engine.tasks.complete_task(instance["open_tasks"][0]["id"], {}, by=clerk)  # waits at the timer
    repaired = engine.operations.modify_instance(
        instance["id"], [{"cancel": "pause"}, {"start_after": "pause"}], by=admin, reason="no need to wait")
    assert [t["element_id"] for t in repaired["open_tasks"]] == ["approve"]
    assert [j.status for j in jobs_of(engine, instance["id"])] == ["cancelled"]


def test_modification_is_for_admins_with_a_reason_and_sound_instructions(engine, clerk, admin):
    deploy_review(engine)
    instance = engine.instances.start_instance("review", {}, by=clerk)
    with pytest.raises(Forbidden):
        engine.operations.modify_instance(instance["id"], [{"cancel": "check"}], by=clerk, reason="mine")
    with pytest.raises(InvalidData):
        engine.operations.modify_instance(instance["id"], [{"cancel": "check"}], by=admin, reason="")
    with pytest.raises(InvalidData) as bad:
        engine.operations.modify_instance(instance["id"], [{"jump": "check"}, {"cancel": 3}], by=admin, reason="x")
    assert [e.path for e in bad.value.errors] == ["/instructions/0/jump", "/instructions/1/cancel"]
    with pytest.raises(Conflict):
        engine.operations.modify_instance(instance["id"], [{"cancel": "approve"}], by=admin, reason="nothing there")
    with pytest.raises(Conflict):
        engine.operations.modify_instance(instance["id"], [{"start_before": "nowhere"}], by=admin, reason="x")
    assert events_of(engine, instance["id"], "instance.modified") == []
    assert engine.instances.get_instance(instance["id"], by=SYSTEM)["open_tasks"][0]["element_id"] == "check"
