"""Messages between instances: thrown into a buffer, delivered by correlation, starting
processes on message start events, expiring into an incident on the sender."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flowdesk.engine.errors import NotFound
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.persistence.models import Incident, Job
from sqlalchemy import select


@pytest.fixture
def warehouse(engine, deploy):
    deploy("orders.bpmn")
    engine.identity.create_user("wes", "password1", ["warehouse"], by=SYSTEM)
    engine.identity.create_user("robot", "password1", ["integration"], by=SYSTEM)
    return engine.identity.actor("wes")


def message_jobs(engine):
    with engine.transaction() as s:
        return list(s.scalars(select(Job).where(Job.kind == "message").order_by(Job.created_at)))


def test_thrown_message_starts_the_receiving_process_and_the_reply_correlates(engine, executor, warehouse):
    first = engine.instances.start_instance("order", {"order_id": "SO-1", "item": "desk"}, by=SYSTEM)
    second = engine.instances.start_instance("order", {"order_id": "SO-2", "item": "chair"}, by=SYSTEM)
    assert [j.name for j in message_jobs(engine)] == ["order_placed", "order_placed"]

    assert executor.run_due() == 2  # both deliveries start a warehouse instance
    picks = {t["instance_id"]: t for t in engine.tasks.inbox(by=warehouse).items}
    assert len(picks) == 2
    # Complete the second order's pick first: its reply must reach the second order only.
    pick_second = next(t for t in picks.values()
                       if engine.instances.get_instance(t["instance_id"], by=SYSTEM)["data"]["order"]["order_id"] == "SO-2")
    engine.tasks.complete_task(pick_second["id"], {"tracking": "TRK-2"}, by=warehouse)
    assert executor.run_due() == 1

    done = engine.instances.get_instance(second["id"], by=SYSTEM)
    assert done["status"] == "completed" and done["data"]["shipment"] == {"order_id": "SO-2", "tracking": "TRK-2"}
    assert engine.instances.get_instance(first["id"], by=SYSTEM)["status"] == "running"
    correlated = [e for e in engine.history.instance_history(second["id"], by=SYSTEM, limit=500).items if e["type"] == "message.correlated"]
    assert correlated[0]["data"]["name"] == "order_shipped"


def test_a_message_from_outside_needs_a_waiting_receiver(engine, executor, warehouse, clock):
    # From outside, a message nobody waits for is refused (404), not buffered.
    robot = engine.identity.actor("robot")
    with pytest.raises(NotFound):
        engine.instances.send_message("order_shipped", {"order_id": "SO-9"}, {"order_id": "SO-9"}, by=robot)
    order = engine.instances.start_instance("order", {"order_id": "SO-9", "item": "lamp"}, by=SYSTEM)
    reply = engine.instances.send_message("order_shipped", {"order_id": "SO-9"}, {"order_id": "SO-9", "tracking": "TRK-9"}, by=robot)
    assert reply == {"correlated_instances": [order["id"]], "started_instances": []}
    assert engine.instances.get_instance(order["id"], by=SYSTEM)["status"] == "completed"


def test_api_message_with_other_correlation_values_reaches_nobody(engine, executor, warehouse):
    order = engine.instances.start_instance("order", {"order_id": "SO-3", "item": "desk"}, by=SYSTEM)
    with pytest.raises(NotFound):
        engine.instances.send_message("order_shipped", {"order_id": "SO-4"}, {"tracking": "x"}, by=engine.identity.actor("robot"))
    with pytest.raises(NotFound):  # no correlation values: never matched to a waiting order
        engine.instances.send_message("order_shipped", {}, {"tracking": "x"}, by=engine.identity.actor("robot"))
    assert engine.instances.get_instance(order["id"], by=SYSTEM)["status"] == "running"


def test_an_unreceived_message_expires_into_an_incident_on_the_sender(engine, deploy, executor, clock):
    deploy("orders.bpmn")
    # Only the order process is deployed here in effect: remove the receiver by never
    # letting the message start one -- deliver to a name nobody receives.
    from flowdesk.engine.definitions.sources import SourceFile

    from tests.support.models import HEADER

    xml = HEADER + """
  <bpmn:message id="ping" name="ping"/>
  <bpmn:process id="pinger" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="send"/>
    <bpmn:intermediateThrowEvent id="send"><bpmn:incoming>a</bpmn:incoming><bpmn:outgoing>b</bpmn:outgoing>
      <bpmn:messageEventDefinition messageRef="ping"/></bpmn:intermediateThrowEvent>
    <bpmn:sequenceFlow id="b" sourceRef="send" targetRef="wait"/>
    <bpmn:userTask id="wait" name="Wait"><bpmn:incoming>b</bpmn:incoming><bpmn:outgoing>c</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="c" sourceRef="wait" targetRef="e"/>
    <bpmn:endEvent id="e"><bpmn:incoming>c</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
    engine.repository.deploy([SourceFile("pinger.bpmn", xml.encode())], by=SYSTEM)
    sender = engine.instances.start_instance("pinger", {}, by=SYSTEM)
    assert executor.run_due() == 1
    (job,) = [j for j in message_jobs(engine) if j.name == "ping"]
    assert job.status == "waiting" and job.due_at == clock.now() + timedelta(days=7)

    clock.advance(days=7, seconds=1)
    assert executor.run_due() == 1
    assert engine.instances.get_instance(sender["id"], by=SYSTEM)["status"] == "failed"
    with engine.transaction() as s:
        (incident,) = s.scalars(select(Incident).where(Incident.instance_id == sender["id"])).all()
    assert incident.kind == "MessageExpired" and "'ping'" in incident.message


def test_a_process_started_by_a_message_cannot_be_started_by_hand(engine, warehouse):
    from flowdesk.engine.errors import Conflict

    with pytest.raises(Conflict, match="started by message 'order_placed'"):
        engine.instances.start_instance("warehouse", {}, by=SYSTEM)
