"""A call activity runs the called process as an instance of its own: a child with
``parent_instance_id``, on the called process's latest version (which it keeps), with its own
tasks, incidents and history; the parent waits in the call activity and goes on with the
child's output. Cancelling or suspending the parent does the same to its children."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flowdesk.engine.clock import FakeClock
from flowdesk.engine.definitions.sources import SourceFile
from flowdesk.engine.errors import Conflict
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.instances.calls import MAX_CALL_DEPTH
from flowdesk.engine.persistence.models import Definition

from tests.instances.operations_support import event_types, events_of
from tests.support.client import ApiClient, open_api
from tests.support.definitions import source
from tests.support.engines import make_engine
from tests.support.models import HEADER

PARENT = """
process: parent
lanes: {clerks: clerks}
steps:
  - script: prepare
    code: amount = 10
  - call: ask
    process: child
    boundary:
      - {error: refused, to: handle_refusal}
  - user: follow_up
  - end: done
  - script: handle_refusal
    code: outcome = "refused"
"""

CHILD = """
process: child
name: {name}
lanes: {{clerks: clerks}}
steps:
  - user: answer
  - exclusive: route
    branches:
      - {{if: 'decision == "refuse"', to: refused}}
    default: compute
  - script: compute
    code: total = amount * factor
  - end: answered
  - end: refused
    error: refused
"""

PARENT_V2 = PARENT.replace("  - user: follow_up\n", "  - user: follow_up\n    name: Follow up (v2)\n")

FAILING_CHILD = """
process: child
lanes: {clerks: clerks}
steps:
  - user: answer
  - script: compute
    code: total = amount / zero
"""

MULTI_PARENT = """
process: fan_out
lanes: {clerks: clerks}
steps:
  - call: ask
    process: child
    for_each: items
  - user: follow_up
