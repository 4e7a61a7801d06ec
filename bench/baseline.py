"""The baseline: plain SpiffWorkflow, the whole workflow serialized to a JSON column after every step.

This is what an application built directly on SpiffWorkflow does when it keeps no
projections of its own: parse the BPMN once, and for every step load the row, restore the
workflow with SpiffWorkflow's :class:`BpmnWorkflowSerializer` (spec included, as the
serializer writes it), complete the task, run the engine steps, serialize everything back
and commit. No Flowdesk code is imported here, so the comparison measures Flowdesk against
the library alone, on the same database server and with the same commit durability
(SQLite: WAL with synchronous=NORMAL, the settings Flowdesk uses; PostgreSQL: defaults).

It does less than Flowdesk per step (no inbox rows, no audit events, no authorization, no
sandbox: scripts run with SpiffWorkflow's own ``eval``-based script engine); that is the
point of a baseline.

It runs in a process of its own (:class:`BaselineProcess`, started with ``spawn``): Flowdesk
installs overrides of SpiffWorkflow functions in the benchmark's process, and the baseline
must measure the library as its users get it. The child checks that none is installed there
(`_refuse_overrides`).
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import sys
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import JSON, Column, MetaData, String, Table, create_engine, event, insert, select, update

METADATA = MetaData()
WORKFLOWS = Table(
    "spiff_workflows", METADATA,
    Column("id", String(36), primary_key=True),
    Column("status", String(20), nullable=False),
    # PostgreSQL's json (not jsonb): it keeps the document as written, key order included,
    # which SpiffWorkflow's delta-encoded task data needs when it is restored.
    Column("state", JSON, nullable=False),
)


def _as_is(value: Any) -> str:
    """The serializer already produced JSON text; store it without a second encoding."""
    return value if isinstance(value, str) else json.dumps(value)


def _raw(value: Any) -> Any:
    """Hand the column back as text: SpiffWorkflow's deserializer parses it itself."""
    return value


def _make_engine(url: str):
    if url.startswith("sqlite"):
        engine = create_engine(url, json_serializer=_as_is, json_deserializer=_raw,
                               connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, json_serializer=_as_is, json_deserializer=_raw)


class SpiffBaseline:
    """Start workflows of one process and complete their user tasks, one commit per step."""

    def __init__(self, url: str, bpmn_file: Path, process_id: str) -> None:
        parser = SpiffBpmnParser()
        parser.add_bpmn_file(str(bpmn_file))
        self.spec = parser.get_spec(process_id)
        self.subprocess_specs = parser.get_subprocess_specs(process_id)
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
        self.engine = _make_engine(url)
        METADATA.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def start(self, data: Mapping[str, Any]) -> tuple[str, list[str]]:
        """Start a workflow and run it to its first wait; returns its id and its ready user tasks."""
        workflow = BpmnWorkflow(self.spec, self.subprocess_specs)
        start = workflow.get_next_task(state=TaskState.READY)
        start.data.update(data)
        workflow.do_engine_steps()
        workflow_id = str(uuid.uuid4())
        with self.engine.begin() as conn:
            conn.execute(insert(WORKFLOWS).values(id=workflow_id, status=self._status(workflow),
                                                  state=self.serializer.serialize_json(workflow)))
        return workflow_id, self._ready(workflow)

    def complete(self, workflow_id: str, task_id: str, data: Mapping[str, Any]) -> list[str]:
        """Complete one user task and run on; returns the user tasks that are ready now."""
        with self.engine.begin() as conn:
            stored = conn.execute(select(WORKFLOWS.c.state).where(WORKFLOWS.c.id == workflow_id)
                                  .with_for_update()).scalar_one()
            workflow = self.serializer.deserialize_json(stored)
            task = workflow.get_task_from_id(UUID(task_id))
            task.data.update(data)
            task.run()
            workflow.do_engine_steps()
            conn.execute(update(WORKFLOWS).where(WORKFLOWS.c.id == workflow_id)
                         .values(status=self._status(workflow), state=self.serializer.serialize_json(workflow)))
        return self._ready(workflow)

    def outcome(self, workflow_id: str) -> tuple[str, dict]:
        """The stored status and the workflow's data (to check that a run really finished)."""
        with self.engine.begin() as conn:
            status, stored = conn.execute(select(WORKFLOWS.c.status, WORKFLOWS.c.state)
                                          .where(WORKFLOWS.c.id == workflow_id)).one()
        return status, dict(self.serializer.deserialize_json(stored).data)

    def state_bytes(self, workflow_id: str) -> int:
        with self.engine.begin() as conn:
            return len(conn.execute(select(WORKFLOWS.c.state).where(WORKFLOWS.c.id == workflow_id)).scalar_one())

    @staticmethod
    def _status(workflow: BpmnWorkflow) -> str:
        return "completed" if workflow.is_completed() else "running"

    @staticmethod
    def _ready(workflow: BpmnWorkflow) -> list[str]:
        return [str(t.id) for t in workflow.get_tasks(state=TaskState.READY, manual=True)]


