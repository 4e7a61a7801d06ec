"""The fixtures every folder may use: a fake clock, an engine on a fresh database, the
external services, the API's template database. What they are built from lives in
tests/support; test modules import helpers from there, never from a conftest.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flowdesk.engine.clock import FakeClock
from flowdesk.engine.config import shipped_definitions
from flowdesk.engine.connectors import ConnectorRegistry
from flowdesk.engine.identity import SYSTEM, Actor
from flowdesk.engine.jobs.executor import JobExecutor
from flowdesk.engine.process_engine import ProcessEngine

from tests.support import services
from tests.support.connectors import Stock
from tests.support.database import build_api_template
from tests.support.engines import make_engine
from tests.support.paths import leave_request_files


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'flowdesk.db'}"


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    return services.postgres_server()


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    with services.fresh_postgres_database(postgres_server_url) as url:
        yield url


@pytest.fixture
def redis_url() -> str:
    return services.redis_server()


@pytest.fixture
def rabbitmq_url() -> str:
    return services.rabbitmq_server()


@pytest.fixture
def engine(sqlite_url: str, clock: FakeClock) -> Iterator[ProcessEngine]:
    eng = make_engine(sqlite_url, clock)
    yield eng
    eng.close()


@pytest.fixture
def clerk(engine: ProcessEngine) -> Actor:
    """cleo, of the clerks (the lane of the small test models)."""
    engine.identity.create_user("cleo", "password1", ["clerks"], by=SYSTEM)
    return engine.identity.actor("cleo")


@pytest.fixture
def stock() -> Stock:
    """The connector the test models' service tasks call (``test_stock``), answering from a script."""
    return Stock()


@pytest.fixture
def executor(engine: ProcessEngine, stock: Stock) -> JobExecutor:
    """Runs the engine's background work, with `stock` as its only connector."""
    return JobExecutor(engine.context, ConnectorRegistry([stock]), worker_id="test-worker")


@pytest.fixture
def shipped() -> tuple[Path, ...]:
    return shipped_definitions()


@pytest.fixture
def leave_files() -> list[Path]:
    return leave_request_files()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The API's template database (tests/support/database.py): copy it, never change it."""
    return build_api_template(tmp_path_factory.mktemp("template") / "flowdesk.db")