"""


@pytest.fixture
def admin(engine):
    engine.identity.create_user("ada", "password1", ["admin"], by=SYSTEM)
    return engine.identity.actor("ada")


def deploy(engine, *texts: str) -> None:
    engine.repository.deploy([source(text, f"p{n}.yaml") for n, text in enumerate(texts)], by=SYSTEM)


def children(engine, instance_id: str) -> list[dict]:
    return engine.instances.get_instance(instance_id, by=SYSTEM)["children"]


def only_child(engine, instance_id: str) -> dict:
    (child,) = children(engine, instance_id)
    return engine.instances.get_instance(child["id"], by=SYSTEM)


def answer(engine, clerk, child: dict, data: dict) -> None:
    (task,) = child["open_tasks"]
    engine.tasks.complete_task(task["id"], data, by=clerk)


def test_the_called_process_runs_as_a_child_instance_on_its_latest_version_and_keeps_it(engine, clerk):
    deploy(engine, PARENT, CHILD.format(name="Child one"))
    first = engine.instances.start_instance("parent", {"factor": 3}, by=clerk, business_key="B-1")
    assert first["status"] == "running" and "ask" in first["active_elements"] and first["open_tasks"] == []

    child = only_child(engine, first["id"])
    assert (child["definition_key"], child["definition_version"]) == ("child", 1)
    assert (child["parent_instance_id"], child["started_by"], child["business_key"]) == (first["id"], "cleo", "B-1")
    assert child["data"]["amount"] == 10  # the caller's data, as the embedded subprocess got it
    assert [t["element_id"] for t in child["open_tasks"]] == ["answer"]
    assert event_types(engine, child["id"])[:2] == ["instance.started", "task.created"]
    assert events_of(engine, first["id"], "call.started")[0]["data"]["instance_id"] == child["id"]

    deploy(engine, CHILD.format(name="Child two"))  # version 2 of the called process
    second = engine.instances.start_instance("parent", {"factor": 3}, by=clerk)
    assert only_child(engine, second["id"])["definition_version"] == 2
    assert only_child(engine, first["id"])["definition_version"] == 1  # the first child keeps its version


def test_the_parent_waits_then_goes_on_with_the_childs_output(engine, clerk):
    deploy(engine, PARENT, CHILD.format(name="Child"))
    parent = engine.instances.start_instance("parent", {"factor": 3}, by=clerk)
    child = only_child(engine, parent["id"])

    answer(engine, clerk, child, {"decision": "accept"})
    assert engine.instances.get_instance(child["id"], by=SYSTEM)["status"] == "completed"
    after = engine.instances.get_instance(parent["id"], by=SYSTEM)
    assert after["data"]["total"] == 30 and after["data"]["decision"] == "accept"
    assert [t["element_id"] for t in after["open_tasks"]] == ["follow_up"]
    assert children(engine, parent["id"])[0]["status"] == "completed"
    assert "call.completed" in event_types(engine, parent["id"])


def test_an_error_end_event_of_the_child_reaches_the_boundary_event_of_the_call(engine, clerk):
    deploy(engine, PARENT, CHILD.format(name="Child"))
    parent = engine.instances.start_instance("parent", {"factor": 3}, by=clerk)
    answer(engine, clerk, only_child(engine, parent["id"]), {"decision": "refuse"})
    after = engine.instances.get_instance(parent["id"], by=SYSTEM)
    assert (after["status"], after["data"]["outcome"]) == ("completed", "refused")
    assert "call.error" in event_types(engine, parent["id"])


def test_cancelling_the_parent_cancels_its_children(engine, clerk, admin):
    deploy(engine, PARENT, CHILD.format(name="Child"))
    parent = engine.instances.start_instance("parent", {"factor": 3}, by=clerk)
    child = only_child(engine, parent["id"])
    engine.instances.cancel_instance(parent["id"], by=admin, reason="no longer needed")
    cancelled = engine.instances.get_instance(child["id"], by=SYSTEM)
    assert cancelled["status"] == "cancelled" and cancelled["open_tasks"] == []
    assert engine.tasks.inbox(by=clerk).items == []
    assert "instance.cancelled" in event_types(engine, child["id"])


def test_a_child_is_cancelled_through_its_parent_not_on_its_own(engine, clerk, admin):
    deploy(engine, PARENT, CHILD.format(name="Child"))
    parent = engine.instances.start_instance("parent", {"factor": 3}, by=clerk)
    child = only_child(engine, parent["id"])
    with pytest.raises(Conflict):  # the parent would wait for it for ever
        engine.instances.cancel_instance(child["id"], by=admin, reason="wrong")
    assert engine.instances.get_instance(child["id"], by=SYSTEM)["status"] == "running"


def test_repairing_the_parent_past_its_call_cancels_the_child(engine, clerk, admin):
    deploy(engine, PARENT, CHILD.format(name="Child"))
    parent = engine.instances.start_instance("parent", {"factor": 3}, by=clerk)
    child = only_child(engine, parent["id"])
    engine.operations.modify_instance(parent["id"], [{"cancel": "ask"}, {"start_before": "follow_up"}], by=admin,
                                      reason="answered by phone")
    assert engine.instances.get_instance(child["id"], by=SYSTEM)["status"] == "cancelled"
    repaired = engine.instances.get_instance(parent["id"], by=SYSTEM)
    assert [t["element_id"] for t in repaired["open_tasks"]] == ["follow_up"]


def test_suspending_the_parent_suspends_its_children_and_resuming_resumes_them(engine, clerk, admin):
    deploy(engine, PARENT, CHILD.format(name="Child"))
    parent = engine.instances.start_instance("parent", {"factor": 3}, by=clerk)
    child = only_child(engine, parent["id"])
    engine.operations.suspend_instance(parent["id"], by=admin, reason="audit")
    assert children(engine, parent["id"])[0]["status"] == "suspended"
    assert events_of(engine, child["id"], "instance.suspended")[0]["data"]["with_parent"] == parent["id"]

    engine.operations.resume_instance(parent["id"], by=admin, reason="audit done")
    assert children(engine, parent["id"])[0]["status"] == "running"
    answer(engine, clerk, child, {"decision": "accept"})
    assert engine.instances.get_instance(parent["id"], by=SYSTEM)["data"]["total"] == 30


def test_a_child_suspended_on_its_own_stays_suspended_when_the_parent_resumes(engine, clerk, admin):
    deploy(engine, PARENT, CHILD.format(name="Child"))
    parent = engine.instances.start_instance("parent", {"factor": 3}, by=clerk)
    child = only_child(engine, parent["id"])
    engine.operations.suspend_instance(child["id"], by=admin, reason="check the answer")
    engine.operations.suspend_instance(parent["id"], by=admin, reason="audit")
    engine.operations.resume_instance(parent["id"], by=admin, reason="audit done")
    assert children(engine, parent["id"])[0]["status"] == "suspended"


def test_an_incident_of_a_child_shows_on_the_parent(engine, clerk):
    deploy(engine, PARENT, FAILING_CHILD)
    parent = engine.instances.start_instance("parent", {"zero": 0}, by=clerk)
    answer(engine, clerk, only_child(engine, parent["id"]), {})
    (child,) = children(engine, parent["id"])
    assert (child["status"], child["open_incidents"]) == ("failed", 1)
    assert engine.instances.get_instance(parent["id"], by=SYSTEM)["status"] == "running"  # it waits


def test_a_childs_incident_names_the_instances_it_holds_up(engine, clerk):
    deploy(engine, PARENT, FAILING_CHILD)
    parent = engine.instances.start_instance("parent", {"zero": 0}, by=clerk)
    answer(engine, clerk, only_child(engine, parent["id"]), {})
    (child,) = children(engine, parent["id"])
    (incident,) = engine.management.list_incidents(by=SYSTEM, status="open").items
    assert incident["instance_id"] == child["id"]
    assert incident["called_by"] == [{"instance_id": parent["id"], "definition_key": "parent"}]


def test_a_multi_instance_call_starts_one_child_per_item(engine, clerk):
    deploy(engine, MULTI_PARENT, CHILD.format(name="Child"))
    parent = engine.instances.start_instance("fan_out", {"items": [1, 2, 3], "amount": 1, "factor": 2},
                                             by=clerk)
    started = children(engine, parent["id"])
    assert len(started) == 3
    assert sorted(engine.instances.get_instance(c["id"], by=SYSTEM)["data"]["item"] for c in started) == [1, 2, 3]
    for c in started:
        answer(engine, clerk, engine.instances.get_instance(c["id"], by=SYSTEM), {"decision": "accept"})
    assert [t["element_id"] for t in engine.instances.get_instance(parent["id"], by=SYSTEM)["open_tasks"]] == [
        "follow_up"]


def test_migrating_a_parent_that_waits_in_a_call_leaves_the_child_alone(engine, clerk, admin):
    deploy(engine, PARENT, CHILD.format(name="Child"))
    parent = engine.instances.start_instance("parent", {"factor": 3}, by=clerk)
    child = only_child(engine, parent["id"])
    deploy(engine, PARENT_V2)
    report = engine.operations.migrate("parent", 1, 2, by=admin, dry_run=False)
    assert report["migrated"] == 1, report
    still = engine.instances.get_instance(child["id"], by=SYSTEM)
    assert (still["status"], still["definition_version"], still["parent_instance_id"]) == ("running", 1, parent["id"])

    answer(engine, clerk, still, {"decision": "accept"})
    moved = engine.instances.get_instance(parent["id"], by=SYSTEM)
    assert moved["definition_version"] == 2 and moved["data"]["total"] == 30
    assert [t["name"] for t in moved["open_tasks"]] == ["Follow up (v2)"]


@pytest.fixture
def api(template_db: Path, tmp_path: Path, clock: FakeClock) -> Iterator[ApiClient]:
    with open_api(template_db, tmp_path, clock) as made:
        yield made


def test_the_api_lists_the_children_of_an_instance(api: ApiClient):
    api.deploy(source(PARENT.replace("clerks: clerks", "clerks: employees"), "parent.yaml"),
               source(CHILD.format(name="Child").replace("clerks: clerks", "clerks: employees"), "child.yaml"))
    parent = api.post("/api/v1/definitions/parent/instances", "alice", json={"data": {"factor": 3}}).json()
    other = api.post("/api/v1/definitions/parent/instances", "alice", json={"data": {"factor": 4}}).json()
    listed = api.get("/api/v1/instances", "erin", params={"parent_instance_id": parent["id"]}).json()["items"]
    assert [(c["definition_key"], c["parent_instance_id"]) for c in listed] == [("child", parent["id"])]
    shown = api.get(f"/api/v1/instances/{parent['id']}", "erin").json()
    assert [c["id"] for c in shown["children"]] == [listed[0]["id"]]
    assert shown["children"][0]["status"] == "running" and shown["children"][0]["open_incidents"] == 0
    assert listed[0]["id"] not in [c["id"] for c in api.get(f"/api/v1/instances/{other['id']}", "erin")
                                   .json()["children"]]


def test_a_process_that_calls_itself_without_end_fails_at_a_depth_instead_of_recursing_for_ever(engine, clerk):
    deploy(engine, """
        process: again
        steps:
          - call: deeper
            process: again
        """)
    top = engine.instances.start_instance("again", {}, by=clerk)
    depth, current = 0, top
    while current["status"] == "running":
        current = only_child(engine, current["id"])
        depth += 1
    assert current["status"] == "failed" and depth == MAX_CALL_DEPTH


ESCALATING = HEADER + """
<bpmn:escalation id="late" name="late" escalationCode="late"/>
<bpmn:process id="esc_parent" isExecutable="true">
  <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="call"/>
  <bpmn:callActivity id="call" calledElement="esc_child"/>
  <bpmn:boundaryEvent id="heard" attachedToRef="call" cancelActivity="false">
    <bpmn:escalationEventDefinition escalationRef="late"/></bpmn:boundaryEvent>
  <bpmn:sequenceFlow id="f2" sourceRef="heard" targetRef="note"/>
  <bpmn:scriptTask id="note"><bpmn:script>escalated = True</bpmn:script></bpmn:scriptTask>
  <bpmn:sequenceFlow id="f3" sourceRef="note" targetRef="noted"/><bpmn:endEvent id="noted"/>
  <bpmn:sequenceFlow id="f4" sourceRef="call" targetRef="e"/><bpmn:endEvent id="e"/>
