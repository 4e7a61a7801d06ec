"""Helpers for the YAML format tests: compile or check a YAML text in one call."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from flowdesk.engine.connectors import Connector, ConnectorRegistry
from flowdesk.engine.definitions.sources import SourceFile
from flowdesk.engine.definitions.yaml import Generated, compile_source, read_unit
from flowdesk.engine.errors import Problem
from flowdesk.engine.jobs.executor import JobExecutor

from tests.conftest import FIXTURES, REPO, quick_hashing

YAML_FIXTURES = FIXTURES / "yaml"
EXAMPLE = REPO / "docs" / "examples" / "expense_claim"


def source(text: str, name: str = "p.yaml") -> SourceFile:
    return SourceFile(name, textwrap.dedent(text).lstrip("\n").encode())


def problems(text: str, name: str = "p.yaml") -> list[Problem]:
    """What checking the file alone finds (as `flowdesk compile` does)."""
    return read_unit(source(text, name)).problems


def compiled(text: str, name: str = "p.yaml") -> list[Generated]:
    return compile_source(source(text, name))


def fixture(*names: str) -> list[Path]:
    return [YAML_FIXTURES / name for name in names]


class Stock(Connector):
    """A connector answering from a script of outcomes (the default: all reserved)."""

    name = "test_stock"  # the connector name test engines accept at deploy time

    def __init__(self) -> None:
        self.outcomes: list[object] = []
        self.calls: list[dict] = []

    def call(self, params, context):
        self.calls.append(dict(params))
        outcome = self.outcomes.pop(0) if self.outcomes else {"reserved": params["quantity"]}
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


@pytest.fixture(autouse=True)
def _quick_hashing() -> Iterator[None]:
    with quick_hashing():
        yield


@pytest.fixture
def stock() -> Stock:
    return Stock()


@pytest.fixture
def executor(engine, stock) -> JobExecutor:
    return JobExecutor(engine.context, ConnectorRegistry([stock]), worker_id="yaml-tests")
