"""Camunda 8 (Zeebe) models deploy and run: FEEL everywhere, job workers, mappings, forms,
assignment, schedules, correlation, multi-instance, decisions and called processes."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flowdesk.engine.definitions.sources import SourceFile
from flowdesk.engine.errors import DefinitionInvalid, InvalidData, NotFound

from tests.support.dialects import Driver, bpmn, chain, flow

C8 = 'modeler:executionPlatform="Camunda Cloud"'


@pytest.fixture
def run(engine, clock) -> Driver:
    return Driver(engine, clock)


ORDER = f"""
  <bpmn:startEvent id="s"/>{chain("s", "charge", "paid?")}
  <bpmn:serviceTask id="charge" name="Charge">
    <bpmn:extensionElements>
      <zeebe:taskDefinition type="charge-card" retries="5"/>
      <zeebe:ioMapping>
        <zeebe:input source="=amount * 2" target="request.total"/>
        <zeebe:input source="EUR" target="request.currency"/>
        <zeebe:output source="=result.ok" target="charged"/>
      </zeebe:ioMapping>
    </bpmn:extensionElements>
  </bpmn:serviceTask>
  <bpmn:exclusiveGateway id="paid?" default="no"/>
  {flow("yes", "paid?", "ship", "=charged and amount &gt; 10")}{flow("no", "paid?", "e2")}
  <bpmn:userTask id="ship" name="Ship">
    <bpmn:extensionElements>
      <zeebe:userTask/>
      <zeebe:assignmentDefinition assignee="=clerk" candidateGroups="warehouse, logistics"/>
      <zeebe:taskSchedule dueDate="=now() + duration(&quot;P2D&quot;)" followUpDate="=now()"/>
    </bpmn:extensionElements>
  </bpmn:userTask>{flow("f_ship", "ship", "wait")}
  <bpmn:intermediateCatchEvent id="wait">
    <bpmn:timerEventDefinition><bpmn:timeDuration>=duration("PT1H")</bpmn:timeDuration></bpmn:timerEventDefinition>
  </bpmn:intermediateCatchEvent>{flow("f_wait", "wait", "e")}
  <bpmn:endEvent id="e"/><bpmn:endEvent id="e2"/>"""


def test_job_workers_mappings_feel_conditions_assignment_and_timers(run):
    assert run.deploy(bpmn("order.bpmn", ORDER, attrs=C8)).warnings == []
    instance = run.start(data={"amount": 50, "clerk": "pat"})
    (job,) = run.jobs(instance["id"])
    assert (job.kind, job.name, job.max_attempts) == ("external", "charge-card", 5)

    (task,) = run.work("charge-card", {"result": {"ok": True}, "noise": 1})
    # the worker sees the process variables and the task's local inputs
    assert task["variables"]["request"] == {"total": 100, "currency": "EUR"}
    after = run.instance(instance["id"])
    # outputs are what leaves the task: neither the locals nor the worker's other variables
    assert after["data"] == {"amount": 50, "clerk": "pat", "charged": True}
    (ship,) = after["open_tasks"]
    assert ship["assignee"] == "pat" and ship["candidate_groups"] == ["warehouse", "logistics"]
    assert ship["due_at"] == (run.clock.now() + timedelta(days=2)).isoformat()

    run.complete(instance["id"], "ship")
    (timer,) = [j for j in run.jobs(instance["id"]) if j.kind == "timer"]
    assert timer.due_at == run.clock.now() + timedelta(hours=1)
    run.later(hours=1, seconds=1)
    assert run.instance(instance["id"])["status"] == "completed"


def test_a_feel_condition_that_does_not_parse_is_refused_with_its_line(run):
    broken = ORDER.replace("=charged and amount &gt; 10", "=charged and and")
    with pytest.raises(DefinitionInvalid) as err:
        run.deploy(bpmn("order.bpmn", broken, attrs=C8))
    (problem,) = err.value.problems
    assert problem.line is not None and "not valid FEEL" in problem.message


FORM = {"id": "approval-form", "type": "default", "schemaVersion": 16, "components": [
    {"type": "radio", "key": "decision", "label": "Decision", "validate": {"required": True},
     "values": [{"label": "Yes", "value": "yes"}, {"label": "No", "value": "no"}]}]}

FORMS = f"""
  <bpmn:extensionElements><zeebe:userTaskForm id="inline">{json.dumps({**FORM, "id": "inline"})}</zeebe:userTaskForm>
  </bpmn:extensionElements>
  <bpmn:startEvent id="s"/>{chain("s", "a", "b", "c", "e")}
  <bpmn:userTask id="a"><bpmn:extensionElements>
    <zeebe:formDefinition formKey="camunda-forms:bpmn:inline"/></bpmn:extensionElements></bpmn:userTask>
  <bpmn:userTask id="b"><bpmn:extensionElements>
    <zeebe:userTask/><zeebe:formDefinition formId="approval-form"/></bpmn:extensionElements></bpmn:userTask>
  <bpmn:userTask id="c"><bpmn:extensionElements>
    <zeebe:userTask/><zeebe:formDefinition formId="nowhere"/></bpmn:extensionElements></bpmn:userTask>
  <bpmn:endEvent id="e"/>"""


def test_embedded_and_linked_form_js_forms_validate_and_a_missing_one_is_free_form(run):
    result = run.deploy(bpmn("forms.bpmn", FORMS, attrs=C8),
                        SourceFile("approval.form", json.dumps(FORM).encode()))
    assert [w.message for w in result.warnings] == [
        "task 'c' uses form 'nowhere', which is neither in this deployment nor deployed: "
        "the task accepts any data"]
    instance = run.start()
    (a,) = instance["open_tasks"]
    assert a["form"] == "forms.inline"
    with pytest.raises(InvalidData):
        run.complete(instance["id"], "a", {"decision": "maybe"})
    after = run.complete(instance["id"], "a", {"decision": "yes"})
    (b,) = after["open_tasks"]
    assert b["form"] == "approval"
    after = run.complete(instance["id"], "b", {"decision": "no"})
    (c,) = after["open_tasks"]
    assert c["form"] is None
    assert run.complete(instance["id"], "c", {"anything": [1, 2]})["status"] == "completed"


CORRELATION = f"""
  <bpmn:startEvent id="s"/>{chain("s", "receive", "e")}
  <bpmn:receiveTask id="receive" messageRef="paid"/>
  <bpmn:endEvent id="e"/>"""
PAID = ('<bpmn:message id="paid" name="payment-received"><bpmn:extensionElements>'
        '<zeebe:subscription correlationKey="=orderId"/></bpmn:extensionElements></bpmn:message>')


def test_a_message_reaches_the_instance_its_correlation_key_names(run):
    run.deploy(bpmn("pay.bpmn", CORRELATION, PAID, attrs=C8))
    first, second = run.start(data={"orderId": "A-1"}), run.start(data={"orderId": "A-2"})
    with pytest.raises(NotFound):
        run.engine.instances.send_message("payment-received", {"correlationKey": "A-3"}, {}, by=run.actor)
    reached = run.engine.instances.send_message("payment-received", {"correlationKey": "A-2"}, {"amount": 7}, by=run.actor)
    assert reached["correlated_instances"] == [second["id"]]
    done = run.instance(second["id"])
    assert done["status"] == "completed" and done["data"]["amount"] == 7  # the payload is merged
    assert run.instance(first["id"])["status"] == "running"


LOOP = f"""
  <bpmn:startEvent id="s"/>{chain("s", "each", "e")}
  <bpmn:scriptTask id="each">
    <bpmn:extensionElements>
      <zeebe:script expression="=item * factor" resultVariable="product"/>
      <zeebe:ioMapping><zeebe:input source="=10" target="factor"/></zeebe:ioMapping>
    </bpmn:extensionElements>
    <bpmn:multiInstanceLoopCharacteristics isSequential="true">
      <bpmn:extensionElements>
        <zeebe:loopCharacteristics inputCollection="=[1, 2, 3]" inputElement="item" outputCollection="products"
                                   outputElement="={{n: item, product: product}}"/>
      </bpmn:extensionElements>
    </bpmn:multiInstanceLoopCharacteristics>
  </bpmn:scriptTask>
  <bpmn:endEvent id="e"/>"""


def test_multi_instance_collections_and_elements_are_feel(run):
    run.deploy(bpmn("loop.bpmn", LOOP, attrs=C8))
    instance = run.start(data={"item": "kept"})
    assert instance["status"] == "completed"
    assert instance["data"]["products"] == [{"n": 1, "product": 10}, {"n": 2, "product": 20},
                                            {"n": 3, "product": 30}]
    assert instance["data"]["item"] == "kept"  # the input element is local to each instance
    assert "factor" not in instance["data"]


DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="x">
  <decision id="fee" name="Fee">
    <decisionTable id="fee_table" hitPolicy="COLLECT" aggregation="SUM">
      <input id="i1" label="Amount"><inputExpression typeRef="number"><text>amount</text></inputExpression></input>
      <output id="o1" name="fee" typeRef="number"/>
      <rule id="base"><inputEntry><text>-</text></inputEntry><outputEntry><text>5</text></outputEntry></rule>
      <rule id="large"><inputEntry><text>&gt; 100</text></inputEntry><outputEntry><text>10</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>"""

