"""Expressions and scripts run in the sandbox: escape payloads are refused, the instance
fails with an incident, and the engine goes on serving."""

from __future__ import annotations

import pytest
from flowdesk.engine.errors import DefinitionInvalid
from flowdesk.engine.identity import SYSTEM

from tests.support.models import script_process

# Each payload either cannot be deployed (the sandbox sees it statically) or fails when it
# runs; either way it never executes, and the message says why.
PAYLOADS = {
    "subclasses": "x = ().__class__.__bases__[0].__subclasses__()",
    "import_builtin": "os = __import__('os')",
    "import_statement": "import os",
    "getattr_globals": "x = getattr(len, '__globals__')",
    "format_traversal": "x = 1\ny = '{0.__class__}'.format(x)",
    "huge_power": "x = 10**10**10",
    "endless_loop": "while True: pass",
}


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_escape_payload_never_runs(engine, name):
    payload = PAYLOADS[name]
    try:
        engine.repository.deploy([script_process(f"payload_{name}", payload)], by=SYSTEM)
    except DefinitionInvalid as err:
        (problem,) = err.problems
        assert problem.file == f"payload_{name}.bpmn" and problem.line is not None
        assert "script task 'run'" in problem.message
        return
    instance = engine.instances.start_instance(f"payload_{name}", {}, by=SYSTEM)
    assert instance["status"] == "failed"
    assert instance["active_elements"] == ["run"]
    (incident,) = engine.management.list_incidents(by=SYSTEM, instance_id=instance["id"]).items
    assert incident["status"] == "open" and incident["element_id"] == "run"
    assert incident["kind"] in {"SandboxViolation", "ResourceLimitExceeded"}
    assert incident["message"]
    opened = [e for e in engine.history.instance_history(instance["id"], by=SYSTEM, limit=500).items
              if e["type"] == "incident.opened"]
    assert opened and opened[0]["data"]["message"] == incident["message"]


def test_statically_forbidden_code_is_refused_at_deploy_with_its_line(engine):
    script = "total = 1\nname = 'x'\nmodule = __import__('os')"
    with pytest.raises(DefinitionInvalid) as err:
        engine.repository.deploy([script_process("bad", script)], by=SYSTEM)
    (problem,) = err.value.problems
    xml_line_of_script = script_process("bad", script).content.decode().splitlines().index(
        next(line for line in script_process("bad", script).content.decode().splitlines() if "total = 1" in line)
    ) + 1
    assert problem.line == xml_line_of_script + 2


def test_runtime_refusals_leave_the_engine_serving(engine):
    engine.repository.deploy([script_process("loop", "while True: pass"), script_process("fine", "answer = 6 * 7")], by=SYSTEM)
    assert engine.instances.start_instance("loop", {}, by=SYSTEM)["status"] == "failed"
    fine = engine.instances.start_instance("fine", {}, by=SYSTEM)
    assert fine["status"] == "completed" and fine["data"]["answer"] == 42


def test_runtime_sandbox_refuses_payloads_even_without_deploy_checks():
    """Defense in depth: the script engine SpiffWorkflow calls refuses on its own."""
    from flowdesk.engine import expressions
    from flowdesk.engine.runtime.scripting import SandboxEnvironment

    env = SandboxEnvironment()
    for payload in PAYLOADS.values():
        with pytest.raises(expressions.ExpressionError):
            env.execute(payload, {})
    with pytest.raises(expressions.ExpressionError):
        env.evaluate("().__class__.__bases__[0].__subclasses__()", {})


def test_failed_condition_opens_an_incident(engine):
    from flowdesk.engine.definitions.sources import SourceFile

    from tests.support.models import HEADER

    xml = HEADER + """
  <bpmn:process id="gw" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="split"/>
    <bpmn:exclusiveGateway id="split" default="f3"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="end">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">amount / divisor &gt; 1</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
    engine.repository.deploy([SourceFile("gw.bpmn", xml.encode())], by=SYSTEM)
    instance = engine.instances.start_instance("gw", {"amount": 5, "divisor": 0}, by=SYSTEM)
    assert instance["status"] == "failed"
    (incident,) = engine.management.list_incidents(by=SYSTEM, instance_id=instance["id"]).items
    assert incident["element_id"] == "split" and "division by zero" in incident["message"]
