"""The one HTTP API client the tests use: a TestClient that acts as each user.

Tokens are signed like the server signs them (``client.headers(user)``); the login itself
is tested through ``POST /api/v1/auth/token`` in tests/api. Suites subclass it for their
own verbs (tests/support/scenario.py's ``Scenario``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from fastapi.testclient import TestClient
from flowdesk.api.app import create_app
from flowdesk.engine.clock import FakeClock
from flowdesk.engine.definitions.sources import SourceFile
from flowdesk.engine.process_engine import ProcessEngine

from .database import copy_database
from .engines import open_engine
from .paths import LEAVE


@dataclass
class ApiClient:
    """The API of `engine` behind a TestClient, called as any user by name.

    ``user`` is who a request without one acts as (None: anonymous)."""

    client: TestClient
    engine: ProcessEngine
    clock: FakeClock
    user: str | None = None
    #: Reuse a user's token while the fake clock moved less than this since it was issued
    #: (tokens live an hour); None: a new token for every request.
    token_reuse: ClassVar[timedelta | None] = None
    _tokens: dict[str, tuple[str, datetime]] = field(default_factory=dict, init=False, repr=False)

    # -- tokens and headers --------------------------------------------------------------------
    def token(self, user: str) -> str:
        """A bearer token for `user`, signed like the server signs them."""
        now = self.clock.now()
        cached = self._tokens.get(user)
        if self.token_reuse is not None and cached is not None and cached[1] <= now <= cached[1] + self.token_reuse:
            return cached[0]
        token = self.engine.identity.issue_token(self.engine.identity.actor(user))["access_token"]
        self._tokens[user] = (token, now)
        return token

    def headers(self, user: str | None, **extra: str) -> dict[str, str]:
        headers = dict(extra)
        if user is not None:
            headers["Authorization"] = f"Bearer {self.token(user)}"
        return headers

    h = headers

    # -- requests ------------------------------------------------------------------------------
    def _send(self, method: str, path: str, user: str | None = None, headers: dict | None = None, **kwargs: Any):
        acting = self.user if user is None else user
        return self.client.request(method, path, headers={**self.headers(acting), **(headers or {})}, **kwargs)

    def request(self, method: str, path: str, user: str | None = None, headers: dict | None = None, **kwargs: Any):
        return self._send(method, path, user, headers, **kwargs)

    def get(self, path: str, user: str | None = None, **kwargs: Any):
        return self._send("GET", path, user, **kwargs)

    def post(self, path: str, user: str | None = None, **kwargs: Any):
        return self._send("POST", path, user, **kwargs)

    def put(self, path: str, user: str | None = None, **kwargs: Any):
        return self._send("PUT", path, user, **kwargs)

    def call(self, method: str, path: str, user: str, expect: int | None = 200, **kwargs: Any) -> Any:
        """``/api/v1`` + `path` as `user`; the JSON answer, checked to have status `expect`."""
        response = self._send(method, "/api/v1" + path, user, **kwargs)
        if expect is not None:
            assert response.status_code == expect, response.text
        return response.json()

    # -- shortcuts for setting the scene -------------------------------------------------------
    def deploy(self, *files: SourceFile, user: str = "dave") -> dict:
        response = self.post("/api/v1/deployments", user, files=upload(*files))
        assert response.status_code == 201, response.text
        return response.json()

    def start_leave(self, user: str = "alice", **data: Any) -> dict:
        response = self.post("/api/v1/definitions/leave_request/instances", user, json={"data": {**LEAVE, **data}})
        assert response.status_code == 201, response.text
        return response.json()

    def events(self, type_: str | None = None) -> list[dict]:
        response = self.get("/api/v1/audit/events", "erin", params={"limit": 500, **({"type": type_} if type_ else {})})
        assert response.status_code == 200, response.text
        return response.json()["items"]


def upload(*files: SourceFile | Path) -> list[tuple[str, tuple[str, bytes, str]]]:
    """The multipart `files` of a deployment."""
    return [("files", (f.name, f.read_bytes() if isinstance(f, Path) else f.content, "application/octet-stream"))
            for f in files]


def make_api(db: Path, clock: FakeClock, **settings: Any) -> ApiClient:
    """The API on the SQLite file `db` (a copy of a template database)."""
    engine = open_engine(db, clock, **settings)
    return ApiClient(TestClient(create_app(engine)), engine, clock)


@contextmanager
def api_on_url(url: str, clock: FakeClock | None = None, **settings: Any) -> Iterator[ApiClient]:
    """The API on a fresh database at `url` (e.g. PostgreSQL), migrated, with the shipped
    leave request deployed and the template's users (`database.USERS`)."""
    from flowdesk.engine.identity import SYSTEM

    from .database import PASSWORD, USERS
    from .engines import make_engine, quick_hashing
    from .paths import leave_request_files

    engine = make_engine(url, clock or FakeClock(), **settings)
    try:
        with quick_hashing():
            engine.repository.deploy(leave_request_files(), by=SYSTEM)
            for username, groups in USERS.items():
                engine.identity.create_user(username, PASSWORD, list(groups), by=SYSTEM)
        made = ApiClient(TestClient(create_app(engine)), engine, engine.clock)
        with made.client:
            yield made
    finally:
        engine.close()


@contextmanager
def open_api(template: Path, folder: Path, clock: FakeClock | None = None, definitions: Path | None = None,
             **settings: Any) -> Iterator[ApiClient]:
    """The API on a copy of `template` in `folder`, with the YAML files of `definitions` deployed."""
    made = make_api(copy_database(template, folder / "flowdesk.db"), clock or FakeClock(), **settings)
    try:
        with made.client:
            if definitions is not None:
                made.deploy(*(SourceFile(p.name, p.read_bytes()) for p in sorted(definitions.glob("*.yaml"))))
            yield made
    finally:
        made.engine.close()


def assert_problem(response, status: int, slug: str | None = None) -> dict:
    """The response is an RFC 9457 problem document with this status (and type)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"].startswith("https://")
    if slug is not None:
        assert body["type"].endswith("/" + slug), body["type"]
    return body