DECIDE = f"""
  <bpmn:startEvent id="s"/>{chain("s", "decide", "e")}
  <bpmn:businessRuleTask id="decide">
    <bpmn:extensionElements><zeebe:calledDecision decisionId="fee" resultVariable="total_fee"/></bpmn:extensionElements>
  </bpmn:businessRuleTask>
  <bpmn:endEvent id="e"/>"""


def test_called_decisions_run_on_flowdesks_evaluator_with_their_result_variable(run):
    run.deploy(bpmn("decide.bpmn", DECIDE, attrs=C8), SourceFile("fee.dmn", DMN.encode()))
    instance = run.start(data={"amount": 250})
    assert instance["data"]["total_fee"] == 15  # COLLECT SUM: SpiffWorkflow's engine cannot
    (evaluated,) = run.events(instance["id"], "decision.evaluated")
    payload = evaluated["data"]
    assert payload["decision"] == "fee" and payload["inputs"] == {"Amount": 250}
    assert [r["id"] for r in payload["rules"]] == ["base", "large"]
    assert payload["outputs"] == {"total_fee": 15} and payload["table_version"]["file"] == "fee.dmn"


CALLER = f"""
  <bpmn:startEvent id="s"/>{chain("s", "call", "e")}
  <bpmn:callActivity id="call">
    <bpmn:extensionElements>
      <zeebe:calledElement processId="child" propagateAllChildVariables="false"/>
      <zeebe:ioMapping><zeebe:output source="=answer" target="reply"/></zeebe:ioMapping>
    </bpmn:extensionElements>
  </bpmn:callActivity>
  <bpmn:endEvent id="e"/>"""
CHILD = f"""
  <bpmn:startEvent id="cs"/>{chain("cs", "set", "ce")}
  <bpmn:scriptTask id="set"><bpmn:extensionElements>
    <zeebe:script expression="=question + &quot;!&quot;" resultVariable="answer"/></bpmn:extensionElements>
  </bpmn:scriptTask>
  <bpmn:endEvent id="ce"/>"""


def test_called_processes_get_the_callers_variables_and_give_back_their_outputs(run):
    run.deploy(bpmn("child.bpmn", CHILD, key="child", attrs=C8))
    run.deploy(bpmn("caller.bpmn", CALLER, attrs=C8))
    instance = run.start(data={"question": "why"})
    assert instance["status"] == "completed"
    assert instance["data"] == {"question": "why", "reply": "why!"}

