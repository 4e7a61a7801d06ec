"""The API on a fresh copy of the template database for every test (as in tests/api), with
the errand process of tests/fixtures/collaboration deployed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flowdesk.engine.clock import FakeClock

from tests.support.client import ApiClient, open_api
from tests.support.engines import quick_hashing
from tests.support.paths import FIXTURES


@pytest.fixture(autouse=True)
def _quick_hashing() -> Iterator[None]:
    with quick_hashing():
        yield


@pytest.fixture
def api(template_db: Path, tmp_path: Path, clock: FakeClock) -> Iterator[ApiClient]:
    with open_api(template_db, tmp_path, clock, definitions=FIXTURES / "collaboration",
                  outbox_dir=tmp_path / "outbox") as made:
        yield made
