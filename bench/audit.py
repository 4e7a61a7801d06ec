"""Measurement 7: the audit trail's cost, and the chain design it rests on.

- **Chain design.** 4 client processes complete orders concurrently through
  ``ProcessEngine`` on PostgreSQL (processes, as a server's workers are: threads would
  share one interpreter lock and hide the database's), each on its own instances, once
  with per-instance chains (the default) and once with one global chain
  (``FLOWDESK_AUDIT_CHAIN=global``), where every transaction that writes an event holds
  the one head row until it commits.
- **Verification.** Events are appended (through ``AuditLog``, so hashed and chained
  exactly as in production) across many instances and anchored; then ``verify`` runs over
  all of them: events per second, and the peak memory Python allocated meanwhile, which must
  not grow with the log (it streams).
- **KPI report.** A completed history (instances and their tasks) is written with bulk
  inserts, then ``kpi_report`` for one process is timed (p50/p95 of repeated runs).
"""

from __future__ import annotations

import multiprocessing
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta

from flowdesk.engine.clock import SystemClock
from flowdesk.engine.config import Settings
from flowdesk.engine.history.audit import EventRecord
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.persistence.models import Instance, Task
from flowdesk.engine.process_engine import ProcessEngine
from sqlalchemy import insert, text

from . import MODELS
from .databases import CLERK, database
from .engine_throughput import ORDER_LINE, PROCESS, _start_data
from .report import Section
from .stats import median, ms, per_second, percentile

CLIENTS = 4


def _engine(url: str, chain_mode: str) -> ProcessEngine:
    engine = ProcessEngine(Settings(database_url=url, definitions=(), audit_chain=chain_mode), clock=SystemClock())
    engine.repository.deploy([MODELS / "order.bpmn"], by=SYSTEM)
    return engine


def _client(url: str, chain_mode: str, index: int, seconds: float, ready, go, results) -> None:
    """One client process: its own engine and instances, then complete tasks until time is up."""
    engine = ProcessEngine(Settings(database_url=url, definitions=(), audit_chain=chain_mode), clock=SystemClock(),
                           migrate=False)
    try:
        pool = [engine.instances.start_instance(PROCESS, _start_data(index * 100_000 + n),
                                                by=CLERK) for n in range(150)]
        ready.wait()
        go.wait()
        deadline = time.perf_counter() + seconds
        done = 0
        for instance in pool:
            tasks = instance["open_tasks"]
            while tasks and time.perf_counter() < deadline:
                tasks = engine.tasks.complete_task(tasks[0]["id"], ORDER_LINE, by=CLERK)["instance"]["open_tasks"]
                done += 1
            if time.perf_counter() >= deadline:
                break
        results.put((done, None))
    except BaseException as err:  # reported by the parent
        results.put((0, repr(err)))
    finally:
        engine.close()


def concurrent_completions(url: str, chain_mode: str, seconds: float) -> float | None:
    """Task completions per second with CLIENTS processes (as a server's workers would be),
    each on its own instances, all on one database."""
    _engine(url, chain_mode).close()  # migrate and deploy once
    context = multiprocessing.get_context("spawn")
    ready, go, results = context.Barrier(CLIENTS + 1), context.Event(), context.Queue()
    processes = [context.Process(target=_client, args=(url, chain_mode, i, seconds, ready, go, results))
                 for i in range(CLIENTS)]
    for process in processes:
        process.start()
    ready.wait(timeout=300)
    began = time.perf_counter()
    go.set()
    outcomes = [results.get(timeout=seconds + 300) for _ in processes]
    elapsed = time.perf_counter() - began
    for process in processes:
        process.join(60)
    errors = [e for _, e in outcomes if e]
    if errors:
        raise RuntimeError(f"a client failed: {errors[0]}")
    return per_second(sum(done for done, _ in outcomes), elapsed)


def verification(url: str, events: int, per_instance: int = 50) -> dict[str, float | None]:
    engine = _engine(url, "instance")
    try:
        batch = 500
        written = 0
        while written < events:
            with engine.transaction() as s:
                records = []
                while len(records) < batch and written + len(records) < events:
                    instance = str(uuid.uuid4())
                    records.extend(EventRecord("task.completed", "bench", instance, "bench_order", 1, "enter_order",
                                               None, {"data": {"n": written + len(records) + k, "note": "x" * 40}})
                                   for k in range(per_instance))
                engine.context.audit.append(s, records)
                written += len(records)
            if written % 20_000 < batch:
                engine.history.anchor_audit()
        engine.history.anchor_audit()
        began = time.perf_counter()
        result = engine.history.verify_audit(by=SYSTEM)
        elapsed = time.perf_counter() - began
        # Memory in a second pass: tracing allocations slows Python down several times.
        tracemalloc.start()
        engine.history.verify_audit(by=SYSTEM)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        if not result["ok"]:
            raise RuntimeError(f"verify found problems in an untouched log: {result['reason']}")
        return {"events": result["events"], "seconds": elapsed, "peak_mb": peak / 1e6}
    finally:
        engine.close()


