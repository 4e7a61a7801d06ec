"""The web app on a fresh database per test: procure-to-pay and the leave request deployed,
the demo users created and the reference data loaded.

Like tests/api, the database is built once per session in a template and copied for
each test, and passwords are hashed with Argon2 at its minimum cost.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from flowdesk.api.app import create_app
from flowdesk.api.demo import DEMO_PASSWORD, create_demo_users
from flowdesk.engine.clock import FakeClock
from flowdesk.engine.config import Settings, shipped_definitions
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.jobs.executor import JobExecutor
from flowdesk.engine.process_engine import ProcessEngine
from flowdesk.web.routes import tasks as web_tasks

from tests.api.conftest import quick_hashing

_PROCESSES, _FORMS = shipped_definitions()
WEB_FILES = (*sorted(_PROCESSES.glob("procure_to_pay*.yaml")), *sorted(_FORMS.glob("p2p_*.yaml")),
             _PROCESSES / "leave_request.bpmn", _PROCESSES / "leave_approval.dmn", *sorted(_FORMS.glob("leave_*.yaml")))
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _quick_hashing() -> Iterator[None]:
    with quick_hashing():
        yield


@pytest.fixture(autouse=True)
def _no_waiting_for_a_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """TestClient tests run background work themselves (Browser.run_jobs): completing a task
    need not wait for a worker that is not there."""
    monkeypatch.setattr(web_tasks, "NEXT_TASK_WAIT_SECONDS", 0)


def build_database(path: Path, clock: FakeClock | None = None) -> Path:
    """A database with the web tests' definitions, the demo users and the reference data."""
    with quick_hashing():
        engine = ProcessEngine(Settings(database_url=f"sqlite:///{path}", definitions=()), clock=clock or FakeClock())
        engine.repository.deploy(WEB_FILES, by=SYSTEM)
        create_demo_users(engine)
        engine.records.load_seed(by=SYSTEM)
        engine.identity.token_secret()
        engine.close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture(scope="session")
def web_template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_database(tmp_path_factory.mktemp("web-template") / "flowdesk.db")


@dataclass
class Browser:
    """A TestClient with a cookie jar that fills in the CSRF token like a browser's form would."""

    client: TestClient
    engine: ProcessEngine
    outbox: Path

    def get(self, path: str, **kwargs: Any):
        return self.client.get(path, **kwargs)

    def csrf(self, path: str = "/login") -> str:
        found = CSRF.search(self.client.get(path).text)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def post(self, path: str, data: dict[str, Any] | None = None, csrf_from: str | None = None, **kwargs: Any):
        token = self.csrf(csrf_from or "/login")
        kwargs.setdefault("follow_redirects", False)
        return self.client.post(path, data={"csrf_token": token, **(data or {})}, **kwargs)

    def run_jobs(self) -> None:
        """Run the background work that is due (service calls, timers) until none is left."""
        executor = JobExecutor(self.engine.context, worker_id="web-test", outbox_dir=self.outbox)
        for _ in range(100):
            if not executor.run_due():
                return
        raise AssertionError("background work does not settle")

    def login(self, username: str, password: str = DEMO_PASSWORD):
        response = self.post("/login", {"username": username, "password": password, "next": "/"})
        assert response.status_code == 303, response.text
        return response


@pytest.fixture
def web_engine(web_template_db: Path, tmp_path: Path) -> Iterator[ProcessEngine]:
    path = tmp_path / "flowdesk.db"
    shutil.copy(web_template_db, path)
    engine = ProcessEngine(Settings(database_url=f"sqlite:///{path}", definitions=()), clock=FakeClock(),
                           migrate=False)
    yield engine
    engine.close()


@pytest.fixture
def browser(web_engine: ProcessEngine, tmp_path: Path) -> Iterator[Browser]:
    with TestClient(create_app(web_engine)) as client:
        yield Browser(client, web_engine, tmp_path / "outbox")


@pytest.fixture
def other_browser(web_engine: ProcessEngine, tmp_path: Path) -> Iterator[Browser]:
    """A second user's browser on the same server (its own cookie jar)."""
    with TestClient(create_app(web_engine)) as client:
        yield Browser(client, web_engine, tmp_path / "outbox")
