"""Measurement 1: engine throughput, Flowdesk beside plain SpiffWorkflow, on one database.

Both paths run the same model (models/order.bpmn: three user tasks, a script, a split
and a merge gateway) in the same database, one committed transaction per start and per
completion, one instance after the other: this is the cost of the engine
path itself, without HTTP. Flowdesk goes through :class:`ProcessEngine` exactly as the
API does (authorization, inbox rows, audit events, the sandbox); the baseline is
:mod:`bench.baseline`, run in a process of its own so that it is SpiffWorkflow as shipped.

Each run also checks its outcome: every instance must complete, and the data given at
the start must still be there at the end. A number from a run that lost data is
reported with a note instead of being trusted silently.
"""

from __future__ import annotations

import gc
import time
from typing import Any

from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.process_engine import ProcessEngine

from . import MODELS
from .baseline import ORDER_LINE, WARM_UP, BaselineProcess, StatementCounter, start_data
from .databases import CLERK, database, flowdesk_engine
from .report import Section
from .stats import per_second

PROCESS = "bench_order"
# "Enter order" is where a clerk types the order in; the script prices it and orders
# over 1000 need approval, so every instance here completes three user tasks (the order
# line and the start data are bench.baseline's, so that both sides run the same).
_start_data = start_data
__all__ = ["ORDER_LINE", "PROCESS", "measure"]


def run_flowdesk(engine: ProcessEngine, instances: int) -> dict[str, Any]:
    """Start ``instances`` orders, then complete all their tasks; times and checks both."""
    for n in range(WARM_UP):  # restore the spec, fill SQLAlchemy's statement caches
        _complete_all(engine, engine.instances.start_instance(PROCESS, _start_data(n), by=CLERK))
    counter = StatementCounter(engine.db.engine)
    try:
        began = time.perf_counter()
        started = [engine.instances.start_instance(PROCESS, _start_data(n), by=CLERK) for n in range(instances)]
        start_seconds = time.perf_counter() - began
        start_statements, counter.count = counter.count, 0
        began = time.perf_counter()
        completions = sum(_complete_all(engine, instance) for instance in started)
        complete_seconds = time.perf_counter() - began
        complete_statements = counter.count
    finally:
        counter.close()
    finals = [engine.instances.get_instance(i["id"], by=SYSTEM) for i in started]
    return {
        "start_seconds": start_seconds, "complete_seconds": complete_seconds, "completions": completions,
        "statements_per_start": start_statements / instances,
        "statements_per_completion": complete_statements / max(completions, 1),
        "completed": sum(f["status"] == "completed" for f in finals),
        "data_intact": sum(f["data"].get("order_id") == _start_data(n)["order_id"] for n, f in enumerate(finals)),
    }


def _complete_all(engine: ProcessEngine, instance: dict) -> int:
    done = 0
    tasks = instance["open_tasks"]
    while tasks and done < 10:  # three in this model; the bound guards against a runaway loop
        tasks = engine.tasks.complete_task(tasks[0]["id"], ORDER_LINE, by=CLERK)["instance"]["open_tasks"]
        done += 1
    return done


ROUNDS = 4


def _rounds(instances: int) -> list[int]:
    """``instances`` split into up to :data:`ROUNDS` rounds."""
    count = max(1, min(ROUNDS, instances))
    return [instances // count + (1 if n < instances % count else 0) for n in range(count)]


def _combined(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The rounds of one side as one run: times, counts and checks summed, statements
    per completion and per start weighted by the round's size."""
    total: dict[str, Any] = {}
    completions = sum(r["completions"] for r in rounds)
    for key in ("start_seconds", "complete_seconds", "completions", "completed", "data_intact"):
        total[key] = sum(r[key] for r in rounds)
    total["statements_per_completion"] = (
        sum(r["statements_per_completion"] * r["completions"] for r in rounds) / max(completions, 1))
    if "statements_per_start" in rounds[0]:
        total["statements_per_start"] = sum(r["statements_per_start"] for r in rounds) / len(rounds)
    if "state_bytes" in rounds[0]:
        total["state_bytes"] = rounds[0]["state_bytes"]
    return total


def measure(kind: str, server_url: str | None, instances: int) -> Section:
    """``kind`` is "sqlite" or "postgres"; both paths share one fresh database."""
    name = "SQLite" if kind == "sqlite" else "PostgreSQL"
    section = Section(f"engine_{kind}", f"1. Engine throughput on {name}: Flowdesk vs plain SpiffWorkflow")
    with database(kind, server_url, "engine") as url:
        engine = flowdesk_engine(url, "order.bpmn")
        # The baseline runs in its own process, where none of Flowdesk's overrides of
        # SpiffWorkflow are installed (see bench/baseline.py).
        baseline = BaselineProcess(url, MODELS / "order.bpmn", PROCESS, gc.get_threshold())
        try:
            # Alternating rounds (Flowdesk first, then the baseline first): a shared
            # machine's speed drifts within seconds, and both sides should see the same.
            flowdesk_rounds, plain_rounds = [], []
            for round_, size in enumerate(_rounds(instances)):
                pair = ((flowdesk_rounds, lambda n: run_flowdesk(engine, n)),
                        (plain_rounds, baseline.run))
                for results, run in (pair if round_ % 2 == 0 else pair[::-1]):
                    results.append(run(size))
            flowdesk, plain = _combined(flowdesk_rounds), _combined(plain_rounds)
        finally:
            engine.close()
            baseline.close()
    f_starts = per_second(instances, flowdesk["start_seconds"])
    f_done = per_second(flowdesk["completions"], flowdesk["complete_seconds"])
    b_starts = per_second(instances, plain["start_seconds"])
    b_done = per_second(plain["completions"], plain["complete_seconds"])
    section.add("flowdesk_starts_per_s", "Flowdesk: instances started per second", f_starts, "/s")
    section.add("flowdesk_completions_per_s", "Flowdesk: tasks completed per second", f_done, "/s")
    section.add("flowdesk_statements_per_completion", "Flowdesk: SQL statements per completion",
                flowdesk["statements_per_completion"])
    section.add("baseline_starts_per_s", "SpiffWorkflow+JSON: instances started per second", b_starts, "/s")
    section.add("baseline_completions_per_s", "SpiffWorkflow+JSON: tasks completed per second", b_done, "/s")
    section.add("baseline_statements_per_completion", "SpiffWorkflow+JSON: SQL statements per completion",
                plain["statements_per_completion"])
    section.add("baseline_state_bytes", "SpiffWorkflow+JSON: serialized workflow (spec included)",
                plain["state_bytes"], "B")
    section.add("start_ratio", "ratio Flowdesk / baseline, starts",
                f_starts / b_starts if f_starts and b_starts else None, "x")
    section.add("completion_ratio", "ratio Flowdesk / baseline, completions",
                f_done / b_done if f_done and b_done else None, "x")
    section.note(f"{instances} instances x 3 user tasks per path, one commit per step, single-threaded, "
                 f"in {len(_rounds(instances))} alternating rounds")
    for label, result in (("Flowdesk", flowdesk), ("baseline", plain)):
        if result["completed"] != instances:
            section.note(f"{label}: only {result['completed']} of {instances} instances completed")
        if result["data_intact"] != instances:
            section.note(f"{label}: start data lost in {instances - result['data_intact']} of {instances} "
                         "instances (see bench/README.md, 'findings')")
    return section
