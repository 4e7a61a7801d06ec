"""Small models written inline in each dialect (Camunda 7, Zeebe, plain BPMN), and a driver
that works them on the test engine as users and job workers would."""

from __future__ import annotations

import contextlib
from itertools import pairwise
from typing import Any

from flowdesk.engine.connectors import ConnectorRegistry
from flowdesk.engine.definitions.sources import SourceFile
from flowdesk.engine.errors import Conflict
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.jobs.executor import JobExecutor
from flowdesk.engine.persistence.models import Job
from sqlalchemy import select

from .models import flow

NAMESPACES = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
    'xmlns:modeler="http://camunda.org/schema/modeler/1.0" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)


def bpmn(name: str, body: str, roots: str = "", key: str = "p", attrs: str = "") -> SourceFile:
    """A BPMN file with one executable process `key` holding `body` (and `roots`, messages,
    signals, errors, before it)."""
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions {NAMESPACES} id="d" '
           f'targetNamespace="http://example.com" {attrs}>{roots}'
           f'<bpmn:process id="{key}" isExecutable="true">{body}</bpmn:process></bpmn:definitions>')
    return SourceFile(name, xml.encode())


def chain(*ids: str) -> str:
    """Sequence flows a -> b -> c."""
    return "".join(flow(f"f_{a}_{b}", a, b) for a, b in pairwise(ids))


class Driver:
    """Acts on the engine as users and workers would."""

    def __init__(self, engine, clock) -> None:
        self.engine = engine
        self.clock = clock
        engine.identity.create_user("worker", "password1", ["integration", "admin"], by=SYSTEM)
        self.actor = engine.identity.actor("worker")
        self.executor = JobExecutor(engine.context, ConnectorRegistry([]), worker_id="test")

    def deploy(self, *files: SourceFile):
        return self.engine.repository.deploy(list(files), by=SYSTEM)

    def start(self, key: str = "p", data: dict | None = None) -> dict:
        return self.engine.instances.start_instance(key, data or {}, by=SYSTEM)

    def instance(self, instance_id: str) -> dict:
        return self.engine.instances.get_instance(instance_id, by=SYSTEM)

    def complete(self, instance_id: str, element_id: str, data: dict | None = None) -> dict:
        task = next(t for t in self.instance(instance_id)["open_tasks"] if t["element_id"] == element_id)
        # Tasks go only to users eligible for them: the worker joins the task's groups, or
        # acts as the user its assignee rule names.
        name = task["assignee"] if task["assignee"] and task["candidate_groups"] == [] else "worker"
        name = "worker" if name == SYSTEM.username else name
        if name != "worker":
            with contextlib.suppress(Conflict):
                self.engine.identity.create_user(name, "password1", ["integration", "admin"], by=SYSTEM)
        self.engine.identity.set_user_groups(name, ["integration", "admin", *task["candidate_groups"]], by=SYSTEM)
        actor = self.engine.identity.actor(name)
        self.engine.tasks.assign_task(task["id"], name, by=actor)
        return self.engine.tasks.complete_task(task["id"], data or {}, by=actor)["instance"]

    def work(self, topic: str, variables: dict | None = None) -> list[dict]:
        locked = self.engine.external_tasks.fetch_and_lock("w", [topic], by=self.actor)
        for task in locked:
            self.engine.external_tasks.complete(task["id"], "w", variables or {}, by=self.actor)
        return locked

    def jobs(self, instance_id: str) -> list[Job]:
        with self.engine.transaction() as s:
            return list(s.scalars(select(Job).where(Job.instance_id == instance_id).order_by(Job.due_at)))

    def later(self, **delta: Any) -> int:
        self.clock.advance(**delta)
        return self.executor.run_due()

    def events(self, instance_id: str, type_: str) -> list[dict]:
        return [e for e in self.engine.history.instance_history(instance_id, by=SYSTEM, limit=500).items if e["type"] == type_]
