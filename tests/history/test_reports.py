"""KPIs and the controls report, computed from a history whose answers are known."""

from __future__ import annotations

import pytest
from flowdesk.engine.errors import Forbidden
from flowdesk.engine.identity import SYSTEM

from tests.support.models import one_task_process


@pytest.fixture
def known_history(engine, clock):
    """Three instances completed after 1 h, 3 h and 2 h (their task due after 2 h), one still
    open and overdue, one cancelled; instance B loops back once (its task is reopened by a
    second completion of the same element is simulated by a rework process below)."""
    engine.identity.create_user("cleo", "password1", ["clerks"], by=SYSTEM)
    engine.repository.deploy([one_task_process(dueDate='=deadline("PT2H")')], by=SYSTEM)
    durations = {}
    for hours in (1, 3, 2):
        instance = engine.instances.start_instance("one_task", {}, by=SYSTEM)
        clock.advance(hours=hours)
        engine.tasks.complete_task(instance["open_tasks"][0]["id"], {}, by=engine.identity.actor("cleo"))
        durations[instance["id"]] = hours * 3600
        clock.advance(days=1)
    engine.instances.start_instance("one_task", {}, by=SYSTEM)
    cancelled = engine.instances.start_instance("one_task", {}, by=SYSTEM)
    engine.instances.cancel_instance(cancelled["id"], by=SYSTEM, reason="test")
    clock.advance(hours=3)  # the open task is now an hour overdue
    return durations


def test_kpis_of_a_known_history(engine, known_history):
    (report,) = engine.history.kpi_report(by=SYSTEM, definition_key="one_task")["processes"]
    assert report["started"] == 5 and report["completed"] == 3
    assert report["open"] == 1 and report["cancelled"] == 1
    assert report["cycle_time_seconds"] == {"median": 7200.0, "p90": 10080.0, "count": 3}
    buckets = {b["upper_seconds"]: b["count"] for b in report["cycle_time_histogram"]}
    assert buckets[3600.0] == 1 and buckets[4 * 3600.0] == 2 and sum(buckets.values()) == 3
    assert report["first_pass_rate"] == 1.0
    # Late: the 3-hour completion (due after 2 h) and the open task, now 3 h old.
    assert report["sla_breaches"] == 2
    (task,) = report["tasks"]
    assert task["element_id"] == "work" and task["completed"] == 3 and task["open"] == 1
    assert task["waiting_seconds"] == {"median": 7200.0, "p90": 10080.0}
    assert task["sla_breaches"] == 2
    days = report["throughput_per_day"]
    assert [d["day"] for d in days] == ["2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08"]
    assert sum(d["started"] for d in days) == 5 and sum(d["completed"] for d in days) == 3


def test_kpis_filter_by_time_range(engine, known_history):
    (report,) = engine.history.kpi_report(by=SYSTEM, definition_key="one_task", until=_at("2026-01-06T00:00:00+00:00"))["processes"]
    assert report["started"] == 1 and report["completed"] == 1
    assert report["cycle_time_seconds"]["median"] == 3600.0


def test_a_rework_loop_lowers_the_first_pass_rate(engine, clock):
    engine.identity.create_user("cleo", "password1", ["clerks"], by=SYSTEM)
    engine.repository.deploy([_rework_process()], by=SYSTEM)
    for rounds in (1, 2):
        instance = engine.instances.start_instance("rework", {"rounds": rounds}, by=SYSTEM)
        for _ in range(rounds):
            clock.advance(minutes=5)
            task = engine.instances.get_instance(instance["id"], by=SYSTEM)["open_tasks"][0]
            engine.tasks.complete_task(task["id"], {}, by=engine.identity.actor("cleo"))
    (report,) = engine.history.kpi_report(by=SYSTEM, definition_key="rework")["processes"]
    assert report["completed"] == 2 and report["first_pass_rate"] == 0.5


def test_only_managers_auditors_and_admins_read_kpis(engine, known_history):
    engine.identity.create_user("mia", "password1", ["employees", "sales_managers"], by=SYSTEM)
    engine.identity.create_user("cora", "password1", ["employees", "cfo"], by=SYSTEM)
    assert engine.history.kpi_report(by=engine.identity.actor("mia"))["processes"]
    assert engine.history.kpi_report(by=engine.identity.actor("cora"))["processes"]
    with pytest.raises(Forbidden):
        engine.history.kpi_report(by=engine.identity.actor("cleo"))


def test_kpis_on_postgres_match_sqlite(postgres_url, clock):
    from tests.support.engines import make_engine

    engine = make_engine(postgres_url, clock)
    try:
        engine.identity.create_user("cleo", "password1", ["clerks"], by=SYSTEM)
        engine.repository.deploy([one_task_process(dueDate='=deadline("PT2H")')], by=SYSTEM)
        for hours in (1, 3, 2):
            instance = engine.instances.start_instance("one_task", {}, by=SYSTEM)
            clock.advance(hours=hours)
            engine.tasks.complete_task(instance["open_tasks"][0]["id"], {}, by=engine.identity.actor("cleo"))
        (report,) = engine.history.kpi_report(by=SYSTEM, definition_key="one_task")["processes"]
        assert report["cycle_time_seconds"] == {"median": 7200.0, "p90": 10080.0, "count": 3}
        assert report["sla_breaches"] == 1 and report["first_pass_rate"] == 1.0
        assert sum(b["count"] for b in report["cycle_time_histogram"]) == 3
        assert [d["completed"] for d in report["throughput_per_day"]] == [3]
    finally:
        engine.close()


def _at(text):
    from datetime import datetime
    return datetime.fromisoformat(text)


def _rework_process():
    from flowdesk.engine.definitions.sources import SourceFile

    from tests.support.models import HEADER
    xml = HEADER + """
  <bpmn:process id="rework" isExecutable="true">
    <bpmn:laneSet id="lanes"><bpmn:lane id="lane" name="clerks">
      <bpmn:flowNodeRef>work</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="init"/>
    <bpmn:scriptTask id="init"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>done = 0</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="init" targetRef="work"/>
    <bpmn:userTask id="work" name="Work"><bpmn:incoming>f2</bpmn:incoming><bpmn:incoming>again</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f3" sourceRef="work" targetRef="count"/>
    <bpmn:scriptTask id="count"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:script>done = done + 1</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f4" sourceRef="count" targetRef="more"/>
    <bpmn:exclusiveGateway id="more" default="finish"><bpmn:incoming>f4</bpmn:incoming>
      <bpmn:outgoing>again</bpmn:outgoing><bpmn:outgoing>finish</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="again" sourceRef="more" targetRef="work">
      <bpmn:conditionExpression>done &lt; rounds</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="finish" sourceRef="more" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>finish</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
    return SourceFile("rework.bpmn", xml.encode())
