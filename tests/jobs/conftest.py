"""Fixtures for background work: a stock that checks its parameters and remembers each
call's idempotency key and attempt (tests/conftest.py's `executor` calls it), and deploying
the background models."""

from __future__ import annotations

import pytest
from flowdesk.engine.identity import SYSTEM

from tests.support.connectors import ScriptedStock
from tests.support.paths import BACKGROUND


@pytest.fixture
def stock() -> ScriptedStock:
    return ScriptedStock()


@pytest.fixture
def deploy(engine):
    def _deploy(*names: str) -> None:
        engine.repository.deploy([BACKGROUND / name for name in names], by=SYSTEM)

    return _deploy
