"""The API on a fresh copy of the template database for every test, with a user of each
kind (tests/support/database.py builds it once per session; tests/support/client.py is
the client). Tests get tokens from ``api.headers(user)``.

Argon2 at its production cost takes a fifth of a second per hash, and these tests create
users and log in hundreds of times, so they hash with Argon2 at its minimum cost: the same
algorithm and code paths, a thousandth of the time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flowdesk.engine.clock import FakeClock

from tests.support.client import ApiClient, open_api
from tests.support.engines import quick_hashing


@pytest.fixture(autouse=True)
def _quick_hashing() -> Iterator[None]:
    with quick_hashing():
        yield


@pytest.fixture
def api(template_db: Path, tmp_path: Path, clock: FakeClock) -> Iterator[ApiClient]:
    with open_api(template_db, tmp_path, clock) as made:
        yield made
