"""Measurement 9 (``python -m bench --only scaleout``): sizing a cluster on one PostgreSQL.

The HTTP load of measurement 2 (clients completing the three tasks of order instances,
``http_load.run_level``) against ``flowdesk serve --no-worker`` with 2, 4 and 8 web
worker processes (``FLOWDESK_WORKERS``), each beside 1, 2 and 4 celery workers
(``flowdesk worker --concurrency 1``, Redis broker; the first one also dispatches). While
the clients work, this process starts instances of models/tick.bpmn (a PT2S timer) at a
steady rate, so the celery workers have timers to fire against the same database.

Reported per configuration: completions/s, latency p50, server CPU per completion (the
``serve`` process tree, from /proc), the server tree's PSS, the timers fired of those
started and their p95 lateness, and the celery workers' CPU per fired timer. One fresh
database per server count; the celery workers are started afresh for each count of them.
On one machine every process shares its cores, so more processes than cores shows the
cost of contention, not the gain of more machines: bench/README.md says how to read it.
"""

from __future__ import annotations

import math
import os
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.persistence.models import Event, Job
from sqlalchemy import select

from . import MODELS
from .databases import CLERK, CLERK_PASSWORD, flowdesk_engine, postgres_database
from .http_load import MAX_POOL, WARM_UP_INSTANCES, _pool, healthy, login, run_level
from .procs import RssSampler, free_port, spawn, tree_cpu_seconds, wait_until
from .report import Section
from .stats import ms, percentile
from .timers import redis_problem

MB = 1024 * 1024


class TickStarter:
    """Starts tick instances (a PT2S timer each) at ``rate`` per second in a thread."""

    def __init__(self, engine, rate: float) -> None:
        self.engine = engine
        self.rate = rate
        self.started: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tick-starter", daemon=True)

    def __enter__(self) -> TickStarter:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        began = time.monotonic()
        while not self._stop.is_set():
            due = int((time.monotonic() - began) * self.rate) + 1
            while len(self.started) < due and not self._stop.is_set():
                self.started.append(self.engine.instances.start_instance("bench_tick", {}, by=SYSTEM)["id"])
            self._stop.wait(1 / self.rate)


def measure(server_url: str, redis_url: str | None, servers: tuple[int, ...], workers: tuple[int, ...],
            clients: int, seconds: float, tick_rate: float) -> Section:
    section = Section("scaleout", "9. Scale-out on one PostgreSQL: web workers x celery workers")
    problem = redis_problem(redis_url)
    if problem:
        section.skipped = problem
        return section
    for count in servers:
        _measure_servers(section, server_url, redis_url, count, workers, clients, seconds, tick_rate)
    section.note(f"{clients} HTTP clients, {seconds:g} s per configuration; tick instances (PT2S timer) started "
                 f"at {tick_rate:g}/s meanwhile; {os.cpu_count()} CPUs shared by every process (server, celery, "
                 "PostgreSQL, Redis, this driver)")
    return section


def _measure_servers(section: Section, server_url: str, redis_url: str, count: int, workers: tuple[int, ...],
                     clients: int, seconds: float, tick_rate: float) -> None:
    with postgres_database(server_url, f"scale{count}") as url, \
            tempfile.TemporaryDirectory(prefix="flowdesk-bench-") as tmp:
        engine = flowdesk_engine(url, "order.bpmn", "tick.bpmn")
        try:
            engine.identity.create_user(CLERK.username, CLERK_PASSWORD, sorted(CLERK.groups), by=SYSTEM)
            port = free_port()
            queue_name = f"bench-scale-{uuid.uuid4().hex[:8]}"
            env = {"FLOWDESK_DATABASE_URL": url, "FLOWDESK_HOST": "127.0.0.1", "FLOWDESK_PORT": str(port),
                   "FLOWDESK_DEFINITIONS": os.pathsep.join(str(MODELS / m) for m in ("order.bpmn", "tick.bpmn")),
                   "FLOWDESK_OUTBOX": tmp, "FLOWDESK_WORKERS": str(count), "FLOWDESK_BROKER_URL": redis_url,
                   "FLOWDESK_CELERY_QUEUE": queue_name}
            log = Path(tmp) / "server.log"
            with spawn(["serve", "--no-worker"], env, log) as server, RssSampler(server.pid) as memory:
                wait_until(lambda: healthy(port), 90, "the server to answer /api/v1/health", server, log)
                tokens = [login(port)] * clients
                warm = run_level(port, tokens[:1], _pool(engine, WARM_UP_INSTANCES), 60)
                # Enough instances if the clients went as fast as one client times the
                # processes they can keep busy, and more than as much again (a shared
                # machine's speed swings between the warm-up and the levels).
                rate = (warm.rate or 10.0) * min(clients, count) * 2.5
                for celery_count in workers:
                    _measure_one(section, engine, env, Path(tmp), port, server.pid, memory, tokens, count,
                                 celery_count, seconds, rate, tick_rate)
        finally:
            engine.close()


