"""The web app on a fresh database per test: procure-to-pay and the leave request deployed,
the demo users created and the reference data loaded.

Like tests/api, the database is built once per session in a template (tests/support/database.py)
and copied for each test, and passwords are hashed with Argon2 at its minimum cost.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from flowdesk.api.app import create_app
from flowdesk.engine.process_engine import ProcessEngine
from flowdesk.web.routes import tasks as web_tasks

from tests.support.browser import WEB_FILES, Browser
from tests.support.database import build_template, copy_database
from tests.support.engines import open_engine, quick_hashing


@pytest.fixture(autouse=True)
def _quick_hashing() -> Iterator[None]:
    with quick_hashing():
        yield


@pytest.fixture(autouse=True)
def _no_waiting_for_a_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """TestClient tests run background work themselves (Browser.run_jobs): completing a task
    need not wait for a worker that is not there."""
    monkeypatch.setattr(web_tasks, "NEXT_TASK_WAIT_SECONDS", 0)


@pytest.fixture(scope="session")
def web_template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("web-template") / "flowdesk.db", paths=WEB_FILES,
                          demo_users=True, seed=True)


@pytest.fixture
def web_engine(web_template_db: Path, tmp_path: Path) -> Iterator[ProcessEngine]:
    engine = open_engine(copy_database(web_template_db, tmp_path / "flowdesk.db"))
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
