"""The embedded worker of ``flowdesk serve``: real time, real thread, SQLite."""

from __future__ import annotations

import time
from datetime import datetime

from flowdesk.engine.clock import SystemClock
from flowdesk.engine.definitions.sources import SourceFile
from flowdesk.engine.identity import SYSTEM, Actor
from flowdesk.engine.jobs.executor import JobExecutor
from flowdesk.engine.jobs.worker import EmbeddedWorker

from tests.support.engines import make_engine
from tests.support.models import HEADER

OPERATOR = Actor("ops", frozenset({"admin"}))
ESCALATION = HEADER + """
  <bpmn:process id="escalation" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="respond"/>
    <bpmn:userTask id="respond" name="Respond"><bpmn:incoming>a</bpmn:incoming><bpmn:outgoing>b</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="b" sourceRef="respond" targetRef="e"/>
    <bpmn:endEvent id="e"><bpmn:incoming>b</bpmn:incoming></bpmn:endEvent>
    <bpmn:boundaryEvent id="deadline" attachedToRef="respond" cancelActivity="false">
      <bpmn:outgoing>c</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1S</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="c" sourceRef="deadline" targetRef="escalate"/>
    <bpmn:userTask id="escalate" name="Escalated"><bpmn:incoming>c</bpmn:incoming><bpmn:outgoing>d</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="d" sourceRef="escalate" targetRef="e2"/>
    <bpmn:endEvent id="e2"><bpmn:incoming>d</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_deadline_escalates_on_the_embedded_worker_which_reports_in(sqlite_url):
    engine = make_engine(sqlite_url, SystemClock())
    engine.repository.deploy([SourceFile("escalation.bpmn", ESCALATION.encode())], by=SYSTEM)
    worker = EmbeddedWorker(JobExecutor(engine.context, worker_id="embedded-test"))
    worker.start()
    try:
        instance = engine.instances.start_instance("escalation", {}, by=SYSTEM)
        started = time.monotonic()
        while time.monotonic() - started < 60:
            if any(t["element_id"] == "escalate" for t in engine.instances.get_instance(instance["id"], by=SYSTEM)["open_tasks"]):
                break
            time.sleep(0.02)
        (created,) = [t for t in engine.instances.get_instance(instance["id"], by=SYSTEM)["open_tasks"] if t["element_id"] == "escalate"]
        (job,) = engine.management.list_jobs(by=OPERATOR, instance_id=instance["id"]).items
        # Never early; how late is measured by bench/ (a timed assertion fails on a busy machine).
        assert datetime.fromisoformat(created["created_at"]) >= datetime.fromisoformat(job["due_at"])
        assert engine.management.metrics(by=OPERATOR)["live_workers"] == 1
    finally:
        worker.stop()
        engine.close()


