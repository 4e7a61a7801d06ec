"""Business rule tasks run on Flowdesk's DMN evaluator: every hit policy, decision
requirement graphs, literal expressions, several decisions per file, with the audit."""

from __future__ import annotations

import pytest
from flowdesk.engine.definitions.sources import SourceFile

from tests.support.dialects import Driver, bpmn, chain

DRD = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="x">
  <inputData id="in_amount" name="amount"/>
  <decision id="risk" name="risk">
    <informationRequirement id="r1"><requiredInput href="#in_amount"/></informationRequirement>
    <decisionTable id="risk_table" hitPolicy="PRIORITY">
      <input id="i1"><inputExpression typeRef="number"><text>amount</text></inputExpression></input>
      <output id="o1" name="level" typeRef="string"><outputValues><text>"high","medium","low"</text></outputValues>
      </output>
      <rule id="low"><inputEntry><text>-</text></inputEntry><outputEntry><text>"low"</text></outputEntry></rule>
      <rule id="high"><inputEntry><text>&gt; 1000</text></inputEntry><outputEntry><text>"high"</text></outputEntry></rule>
      <rule id="medium"><inputEntry><text>&gt; 100</text></inputEntry><outputEntry><text>"medium"</text></outputEntry></rule>
    </decisionTable>
  </decision>
  <decision id="approval" name="approval">
    <informationRequirement id="r2"><requiredDecision href="#risk"/></informationRequirement>
    <literalExpression id="lit"><text>if risk = "high" then "board" else "manager"</text></literalExpression>
  </decision>
</definitions>"""


@pytest.fixture
def run(engine, clock) -> Driver:
    return Driver(engine, clock)


@pytest.mark.parametrize(("amount", "risk", "approver"), [(50, "low", "manager"), (500, "medium", "manager"),
                                                          (5000, "high", "board")])
def test_required_decisions_priority_tables_and_literal_expressions(run, amount, risk, approver):
    body = f"""<bpmn:startEvent id="s"/>{chain("s", "rate", "route", "e")}
      <bpmn:businessRuleTask id="rate"><bpmn:extensionElements>
        <spiffworkflow:calledDecisionId>risk</spiffworkflow:calledDecisionId></bpmn:extensionElements>
      </bpmn:businessRuleTask>
      <bpmn:businessRuleTask id="route" camunda:decisionRef="approval" camunda:resultVariable="approver"
                             camunda:mapDecisionResult="singleEntry"/>
      <bpmn:endEvent id="e"/>"""
    source = bpmn("route.bpmn", body).content.replace(
        b'xmlns:camunda=', b'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" xmlns:camunda=')
    run.deploy(SourceFile("route.bpmn", source), SourceFile("drd.dmn", DRD.encode()))
    instance = run.start(data={"amount": amount})
    assert instance["data"] == {"amount": amount, "level": risk, "approver": approver}
    rate, route = run.events(instance["id"], "decision.evaluated")
    assert rate["data"]["decision"] == "risk" and rate["data"]["hit_policy"] == "PRIORITY"
    assert rate["data"]["rules"] and rate["data"]["outputs"] == {"level": risk}
    assert route["data"]["decision"] == "approval" and route["data"]["required"] == ["risk"]


def test_a_dmn_file_the_evaluator_cannot_read_is_refused_with_its_line(run):
    broken = DRD.replace('<text>&gt; 1000</text>', '<text>&gt; (1000</text>')
    body = f"""<bpmn:startEvent id="s"/>{chain("s", "rate", "e")}
      <bpmn:businessRuleTask id="rate" camunda:decisionRef="risk"/><bpmn:endEvent id="e"/>"""
    from flowdesk.engine.errors import DefinitionInvalid

    with pytest.raises(DefinitionInvalid) as err:
        run.deploy(bpmn("rate.bpmn", body), SourceFile("drd.dmn", broken.encode()))
    assert all(p.file == "drd.dmn" and p.line for p in err.value.problems)
