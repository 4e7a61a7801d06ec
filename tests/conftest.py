"""Shared fixtures: an engine on a fresh database, a fake clock, and the external services.

Tests that need PostgreSQL or Redis read FLOWDESK_TEST_POSTGRES_URL / FLOWDESK_TEST_REDIS_URL.
Locally they are skipped with a reason when the service is absent; under CI (CI=true)
a missing service is a failure, so a green CI run really exercised them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flowdesk.engine.clock import FakeClock
from flowdesk.engine.config import Settings, shipped_definitions
from flowdesk.engine.identity import passwords
from flowdesk.engine.process_engine import ProcessEngine
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CORPUS = REPO.parent / "shared" / "corpus"
IN_CI = os.environ.get("CI", "").lower() == "true"


def require_service(env_var: str, what: str) -> str:
    url = os.environ.get(env_var)
    if not url:
        if IN_CI:
            pytest.fail(f"{env_var} is not set: CI must run the {what} tests")
        pytest.skip(f"{what} not configured ({env_var} unset)")
    return url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'flowdesk.db'}"


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    url = require_service("FLOWDESK_TEST_POSTGRES_URL", "PostgreSQL")
    try:
        probe = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
        probe.dispose()
    except Exception as err:
        if IN_CI:
            pytest.fail(f"PostgreSQL at {url} is not reachable: {err}")
        pytest.skip(f"PostgreSQL at {url} is not reachable: {err}")
    return url


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    admin = create_engine(postgres_server_url.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    name = f"flowdesk_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = postgres_server_url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# Tests that create many users: Argon2 at its minimum cost keeps the same code paths and
# takes a thousandth of the time. Folders opt in with an autouse fixture (tests/api, tests/web, tests/definitions/yaml).
QUICK_HASHER = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))


@contextmanager
def quick_hashing() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_HASHER", QUICK_HASHER)
        patch.setattr(passwords, "_DUMMY_HASH", QUICK_HASHER.hash("flowdesk-timing-equaliser"))
        yield


# Models in tests call this connector; deployments check that connectors exist.
TEST_CONNECTORS = ("tests.jobs.probe:ProbeConnector",)


def make_engine(url: str, clock: FakeClock, definitions=()) -> ProcessEngine:
    return ProcessEngine(Settings(database_url=url, definitions=tuple(definitions),
                                  connector_modules=TEST_CONNECTORS), clock=clock)


@pytest.fixture
def engine(sqlite_url: str, clock: FakeClock) -> Iterator[ProcessEngine]:
    eng = make_engine(sqlite_url, clock)
    yield eng
    eng.close()


@pytest.fixture
def shipped() -> tuple[Path, ...]:
    return shipped_definitions()


def leave_request_files() -> list[Path]:
    """The shipped leave request and nothing else: tests of engine behaviour should not
    pay for compiling every shipped process."""
    processes, forms = shipped_definitions()
    return [processes / "leave_request.bpmn", processes / "leave_approval.dmn",
            *sorted(forms.glob("leave_*.yaml"))]


@pytest.fixture
def leave_files() -> list[Path]:
    return leave_request_files()
