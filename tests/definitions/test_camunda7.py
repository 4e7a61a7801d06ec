"""Camunda 7 (and Flowable) models: mappings, candidate users, multi-instance collections,
generated forms, implementations as external tasks, scripts, cron timers, decisions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flowdesk.engine.definitions.sources import SourceFile
from flowdesk.engine.errors import DefinitionInvalid, InvalidData
from flowdesk.engine.persistence.models import Job
from sqlalchemy import select

from tests.support.dialects import Driver, bpmn, chain, flow


@pytest.fixture
def run(engine, clock) -> Driver:
    return Driver(engine, clock)


REVIEW = f"""
  <bpmn:startEvent id="s"/>{chain("s", "fetch", "review", "check", "e")}
  <bpmn:serviceTask id="fetch" camunda:class="com.acme.FetchCustomer" camunda:asyncBefore="true">
    <bpmn:extensionElements>
      <camunda:inputOutput>
        <camunda:inputParameter name="query">${{customerId}}</camunda:inputParameter>
        <camunda:inputParameter name="fields"><camunda:list><camunda:value>name</camunda:value>
          <camunda:value>rating</camunda:value></camunda:list></camunda:inputParameter>
        <camunda:outputParameter name="rating">${{customer.rating}}</camunda:outputParameter>
      </camunda:inputOutput>
      <camunda:failedJobRetryTimeCycle>R4/PT5M</camunda:failedJobRetryTimeCycle>
    </bpmn:extensionElements>
  </bpmn:serviceTask>
  <bpmn:userTask id="review" camunda:candidateUsers="anna, ben">
    <bpmn:extensionElements>
      <camunda:formData>
        <camunda:formField id="approved" label="Approved?" type="boolean">
          <camunda:validation><camunda:constraint name="required"/></camunda:validation>
        </camunda:formField>
        <camunda:formField id="comment" label="Comment" type="string"/>
      </camunda:formData>
    </bpmn:extensionElements>
  </bpmn:userTask>
  <bpmn:userTask id="check">
    <bpmn:multiInstanceLoopCharacteristics camunda:collection="${{reviewers}}" camunda:elementVariable="reviewer"/>
  </bpmn:userTask>
  <bpmn:endEvent id="e"/>"""


def test_delegates_mappings_candidate_users_generated_forms_and_collections(run):
    result = run.deploy(bpmn("review.bpmn", REVIEW))
    (warning,) = result.warnings
    assert "external task on topic 'com.acme.FetchCustomer'" in warning.message and warning.line
    instance = run.start(data={"customerId": "C-7", "reviewers": ["x", "y"]})
    (job,) = run.jobs(instance["id"])
    assert (job.kind, job.name, job.max_attempts) == ("external", "com.acme.FetchCustomer", 4)
    (task,) = run.work("com.acme.FetchCustomer", {"customer": {"rating": "A"}})
    assert task["variables"]["query"] == "C-7" and task["variables"]["fields"] == ["name", "rating"]
    after = run.instance(instance["id"])
    assert after["data"] == {"customerId": "C-7", "reviewers": ["x", "y"], "rating": "A"}
    (review,) = after["open_tasks"]
    assert review["assignee"] == "anna"  # a task with candidate users goes to the first of them
    assert review["form"] == "review.review"
    with pytest.raises(InvalidData):
        run.complete(instance["id"], "review", {"comment": "no decision"})
    after = run.complete(instance["id"], "review", {"approved": True})
    assert [t["element_id"] for t in after["open_tasks"]] == ["check", "check"]  # one per reviewer
    for _ in range(2):
        after = run.complete(instance["id"], "check")
    assert after["status"] == "completed" and "reviewer" not in after["data"]


@pytest.mark.parametrize("language", ["javascript", "groovy", "JavaScript"])
def test_scripts_the_sandbox_does_not_run_are_refused_naming_the_element(run, language):
    body = f"""<bpmn:startEvent id="s"/>{chain("s", "calc", "e")}
      <bpmn:scriptTask id="calc" scriptFormat="{language}"><bpmn:script>for (i in 1..3) {{ x = i }}</bpmn:script>
      </bpmn:scriptTask>
      <bpmn:userTask id="e2"><bpmn:extensionElements><camunda:taskListener event="create">
        <camunda:script scriptFormat="{language}">if (a) {{ task.setVariable('a', 1) }}</camunda:script>
      </camunda:taskListener></bpmn:extensionElements></bpmn:userTask>
      <bpmn:endEvent id="e"/>"""
    with pytest.raises(DefinitionInvalid) as err:
        run.deploy(bpmn("calc.bpmn", body))
    messages = sorted(p.message for p in err.value.problems)
    assert len(messages) == 2 and all(p.line for p in err.value.problems)
    assert f"script task 'calc' is written in '{language.lower()}'" in messages[0]
    assert "userTask 'e2'" in messages[1] and "create listener" in messages[1]


def test_python_listeners_run_around_their_task(run):
    body = f"""<bpmn:startEvent id="s"/>{chain("s", "t", "e")}
      <bpmn:userTask id="t"><bpmn:extensionElements>
        <camunda:taskListener event="create"><camunda:script scriptFormat="python">seen = 1</camunda:script>
        </camunda:taskListener>
        <camunda:executionListener event="end"><camunda:script scriptFormat="python">seen = seen + 1</camunda:script>
        </camunda:executionListener>
        <camunda:executionListener event="start" class="com.acme.Audit"/>
      </bpmn:extensionElements></bpmn:userTask>
      <bpmn:endEvent id="e"/>"""
    result = run.deploy(bpmn("listen.bpmn", body))
    assert any("'com.acme.Audit' is Java code and is not run" in w.message for w in result.warnings)
    instance = run.start()
    assert run.complete(instance["id"], "t")["data"] == {"seen": 2}


def test_quartz_cron_timer_cycles_run_on_their_schedule(run):
    body = f"""<bpmn:startEvent id="s"><bpmn:timerEventDefinition>
        <bpmn:timeCycle xsi:type="bpmn:tFormalExpression">0 0 9 ? * MON-FRI</bpmn:timeCycle>
      </bpmn:timerEventDefinition></bpmn:startEvent>{chain("s", "e")}<bpmn:endEvent id="e"/>"""
    run.deploy(bpmn("daily.bpmn", body))
    with run.engine.transaction() as s:
        (job,) = s.scalars(select(Job).where(Job.kind == "start_timer"))
        first = job.due_at if job.due_at.tzinfo else job.due_at.replace(tzinfo=UTC)
    now = run.clock.now()  # a Monday, 09:00
    assert first > now and first.hour == 9 and first.weekday() < 5
    assert first == datetime(now.year, now.month, now.day + 1, 9, 0, tzinfo=UTC)
    assert job.payload["period_seconds"] == 24 * 3600


DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="x">
  <decision id="approvers" name="Approvers">
    <decisionTable id="t" hitPolicy="COLLECT">
      <input id="i"><inputExpression typeRef="number"><text>amount</text></inputExpression></input>
      <output id="o" name="group" typeRef="string"/>
      <rule id="r1"><inputEntry><text>&gt; 100</text></inputEntry><outputEntry><text>"finance"</text></outputEntry></rule>
      <rule id="r2"><inputEntry><text>-</text></inputEntry><outputEntry><text>"team"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>"""


