"""Driving one instance to its end, as a tireless test user would, through the HTTP API.

Each round does the first thing that moves the instance on, in this order: complete the
open user tasks (with data that satisfies their forms and the gateways after them), work
the external tasks (with the variables the gateways read), run the background work that
is due, deliver a message or signal an intermediate event or receive task waits for, let
the earliest timer fire (the clock moves to its due time), and last deliver what a
boundary event or event sub-process waits for. An instance that completes is done; one
with an open incident failed (the incident says why); one where nothing of this moves it
on waits (its active elements say where).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flowdesk.engine import expressions

from .data import Chooser, allows_more, form_data
from .harness import TESTERS, Harness
from .model import Hints

MAX_ROUNDS = 150
TIMER_HORIZON = timedelta(days=3 * 366)
SHORT = timedelta(hours=1)
_EARLY = ("intermediate", "receive", "gateway")


@dataclass
class Outcome:
    status: str  # completed | waiting | failed | not-started
    detail: str = ""
    instance_id: str | None = None
    steps: list[str] = field(default_factory=list)


class Driver:
    def __init__(self, harness: Harness, hints: Hints, attempt: int) -> None:
        self.h = harness
        self.hints = hints
        self.chooser = Chooser(hints, attempt)
        self.visits: Counter[str] = Counter()
        self.delivered: Counter[str] = Counter()
        self.steps: list[str] = []
        self.patient = attempt % 2 == 1

    # -- starting -------------------------------------------------------------------------
    def start(self, file: str, key: str) -> tuple[str | None, str]:
        starts = self.hints.starts.get((file, key)) or []
        kinds = [s.kind for s in starts] or ["plain"]
        if "plain" in kinds:
            return self._start_plain(key)
        for start in starts:
            if start.kind == "message":
                response = self.h.call("POST", "/messages", json={"name": start.name, "correlation": {},
                                                                   "data": self._variables("#start")})
                if response.status_code == 200:
                    started = response.json().get("started_instances") or []
                    if started:
                        return started[0], "started by message"
            elif start.kind == "signal":
                response = self.h.call("POST", "/signals", json={"name": start.name,
                                                                  "data": self._variables("#start")})
                if response.status_code == 200:
                    mine = self._newest(key)
                    if mine:
                        return mine, "started by signal"
            elif start.kind == "timer":
                found = self._start_timer(key)
                if found:
                    return found, "started by its timer"
        return None, f"could not start it ({', '.join(kinds)} start)"

    def _start_plain(self, key: str) -> tuple[str | None, str]:
        definition = self.h.call("GET", f"/definitions/{key}")
        if definition.status_code != 200:
            return None, f"GET definition: {definition.status_code}"
        form = (definition.json().get("start_form") or {}).get("schema")
        last = ""
        for required_only in (False, True):
            data = form_data(form, self.chooser, 0, required_only)
            if allows_more(form):
                data = {**self._variables("#start"), **data}
            response = self.h.call("POST", f"/definitions/{key}/instances", json={"data": data})
            if response.status_code == 201:
                return response.json()["id"], "started"
            last = _problem(response)
        return None, f"start refused: {last}"

    def _start_timer(self, key: str) -> str | None:
        jobs = self.h.call("GET", "/jobs", params={"status": "waiting", "limit": 500}).json().get("items", [])
        timers = sorted((j for j in jobs if j["kind"] == "start_timer" and j["name"] == key), key=lambda j: j["due_at"])
        if not timers:
            return None
        before = set(self._instances(key))
        self.h.advance_to(datetime.fromisoformat(timers[0]["due_at"]))
        self.h.run_jobs()
        new = [i for i in self._instances(key) if i not in before]
        return new[-1] if new else None

    def _instances(self, key: str) -> list[str]:
        items = self.h.call("GET", "/instances", params={"definition_key": key, "limit": 500}).json().get("items", [])
        return [i["id"] for i in sorted(items, key=lambda i: i["started_at"])]

    def _newest(self, key: str) -> str | None:
        found = self._instances(key)
        return found[-1] if found else None

    # -- driving ----------------------------------------------------------------------------
    def drive(self, instance_id: str) -> Outcome:
        self.h.run_jobs()
        for _ in range(MAX_ROUNDS):
            instance = self.h.call("GET", f"/instances/{instance_id}").json()
            status = instance.get("status")
            if status == "completed":
                return Outcome("completed", "", instance_id, self.steps)
            if status == "failed":
                return Outcome("failed", self._incident(instance_id), instance_id, self.steps)
            if status != "running":
                return Outcome("failed", f"instance is {status}", instance_id, self.steps)
            # every other attempt lets short timers fire before working tasks: a model may
            # wait for a non-interrupting timer that the happy path outruns
            called = self._called(instance_id)
            if isinstance(called, Outcome):
                return called
            if called or (self.patient and self._timer(instance_id, SHORT)) or self._tasks(instance) \
                    or self._external(instance_id, instance) or self.h.run_jobs() \
                    or self._catch(instance, _EARLY) or self._timer(instance_id) \
                    or self._catch(instance, ("boundary", "subprocess")):
                continue
            where = ", ".join(instance.get("active_elements") or []) or "nothing active"
            return Outcome("waiting", f"waits at {where}", instance_id, self.steps)
        instance = self.h.call("GET", f"/instances/{instance_id}").json()
        return Outcome("waiting", f"still running after {MAX_ROUNDS} rounds at "
                                  f"{', '.join(instance.get('active_elements') or [])}", instance_id, self.steps)

    def _called(self, instance_id: str) -> bool | Outcome:
        """Drive the instances the call activities of ``instance_id`` started (each runs as an
        instance of its own): True when one completed, the outcome of one that failed (the
        parent cannot go on without it)."""
        children = self.h.call("GET", "/instances", params={"parent_instance_id": instance_id, "status": "running",
                                                            "limit": 500}).json().get("items", [])
        progressed = False
        for child in children:
            outcome = self.drive(child["id"])
            if outcome.status == "failed":
                return Outcome("failed", outcome.detail, instance_id, self.steps)
            progressed = progressed or outcome.status == "completed"
        return progressed

    def _incident(self, instance_id: str) -> str:
        items = self.h.call("GET", "/incidents", params={"instance_id": instance_id, "status": "open"}).json()
        messages = [f"{i.get('element_id')}: {i.get('message')}" for i in items.get("items", [])]
        return "; ".join(messages) or "failed without an incident"

    def _variables(self, element: str) -> dict[str, Any]:
        return self.chooser.variables(self.visits[element], skip=frozenset())

    # user tasks
    def _tasks(self, instance: dict) -> bool:
        progressed = False
        for summary in instance.get("open_tasks") or []:
            if self._complete(summary):
                progressed = True
        return progressed

    def _complete(self, summary: dict) -> bool:
        task_id, element = summary["id"], summary["element_id"]
        detail = self.h.call("GET", f"/tasks/{task_id}")
        schema = (detail.json().get("form") or {}).get("schema") if detail.status_code == 200 else None
        visit = self.visits[element]
        self.visits[element] += 1
        attempts = []
        for required_only in (False, True):
            data = form_data(schema, self.chooser, visit, required_only)
            if allows_more(schema):
                data = {**self.chooser.variables(visit, skip=frozenset()), **data}
            attempts.append(data)
        groups = list(summary.get("candidate_groups") or [])
        named = summary.get("assignee")
        users = ([named] if named and named not in TESTERS else []) + list(TESTERS)
        for user in users:
            if not self.h.tester(user, groups):
                continue
            assigned = self.h.call("POST", f"/tasks/{task_id}/assign", user=user, json={"username": user})
            if assigned.status_code not in (200, 409):
                continue
            for data in attempts:
                response = self.h.call("POST", f"/tasks/{task_id}/complete", user=user, json={"data": data})
                if response.status_code == 200:
                    self.steps.append(f"task {element}")
                    return True
                if response.status_code == 403:
                    break  # separation of duties: the next tester
                if response.status_code == 409:
                    return False
        return False

    # external tasks
    def _external(self, instance_id: str, instance: dict) -> bool:
        jobs = self._jobs(instance_id)
        topics = sorted({j["name"] for j in jobs if j["kind"] == "external" and j["name"]})
        if not topics:
            return False
        locked = self.h.call("POST", "/external-tasks/fetch-and-lock",
                             json={"worker_id": "conformance", "topics": topics, "max_tasks": 100}).json()
        progressed = False
        for task in locked.get("items", []):
            if task.get("instance_id") != instance_id:
                continue
            element = task.get("element_id") or ""
            variables = self.chooser.variables(self.visits[element], skip=frozenset())
            self.visits[element] += 1
            response = self.h.call("POST", f"/external-tasks/{task['id']}/complete",
                                   json={"worker_id": "conformance", "variables": variables})
            if response.status_code == 200:
                self.steps.append(f"external {element}")
                progressed = True
        return progressed

    def _jobs(self, instance_id: str) -> list[dict]:
        response = self.h.call("GET", "/jobs", params={"instance_id": instance_id, "status": "waiting", "limit": 500})
        return response.json().get("items", []) if response.status_code == 200 else []

    # messages and signals
    def _catch(self, instance: dict, where: tuple[str, ...]) -> bool:
        active = []
        for element in instance.get("active_elements") or []:
            active.append(element)
            active.extend(self.hints.gateways.get(element, ()))  # an event-based gateway's events
        for element in active:
            catch = self.hints.catches.get(element)
            if catch is None or catch.where not in where:
                continue
            if self.delivered[element] >= (3 if catch.where in _EARLY else 1):
                continue
            self.delivered[element] += 1
            data = self._variables(element)
            values = instance.get("data") or {}
            for path in getattr(catch, "payload", ()):
                data.setdefault(path, values.get(path, "test"))
            if catch.kind == "signal":
                response = self.h.call("POST", "/signals", json={"name": catch.name, "data": data})
                ok = response.status_code == 200 and instance["id"] in response.json().get("instances", [])
            else:
                ok = self._message(instance, catch, data)
            if ok:
                self.steps.append(f"{catch.kind} {catch.name} -> {element}")
                self.h.run_jobs()
                return True
        return False

    def _message(self, instance: dict, catch, data: dict) -> bool:
        tries: list[dict] = []
        values = instance.get("data") or {}
        if catch.correlations:
            correlation = {}
            for prop, source in catch.correlations:
                try:
                    correlation[prop] = expressions.evaluate(source, values)
                except expressions.ExpressionError:
                    correlation[prop] = None
            tries.append(correlation)
        tries.append({})
        tries.extend({k: v} for k, v in values.items() if isinstance(v, str | int) and not isinstance(v, bool))
        for correlation in tries:
            response = self.h.call("POST", "/messages", json={"name": catch.name, "correlation": correlation,
                                                               "data": data})
            if response.status_code == 200 and instance["id"] in response.json().get("correlated_instances", []):
                return True
        return False

    # timers
    def _timer(self, instance_id: str, horizon: timedelta = None) -> bool:  # noqa: RUF013
        timers = [j for j in self._jobs(instance_id) if j["kind"] == "timer" and j.get("due_at")]
        if not timers:
            return False
        due = min(datetime.fromisoformat(j["due_at"]) for j in timers)
        if due - self.h.clock.now() > (horizon or TIMER_HORIZON):
            return False
        self.h.advance_to(due)
        self.h.run_jobs()
        self.steps.append(f"timer due {due.isoformat()}")
        return True


def _problem(response) -> str:
    try:
        body = response.json()
    except json.JSONDecodeError:
        return f"{response.status_code}"
    errors = body.get("errors") or []
    details = "; ".join(f"{e.get('path') or e.get('file')}: {e.get('message')}" for e in errors[:3])
    return f"{response.status_code} {body.get('detail', '')} {details}".strip()
