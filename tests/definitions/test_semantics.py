"""BPMN as other tools write it: what deploys with a warning, what runs, what is refused."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from flowdesk.api.app import create_app
from flowdesk.engine.errors import Conflict, DefinitionInvalid
from flowdesk.engine.identity import SYSTEM

from tests.support.dialects import Driver, bpmn, chain, flow
from tests.support.engines import quick_hashing


@pytest.fixture
def run(engine, clock) -> Driver:
    return Driver(engine, clock)


def test_a_file_without_an_executable_process_is_stored_to_be_viewed_not_started(run):
    source = bpmn("pool.bpmn", "").content.replace(
        b'<bpmn:process id="p" isExecutable="true"></bpmn:process>',
        b'<bpmn:process id="pool" isExecutable="false"><bpmn:startEvent id="s"/>'
        b'<bpmn:task id="t"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t"/>'
        b'<bpmn:sequenceFlow id="g" sourceRef="t" targetRef="nowhere"/></bpmn:process>')
    from flowdesk.engine.definitions.sources import SourceFile

    result = run.deploy(SourceFile("pool.bpmn", source))
    assert [(d.key, d.version) for d in result.definitions] == [("pool", 1)]
    assert [w.message for w in result.warnings] == [
        "process 'pool' is not executable: it is stored with its diagram, and cannot be started"]
    name, content = run.engine.repository.definition_bpmn("pool", by=SYSTEM)
    assert name == "pool.bpmn" and content == source
    with pytest.raises(Conflict, match="not executable"):
        run.start("pool")


def test_tasks_without_an_implementation_pass_through_with_a_warning(run):
    body = f"""<bpmn:startEvent id="s"/>{chain("s", "script", "service", "rules", "call", "send", "e")}
      <bpmn:scriptTask id="script"/><bpmn:serviceTask id="service"/><bpmn:businessRuleTask id="rules"/>
      <bpmn:callActivity id="call"/><bpmn:sendTask id="send"/><bpmn:endEvent id="e"/>"""
    result = run.deploy(bpmn("empty.bpmn", body))
    assert sorted(w.message for w in result.warnings) == [
        "businessRuleTask 'rules' names no decision: it passes through",
        "callActivity 'call' names no called process: it passes through",
        "scriptTask 'script' has no script: it passes through",
        "sendTask 'send' has no implementation: it passes through",
        "serviceTask 'service' has no implementation: it passes through",
    ]
    assert all(w.line for w in result.warnings)
    assert run.start()["status"] == "completed"


def test_flows_without_conditions_are_resolved_as_bpmn_says(run):
    body = f"""<bpmn:startEvent id="s"/>{chain("s", "x")}
      <bpmn:exclusiveGateway id="x"/>{flow("big", "x", "i", "amount &gt; 100")}{flow("small", "x", "loop")}
      <bpmn:userTask id="loop"/>{flow("back", "loop", "x2")}
      <bpmn:exclusiveGateway id="x2"/>{flow("again", "x2", "loop")}{flow("done", "x2", "i")}
      <bpmn:inclusiveGateway id="i"/>{flow("always", "i", "e1")}{flow("maybe", "i", "e2", "amount &gt; 1000")}
      <bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>"""
    result = run.deploy(bpmn("flows.bpmn", body))
    assert any("flow 'small' has no condition and is taken as the default flow" in w.message for w in result.warnings)
    big = run.start(data={"amount": 200})
    assert big["status"] == "completed"
    assert {e["data"]["target"] for e in run.events(big["id"], "gateway.taken")} == {"i", "e1"}
    small = run.start(data={"amount": 5})
    # two flows without condition: the one with the shortest path to an end event is the default
    assert run.complete(small["id"], "loop")["status"] == "completed"


THROW = f"""<bpmn:startEvent id="s"/>{chain("s", "throw", "e")}
  <bpmn:intermediateThrowEvent id="throw"><bpmn:signalEventDefinition signalRef="go"/></bpmn:intermediateThrowEvent>
  <bpmn:endEvent id="e"/>"""
CATCH = f"""<bpmn:startEvent id="s"/>{chain("s", "wait", "e")}
  <bpmn:intermediateCatchEvent id="wait"><bpmn:signalEventDefinition signalRef="go"/></bpmn:intermediateCatchEvent>
  <bpmn:endEvent id="e"/>"""
STARTED = f"""<bpmn:startEvent id="s"><bpmn:signalEventDefinition signalRef="go"/></bpmn:startEvent>
  {chain("s", "e")}<bpmn:endEvent id="e"/>"""
GO = '<bpmn:signal id="go" name="go-now"/>'


def test_a_signal_thrown_by_a_process_reaches_other_instances_and_signal_start_events(run):
    run.deploy(bpmn("throw.bpmn", THROW, GO, key="thrower"), bpmn("catch.bpmn", CATCH, GO, key="catcher"),
               bpmn("started.bpmn", STARTED, GO, key="started"))
    waiting = run.start("catcher")
    assert run.start("thrower")["status"] == "completed"
    run.executor.run_due()
    assert run.instance(waiting["id"])["status"] == "completed"
    with run.engine.transaction() as s:
        from flowdesk.engine.persistence.models import Instance

        started = [i for i in s.query(Instance).filter_by(definition_key="started")]
    assert [i.status for i in started] == ["completed"]
    # and the signals API starts it too
    assert len(run.engine.instances.send_signal("go-now", {}, by=run.actor)["instances"]) == 1


def test_event_sub_processes_and_escalations(run):
    body = f"""<bpmn:startEvent id="s"/>{chain("s", "work", "raise", "e")}
      <bpmn:userTask id="work"/>
      <bpmn:intermediateThrowEvent id="raise"><bpmn:escalationEventDefinition escalationRef="late"/>
      </bpmn:intermediateThrowEvent><bpmn:endEvent id="e"/>
      <bpmn:subProcess id="notes" triggeredByEvent="true">
        <bpmn:startEvent id="ns" isInterrupting="false"><bpmn:messageEventDefinition messageRef="note"/>
        </bpmn:startEvent>{chain("ns", "read", "ne")}<bpmn:userTask id="read"/><bpmn:endEvent id="ne"/>
      </bpmn:subProcess>
      <bpmn:subProcess id="escalated" triggeredByEvent="true">
        <bpmn:startEvent id="es"><bpmn:escalationEventDefinition escalationRef="late"/></bpmn:startEvent>
        {chain("es", "handle", "ee")}<bpmn:scriptTask id="handle"><bpmn:script>handled = True</bpmn:script>
        </bpmn:scriptTask><bpmn:endEvent id="ee"/>
      </bpmn:subProcess>"""
    roots = '<bpmn:message id="note" name="note"/><bpmn:escalation id="late" escalationCode="late"/>'
    run.deploy(bpmn("events.bpmn", body, roots))
    instance = run.start()
    run.engine.instances.send_message("note", {}, {}, by=run.actor)
    assert sorted(t["element_id"] for t in run.instance(instance["id"])["open_tasks"]) == ["read", "work"]
    run.complete(instance["id"], "read")
    done = run.complete(instance["id"], "work")
    assert done["status"] == "completed" and done["data"]["handled"] is True


def test_data_objects_and_stores_are_instance_data_and_get_data_object_reads_them(run):
    body = f"""<bpmn:startEvent id="s"/>{chain("s", "write", "g")}
      <bpmn:dataObject id="approved_object" name="Approved"/>
      <bpmn:dataObjectReference id="ref" dataObjectRef="approved_object"/>
      <bpmn:dataStoreReference id="store_ref" dataStoreRef="store"/>
      <bpmn:scriptTask id="write"><bpmn:dataOutputAssociation id="a"><bpmn:targetRef>ref</bpmn:targetRef>
        </bpmn:dataOutputAssociation><bpmn:script>approved = True</bpmn:script></bpmn:scriptTask>
      <bpmn:exclusiveGateway id="g" default="no"/>
      {flow("yes", "g", "e1", "bpmn:getDataObject('approved')")}{flow("no", "g", "e2")}
      <bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>"""
    result = run.deploy(bpmn("data.bpmn", body, '<bpmn:dataStore id="store" name="CRM"/>'))
    assert any("data stores" in w.message for w in result.warnings)
    instance = run.start()
    assert [e["data"]["target"] for e in run.events(instance["id"], "gateway.taken")] == ["e1"]


def test_a_condition_naming_data_with_spaces_reads_it_and_says_so(run):
    body = f"""<bpmn:startEvent id="s"/>{chain("s", "g")}<bpmn:exclusiveGateway id="g" default="no"/>
      {flow("yes", "g", "e1", "Service Level == 'Premium'")}{flow("no", "g", "e2")}
      <bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>"""
    result = run.deploy(bpmn("spaces.bpmn", body))
    (warning,) = [w for w in result.warnings if "spaces" in w.message]
    assert "'Service Level'" in warning.message and warning.line
    instance = run.start(data={"Service Level": "Premium"})
    assert [e["data"]["target"] for e in run.events(instance["id"], "gateway.taken")] == ["e1"]


def test_a_condition_that_parses_in_no_language_is_refused(run):
    body = f"""<bpmn:startEvent id="s"/>{chain("s", "g")}<bpmn:exclusiveGateway id="g" default="no"/>
      {flow("yes", "g", "e1", "amount &gt;&gt;&gt; 3")}{flow("no", "g", "e2")}
      <bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>"""
    with pytest.raises(DefinitionInvalid) as err:
        run.deploy(bpmn("bad.bpmn", body))
    (problem,) = err.value.problems
    assert problem.line and "does not parse" in problem.message


def test_without_a_start_event_every_element_without_an_incoming_flow_starts(run):
    body = '<bpmn:userTask id="a"/><bpmn:userTask id="b"/>'
    result = run.deploy(bpmn("loose.bpmn", body))
    assert any("has no start event" in w.message for w in result.warnings)
    instance = run.start()
    assert sorted(t["element_id"] for t in instance["open_tasks"]) == ["a", "b"]
    run.complete(instance["id"], "a")
    assert run.complete(instance["id"], "b")["status"] == "completed"


def test_link_events_jump_and_conditional_events_read_missing_data_as_null(run):
    body = f"""<bpmn:startEvent id="s"/>{chain("s", "jump")}
      <bpmn:intermediateThrowEvent id="jump"><bpmn:linkEventDefinition name="A"/></bpmn:intermediateThrowEvent>
      <bpmn:intermediateCatchEvent id="land"><bpmn:linkEventDefinition name="A"/></bpmn:intermediateCatchEvent>
      {chain("land", "work", "e")}<bpmn:userTask id="work"/><bpmn:endEvent id="e"/>
      <bpmn:boundaryEvent id="when" attachedToRef="work"><bpmn:conditionalEventDefinition>
        <bpmn:condition>${{invoiceId != null}}</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:boundaryEvent>
      {chain("when", "e2")}<bpmn:endEvent id="e2"/>"""
    run.deploy(bpmn("links.bpmn", body))
    instance = run.start()
    assert instance["status"] == "running" and [t["element_id"] for t in instance["open_tasks"]] == ["work"]


def test_the_deployment_api_answers_its_warnings(engine):
    body = f'<bpmn:startEvent id="s"/>{chain("s", "t", "e")}<bpmn:scriptTask id="t"/><bpmn:endEvent id="e"/>'
    file = bpmn("api.bpmn", body)
    with quick_hashing():
        engine.identity.create_user("designer1", "password1", ["designer"], by=SYSTEM)
        client = TestClient(create_app(engine))
        token = client.post("/api/v1/auth/token", data={"username": "designer1", "password": "password1"}).json()
    response = client.post("/api/v1/deployments", headers={"Authorization": f"Bearer {token['access_token']}"},
                           files=[("files", (file.name, file.content, "application/xml"))])
    assert response.status_code == 201, response.text
    assert response.json()["warnings"] == [
        {"file": "api.bpmn", "line": 2, "message": "scriptTask 't' has no script: it passes through"}]