</bpmn:process>
<bpmn:process id="esc_child" isExecutable="true">
  <bpmn:startEvent id="cs"/><bpmn:sequenceFlow id="c1" sourceRef="cs" targetRef="first"/>
  <bpmn:userTask id="first" name="First"/><bpmn:sequenceFlow id="c2" sourceRef="first" targetRef="raise"/>
  <bpmn:intermediateThrowEvent id="raise"><bpmn:escalationEventDefinition escalationRef="late"/>
  </bpmn:intermediateThrowEvent>
  <bpmn:sequenceFlow id="c3" sourceRef="raise" targetRef="second"/>
  <bpmn:userTask id="second" name="Second"/><bpmn:sequenceFlow id="c4" sourceRef="second" targetRef="ce"/>
  <bpmn:endEvent id="ce"/>
</bpmn:process>
</bpmn:definitions>"""


def test_an_escalation_of_the_child_reaches_a_non_interrupting_boundary_event_and_the_call_still_waits(engine, clerk):
    engine.repository.deploy([SourceFile("escalating.bpmn", ESCALATING.encode())], by=SYSTEM)
    parent = engine.instances.start_instance("esc_parent", {}, by=clerk)
    child = only_child(engine, parent["id"])
    answer(engine, clerk, child, {})  # the child escalates, then waits in "second"
    after = engine.instances.get_instance(parent["id"], by=SYSTEM)
    assert after["data"].get("escalated") is True and "call" in after["active_elements"]
    assert "call.escalation" in event_types(engine, parent["id"])
    answer(engine, clerk, engine.instances.get_instance(child["id"], by=SYSTEM), {})
    assert engine.instances.get_instance(parent["id"], by=SYSTEM)["status"] == "completed"


def test_on_postgresql_the_child_hands_its_output_back_and_cancels_with_its_parent(postgres_url, clock):
    engine = make_engine(postgres_url, clock)
    try:
        engine.identity.create_user("cleo", "password1", ["clerks"], by=SYSTEM)
        engine.identity.create_user("ada", "password1", ["admin"], by=SYSTEM)
        clerk, admin = engine.identity.actor("cleo"), engine.identity.actor("ada")
        deploy(engine, PARENT, CHILD.format(name="Child"))
        done = engine.instances.start_instance("parent", {"factor": 3}, by=clerk)
        answer(engine, clerk, only_child(engine, done["id"]), {"decision": "accept"})
        assert engine.instances.get_instance(done["id"], by=SYSTEM)["data"]["total"] == 30
        dropped = engine.instances.start_instance("parent", {"factor": 3}, by=clerk)
        child = only_child(engine, dropped["id"])
        engine.instances.cancel_instance(dropped["id"], by=admin, reason="no longer needed")
        assert engine.instances.get_instance(child["id"], by=SYSTEM)["status"] == "cancelled"
    finally:
        engine.close()


def test_a_child_moved_on_by_a_timer_job_hands_its_output_back_in_that_job(engine, clerk, executor, clock):
    deploy(engine, PARENT, """
        process: child
        steps:
          - wait: a_while
            timer: PT1H
          - script: compute
            code: total = amount * factor
        """)
    parent = engine.instances.start_instance("parent", {"factor": 5}, by=clerk)
    clock.advance(hours=1, seconds=1)
    assert executor.run_due() == 1
    after = engine.instances.get_instance(parent["id"], by=SYSTEM)
    assert after["data"]["total"] == 50 and [t["element_id"] for t in after["open_tasks"]] == ["follow_up"]


def test_retrying_a_call_whose_process_was_missing_starts_the_child(engine, clerk, admin):
    deploy(engine, CHILD.format(name="Child"))
    deploy(engine, PARENT.replace("process: child", "process: later_child"), """
        process: later_child
        steps:
          - script: placeholder
            code: placeholder = True
        """)
    with engine.transaction() as session:  # the called process is gone (a database restored from before it)
        session.query(Definition).filter(Definition.key == "later_child").update({"key": "gone"})
    parent = engine.instances.start_instance("parent", {"factor": 3}, by=clerk)
    assert parent["status"] == "failed" and children(engine, parent["id"]) == []
    (incident,) = engine.management.list_incidents(by=admin, instance_id=parent["id"]).items
    assert "later_child" in incident["message"]
    with engine.transaction() as session:
        session.query(Definition).filter(Definition.key == "gone").update({"key": "later_child"})
    engine.management.retry_incident(incident["id"], by=admin)
    (child,) = children(engine, parent["id"])
    assert child["definition_key"] == "later_child" and child["status"] == "completed"
    assert engine.instances.get_instance(parent["id"], by=SYSTEM)["status"] == "running"


KEYED_PARENT = """
process: keyed_parent
lanes: {clerks: clerks}
steps:
  - call: ask
    process: keyed_child
"""

KEYED_CHILD = """
process: keyed_child
lanes: {clerks: clerks}
steps:
  - script: read_key
    code: seen_key = _business_key
  - user: answer
"""


def test_the_child_reads_its_parents_business_key_as_its_own(engine, clerk):
    """``execution.processBusinessKey`` (Camunda) or ``_business_key`` in a called process
    answers the business key its parent was started with, not nothing."""
    deploy(engine, KEYED_PARENT, KEYED_CHILD)
    parent = engine.instances.start_instance("keyed_parent", {}, by=clerk, business_key="PO-7")
    child = only_child(engine, parent["id"])
    assert (child["business_key"], child["data"]["seen_key"]) == ("PO-7", "PO-7")
