"""Measurements 2 and 5: task completions through the REST API, pgbench beside them, server memory.

A real ``flowdesk serve --no-worker`` runs as a subprocess on a free port of 127.0.0.1
against a fresh PostgreSQL database, as configured by default (one web worker per core;
``FLOWDESK_WORKERS`` is removed from its environment), and once more with
``FLOWDESK_WORKERS=1`` for comparison. For each client count the benchmark first starts
a pool of instances of models/order.bpmn (in this process, untimed, while the server
idles), then its clients (threads with one keep-alive connection each, all with the token
of one ``POST /api/v1/auth/token``) complete tasks for a fixed time: each takes an instance from
the pool and completes its three tasks in turn, the next task's id coming from the
completion's response. Only completion requests are timed. pgbench then runs TPC-B with
the same number of clients on the same database. The server's process tree is sampled
for RSS and PSS through the whole run (procs.py says why both), and its CPU time is read
before and after each level.
"""

from __future__ import annotations

import http.client
import json
import math
import queue
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from flowdesk.engine.clock import SystemClock
from flowdesk.engine.config import Settings
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.process_engine import ProcessEngine

from . import MODELS, pgbench
from .databases import CLERK, CLERK_PASSWORD, flowdesk_engine, postgres_database
from .engine_throughput import ORDER_LINE, PROCESS
from .procs import RssSampler, descendants, free_port, memory_breakdown, spawn, tree_cpu_seconds, wait_until
from .report import Section
from .stats import ms, percentile

MB = 1024 * 1024
# Instances are created ahead of each level, as many as the rate measured before it (at
# the warm-up, then at the previous level) says the clients could need.
MAX_POOL = 1500
WARM_UP_INSTANCES = 3


@dataclass
class LevelResult:
    clients: int
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # Seconds into the level when a client first found the pool empty, if it did.
    pool_ran_out: float | None = None

    @property
    def rate(self) -> float | None:
        return len(self.latencies) / self.seconds if self.seconds > 0 and self.latencies else None