@pytest.mark.parametrize(("mapping", "expected"), [
    ("collectEntries", ["finance", "team"]),
    ("resultList", [{"group": "finance"}, {"group": "team"}]),
    ("singleResult", {"group": "finance"}),
    ("singleEntry", "finance"),
])
def test_decision_results_are_mapped_as_camunda_7_maps_them(run, mapping, expected):
    body = f"""<bpmn:startEvent id="s"/>{chain("s", "decide", "e")}
      <bpmn:businessRuleTask id="decide" camunda:decisionRef="approvers" camunda:resultVariable="groups"
                             camunda:mapDecisionResult="{mapping}"/>
      <bpmn:endEvent id="e"/>"""
    run.deploy(bpmn("approve.bpmn", body), SourceFile("approvers.dmn", DMN.encode()))
    assert run.start(data={"amount": 500})["data"]["groups"] == expected


def test_el_method_calls_read_strings_lists_and_stand_in_beans(run):
    body = f"""<bpmn:startEvent id="s"/>{chain("s", "g")}
      <bpmn:exclusiveGateway id="g" default="other"/>
      {flow("vip", "g", "e1", "${name.toLowerCase() == 'joram' &amp;&amp; items.size() &gt; 1}")}
      {flow("bean", "g", "e2", "${reservationService.showUp()}")}{flow("other", "g", "e3")}
      <bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/><bpmn:endEvent id="e3"/>"""
    run.deploy(bpmn("el.bpmn", body))
    def ended_at(data):
        instance = run.start(data=data)
        return next(e["data"]["target"] for e in run.events(instance["id"], "gateway.taken"))
    assert ended_at({"name": "Joram", "items": [1, 2], "reservationService": {"showUp": False}}) == "e1"
    assert ended_at({"name": "Tijs", "items": [], "reservationService": {"showUp": True}}) == "e2"
    assert ended_at({"name": "Tijs", "items": [], "reservationService": {"showUp": False}}) == "e3"


def test_flowable_attributes_read_as_camunda_ones(run):
    body = f"""<bpmn:startEvent id="s"/>{chain("s", "t", "e")}
      <bpmn:userTask id="t" flowable:candidateGroups="sales" flowable:formKey="quote"/>
      <bpmn:endEvent id="e"/>"""
    source = bpmn("flow.bpmn", body).content.replace(
        b'xmlns:camunda=', b'xmlns:flowable="http://flowable.org/bpmn" xmlns:camunda=')
    result = run.deploy(SourceFile("flow.bpmn", source))
    assert [w.message for w in result.warnings] == [
        "task 't' uses form 'quote', which is neither in this deployment nor deployed: the task accepts any data"]
    (task,) = run.start()["open_tasks"]
    assert task["candidate_groups"] == ["sales"] and task["form"] is None