def fill_history(engine: ProcessEngine, instances: int, tasks_per_instance: int = 3) -> None:
    now = datetime.now(UTC)
    with engine.transaction() as s:
        definition = engine.context.definitions.latest(s, PROCESS)
    chunk = 2000
    for first in range(0, instances, chunk):
        instance_rows, task_rows = [], []
        for n in range(first, min(instances, first + chunk)):
            started = now - timedelta(days=90) + timedelta(minutes=n % 120_000)
            iid = str(uuid.uuid4())
            done = n % 10 != 0
            instance_rows.append({
                "id": iid, "definition_id": definition.id, "definition_key": definition.key,
                "definition_version": definition.version, "business_key": None,
                "status": "completed" if done else "running", "started_by": CLERK.username, "started_at": started,
                "ended_at": started + timedelta(hours=1 + n % 48) if done else None, "parent_instance_id": None,
                "state": {}, "data": {}, "active_elements": [], "lock_version": 1})
            for k in range(tasks_per_instance):
                created = started + timedelta(hours=k)
                task_rows.append({
                    "id": str(uuid.uuid4()), "instance_id": iid, "definition_key": definition.key,
                    "definition_version": definition.version, "business_key": None, "element_id": f"step_{k}",
                    "name": f"Step {k}", "status": "completed" if done else "open", "assignee": CLERK.username,
                    "candidate_groups": ["clerks"], "form": None, "priority": 50, "created_at": created,
                    "due_at": created + timedelta(hours=4), "completed_at": created + timedelta(minutes=30 + n % 300)
                    if done else None, "completed_by": CLERK.username if done else None})
        with engine.transaction() as s:
            s.execute(insert(Instance), instance_rows)
            s.execute(insert(Task), task_rows)
    with engine.db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ANALYZE instances"))
            conn.execute(text("ANALYZE tasks"))


def kpi_latency(url: str, instances: int, repeats: int) -> list[float]:
    engine = _engine(url, "instance")
    try:
        fill_history(engine, instances)
        engine.history.kpi_report(by=SYSTEM, definition_key=PROCESS)  # warm up
        timings = []
        for _ in range(repeats):
            began = time.perf_counter()
            engine.history.kpi_report(by=SYSTEM, definition_key=PROCESS, since=datetime.now(UTC) - timedelta(days=30))
            timings.append(time.perf_counter() - began)
        return timings
    finally:
        engine.close()


def measure(server_url: str, seconds: float, events: int, history: int, repeats: int = 5) -> Section:
    section = Section("audit", "Audit trail: chain design, verification, KPI report (PostgreSQL)")
    rates = {}
    for mode in ("instance", "global"):
        with database("postgres", server_url, f"chain_{mode}") as url:
            rates[mode] = concurrent_completions(url, mode, seconds)
        section.add(f"chain_{mode}_c{CLIENTS}_completions_per_s",
                    f"{CLIENTS} processes, completions/s, {mode} chain", rates[mode], "/s")
    if rates["instance"] and rates["global"]:
        section.add("chain_instance_over_global", "per-instance / global chain throughput",
                    rates["instance"] / rates["global"], "x")
    with database("postgres", server_url, "verify") as url:
        verified = verification(url, events)
    section.add("verify_events", "events verified", verified["events"])
    section.add("verify_events_per_s", "verify, events/s", per_second(verified["events"], verified["seconds"]), "/s")
    section.add("verify_peak_mb", "verify, peak Python memory", verified["peak_mb"], "MB")
    with database("postgres", server_url, "kpis") as url:
        timings = kpi_latency(url, history, repeats)
    section.add("kpi_history_instances", "history size (instances, 3 tasks each)", history)
    section.add("kpi_p50_ms", "kpi_report, last 30 days, p50", ms(median(timings)), "ms")
    section.add("kpi_p95_ms", "kpi_report, last 30 days, p95", ms(percentile(timings, 95)), "ms")
    return section
