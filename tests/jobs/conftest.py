"""Fixtures for background work: an executor on the test engine, with test connectors."""

from __future__ import annotations

import pytest
from flowdesk.engine.connectors import BpmnError, Connector, ConnectorError, ConnectorRegistry
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.jobs.executor import JobExecutor

from tests.conftest import FIXTURES

BACKGROUND = FIXTURES / "background"


class ScriptedStock(Connector):
    """Answers from a script of outcomes, and remembers every call it saw."""

    name = "test_stock"
    parameters_schema = {"type": "object", "required": ["item", "quantity"]}

    def __init__(self) -> None:
        self.outcomes: list[object] = []
        self.calls: list[tuple[dict, str, int]] = []

    def call(self, params, context):
        self.calls.append((dict(params), context.idempotency_key, context.attempt))
        outcome = self.outcomes.pop(0) if self.outcomes else {"reserved": params["quantity"]}
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


@pytest.fixture
def stock() -> ScriptedStock:
    return ScriptedStock()


@pytest.fixture
def executor(engine, stock) -> JobExecutor:
    return JobExecutor(engine.context, ConnectorRegistry([stock]), worker_id="test-worker")


@pytest.fixture
def deploy(engine):
    def _deploy(*names: str) -> None:
        engine.repository.deploy([BACKGROUND / name for name in names], by=SYSTEM)

    return _deploy


__all__ = ["BpmnError", "ConnectorError"]
