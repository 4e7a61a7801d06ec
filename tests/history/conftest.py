"""A small history to read, verify and tamper with (tests/support/audit.py)."""

from __future__ import annotations

import pytest
from flowdesk.engine.process_engine import ProcessEngine

from tests.support.audit import run_instances


@pytest.fixture
def history(engine: ProcessEngine) -> list[str]:
    return run_instances(engine)
