"""The client every process scenario test plays with: the HTTP API (``ApiClient``) plus a
background worker (service calls, messages, timers; mail to an outbox folder), and the
verbs the scenarios use: start an instance, look at it, complete its tasks, let time pass,
read records, histories and audit events, send messages as the integration account, and
check a separation-of-duties refusal (403, not in the inbox, audited as ``access.denied``,
the task still open).

Time is a fake clock that only the test moves; background work runs when the test says
so (every verb that changes something runs it until nothing is due). Test files subclass
``Scenario`` with their process's own steps.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, ClassVar

from flowdesk.engine.clock import FakeClock
from flowdesk.engine.definitions.sources import SourceFile
from flowdesk.engine.jobs.executor import JobExecutor

from .client import ApiClient, assert_problem, open_api

#: procure_to_pay's side of a conversation, for tests of a process that asks purchasing: it
#: takes the purchase request (so the message does not expire); the test plays the replies.
PURCHASING_STUB = SourceFile("stub_purchasing.yaml", b"""
process: stub_purchasing
start: {message: purchase_request, variable: request}
messages:
  purchase_request:
    correlation:
      origin_ref: {payload: origin_ref, process: 'request["origin_ref"]'}
steps:
  - script: taken
    code: taken = True
""")

#: The people of the business: every shipped process and seed (lead_to_cash, complaint_handling).
BUSINESS_PEOPLE = {
    "sam": ["employees", "sales"],
    "sue": ["employees", "sales"],
    "sal": ["employees", "sales", "sales_managers"],
    "mia": ["employees", "sales_managers"],
    "max": ["employees", "sales_managers", "sales_directors"],
    "dirk": ["employees", "sales_directors"],
    "frank": ["employees", "finance_controllers"],
    "fred": ["employees", "finance_controllers", "sales"],
    "wanda": ["employees", "warehouse"],
    "walt": ["employees", "warehouse", "accounts_receivable"],
    "rob": ["employees", "accounts_receivable"],
    "fay": ["employees", "accounts_receivable", "finance_controllers"],
    "agnes": ["employees", "service_agents"],
    "alex": ["employees", "service_agents", "service_supervisors"],
    "sven": ["employees", "service_supervisors"],
    "ian": ["integration"],
    "erin": ["auditor"],
}


@dataclass(kw_only=True)
class Scenario(ApiClient):
    """The API plus the background worker, and what a scenario does with them."""

    executor: JobExecutor
    outbox: Path
    #: Seconds `later` adds to every wait: a timer fires once its instant has passed
    #: (SpiffWorkflow), so a test may prefer never to land exactly on one.
    later_margin: float = 0
    #: A token is reissued when the fake clock moved this far since it was issued.
    token_reuse: ClassVar[timedelta | None] = timedelta(minutes=30)

    @property
    def api(self) -> Scenario:
        """The scenario is its own API client (``scenario.api.get(...)`` reads as before)."""
        return self

    # -- background work and time --------------------------------------------------------------
    def work(self) -> int:
        """Run the background work that is due (service calls, messages, fired timers)
        until none is left; how many jobs ran."""
        ran = 0
        for _ in range(200):
            count = self.executor.run_due()
            if count == 0:
                return ran
            ran += count
        waiting = self.call("GET", "/jobs", "erin", None, params={"status": "waiting"})
        raise AssertionError(f"background work does not settle: {waiting}")

    drain = run = work

    def later(self, **delta: float) -> None:
        """Let time pass (plus `later_margin` seconds), then run what fell due."""
        seconds = delta.pop("seconds", 0) + self.later_margin
        self.clock.advance(**delta, seconds=seconds)
        self.work()

    # -- instances and tasks -------------------------------------------------------------------
    def start(self, key: str, user: str, data: dict) -> dict:
        """Start `key` with its start form `data` as `user`; the instance after its first step."""
        started = self.call("POST", f"/definitions/{key}/instances", user, 201, json={"data": data})
        self.work()
        return self.instance(started["id"])

    def instance(self, instance_id: str) -> dict:
        return self.call("GET", f"/instances/{instance_id}", "erin")

    def instances(self, key: str, **params: Any) -> list[dict]:
        return self.call("GET", "/instances", "erin", params={"definition_key": key, "limit": 100, **params})["items"]

    def open(self, instance_id: str) -> list[str]:
        """The element ids of the instance's open tasks, in the API's order."""
        return [t["element_id"] for t in self.instance(instance_id)["open_tasks"]]

    def open_elements(self, instance_id: str) -> list[str]:
        return sorted(self.open(instance_id))

    def task(self, instance_id: str, element_id: str) -> dict:
        """The one open task `element_id` of the instance."""
        found = [t for t in self.instance(instance_id)["open_tasks"] if t["element_id"] == element_id]
        assert len(found) == 1, (element_id, self.open(instance_id))
        return found[0]

    def try_complete(self, instance_id: str, element_id: str, user: str, data: dict):
        task = self.task(instance_id, element_id)
        return self._send("POST", f"/api/v1/tasks/{task['id']}/complete", user, json={"data": data})

    def complete(self, instance_id: str, element_id: str, user: str, data: dict, expect: int = 200) -> dict:
        """Complete the open task `element_id` as `user`: the instance afterwards (its
        background work done), or the problem document when `expect` is an error status."""
        response = self.try_complete(instance_id, element_id, user, data)
        assert response.status_code == expect, response.text
        if expect != 200:
            return response.json()
        self.work()
        return self.instance(instance_id)

    def inbox(self, user: str) -> list[str]:
        return [t["element_id"] for t in self.call("GET", "/tasks", user)["items"]]

    def history(self, instance_id: str) -> list[dict]:
        return self.call("GET", f"/instances/{instance_id}/history", "erin", params={"limit": 500})["items"]

    def message(self, name: str, correlation: dict, data: dict) -> dict:
        """Send a message as the integration account, and run what it started."""
        result = self.call("POST", "/messages", "ian", json={"name": name, "correlation": correlation, "data": data})
        self.work()
        return result

    # -- records, audit, mail ------------------------------------------------------------------
    def records(self, type_: str, **params: Any) -> list[dict]:
        return self.call("GET", f"/records/{type_}", "erin", params={"limit": 500, **params})["items"]

    def record(self, type_: str, ref: str) -> dict:
        return self.call("GET", f"/records/{type_}/{ref}", "erin")

    def refusals(self, user: str) -> list[dict]:
        """The `access.denied` events of `user`, oldest first."""
        return self.call("GET", "/audit/events", "erin",
                         params={"type": "access.denied", "actor": user, "limit": 500})["items"]

    def denied(self, user: str) -> list[dict]:
        """The separation-of-duties refusals of `user`."""
        return [e for e in self.refusals(user) if e["data"].get("reason") == "separation-of-duties"]

    def mails(self) -> list[EmailMessage]:
        """What the email connector wrote to the outbox, in the order it was sent."""
        files = sorted(self.outbox.glob("*.eml"), key=lambda p: (p.stat().st_mtime_ns, p.name)) \
            if self.outbox.exists() else []
        return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in files]  # type: ignore[misc]

    def assert_sod_refused(self, instance_id: str, element_id: str, user: str, data: dict) -> None:
        """A separation-of-duties rule bars `user` from the task: it is not in their inbox,
        completing it is a 403 (separation-of-duties), the refusal is audited as
        ``access.denied`` for that task, and the task stays open."""
        task = self.task(instance_id, element_id)
        inbox = self.call("GET", "/tasks", user, params={"instance_id": instance_id})["items"]
        assert task["id"] not in [t["id"] for t in inbox]
        before = len(self.refusals(user))
        assert_problem(self.try_complete(instance_id, element_id, user, data), 403, "separation-of-duties")
        refusals = self.refusals(user)
        assert len(refusals) == before + 1, refusals
        last = refusals[-1]
        assert last["data"]["reason"] == "separation-of-duties"
        assert (last["instance_id"], last["element_id"], last["task_id"]) == (instance_id, element_id, task["id"])
        assert self.task(instance_id, element_id)["status"] == "open"


@contextmanager
def open_scenario(template: Path, tmp_path: Path, clock: FakeClock | None = None,
                  scenario: type[Scenario] = Scenario, **fields: Any) -> Iterator[Any]:
    """A copy of `template` in `tmp_path` behind the API, with a worker whose mail goes
    to ``tmp_path/outbox``; `fields` go to the `scenario` class."""
    outbox = tmp_path / "outbox"
    with open_api(template, tmp_path, clock, outbox_dir=outbox) as api:
        executor = JobExecutor(api.engine.context, worker_id="process-tests", outbox_dir=outbox)
        yield scenario(client=api.client, engine=api.engine, clock=api.clock, executor=executor, outbox=outbox,
                       **fields)
