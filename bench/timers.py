"""Measurement 6: how late a due timer fires, on the embedded worker and on celery.

N instances of models/tick.bpmn (a two-second intermediate timer) are started back to
back; each timer's lateness is the time of its ``timer.fired`` audit event (written in
the step that fires it) minus the due time of its job row. N timers due within the same
second show queueing as well as the wake-up delay.

- embedded: :class:`EmbeddedWorker` in this process, system clock, SQLite, the way
  ``flowdesk serve`` runs it;
- celery: a ``flowdesk worker`` subprocess (celery workers plus the dispatcher) with a
  Redis broker on a fresh PostgreSQL database, on its own queue.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.jobs.executor import JobExecutor
from flowdesk.engine.jobs.worker import EmbeddedWorker
from flowdesk.engine.persistence.models import Job
from flowdesk.engine.process_engine import ProcessEngine
from sqlalchemy import select

from .databases import flowdesk_engine, postgres_database, sqlite_database
from .procs import spawn, wait_until
from .report import Section
from .stats import ms, percentile

WAIT_SECONDS = 60


def lateness(engine: ProcessEngine, instance_ids: list[str]) -> tuple[list[float], int]:
    """Seconds between each job's due time and its timer.fired event; and how many fired."""
    with engine.transaction() as session:
        due = dict(session.execute(select(Job.instance_id, Job.due_at).where(
            Job.instance_id.in_(instance_ids), Job.kind == "timer")).all())
    late = []
    for instance_id in instance_ids:
        events = engine.history.instance_history(instance_id, by=SYSTEM, limit=500).items
        fired = next((e["at"] for e in events if e["type"] == "timer.fired"), None)
        if fired is not None and instance_id in due:
            late.append((datetime.fromisoformat(fired) - due[instance_id]).total_seconds())
    return late, len(late)


def run_timers(engine: ProcessEngine, count: int) -> tuple[list[float], int]:
    ids = [engine.instances.start_instance("bench_tick", {}, by=SYSTEM)["id"] for _ in range(count)]
    wait_until(lambda: all(engine.instances.get_instance(i, by=SYSTEM)["status"] == "completed" for i in ids),
               WAIT_SECONDS,
               f"{count} timers to fire")
    return lateness(engine, ids)


def embedded(count: int) -> tuple[list[float], int]:
    with sqlite_database("timers") as url:
        engine = flowdesk_engine(url, "tick.bpmn")
        worker = EmbeddedWorker(JobExecutor(engine.context, worker_id="bench-embedded"))
        worker.start()
        try:
            return run_timers(engine, count)
        finally:
            worker.stop()
            engine.close()


def celery(server_url: str, broker_url: str, count: int) -> tuple[list[float], int]:
    with postgres_database(server_url, "celery") as url, tempfile.TemporaryDirectory(prefix="flowdesk-bench-") as tmp:
        engine = flowdesk_engine(url, "tick.bpmn")
        log = Path(tmp) / "worker.log"
        env = {"FLOWDESK_DATABASE_URL": url, "FLOWDESK_BROKER_URL": broker_url,
               "FLOWDESK_CELERY_QUEUE": f"bench-{uuid.uuid4().hex[:8]}", "FLOWDESK_OUTBOX": tmp}
        try:
            with spawn(["worker", "--concurrency", "2"], env, log) as worker:
                # Celery logs "ready." once it consumes; the dispatcher starts before that.
                wait_until(lambda: " ready." in log.read_text(), 60, "the celery worker to be ready", worker, log)
                return run_timers(engine, count)
        finally:
            engine.close()


def redis_problem(broker_url: str | None) -> str | None:
    if not broker_url:
        return "no Redis URL given"
    try:
        import redis

        redis.Redis.from_url(broker_url, socket_connect_timeout=2).ping()
    except Exception as err:
        return f"Redis at {broker_url} is not reachable: {err}"
    return None


def measure(count: int, server_url: str | None, broker_url: str | None, postgres_skip: str | None) -> Section:
    section = Section("timers", f"6. Timer latency: {count} PT2S timers due together")
    began = time.perf_counter()
    late, fired = embedded(count)
    _report(section, "embedded", "embedded worker (SQLite)", late, fired, count)
    section.note(f"embedded: {time.perf_counter() - began:.1f} s including setup")
    skip = postgres_skip or redis_problem(broker_url)
    if skip:
        section.fail("celery_p50_ms", "celery worker (PostgreSQL, Redis): p50", f"not run: {skip}", "ms")
        return section
    late, fired = celery(server_url, broker_url, count)
    _report(section, "celery", "celery worker (PostgreSQL, Redis)", late, fired, count)
    return section


def _report(section: Section, key: str, label: str, late: list[float], fired: int, count: int) -> None:
    section.add(f"{key}_p50_ms", f"{label}: lateness p50", ms(percentile(late, 50)), "ms")
    section.add(f"{key}_p95_ms", f"{label}: lateness p95", ms(percentile(late, 95)), "ms")
    section.add(f"{key}_max_ms", f"{label}: lateness max", ms(max(late)) if late else None, "ms")
    if fired != count:
        section.note(f"{key}: only {fired} of {count} timers fired within {WAIT_SECONDS} s")
