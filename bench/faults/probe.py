"""The fault suite's connector: it appends each call (idempotency key, attempt, process)
to ``$FLOWDESK_PROBE_DIR/calls.log`` and takes a little time, so that a worker killed
under load is killed in the middle of calls. Named ``bench_probe`` in bench/models."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from flowdesk.engine.connectors import Connector

CALL_SECONDS = 0.05


class ProbeConnector(Connector):
    name = "bench_probe"
    parameters_schema = {"type": "object", "required": ["item"]}

    def call(self, params, context):
        folder = Path(os.environ["FLOWDESK_PROBE_DIR"])
        line = json.dumps({"key": context.idempotency_key, "attempt": context.attempt, "pid": os.getpid(),
                           "item": params["item"]})
        with (folder / "calls.log").open("a") as log:  # one short append per call: lines never interleave
            log.write(line + "\n")
        time.sleep(CALL_SECONDS)
        return {"done": params["item"]}


def calls(folder: Path) -> list[dict]:
    path = folder / "calls.log"
    return [json.loads(line) for line in path.read_text().splitlines() if line] if path.exists() else []
