"""Connectors for tests: a stock that answers from a script of outcomes, and a probe for
tests that run real worker processes. All of them are called ``test_stock``, the name
the test models' service tasks use."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from flowdesk.engine.connectors import Connector


class Stock(Connector):
    """A connector answering from a script of outcomes (the default: all reserved);
    `calls` holds what it was called with."""

    name = "test_stock"  # the connector name test engines accept at deploy time

    def __init__(self) -> None:
        self.outcomes: list[object] = []
        self.calls: list[Any] = []

    def seen(self, params, context) -> Any:
        """What `calls` keeps of a call: its parameters."""
        return dict(params)

    def call(self, params, context):
        self.calls.append(self.seen(params, context))
        outcome = self.outcomes.pop(0) if self.outcomes else {"reserved": params["quantity"]}
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


class ScriptedStock(Stock):
    """A stock whose parameters are checked at deploy time, and which remembers each call's
    idempotency key and attempt too."""

    parameters_schema = {"type": "object", "required": ["item", "quantity"]}

    def seen(self, params, context) -> Any:
        return (dict(params), context.idempotency_key, context.attempt)


class ProbeConnector(Connector):
    """For tests that run real worker processes: it logs every call to a file and, while a
    ``hold`` file exists, blocks (so a test can kill the worker mid-call)."""

    name = "test_stock"

    def call(self, params, context):
        folder = Path(os.environ["FLOWDESK_PROBE_DIR"])
        with (folder / "calls.log").open("a") as log:
            log.write(json.dumps({"key": context.idempotency_key, "attempt": context.attempt,
                                  "pid": os.getpid()}) + "\n")
        while (folder / "hold").exists():
            time.sleep(0.05)
        return {"reserved": params["quantity"]}


def calls(folder: Path) -> list[dict]:
    """The calls a probe logged in `folder`."""
    path = folder / "calls.log"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
