"""Measurement 6: N timers falling due within one minute, and how late they fire.

The issue's case is 10,000 timers due in the same minute. Starting 10,000 instances
through the engine would take longer than the minute itself on a two-core machine, so
the instances are *planted*: one instance of models/tick.bpmn is started through
:class:`ProcessEngine` (it waits at its timer), and its rows are copied N times in bulk
(``instances`` with the stored workflow, ``jobs`` with the timer), each copy with its own
due time, ``window`` seconds spread evenly, written both into the job row and into the
workflow's timer (SpiffWorkflow's ``event_value``), exactly as the engine would have
written them had the instance been started at its own moment. What the worker then does
with each is the real thing: take the job, load the workflow, fire the timer, write
the step (instance, audit event, chain head), finish the job.

Lateness = the ``timer.fired`` audit event's time (written in the step that fires it)
minus the job's due time. A timer still unfired when the measurement gives up counts
with its lateness so far (a lower bound), so p99 is never flattered by leaving it out.

- embedded: :class:`EmbeddedWorker` in this process, the way ``flowdesk serve`` runs it,
  on SQLite (the default) and on PostgreSQL;
- celery: two ``flowdesk worker`` processes (``--concurrency 1`` each, the first with the
  dispatcher) with a Redis broker on PostgreSQL, on their own queue.
"""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.jobs.executor import JobExecutor
from flowdesk.engine.jobs.worker import EmbeddedWorker
from flowdesk.engine.persistence.models import Event, Instance, Job
from flowdesk.engine.process_engine import ProcessEngine
from sqlalchemy import func, insert, select, update

from .databases import database, flowdesk_engine, postgres_database
from .procs import spawn, wait_until
from .report import Section
from .stats import ms, percentile

CHUNK = 1000
# Seconds after the window's last due time before the measurement gives up on the rest.
GRACE_SECONDS = 60


@dataclass
class Planted:
    due: dict[str, datetime]  # instance id -> its timer's due time
    first_due: datetime
    spare_seconds: float  # how long before the first due time the rows were in place


def plant(engine: ProcessEngine, count: int, window: float, lead: float) -> Planted:
    """``count`` instances waiting at their timer, due evenly over ``window`` seconds from
    ``lead`` seconds from now (the bulk insert happens in the lead)."""
    template = engine.instances.start_instance("bench_tick", {}, by=SYSTEM)
    with engine.transaction() as session:
        instance = session.get(Instance, template["id"])
        job = session.scalars(select(Job).where(Job.instance_id == instance.id)).one()
        row = {c.name: getattr(instance, c.name) for c in Instance.__table__.columns}
        state_json = json.dumps(instance.state)
        template_due = job.due_at.isoformat()
        job_row = {c.name: getattr(job, c.name) for c in Job.__table__.columns}
        # The template itself is not measured: its job is set aside.
        session.execute(update(Job).where(Job.id == job.id).values(status="cancelled"))
    if template_due not in state_json:
        raise RuntimeError("the template's stored workflow does not hold its timer's due time")
    first_due = datetime.now(UTC) + timedelta(seconds=lead)
    step = window / count
    due: dict[str, datetime] = {}
    for first in range(0, count, CHUNK):
        instances, jobs = [], []
        for n in range(first, min(count, first + CHUNK)):
            at = first_due + timedelta(seconds=n * step)
            instance_id = str(uuid.uuid4())
            instances.append({**row, "id": instance_id,
                              "state": json.loads(state_json.replace(template_due, at.isoformat()))})
            jobs.append({**job_row, "id": str(uuid.uuid4()), "instance_id": instance_id, "due_at": at})
            due[instance_id] = at
        with engine.db.engine.begin() as conn:
            conn.execute(insert(Instance.__table__), instances)
            conn.execute(insert(Job.__table__), jobs)
    return Planted(due, first_due, (first_due - datetime.now(UTC)).total_seconds())


def lead_seconds(count: int) -> float:
    """Time to leave for the bulk insert before the first timer falls due."""
    return 3.0 + count / 800


def wait_fired(engine: ProcessEngine, planted: Planted, window: float) -> None:
    """Until no planted timer waits, or ``GRACE_SECONDS`` after the window closed."""
    deadline = planted.first_due + timedelta(seconds=window + GRACE_SECONDS)
    while datetime.now(UTC) < deadline:
        with engine.transaction() as session:
            left = session.scalar(select(func.count()).select_from(Job).where(
                Job.kind == "timer", Job.status.in_(("waiting", "running"))))
        if not left:
            return
        time.sleep(0.5)


def lateness(engine: ProcessEngine, planted: Planted) -> tuple[list[float], int]:
    """Seconds from each timer's due time to its timer.fired event (unfired ones: to now);
    and how many fired."""
    with engine.transaction() as session:
        fired = dict(session.execute(select(Event.instance_id, Event.at).where(Event.type == "timer.fired")).all())
    now = datetime.now(UTC)
    late = [((fired.get(instance_id) or now) - at).total_seconds() for instance_id, at in planted.due.items()]
    return late, sum(1 for instance_id in planted.due if instance_id in fired)


@dataclass
class Run:
    late: list[float]
    fired: int
    count: int
    spare_seconds: float
    # Timers fired per second of wall time from the first due time to the last event.
    rate: float | None = None