# -- the measurement, as the engine benchmark runs it on both sides --------------------------------
ORDER_LINE = {"quantity": 3, "unit_price": 500}
WARM_UP = 3


def start_data(n: int) -> dict[str, Any]:
    return {"order_id": f"ORD-{n:06d}", "customer": "ACME"}


class StatementCounter:
    """Counts the SQL statements an engine sends (listening from outside, no code changes)."""

    def __init__(self, sa_engine) -> None:
        self.count = 0
        self._engine = sa_engine
        event.listen(sa_engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args) -> None:
        self.count += 1

    def close(self) -> None:
        event.remove(self._engine, "before_cursor_execute", self._seen)


def run_baseline(baseline: SpiffBaseline, instances: int) -> dict[str, Any]:
    """Start ``instances`` orders, then complete all their tasks; times and checks both."""
    for n in range(WARM_UP):
        _complete_all(baseline, *baseline.start(start_data(n)))
    counter = StatementCounter(baseline.engine)
    try:
        began = time.perf_counter()
        started = [baseline.start(start_data(n)) for n in range(instances)]
        start_seconds = time.perf_counter() - began
        counter.count = 0
        began = time.perf_counter()
        completions = sum(_complete_all(baseline, wid, ready) for wid, ready in started)
        complete_seconds = time.perf_counter() - began
        complete_statements = counter.count
    finally:
        counter.close()
    outcomes = [baseline.outcome(wid) for wid, _ in started]
    return {
        "start_seconds": start_seconds, "complete_seconds": complete_seconds, "completions": completions,
        "statements_per_completion": complete_statements / max(completions, 1),
        "completed": sum(status == "completed" for status, _ in outcomes),
        "data_intact": sum(data.get("order_id") == start_data(n)["order_id"]
                           for n, (_, data) in enumerate(outcomes)),
        "state_bytes": baseline.state_bytes(started[0][0]),
    }


def _complete_all(baseline: SpiffBaseline, workflow_id: str, ready: list[str]) -> int:
    done = 0
    while ready and done < 10:
        ready = baseline.complete(workflow_id, ready[0], ORDER_LINE)
        done += 1
    return done


def _refuse_overrides() -> None:
    """Spawn re-imports the benchmark's main module in the child, and with it Flowdesk's
    modules; importing them installs nothing (overrides are installed only by
    ``overrides.install()``). Checked here, so a baseline measured with Flowdesk's
    overrides in place fails instead of passing for plain SpiffWorkflow."""
    overrides = sys.modules.get("flowdesk.engine.runtime.overrides")
    patched = [o.name for o in getattr(overrides, "OVERRIDES", ()) if o.installed]
    if patched:
        raise RuntimeError(f"the baseline process has Flowdesk's overrides of SpiffWorkflow installed: {patched}")


def _serve(connection, url: str, bpmn_file: str, process_id: str, gc_thresholds) -> None:
    """The child process: runs rounds when asked, until told to stop."""
    import gc

    if gc_thresholds:
        gc.set_threshold(*gc_thresholds)
    _refuse_overrides()
    baseline = SpiffBaseline(url, Path(bpmn_file), process_id)
    try:
        while True:
            request = connection.recv()
            if request is None:
                return
            connection.send(run_baseline(baseline, request))
    finally:
        baseline.close()


class BaselineProcess:
    """:class:`SpiffBaseline` in a spawned process, where Flowdesk's overrides are never installed."""

    def __init__(self, url: str, bpmn_file: Path, process_id: str, gc_thresholds: tuple[int, ...] | None = None):
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, url, str(bpmn_file), process_id, gc_thresholds),
                                        name="flowdesk-bench-baseline", daemon=True)
        self._process.start()
        child.close()

    def run(self, instances: int) -> dict[str, Any]:
        self._connection.send(instances)
        return self._connection.recv()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._connection.send(None)
        self._process.join(30)
        if self._process.is_alive():
            self._process.kill()
