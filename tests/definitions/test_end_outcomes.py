"""A model says where a request ends withdrawn or cancelled (``outcome`` on an end event in
YAML, the ``flowdesk:outcome`` property in Camunda); the end-event id convention
(``cancelled``, ``withdrawn``, ``hire_cancelled``) is only the fallback."""

from __future__ import annotations

import pytest
from flowdesk.engine.errors import DefinitionInvalid
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.status import ends_as_cancelled

from tests.support.definitions import problems, source


def yaml_process(end: str, outcome: str | None = None) -> str:
    marker = f"\n            outcome: {outcome}" if outcome else ""
    return f"""
        process: errand_{end}
        name: Errand
        lanes:
          requester: clerks
        steps:
          - end: {end}{marker}
        """


def finished(engine, clerk, text: str, key: str) -> dict:
    engine.repository.deploy([source(text, f"{key}.yaml")], by=SYSTEM)
    return engine.instances.start_instance(key, {}, by=clerk)


def finished_status(engine, clerk, text: str, key: str) -> str:
    return finished(engine, clerk, text, key)["status"]


def test_an_end_declared_withdrawn_cancels_the_instance_whatever_its_id(engine, clerk):
    instance = finished(engine, clerk, yaml_process("given_up", "withdrawn"), "errand_given_up")
    assert instance["status"] == "cancelled"
    events = engine.history.instance_history(instance["id"], by=SYSTEM, limit=100).items
    assert [e["element_id"] for e in events if e["type"] == "instance.cancelled"] == ["given_up"]


def test_a_declared_outcome_wins_over_the_id_convention(engine, clerk):
    assert finished_status(engine, clerk, yaml_process("cancelled", "completed"), "errand_cancelled") == "completed"


def test_without_a_declaration_the_id_convention_still_decides(engine, clerk):
    assert finished_status(engine, clerk, yaml_process("withdrawn"), "errand_withdrawn") == "cancelled"
    assert finished_status(engine, clerk, yaml_process("done"), "errand_done") == "completed"


def test_an_unknown_outcome_is_refused_at_its_line():
    found = problems(yaml_process("given_up", "abandoned"))
    assert any("outcome" in p.message for p in found), found


def test_ends_as_cancelled_reads_the_declared_outcome_first():
    assert ends_as_cancelled("given_up", {"given_up": "cancelled"})
    assert not ends_as_cancelled("withdrawn", {"withdrawn": "completed"})
    assert ends_as_cancelled("hire_cancelled", {}) and not ends_as_cancelled("hired")


CAMUNDA = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="camunda_errand" name="Errand" isExecutable="true">
    <bpmn:startEvent id="start" camunda:initiator="starter"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="given_up"/>
    <bpmn:endEvent id="given_up">
      <bpmn:extensionElements>
        <camunda:properties><camunda:property name="flowdesk:outcome" value="{outcome}"/></camunda:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming>
    </bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_camunda_model_declares_the_outcome_as_a_property(engine, clerk):
    engine.repository.deploy([source(CAMUNDA.replace("{outcome}", "withdrawn"), "camunda_errand.bpmn")], by=SYSTEM)
    assert engine.instances.start_instance("camunda_errand", {}, by=clerk)["status"] == "cancelled"


def test_a_camunda_outcome_must_be_a_known_one(engine):
    with pytest.raises(DefinitionInvalid) as refused:
        engine.repository.deploy([source(CAMUNDA.replace("{outcome}", "abandoned"), "camunda_errand.bpmn")],
                                 by=SYSTEM)
    (problem,) = refused.value.problems
    assert "outcome must be one of" in problem.message and problem.line is not None
