"""The call activity Flowdesk installs (through SpiffWorkflow's parser and serializer, not
by replacing library code): instead of an embedded subprocess it asks for a child instance
and waits; the child's output completes it as the library's own would, post-script and
all. Stored specs of every version restore as this activity (same typename)."""

from __future__ import annotations

from flowdesk.engine.runtime import ProcessRuntime, XmlDocument, parse_processes
from flowdesk.engine.runtime.calls import CalledInstanceActivity, CallOutput
from flowdesk.engine.runtime.serialization import spec_from_dict, spec_to_dict
from lxml import etree
from SpiffWorkflow.spiff.specs.defaults import CallActivity as SpiffCallActivity

from tests.support.models import HEADER

CALLER = """
<bpmn:process id="caller" isExecutable="true">
  <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="call"/>
  <bpmn:callActivity id="call" calledElement="callee"/><bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="after"/>
  <bpmn:scriptTask id="after"><bpmn:script>doubled = total * 2</bpmn:script></bpmn:scriptTask>
  <bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="e"/><bpmn:endEvent id="e"/>
</bpmn:process>
<bpmn:process id="callee" isExecutable="true">
  <bpmn:startEvent id="cs"/><bpmn:sequenceFlow id="c1" sourceRef="cs" targetRef="add"/>
  <bpmn:scriptTask id="add"><bpmn:script>total = amount + 1</bpmn:script></bpmn:scriptTask>
  <bpmn:sequenceFlow id="c2" sourceRef="add" targetRef="ce"/><bpmn:endEvent id="ce"/>
</bpmn:process>
</bpmn:definitions>"""


def runtimes() -> dict[str, ProcessRuntime]:
    document = XmlDocument("calls.bpmn", etree.fromstring((HEADER + CALLER).encode()))
    parsed = parse_processes([document], [], ["caller", "callee"])
    return {key: ProcessRuntime(p.spec, p.subprocess_specs) for key, p in parsed.items()}


def test_a_call_activity_asks_for_a_child_and_waits_instead_of_embedding_the_process():
    caller = runtimes()["caller"].start({"amount": 1})
    caller.run()
    (request,) = caller.call_requests()
    assert (request.element_id, request.process_key, request.data) == ("call", "callee", {"amount": 1})
    assert caller.status == "running" and caller.active_elements() == ["call"]
    assert caller._wf.subprocesses == {}  # nothing of the callee runs inside the caller

    caller.call_started(request.task_id, "child-1")
    assert caller.call_requests() == [] and caller.waiting_calls() == {"child-1": request.task_id}


def test_the_childs_output_completes_the_call_and_the_caller_runs_on():
    found = runtimes()
    caller = found["caller"].start({"amount": 1})
    caller.run()
    (request,) = caller.call_requests()
    caller.call_started(request.task_id, "child-1")
    child = found["callee"].start_called(request.data)
    assert child.status == "completed"
    caller.complete_call("child-1", child.call_output())
    assert caller.status == "completed" and caller.data()["doubled"] == 4


def test_a_declared_output_the_child_did_not_produce_fails_the_call():
    caller = runtimes()["caller"].start({"amount": 1})
    caller.run()
    (request,) = caller.call_requests()
    caller.call_started(request.task_id, "child-1")
    caller.complete_call("child-1", CallOutput({"other": 1}, ("total",)))
    assert caller.status == "failed" and caller.failure.element_id == "call"


def test_every_stored_call_activity_restores_as_flowdesks():
    spec = runtimes()["caller"].spec
    stored = spec_to_dict(spec)
    assert stored["task_specs"]["call"]["typename"] == "CallActivity"
    assert isinstance(spec_from_dict(stored).task_specs["call"], CalledInstanceActivity)


def test_an_instance_stored_with_an_embedded_subprocess_still_finishes_it():
    # Instances started before call activities became child instances hold the called process
    # inside their state: after the upgrade, it runs to its end there and the caller goes on.
    document = XmlDocument("calls.bpmn", etree.fromstring((HEADER + CALLER.replace(
        '<bpmn:scriptTask id="add">', '<bpmn:userTask id="wait" name="Wait"/>'
        '<bpmn:sequenceFlow id="cw" sourceRef="wait" targetRef="add"/><bpmn:scriptTask id="add">').replace(
        'sourceRef="cs" targetRef="add"', 'sourceRef="cs" targetRef="wait"')).encode()))
    parsed = parse_processes([document], [], ["caller"])["caller"]
    old = ProcessRuntime(parsed.spec, parsed.subprocess_specs)
    call = old.spec.task_specs["call"]
    call.__class__ = SpiffCallActivity  # as SpiffWorkflow ran it before
    embedded = old.start({"amount": 1})
    embedded.run()
    assert len(embedded._wf.subprocesses) == 1 and embedded.call_requests() == []
    stored = embedded.state()

    upgraded = ProcessRuntime(parsed.spec, parsed.subprocess_specs)
    assert isinstance(upgraded.spec.task_specs["call"], CalledInstanceActivity)
    restored = upgraded.restore(stored)
    (task_id,) = restored.ready_human_task_ids()
    restored.complete_task(task_id, {})
    assert restored.status == "completed" and restored.data()["doubled"] == 4


def test_a_call_activity_inside_an_embedded_sub_process_asks_for_a_child_too():
    nested = CALLER.replace(
        '<bpmn:callActivity id="call" calledElement="callee"/>',
        '<bpmn:subProcess id="call"><bpmn:startEvent id="ss"/>'
        '<bpmn:sequenceFlow id="s1" sourceRef="ss" targetRef="inner_call"/>'
        '<bpmn:callActivity id="inner_call" calledElement="callee"/>'
        '<bpmn:sequenceFlow id="s2" sourceRef="inner_call" targetRef="se"/><bpmn:endEvent id="se"/></bpmn:subProcess>')
    document = XmlDocument("nested.bpmn", etree.fromstring((HEADER + nested).encode()))
    parsed = parse_processes([document], [], ["caller"])["caller"]
    runtime = ProcessRuntime(parsed.spec, parsed.subprocess_specs)
    assert runtime.may_have_calls  # so that every step of it looks for call requests
    caller = runtime.start({"amount": 1})
    caller.run()
    assert [r.element_id for r in caller.call_requests()] == ["inner_call"]
