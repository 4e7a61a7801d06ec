"""An engine for a test: on a database URL, with the test connectors, and cheap hashing."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flowdesk.engine.clock import Clock, FakeClock
from flowdesk.engine.config import Settings
from flowdesk.engine.identity import SYSTEM, passwords
from flowdesk.engine.process_engine import ProcessEngine
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

# Models in tests call this connector; deployments check that connectors exist.
TEST_CONNECTORS = ("tests.support.connectors:ProbeConnector",)


def make_engine(url: str, clock: Clock, definitions: Iterable[Path] = (), **settings: Any) -> ProcessEngine:
    """An engine on `url` (migrated), with the test connectors and these `settings`."""
    return ProcessEngine(Settings(database_url=url, definitions=tuple(definitions),
                                  connector_modules=TEST_CONNECTORS, **settings), clock=clock)


def open_engine(db: Path, clock: Clock | None = None, **settings: Any) -> ProcessEngine:
    """An engine on the SQLite file `db`, a copy of a template database (already migrated)."""
    return ProcessEngine(Settings(database_url=f"sqlite:///{db}", definitions=(), **settings),
                         clock=clock or FakeClock(), migrate=False)


def open_tasks(engine: ProcessEngine, instance_id: str) -> list[dict]:
    """The open tasks of an instance, as the engine shows them."""
    return engine.instances.get_instance(instance_id, by=SYSTEM)["open_tasks"]


# Tests that create many users: Argon2 at its minimum cost keeps the same code paths and
# takes a thousandth of the time. Folders opt in with an autouse fixture (tests/api, tests/web,
# tests/definitions/yaml); template databases are always built with it.
QUICK_HASHER = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))


@contextmanager
def quick_hashing() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_HASHER", QUICK_HASHER)
        patch.setattr(passwords, "_DUMMY_HASH", QUICK_HASHER.hash("flowdesk-timing-equaliser"))
        yield
