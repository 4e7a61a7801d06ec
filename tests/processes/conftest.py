"""The scene every process scenario test plays in, built on tests/api's `Api` helper.

* `build_template` makes a template database once (definitions deployed, reference data
  loaded, the people of the scenario created, the token key generated), with Argon2 at
  its minimum cost; `copy_database` copies it (or a stage of a long story) per test.
* `open_scenario` puts the HTTP API (`tests.api.conftest.Api`) and a background worker
  (service calls, messages, timers; mail to an outbox folder) on a copy.
* `Scenario` has the verbs the scenarios use: start an instance, look at it, complete its
  tasks, let time pass, read records, histories and audit events, send messages as the
  integration account, and check a separation-of-duties refusal (403, not in the inbox,
  audited as ``access.denied``, the task still open).

Time is a fake clock that only the test moves; background work runs when the test says
so (every verb that changes something runs it until nothing is due).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from flowdesk.engine.clock import FakeClock
from flowdesk.engine.config import Settings, shipped_definitions
from flowdesk.engine.definitions.sources import SourceFile
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.jobs.executor import JobExecutor
from flowdesk.engine.process_engine import ProcessEngine

from tests.api.conftest import PASSWORD, Api, assert_problem, make_api, quick_hashing

__all__ = ["PASSWORD", "PURCHASING_STUB", "Scenario", "build_template", "copy_database", "open_scenario"]

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

#: A token is reissued when the fake clock moved this far since it was issued (they live an hour).
_TOKEN_REUSE = timedelta(minutes=30)


def build_template(
    path: Path,
    users: Mapping[str, Iterable[str]],
    *,
    paths: Iterable[Path] = (),
    sources: Iterable[SourceFile] = (),
    seed: bool | Iterable[Path] = False,
    reference: Iterable[Mapping[str, Any]] = (),
    prepare: Callable[[ProcessEngine], None] | None = None,
) -> Path:
    """A database at `path` with `paths` (files or folders) and `sources` deployed, the
    shipped seed (``seed=True``) or these seed files loaded, `reference` data loaded
    (``{type: [records]}`` mappings), `prepare` applied, and `users` created."""
    with quick_hashing():
        engine = ProcessEngine(Settings(database_url=f"sqlite:///{path}", definitions=()), clock=FakeClock())
        paths, sources = list(paths), list(sources)
        if paths:
            engine.repository.deploy(paths, by=SYSTEM)
        if sources:
            engine.repository.deploy(sources, by=SYSTEM)
        if seed is True:
            engine.records.load_seed(by=SYSTEM)
        elif seed:
            engine.records.load_seed(list(seed), by=SYSTEM)
        reference = list(reference)
        if reference:
            with engine.transaction() as session:
                for data in reference:
                    engine.context.records.load_reference(session, data)
        if prepare is not None:
            prepare(engine)
        for username, groups in users.items():
            engine.identity.create_user(username, PASSWORD, list(groups), by=SYSTEM)
        engine.identity.token_secret()
        engine.close()
    with sqlite3.connect(path) as conn:  # fold the write-ahead log in: one file is the database
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database, even one an engine still has open."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


@dataclass
class Scenario:
    """The API plus the background worker, and what a scenario does with them."""

    api: Api
    executor: JobExecutor
    outbox: Path
    #: Seconds `later` adds to every wait: a timer fires once its instant has passed
    #: (SpiffWorkflow), so a test may prefer never to land exactly on one.
    later_margin: float = 0
    _tokens: dict[str, tuple[str, datetime]] = field(default_factory=dict)

    # -- plumbing ------------------------------------------------------------------------------
    @property
    def client(self):
        return self.api.client

    @property
    def engine(self) -> ProcessEngine:
        return self.api.engine

    @property
    def clock(self) -> FakeClock:
        return self.api.clock

    def headers(self, user: str) -> dict[str, str]:
        """A bearer token for `user`, reused while the fake clock has not moved far."""
        now = self.clock.now()
        cached = self._tokens.get(user)
        if cached is None or now - cached[1] > _TOKEN_REUSE or now < cached[1]:
            cached = (self.api.headers(user)["Authorization"], now)
            self._tokens[user] = cached
        return {"Authorization": cached[0]}

    h = headers

    def call(self, method: str, path: str, user: str, expect: int | None = 200, **kwargs: Any) -> Any:
        """``/api/v1`` + `path` as `user`; the JSON answer, checked to have status `expect`."""
        response = self.client.request(method, "/api/v1" + path, headers=self.headers(user), **kwargs)
        if expect is not None:
            assert response.status_code == expect, response.text
        return response.json()

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
        return self.client.post(f"/api/v1/tasks/{task['id']}/complete", headers=self.headers(user),
                                json={"data": data})

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
    db = tmp_path / "flowdesk.db"
    copy_database(template, db)
    outbox = tmp_path / "outbox"
    made = make_api(db, clock or FakeClock(), outbox_dir=outbox)
    try:
        with made.client:
            yield scenario(made, JobExecutor(made.engine.context, worker_id="process-tests", outbox_dir=outbox), outbox,
                           **fields)
    finally:
        made.engine.close()



# -- the business of lead_to_cash and complaint_handling: every shipped process and seed -----------
#: The people of the business (one session-wide template database for both test files).
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


@pytest.fixture(scope="session")
def business_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("business") / "flowdesk.db", BUSINESS_PEOPLE,
                          paths=shipped_definitions(), seed=True)


@pytest.fixture
def biz(business_template: Path, tmp_path: Path, clock: FakeClock) -> Iterator[Scenario]:
    """The business on a fresh copy; `later` lands a second past the instant it is asked for."""
    with open_scenario(business_template, tmp_path, clock, later_margin=1) as business:
        yield business
