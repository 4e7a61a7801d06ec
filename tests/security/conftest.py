"""Fixtures of the security regression suite: an engine on SQLite or PostgreSQL, and the
API on a copy of the template database (tests/support builds both)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flowdesk.engine.clock import FakeClock
from flowdesk.engine.process_engine import ProcessEngine

from tests.support.client import ApiClient, open_api
from tests.support.engines import make_engine, quick_hashing


@pytest.fixture(autouse=True)
def _quick_hashing() -> Iterator[None]:
    with quick_hashing():
        yield


@pytest.fixture(params=["sqlite", "postgresql"])
def any_engine(request, tmp_path: Path, clock: FakeClock) -> Iterator[ProcessEngine]:
    """An engine on a fresh database of each kind (PostgreSQL needs FLOWDESK_TEST_POSTGRES_URL)."""
    url = f"sqlite:///{tmp_path / 'flowdesk.db'}" if request.param == "sqlite" else request.getfixturevalue(
        "postgres_url")
    engine = make_engine(url, clock)
    yield engine
    engine.close()


@pytest.fixture
def api(template_db: Path, tmp_path: Path, clock: FakeClock) -> Iterator[ApiClient]:
    with open_api(template_db, tmp_path, clock) as made:
        yield made
