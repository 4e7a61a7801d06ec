"""Messages and signals from outside systems."""

from __future__ import annotations

from flowdesk.engine.definitions.sources import SourceFile

from tests.support.client import assert_problem
from tests.support.paths import FIXTURES

SIGNAL_MODEL = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="https://t">
  <bpmn:signal id="go_signal" name="go"/>
  <bpmn:process id="gate" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>
    <bpmn:intermediateCatchEvent id="wait"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:signalEventDefinition signalRef="go_signal"/></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def deploy_orders(api):
    orders = FIXTURES / "background" / "orders.bpmn"
    api.deploy(SourceFile(orders.name, orders.read_bytes()))


def test_a_message_reaches_the_instance_whose_correlation_matches(api):
    deploy_orders(api)
    first = api.post("/api/v1/definitions/order/instances", "ian", json={"data": {"order_id": "SO-1", "item": "a"}})
    second = api.post("/api/v1/definitions/order/instances", "ian", json={"data": {"order_id": "SO-2", "item": "b"}})
    reply = api.post("/api/v1/messages", "ian", json={"name": "order_shipped", "correlation": {"order_id": "SO-2"},
                                                      "data": {"order_id": "SO-2", "tracking": "TRK-2"}})
    assert reply.status_code == 200
    assert reply.json() == {"correlated_instances": [second.json()["id"]], "started_instances": []}
    assert api.get(f"/api/v1/instances/{second.json()['id']}", "ian").json()["status"] == "completed"
    assert api.get(f"/api/v1/instances/{first.json()['id']}", "ian").json()["status"] == "running"


def test_a_message_starts_the_process_whose_start_event_has_its_name(api):
    deploy_orders(api)
    reply = api.post("/api/v1/messages", "root", json={"name": "order_placed", "data": {"order_id": "SO-3"}})
    assert reply.status_code == 200
    (started,) = reply.json()["started_instances"]
    assert api.get(f"/api/v1/instances/{started}", "root").json()["definition_key"] == "warehouse"


def test_a_message_nobody_waits_for_is_404(api):
    problem = assert_problem(api.post("/api/v1/messages", "ian", json={"name": "nobody_listens"}), 404)
    assert "nothing waits" in problem["detail"]


def test_a_signal_reaches_every_waiting_instance(api):
    api.deploy(SourceFile("gate.bpmn", SIGNAL_MODEL))
    waiting = [api.post("/api/v1/definitions/gate/instances", "ian", json={}).json()["id"] for _ in range(2)]
    reply = api.post("/api/v1/signals", "ian", json={"name": "go", "data": {"why": "test"}})
    assert reply.status_code == 200 and sorted(reply.json()["instances"]) == sorted(waiting)
    assert api.post("/api/v1/signals", "ian", json={"name": "go"}).json() == {"instances": []}


def test_messages_and_signals_are_for_admins_and_integration_accounts(api):
    for user in ("alice", "dave", "erin"):
        assert_problem(api.post("/api/v1/messages", user, json={"name": "x"}), 403)
        assert_problem(api.post("/api/v1/signals", user, json={"name": "x"}), 403)
        assert_problem(api.post("/api/v1/messages", user, json={"bad": True}), 403)  # 403 before 422


def test_a_message_must_fit_its_schema(api):
    for body in ({}, {"name": ""}, {"name": "x", "correlation": []}, {"name": "x", "unknown": 1}):
        assert_problem(api.post("/api/v1/messages", "ian", json=body), 422)
    assert_problem(api.post("/api/v1/signals", "ian", json={"name": 3}), 422)


QUOTE_PROCESS = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="q" targetNamespace="https://t">
  <bpmn:message id="quote_message" name="quote_requested"/>
  <bpmn:process id="quote_request" isExecutable="true">
    <bpmn:startEvent id="by_hand">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="quote_request_form.yaml"/>
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:outgoing>f1</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:startEvent id="by_message"><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:messageEventDefinition messageRef="quote_message"/></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="by_hand" targetRef="end"/>
    <bpmn:sequenceFlow id="f2" sourceRef="by_message" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
QUOTE_FORM = b"""
type: object
required: [customer, quantity]
properties:
  customer: {type: string, minLength: 1}
  quantity: {type: integer, minimum: 1}
"""


def test_a_message_that_starts_a_process_must_fit_its_start_form(api):
    api.deploy(SourceFile("quote_request.bpmn", QUOTE_PROCESS), SourceFile("quote_request_form.yaml", QUOTE_FORM))

    refused = api.post("/api/v1/messages", "ian", json={"name": "quote_requested", "data": {"quantity": 0}})

    problem = assert_problem(refused, 422)
    assert {e["path"] for e in problem["errors"]} == {"/data/customer", "/data/quantity"}
    assert api.get("/api/v1/instances", "root", params={"definition_key": "quote_request"}).json()["items"] == []
    accepted = api.post("/api/v1/messages", "ian", json={"name": "quote_requested",
                                                         "data": {"customer": "ACME", "quantity": 3}})
    assert accepted.status_code == 200 and len(accepted.json()["started_instances"]) == 1
