"""Timers are jobs with a due time; the clock is injected, so nothing here sleeps."""

from __future__ import annotations

from datetime import timedelta

from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.persistence.models import Job
from sqlalchemy import select

from tests.support.paths import BACKGROUND


def jobs(engine, instance_id):
    with engine.transaction() as s:
        return list(s.scalars(select(Job).where(Job.instance_id == instance_id).order_by(Job.due_at)))


def test_intermediate_timer_waits_and_then_fires(engine, executor, deploy, clock):
    deploy("wait.bpmn")
    instance = engine.instances.start_instance("wait", {}, by=SYSTEM)
    (timer,) = jobs(engine, instance["id"])
    assert timer.kind == "timer" and timer.status == "waiting"
    assert timer.due_at == clock.now() + timedelta(minutes=10)

    clock.advance(minutes=9, seconds=59)
    assert executor.run_due() == 0
    assert engine.instances.get_instance(instance["id"], by=SYSTEM)["status"] == "running"

    clock.advance(seconds=1.5)
    assert executor.run_due() == 1
    done = engine.instances.get_instance(instance["id"], by=SYSTEM)
    assert done["status"] == "completed" and done["data"]["waited"] is True
    fired = [e for e in engine.history.instance_history(instance["id"], by=SYSTEM, limit=500).items if e["type"] == "timer.fired"]
    assert [(e["element_id"], e["actor"]) for e in fired] == [("pause", "system")]
    assert [j.status for j in jobs(engine, instance["id"])] == ["done"]


def test_non_interrupting_boundary_timer_escalates_without_cancelling(engine, executor, deploy, clock):
    deploy("sla.bpmn")
    engine.identity.create_user("sam", "password1", ["service_supervisors"], by=SYSTEM)
    instance = engine.instances.start_instance("sla", {}, by=SYSTEM)
    (respond,) = instance["open_tasks"]
    assert sorted(j.element_id for j in jobs(engine, instance["id"])) == ["breach", "deadline"]

    clock.advance(hours=4, seconds=1)
    assert executor.run_due() == 1
    now_open = {t["element_id"]: t for t in engine.instances.get_instance(instance["id"], by=SYSTEM)["open_tasks"]}
    assert set(now_open) == {"respond", "escalate"}
    assert now_open["respond"]["id"] == respond["id"]  # the agent keeps the task
    assert [t["element_id"] for t in engine.tasks.inbox(by=engine.identity.actor("sam")).items] == ["escalate"]


def test_interrupting_boundary_timer_cancels_the_task(engine, executor, deploy, clock):
    deploy("sla.bpmn")
    instance = engine.instances.start_instance("sla", {}, by=SYSTEM)
    respond = instance["open_tasks"][0]
    clock.advance(days=3, seconds=1)  # both deadlines have passed by now
    executor.run_due()
    assert executor.run_due() == 0  # one step fired every due timer of the instance
    after = engine.instances.get_instance(instance["id"], by=SYSTEM)
    assert [t["element_id"] for t in after["open_tasks"]] == ["escalate"]
    assert engine.tasks.get_task(respond["id"], by=SYSTEM)["status"] == "cancelled"
    history = engine.history.instance_history(instance["id"], by=SYSTEM, limit=500).items
    assert sorted(e["element_id"] for e in history if e["type"] == "timer.fired") == ["breach", "deadline"]
    assert any(e["type"] == "task.cancelled" and e["task_id"] == respond["id"] for e in history)


def test_completing_the_task_cancels_its_timers(engine, executor, deploy, clock):
    deploy("sla.bpmn")
    engine.identity.create_user("ada", "password1", ["service_agents"], by=SYSTEM)
    instance = engine.instances.start_instance("sla", {}, by=SYSTEM)
    engine.tasks.complete_task(instance["open_tasks"][0]["id"], {}, by=engine.identity.actor("ada"))
    assert {j.status for j in jobs(engine, instance["id"])} == {"cancelled"}
    clock.advance(days=5)
    assert executor.run_due() == 0


def test_timers_survive_a_restart(sqlite_url, clock, deploy, engine):
    from flowdesk.engine.jobs.executor import JobExecutor

    from tests.support.engines import make_engine

    deploy("wait.bpmn")
    instance = engine.instances.start_instance("wait", {}, by=SYSTEM)
    engine.close()
    clock.advance(minutes=11)
    fresh = make_engine(sqlite_url, clock)
    assert JobExecutor(fresh.context, worker_id="after-restart").run_due() == 1
    assert fresh.instances.get_instance(instance["id"], by=SYSTEM)["status"] == "completed"
    fresh.close()