def embedded(kind: str, server_url: str | None, count: int, window: float) -> Run:
    with database(kind, server_url, "timers") as url:
        engine = flowdesk_engine(url, "tick.bpmn")
        worker = EmbeddedWorker(JobExecutor(engine.context, worker_id="bench-embedded"))
        try:
            planted = plant(engine, count, window, lead_seconds(count))
            worker.start()
            wait_fired(engine, planted, window)
        finally:
            worker.stop()
        try:
            late, fired = lateness(engine, planted)
            return Run(late, fired, count, planted.spare_seconds, _rate(engine, planted))
        finally:
            engine.close()


def celery(server_url: str, broker_url: str, count: int, window: float) -> Run:
    with postgres_database(server_url, "celery") as url, tempfile.TemporaryDirectory(prefix="flowdesk-bench-") as tmp:
        engine = flowdesk_engine(url, "tick.bpmn")
        env = {"FLOWDESK_DATABASE_URL": url, "FLOWDESK_BROKER_URL": broker_url,
               "FLOWDESK_CELERY_QUEUE": f"bench-{uuid.uuid4().hex[:8]}", "FLOWDESK_OUTBOX": tmp}
        logs = [Path(tmp) / "worker-1.log", Path(tmp) / "worker-2.log"]
        try:
            with spawn(["worker", "--concurrency", "1"], env, logs[0]) as first, \
                    spawn(["worker", "--concurrency", "1", "--no-dispatcher"], env, logs[1]) as second:
                # Celery logs "ready." once it consumes; the dispatcher starts before that.
                for proc, log in ((first, logs[0]), (second, logs[1])):
                    wait_until(lambda log=log: " ready." in log.read_text(), 90, "a celery worker to be ready",
                               proc, log)
                planted = plant(engine, count, window, lead_seconds(count))
                wait_fired(engine, planted, window)
            late, fired = lateness(engine, planted)
            return Run(late, fired, count, planted.spare_seconds, _rate(engine, planted))
        finally:
            engine.close()


def _rate(engine: ProcessEngine, planted: Planted) -> float | None:
    """Timers fired per second, from the first due time to the last timer.fired event."""
    with engine.transaction() as session:
        last = session.scalar(select(func.max(Event.at)).where(Event.type == "timer.fired"))
        fired = session.scalar(select(func.count()).select_from(Event).where(Event.type == "timer.fired"))
    span = (last - planted.first_due).total_seconds() if last else 0
    return fired / span if span > 0 else None


def redis_problem(broker_url: str | None) -> str | None:
    if not broker_url:
        return "no Redis URL given"
    try:
        import redis

        redis.Redis.from_url(broker_url, socket_connect_timeout=2).ping()
    except Exception as err:
        return f"Redis at {broker_url} is not reachable: {err}"
    return None


RUNS = {
    "embedded": "embedded worker (SQLite)",
    "embedded_postgres": "embedded worker (PostgreSQL)",
    "celery": "2 celery workers (PostgreSQL, Redis)",
}


def measure(count: int, window: float, server_url: str | None, broker_url: str | None,
            postgres_skip: str | None) -> Section:
    section = Section("timers", f"6. Timer latency: {count:,} timers due within {window:g} s")
    section.note(f"{count:,} timers in {window:g} s need {count / window:.0f} fired per second, with headroom "
                 "for p99 <= 1 s")
    _report(section, "embedded", embedded("sqlite", None, count, window), window)
    if postgres_skip:
        for key in ("embedded_postgres", "celery"):
            section.fail(f"{key}_p99_ms", f"{RUNS[key]}: lateness p99", f"not run: {postgres_skip}", "ms")
        return section
    _report(section, "embedded_postgres", embedded("postgres", server_url, count, window), window)
    skip = redis_problem(broker_url)
    if skip:
        section.fail("celery_p99_ms", f"{RUNS['celery']}: lateness p99", f"not run: {skip}", "ms")
        return section
    _report(section, "celery", celery(server_url, broker_url, count, window), window)
    section.note("instances planted in bulk from one started instance (bench/timers.py); lateness = "
                 "timer.fired event time - the job's due time; unfired timers count with their lateness so far")
    return section


def _report(section: Section, key: str, run: Run, window: float) -> None:
    label = RUNS[key]
    section.add(f"{key}_p50_ms", f"{label}: lateness p50", ms(percentile(run.late, 50)), "ms")
    section.add(f"{key}_p95_ms", f"{label}: lateness p95", ms(percentile(run.late, 95)), "ms")
    section.add(f"{key}_p99_ms", f"{label}: lateness p99", ms(percentile(run.late, 99)), "ms")
    section.add(f"{key}_max_ms", f"{label}: lateness max", ms(max(run.late)) if run.late else None, "ms")
    section.add(f"{key}_rate", f"{label}: timers fired per second", run.rate, "/s")
    if run.rate is not None and run.rate < run.count / window:
        section.note(f"{key}: NOT keeping up: {run.rate:.0f} fired per second where {run.count / window:.0f} fall "
                     "due, so lateness grows through the minute")
    if run.fired != run.count:
        section.note(f"{key}: only {run.fired:,} of {run.count:,} timers fired by {GRACE_SECONDS} s after the "
                     "window (the rest count with their lateness so far)")
    if run.spare_seconds < 0:
        section.note(f"{key}: the bulk insert ended {-run.spare_seconds:.1f} s after the first timer was due")
