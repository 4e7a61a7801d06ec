"""A connector for tests that run real worker processes: it logs every call to a file
and, while a ``hold`` file exists, blocks (so a test can kill the worker mid-call)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from flowdesk.engine.connectors import Connector


class ProbeConnector(Connector):
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
    path = folder / "calls.log"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