def _measure_one(section: Section, engine, env: dict[str, str], tmp: Path, port: int, server_pid: int,
                 memory: RssSampler, tokens: list[str], count: int, celery_count: int, seconds: float,
                 rate: float, tick_rate: float) -> None:
    key, who = f"s{count}_w{celery_count}", f"{count} web workers, {celery_count} celery worker(s)"
    with ExitStack() as stack:
        celery = []
        for n in range(celery_count):
            log = tmp / f"worker-{count}-{celery_count}-{n}.log"
            args = ["worker", "--concurrency", "1"] + ([] if n == 0 else ["--no-dispatcher"])
            proc = stack.enter_context(spawn(args, env, log))
            celery.append((proc, log))
        for proc, log in celery:
            wait_until(lambda log=log: " ready." in log.read_text(), 90, "a celery worker to be ready", proc, log)
        pool = _pool(engine, math.ceil(min(MAX_POOL, seconds * rate / 3 + 5)))
        server_cpu, celery_cpu = tree_cpu_seconds(server_pid), sum(tree_cpu_seconds(p.pid) for p, _ in celery)
        with TickStarter(engine, tick_rate) as ticks:
            level = run_level(port, tokens, pool, seconds)
        server_cpu = tree_cpu_seconds(server_pid) - server_cpu
        memory.sample_now()
        # Timers started up to the end fall due 2 s later: give the workers time to fire them.
        deadline = time.monotonic() + 30
        late, fired = _lateness(engine, list(ticks.started))
        while fired < len(ticks.started) and time.monotonic() < deadline:
            time.sleep(0.5)
            late, fired = _lateness(engine, list(ticks.started))
        celery_cpu = sum(tree_cpu_seconds(p.pid) for p, _ in celery) - celery_cpu
    done = len(level.latencies)
    section.add(f"{key}_completions_per_s", f"{who}: task completions per second", level.rate, "/s")
    section.add(f"{key}_p50_ms", f"{who}: latency p50", ms(percentile(level.latencies, 50)), "ms")
    section.add(f"{key}_server_cpu_ms", f"{who}: server CPU per completion",
                server_cpu * 1000 / done if done else None, "ms")
    section.add(f"{key}_server_pss_mb", f"{who}: server tree PSS", memory.last_pss / MB, "MB")
    section.add(f"{key}_timers_fired", f"{who}: timers fired of {len(ticks.started)} started", fired, "")
    section.add(f"{key}_timer_p95_ms", f"{who}: timer lateness p95", ms(percentile(late, 95)) if late else None,
                "ms")
    # Idle work (heartbeats, polling the broker) counts too: at low rates it dominates.
    section.add(f"{key}_celery_cpu_ms", f"{who}: celery CPU per timer fired",
                celery_cpu * 1000 / fired if fired else None, "ms")
    if level.errors:
        section.note(f"{who}: {len(level.errors)} failed requests, first: {level.errors[0]}")
    if level.pool_ran_out is not None:
        section.note(f"{who}: the pool of instances ran out after {level.pool_ran_out:.1f} s")


def _lateness(engine, instance_ids: list[str]) -> tuple[list[float], int]:
    """Seconds from each started tick's timer due time to its timer.fired event (the fired
    ones only), and how many fired."""
    if not instance_ids:
        return [], 0
    with engine.transaction() as session:
        due = dict(session.execute(select(Job.instance_id, Job.due_at).where(
            Job.instance_id.in_(instance_ids), Job.kind == "timer")).all())
        fired = dict(session.execute(select(Event.instance_id, Event.at).where(
            Event.instance_id.in_(instance_ids), Event.type == "timer.fired")).all())
    late = [(fired[i] - due[i]).total_seconds() for i in instance_ids if i in fired and i in due]
    return late, len(late)
