"""An API on a fresh database for every test, with a user of each kind.

The users are created once per session in a template database (with the shipped leave
request deployed and the token signing key generated) and every test works on a copy
of it. Tests get tokens from ``api.headers(user)`` (signed like the server signs them);
the login itself is tested through ``POST /api/v1/auth/token`` in test_auth.py and the
done-when scenario.

Argon2 at its production cost takes a fifth of a second per hash, and these tests create
users and log in hundreds of times, so they hash with Argon2 at its minimum cost: the same
algorithm and code paths, a thousandth of the time.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from flowdesk.api.app import create_app
from flowdesk.engine.clock import FakeClock
from flowdesk.engine.config import Settings, shipped_definitions
from flowdesk.engine.definitions.sources import SourceFile
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.process_engine import ProcessEngine

from tests.conftest import quick_hashing

PASSWORD = "correct-horse-battery"
USERS = {
    "alice": ["employees"],
    "bob": ["employees", "department_managers"],
    "carol": ["employees", "hr"],
    "dan": ["department_managers", "hr"],
    "dave": ["designer"],
    "erin": ["auditor"],
    "root": ["admin"],
    "ian": ["integration"],
}
# One user per column of the contract's permission table.
ROLE_USERS = {"employee": "alice", "designer": "dave", "auditor": "erin", "admin": "root", "integration": "ian"}
LEAVE = {"leave_type": "vacation", "start_date": "2026-12-01", "end_date": "2026-12-08", "days": 6}
# The shipped leave request is the one process every test starts from; tests deploy what else they need.
_PROCESSES, _FORMS = shipped_definitions()
LEAVE_REQUEST_FILES = (_PROCESSES / "leave_request.bpmn", _PROCESSES / "leave_approval.dmn",
                       *sorted(_FORMS.glob("leave_*.yaml")))


@pytest.fixture(autouse=True)
def _quick_hashing() -> Iterator[None]:
    with quick_hashing():
        yield


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with quick_hashing():
        return _build_template(tmp_path_factory.mktemp("template") / "flowdesk.db")


def _build_template(path: Path) -> Path:
    engine = ProcessEngine(Settings(database_url=f"sqlite:///{path}", definitions=()), clock=FakeClock())
    engine.repository.deploy(LEAVE_REQUEST_FILES, by=SYSTEM)
    for username, groups in USERS.items():
        engine.identity.create_user(username, PASSWORD, groups, by=SYSTEM)
    engine.identity.token_secret()
    engine.close()
    with sqlite3.connect(path) as conn:  # fold the write-ahead log in, so one file is the database
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@dataclass
class Api:
    """A test client that knows how to act as each user."""

    client: TestClient
    engine: ProcessEngine
    clock: FakeClock

    def headers(self, user: str | None, **extra: str) -> dict[str, str]:
        headers = dict(extra)
        if user is not None:
            actor = self.engine.identity.actor(user)
            headers["Authorization"] = f"Bearer {self.engine.identity.issue_token(actor)['access_token']}"
        return headers

    def request(self, method: str, path: str, user: str | None = None, headers: dict | None = None, **kwargs: Any):
        return self.client.request(method, path, headers={**self.headers(user), **(headers or {})}, **kwargs)

    def get(self, path: str, user: str | None = None, **kwargs: Any):
        return self.request("GET", path, user, **kwargs)

    def post(self, path: str, user: str | None = None, **kwargs: Any):
        return self.request("POST", path, user, **kwargs)

    def put(self, path: str, user: str | None = None, **kwargs: Any):
        return self.request("PUT", path, user, **kwargs)

    # -- shortcuts for setting the scene -----------------------------------------------------
    def start_leave(self, user: str = "alice", **data: Any) -> dict:
        response = self.post("/api/v1/definitions/leave_request/instances", user, json={"data": {**LEAVE, **data}})
        assert response.status_code == 201, response.text
        return response.json()

    def deploy(self, *files: SourceFile, user: str = "dave") -> dict:
        response = self.post("/api/v1/deployments", user,
                             files=[("files", (f.name, f.content, "application/octet-stream")) for f in files])
        assert response.status_code == 201, response.text
        return response.json()

    def events(self, type_: str | None = None) -> list[dict]:
        response = self.get("/api/v1/audit/events", "erin", params={"limit": 500, **({"type": type_} if type_ else {})})
        assert response.status_code == 200, response.text
        return response.json()["items"]


def make_api(db: Path, clock: FakeClock, **settings: Any) -> Api:
    engine = ProcessEngine(Settings(database_url=f"sqlite:///{db}", definitions=(), **settings), clock=clock,
                           migrate=False)
    return Api(TestClient(create_app(engine)), engine, clock)


@contextmanager
def running_api(template_db: Path, tmp_path: Path, clock: FakeClock, definitions: Path | None = None) -> Iterator[Api]:
    """The API on a copy of the template database, with the YAML files of `definitions` deployed."""
    db = tmp_path / "flowdesk.db"
    shutil.copy(template_db, db)
    made = make_api(db, clock)
    try:
        with made.client:
            if definitions is not None:
                made.deploy(*(SourceFile(p.name, p.read_bytes()) for p in sorted(definitions.glob("*.yaml"))))
            yield made
    finally:
        made.engine.close()


@pytest.fixture
def api(template_db: Path, tmp_path: Path, clock: FakeClock) -> Iterator[Api]:
    with running_api(template_db, tmp_path, clock) as made:
        yield made


def assert_problem(response, status: int, slug: str | None = None) -> dict:
    """The response is an RFC 9457 problem document with this status (and type)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"].startswith("https://")
    if slug is not None:
        assert body["type"].endswith("/" + slug), body["type"]
    return body