def test_cancelling_an_instance_cancels_its_jobs(engine, executor, deploy, clock):
    deploy("sla.bpmn")
    instance = engine.instances.start_instance("sla", {}, by=SYSTEM)
    engine.instances.cancel_instance(instance["id"], by=SYSTEM, reason="duplicate")
    assert {j.status for j in jobs(engine, instance["id"])} == {"cancelled"}


def test_timer_start_event_starts_a_new_instance_each_cycle(engine, executor, deploy, clock):
    from flowdesk.engine.persistence.models import Instance

    deploy("daily.bpmn")  # R3/2026-01-06T06:00:00Z/P1D; the clock stands at 2026-01-05 09:00
    with engine.transaction() as s:
        (job,) = s.scalars(select(Job).where(Job.kind == "start_timer")).all()
    assert job.due_at.isoformat() == "2026-01-06T06:00:00+00:00"

    def started():
        with engine.transaction() as s:
            return s.scalars(select(Instance.started_at).where(Instance.definition_key == "daily_check")
                             .order_by(Instance.started_at)).all()

    assert executor.run_due() == 0 and started() == []
    for _day in range(5):
        clock.advance(days=1)
        executor.run_due()
    assert [t.isoformat() for t in started()] == [
        "2026-01-06T09:00:00+00:00", "2026-01-07T09:00:00+00:00", "2026-01-08T09:00:00+00:00",
    ]  # three cycles, each starting its own instance
    with engine.transaction() as s:
        assert s.scalars(select(Job.status).where(Job.kind == "start_timer")).all() == ["done"]


def test_deploying_a_new_version_replaces_the_start_timer(engine, deploy):
    deploy("daily.bpmn")
    text = (BACKGROUND / "daily.bpmn").read_text().replace("R3/", "R5/")
    from flowdesk.engine.definitions.sources import SourceFile

    engine.repository.deploy([SourceFile("daily.bpmn", text.encode())], by=SYSTEM)
    with engine.transaction() as s:
        jobs_by_status = sorted((j.status, j.payload["cycles"]) for j in s.scalars(
            select(Job).where(Job.kind == "start_timer")))
    assert jobs_by_status == [("cancelled", 3), ("waiting", 5)]


def test_boundary_cycle_timer_reminds_three_times(engine, executor, clock):
    from flowdesk.engine.definitions.sources import SourceFile

    from tests.support.models import HEADER

    xml = HEADER + """
  <bpmn:process id="remind" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="pay"/>
    <bpmn:userTask id="pay" name="Pay the invoice"><bpmn:incoming>a</bpmn:incoming><bpmn:outgoing>b</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="b" sourceRef="pay" targetRef="e"/>
    <bpmn:endEvent id="e"><bpmn:incoming>b</bpmn:incoming></bpmn:endEvent>
    <bpmn:boundaryEvent id="reminder" attachedToRef="pay" cancelActivity="false">
      <bpmn:outgoing>c</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeCycle>R3/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="c" sourceRef="reminder" targetRef="count"/>
    <bpmn:scriptTask id="count"><bpmn:incoming>c</bpmn:incoming><bpmn:outgoing>d</bpmn:outgoing>
      <bpmn:script>reminded = True</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="d" sourceRef="count" targetRef="e2"/>
    <bpmn:endEvent id="e2"><bpmn:incoming>d</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
    engine.repository.deploy([SourceFile("remind.bpmn", xml.encode())], by=SYSTEM)
    instance = engine.instances.start_instance("remind", {}, by=SYSTEM)
    for _ in range(5):
        clock.advance(hours=1, seconds=1)
        executor.run_due()
    fired = [e for e in engine.history.instance_history(instance["id"], by=SYSTEM, limit=500).items if e["type"] == "timer.fired"]
    assert len(fired) == 3
    assert engine.instances.get_instance(instance["id"], by=SYSTEM)["status"] == "running"  # the payment task is still open


def test_a_timer_at_exactly_its_due_instant_waits_for_the_next_moment(engine, executor, deploy, clock):
    deploy("wait.bpmn")
    instance = engine.instances.start_instance("wait", {}, by=SYSTEM)
    clock.advance(minutes=10)  # exactly due: SpiffWorkflow fires only once due < now
    assert executor.run_due() == 0
    clock.advance(microseconds=1)
    assert executor.run_due() == 1
    assert engine.instances.get_instance(instance["id"], by=SYSTEM)["status"] == "completed"


def test_work_is_due_only_once_its_timer_falls_due(engine, deploy, clock):
    """What the web app asks before waiting for a user's next task after a completion."""
    deploy("wait.bpmn")
    instance = engine.instances.start_instance("wait", {}, by=SYSTEM)
    assert instance["status"] == "running" and instance["open_tasks"] == []
    assert engine.instances.has_work_due(instance["id"], by=SYSTEM) is False
    clock.advance(minutes=10, seconds=1)
    assert engine.instances.has_work_due(instance["id"], by=SYSTEM) is True