def login(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        body = urllib.parse.urlencode({"username": CLERK.username, "password": CLERK_PASSWORD,
                                       "grant_type": "password"})
        conn.request("POST", "/api/v1/auth/token", body, {"Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        payload = response.read()
        if response.status != 200:
            raise RuntimeError(f"login failed: {response.status} {payload[:300]!r}")
        return json.loads(payload)["access_token"]
    finally:
        conn.close()


def healthy(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/api/v1/health")
        return conn.getresponse().status == 200
    finally:
        conn.close()


def run_level(port: int, tokens: list[str], pool: queue.Queue, seconds: float) -> LevelResult:
    """``len(tokens)`` clients complete tasks from ``pool`` for ``seconds``."""
    result = LevelResult(len(tokens))
    lock = threading.Lock()
    gate = threading.Barrier(len(tokens) + 1)
    body = json.dumps({"data": ORDER_LINE})
    deadline_box: list[float] = []

    def client(token: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        mine: list[float] = []
        gate.wait()
        deadline = deadline_box[0]
        try:
            while time.monotonic() < deadline:
                try:
                    task_id = pool.get_nowait()
                except queue.Empty:
                    with lock:
                        if result.pool_ran_out is None:
                            result.pool_ran_out = seconds - (deadline - time.monotonic())
                    break
                while task_id and time.monotonic() < deadline:
                    began = time.perf_counter()
                    conn.request("POST", f"/api/v1/tasks/{task_id}/complete", body, headers)
                    response = conn.getresponse()
                    payload = response.read()
                    mine.append(time.perf_counter() - began)
                    if response.status != 200:
                        mine.pop()
                        with lock:
                            result.errors.append(f"{response.status}: {payload[:200]!r}")
                        break
                    open_tasks = json.loads(payload)["instance"]["open_tasks"]
                    task_id = open_tasks[0]["id"] if open_tasks else None
        except (OSError, http.client.HTTPException) as err:
            with lock:
                result.errors.append(f"{type(err).__name__}: {err}")
        finally:
            conn.close()
            with lock:
                result.latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(token,), daemon=True) for token in tokens]
    for thread in threads:
        thread.start()
    began = time.monotonic()
    deadline_box.append(began + seconds)
    gate.wait()
    for thread in threads:
        thread.join(seconds + 120)
    result.seconds = time.monotonic() - began
    return result


def measure(server_url: str, clients: tuple[int, ...], seconds: float, pgbench_seconds: int,
            global_chain_clients: int | None = 4) -> Section:
    section = Section("http", "2+5. HTTP task completions on PostgreSQL, pgbench ceiling, server memory")
    binary = pgbench.find()
    with postgres_database(server_url, "http") as url, tempfile.TemporaryDirectory(prefix="flowdesk-bench-") as tmp:
        engine = flowdesk_engine(url, "order.bpmn")
        try:
            engine.identity.create_user(CLERK.username, CLERK_PASSWORD, sorted(CLERK.groups), by=SYSTEM)
            if binary:
                pgbench.initialize(binary, url)
            port = free_port()
            env = {"FLOWDESK_DATABASE_URL": url, "FLOWDESK_DEFINITIONS": str(MODELS / "order.bpmn"),
                   "FLOWDESK_HOST": "127.0.0.1", "FLOWDESK_PORT": str(port), "FLOWDESK_OUTBOX": tmp,
                   "FLOWDESK_WORKERS": None}
            log = Path(tmp) / "server.log"
            with spawn(["serve", "--no-worker"], env, log) as server, RssSampler(server.pid) as rss:
                wait_until(lambda: healthy(port), 60, "the server to answer /api/v1/health", server, log)
                processes = web_workers(server.pid)
                section.add("server_processes", "web worker processes of the default serve", processes, "")
                rss.sample_now()
                section.add("server_idle_rss_mb", "server RSS after start (process tree, summed)", rss.last / MB,
                            "MB")
                section.add("server_idle_pss_mb", "server PSS after start (process tree, summed)",
                            rss.last_pss / MB, "MB")
                # One login: all clients act as the same clerk (as one person's browser tabs would).
                tokens = [login(port)] * max(clients)
                warm_up = run_level(port, tokens[:1], _pool(engine, WARM_UP_INSTANCES), 60)
                rate, previous = warm_up.rate or 10.0, 1
                for count in clients:
                    # Enough instances if throughput grew linearly with the clients, and half again.
                    expected = rate * max(1.0, count / previous) * 1.5
                    pool = _pool(engine, math.ceil(min(MAX_POOL, seconds * expected / 3 + 5)))
                    cpu_before = tree_cpu_seconds(server.pid)
                    level = run_level(port, tokens[:count], pool, seconds)
                    cpu = tree_cpu_seconds(server.pid) - cpu_before
                    _report_level(section, level, cpu)
                    rate, previous = level.rate or rate, count
                    if binary:
                        tps = pgbench.run(binary, url, count, pgbench_seconds)
                        section.add(f"c{count}_pgbench_tps", f"pgbench TPC-B, {count} clients", tps, "tx/s")
                rss.sample_now()
                section.add("server_peak_rss_mb", "server peak RSS during the run (process tree, summed)",
                            rss.peak / MB, "MB")
                section.add("server_peak_pss_mb", "server peak PSS during the run (process tree, summed)",
                            rss.peak_pss / MB, "MB")
                section.note("memory after the levels, per process (MB): " + describe_memory(server.pid))
        finally:
            engine.close()
        if global_chain_clients and "audit_chain" in Settings.__dataclass_fields__:
            _extra_level(section, server_url, global_chain_clients, seconds, rate, previous,
                         {"FLOWDESK_AUDIT_CHAIN": "global"}, "global_", "FLOWDESK_AUDIT_CHAIN=global, ")
        if global_chain_clients:
            # Not the default configuration on PostgreSQL any more: what one process gives.
            _extra_level(section, server_url, global_chain_clients, seconds, rate, previous,
                         {"FLOWDESK_WORKERS": "1"}, "workers1_", "FLOWDESK_WORKERS=1, ")
    if binary is None:
        section.note("pgbench not found (PATH, /usr/lib/postgresql/*/bin): no ceiling measured; "
                     "install postgresql-client to get it")
    else:
        section.note(f"pgbench: {binary}, TPC-B scale 1, -j = clients, {pgbench_seconds} s per level")
    section.note(f"the default serve (one web worker per core on PostgreSQL), {seconds:g} s per client count; "
                 "latency = request sent to response read, on keep-alive connections")
    return section


def _extra_level(section: Section, server_url: str, count: int, seconds: float, rate: float,
                 previous: int, extra_env: dict[str, str], prefix: str, label: str) -> None:
    """The same completions against a server started with ``extra_env``, on a fresh
    database: ``FLOWDESK_AUDIT_CHAIN=global`` (one hash chain that every writer extends,
    instead of one per instance anchored into the global chain) shows what serializing
    every writer on one chain costs; ``FLOWDESK_WORKERS=1`` what one process gives."""
    with postgres_database(server_url, f"http_{prefix.strip('_')}") as url, \
            tempfile.TemporaryDirectory(prefix="flowdesk-bench-") as tmp:
        extra_env = {"FLOWDESK_WORKERS": None, **extra_env}
        overrides = {"audit_chain": extra_env["FLOWDESK_AUDIT_CHAIN"]} if "FLOWDESK_AUDIT_CHAIN" in extra_env else {}
        engine = ProcessEngine(Settings(database_url=url, definitions=(), **overrides), clock=SystemClock())
        try:
            engine.repository.deploy([MODELS / "order.bpmn"], by=SYSTEM)
            engine.identity.create_user(CLERK.username, CLERK_PASSWORD, sorted(CLERK.groups), by=SYSTEM)
            port = free_port()
            env = {"FLOWDESK_DATABASE_URL": url, "FLOWDESK_DEFINITIONS": str(MODELS / "order.bpmn"),
                   "FLOWDESK_HOST": "127.0.0.1", "FLOWDESK_PORT": str(port), "FLOWDESK_OUTBOX": tmp,
                   **extra_env}
            log = Path(tmp) / "server.log"
            with spawn(["serve", "--no-worker"], env, log) as server, RssSampler(server.pid) as rss:
                wait_until(lambda: healthy(port), 60, "the server to answer /api/v1/health", server, log)
                tokens = [login(port)] * count
                run_level(port, tokens[:1], _pool(engine, WARM_UP_INSTANCES), 60)
                expected = rate * max(1.0, count / previous) * 1.5
                pool = _pool(engine, math.ceil(min(MAX_POOL, seconds * expected / 3 + 5)))
                cpu_before = tree_cpu_seconds(server.pid)
                level = run_level(port, tokens, pool, seconds)
                cpu = tree_cpu_seconds(server.pid) - cpu_before
                _report_level(section, level, cpu, prefix=prefix, label=label)
                rss.sample_now()
            section.add(f"{prefix}server_peak_rss_mb", f"{label}server peak RSS (process tree, summed)", rss.peak / MB,
                        "MB")
            section.add(f"{prefix}server_peak_pss_mb", f"{label}server peak PSS (process tree, summed)",
                        rss.peak_pss / MB, "MB")
        finally:
            engine.close()


def web_workers(server_pid: int) -> int:
    """How many processes serve: the forked web workers, or the one server process."""
    return max(1, len(descendants(server_pid)) - 1)


def describe_memory(root: int) -> str:
    """``pid: Rss/Pss/Private`` for each process of the tree (the parent first)."""
    parts = []
    for row in memory_breakdown(root):
        private = row.get("Private_Clean", 0) + row.get("Private_Dirty", 0)
        parts.append(f"{row['pid']}: Rss {row.get('Rss', 0) / MB:.0f} / Pss {row.get('Pss', 0) / MB:.0f} / "
                     f"private {private / MB:.0f}")
    return "; ".join(parts)


def _pool(engine, size: int) -> queue.Queue:
    pool: queue.Queue = queue.Queue()
    for n in range(size):
        instance = engine.instances.start_instance(PROCESS, {"order_id": f"HTTP-{n:06d}"}, by=CLERK)
        pool.put(instance["open_tasks"][0]["id"])
    return pool


def _report_level(section: Section, level: LevelResult, server_cpu_seconds: float, prefix: str = "",
                  label: str = "") -> None:
    c = level.clients
    key, who = f"{prefix}c{c}", f"{label}{c} client(s)"
    section.add(f"{key}_completions_per_s", f"{who}: task completions per second", level.rate, "/s")
    for pct in (50, 95, 99):
        section.add(f"{key}_p{pct}_ms", f"{who}: latency p{pct}", ms(percentile(level.latencies, pct)), "ms")
    done = len(level.latencies)
    section.add(f"{key}_server_cpu_ms", f"{who}: server CPU per completion",
                server_cpu_seconds * 1000 / done if done else None, "ms")
    if level.pool_ran_out is not None:
        section.note(f"{who}: the pool of instances ran out after {level.pool_ran_out:.1f} s "
                     f"of {level.seconds:.1f} s (the rate is still that of the time measured)")
    if level.errors:
        section.note(f"{who}: {len(level.errors)} failed requests, first: {level.errors[0]}")
