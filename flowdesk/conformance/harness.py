"""Flowdesk in-process, for the conformance runner: the HTTP API on a temporary SQLite
database, with a worker run on demand and a clock that moves only when told.

This is the one module of the runner that builds Flowdesk itself (engine, application,
background worker); everything else talks HTTP through :meth:`Harness.call`. Time is a
fake clock, so waiting for a timer is moving the clock to its due time: a run is
deterministic and never sleeps.
"""

from __future__ import annotations

import tempfile
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete

from flowdesk.engine.identity import SYSTEM

with warnings.catch_warnings():  # starlette's notice about httpx is not the runner's business
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from flowdesk.api.app import create_app
from flowdesk.engine.clock import FakeClock
from flowdesk.engine.config import Settings
from flowdesk.engine.connectors import ConnectorRegistry
from flowdesk.engine.connectors.base import Connector
from flowdesk.engine.errors import FlowdeskError
from flowdesk.engine.jobs.executor import JobExecutor
from flowdesk.engine.persistence.models import Membership
from flowdesk.engine.process_engine import ProcessEngine

PASSWORD = "conformance-runner-1"  # noqa: S105 - test users of a throw-away database
# Testers: administrators (they may assign any task to themselves, send messages and
# signals, read jobs and incidents) who also work external tasks; a second and third one
# for tasks that separation of duties keeps from the first.
TESTERS = ("tester", "tester2", "tester3")
ROLES = ["admin", "designer", "integration", "auditor"]


class _Stub(Connector):
    """Every connector a model names answers at once, with nothing (no network, no mail)."""

    name = "stub"

    def call(self, params, context):
        return {}


class _AnyConnector(ConnectorRegistry):
    def get(self, name: str) -> Connector:
        return _Stub()


class Harness:
    def __init__(self, workdir: Path | None = None) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="flowdesk-conformance-") if workdir is None else None
        self.workdir = Path(self._tmp.name) if self._tmp else workdir
        self.clock = FakeClock()
        settings = Settings(database_url=f"sqlite:///{self.workdir / 'conformance.db'}", definitions=(),
                            token_ttl_seconds=20 * 365 * 24 * 3600, outbox_dir=self.workdir / "outbox",
                            message_ttl_seconds=20 * 365 * 24 * 3600)
        self.engine = ProcessEngine(settings, clock=self.clock)
        for name in TESTERS:
            self.engine.identity.create_user(name, PASSWORD, ROLES, by=SYSTEM)
        # A server error is reported as such (500), not raised into the runner.
        self.client = TestClient(create_app(self.engine), raise_server_exceptions=False)
        self.tokens = {name: self._login(name) for name in TESTERS}
        self.executor = JobExecutor(self.engine.context, _AnyConnector(), worker_id="conformance")

    def _login(self, name: str) -> str:
        response = self.client.post("/api/v1/auth/token", data={"username": name, "password": PASSWORD})
        response.raise_for_status()
        return response.json()["access_token"]

    def tester(self, name: str, groups: list[str]) -> bool:
        """Make ``name`` a tester (created when new) who is also in ``groups``: tasks go only
        to users eligible for them, so testers join the groups a task names, or act as the
        user its assignee rule names. False for a name no account can have."""
        try:
            if name not in self.tokens:
                self.engine.identity.create_user(name, PASSWORD, ROLES, by=SYSTEM)
                self.tokens[name] = self._login(name)
        except FlowdeskError:
            return False
        # Memberships written directly: models name lanes such as "Team Assistant", which
        # no account's group may be called, and the runner still wants to drive them.
        with self.engine.transaction() as session:
            session.execute(delete(Membership).where(Membership.username == name))
            session.add_all(Membership(username=name, group_name=g[:150]) for g in sorted({*ROLES, *groups}))
        self.engine.context.actors.clear()
        return True

    def call(self, method: str, path: str, user: str = TESTERS[0], **kwargs: Any):
        headers = {"Authorization": f"Bearer {self.tokens[user]}", **kwargs.pop("headers", {})}
        return self.client.request(method, f"/api/v1{path}", headers=headers, **kwargs)

    def run_jobs(self, rounds: int = 50) -> int:
        """Run the background work that is due now (the embedded worker, on demand)."""
        done = 0
        for _ in range(rounds):
            ran = self.executor.run_due(limit=50)
            done += ran
            if not ran:
                break
        return done

    def advance_to(self, moment) -> None:
        if moment > self.clock.now():
            self.clock.advance(seconds=(moment - self.clock.now()).total_seconds())
        self.clock.advance(seconds=1)

    def advance(self, **delta: float) -> None:
        self.clock.advance(**delta)

    def later(self, seconds: float) -> None:
        self.clock.advance(seconds=seconds)

    def close(self) -> None:
        self.client.close()
        self.engine.close()
        if self._tmp is not None:
            self._tmp.cleanup()


__all__ = ["TESTERS", "Harness", "timedelta"]
