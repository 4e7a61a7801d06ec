"""A steady load leaves nothing behind per instance: once the process is warm, completing
more instances does not make it hold more memory (the soak in ``python -m bench.faults``
measures the same on a server, in megabytes a minute; this counts bytes still allocated).

Before: every task id the state writer ever spelled stayed in a process-wide table (~180
bytes each, up to 200,000) and the audit log kept the chain head of the last 20,000
instances written to, ended or not: ~3.4 KB per order instance, the soak's +1 MB/min.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import tracemalloc
from pathlib import Path

from flowdesk.engine.clock import FakeClock
from flowdesk.engine.identity import SYSTEM

from bench import MODELS
from bench.baseline import ORDER_LINE, start_data
from bench.databases import CLERK
from bench.engine_throughput import PROCESS
from tests.support.engines import make_engine

# What a finished instance may leave behind on average once caches are warm (statement
# caches and the like fill up to their bounds and then stop growing).
BYTES_PER_INSTANCE = 200
LATER = 150
ROOT = Path(__file__).resolve().parents[2]


def run_instances(engine, first: int, count: int) -> None:
    for n in range(first, first + count):
        tasks = engine.instances.start_instance(PROCESS, start_data(n), by=CLERK)["open_tasks"]
        while tasks:
            tasks = engine.tasks.complete_task(tasks[0]["id"], ORDER_LINE, by=CLERK)["instance"]["open_tasks"]


def held_after(engine, first: int, count: int) -> int:
    run_instances(engine, first, count)
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def bytes_per_instance(url: str) -> float:
    """What each finished instance leaves allocated once the process is warm."""
    engine = make_engine(url, FakeClock())
    try:
        engine.repository.deploy([MODELS / "order.bpmn"], by=SYSTEM)
        run_instances(engine, 0, 20)  # compiled statements, parsed specs, first connections
        gc.collect()
        tracemalloc.start()
        try:
            warm = held_after(engine, 100, 30)
            # Enough instances that a one-time fill (a statement first compiled, a cache
            # reaching its bound) is not read as a per-instance leak.
            later = held_after(engine, 200, LATER)
        finally:
            tracemalloc.stop()
        return (later - warm) / LATER
    finally:
        engine.close()


def test_finished_instances_leave_no_memory_behind(sqlite_url):
    """Measured in a fresh interpreter: tracemalloc counts every thread's allocations, and in
    a test worker that ran other tests before, their threads would be counted too (seen once
    a run as 200-330 "bytes per instance" that no run of this test alone shows)."""
    code = f"from tests.reliability.test_memory import bytes_per_instance; print(bytes_per_instance({sqlite_url!r}))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    per_instance = float(done.stdout.strip().splitlines()[-1])
    assert per_instance < BYTES_PER_INSTANCE, f"{per_instance:.0f} bytes per instance"
