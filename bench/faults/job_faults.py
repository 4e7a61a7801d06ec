"""Faults under background load: celery workers SIGKILLed mid-job, the broker down.

Each instance of models/job.bpmn makes two jobs: a service call (the ``bench_probe``
connector, which logs every call and takes 50 ms) and then a two-second timer. Instances
are started from this process at a steady pace while ``flowdesk worker`` subprocesses
(celery plus the dispatcher) on the suite's own Redis work them off. At the end every
instance must have completed with exactly one ``service.completed`` and one
``timer.fired``; how late the timers fired is measured from their job rows' due time.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from datetime import UTC, datetime

from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.persistence.models import Event, Job
from sqlalchemy import select

from ..stats import percentile
from .invariants import check_jobs, read_job_effects
from .probe import calls
from .result import Outcome
from .services import OwnPostgres, OwnRedis
from .stack import Stack, stack, wait_for

MODELS = ("job.bpmn",)
PROCESS = "bench_job"
EFFECTS = {"service.completed": 1, "timer.fired": 1}
EFFECT_OF = {"service": "service.completed", "timer": "timer.fired"}  # job kind -> the event it leads to
KIND_OF = {event: kind for kind, event in EFFECT_OF.items()}
CATCH_UP_BEYOND_LOCK = 90.0


class Feeder(threading.Thread):
    """Starts ``count`` instances over ``seconds``, from this process (not through a worker)."""

    def __init__(self, stack_: Stack, count: int, seconds: float, prefix: str) -> None:
        super().__init__(name=f"feeder-{prefix}", daemon=True)
        self.stack, self.count, self.seconds, self.prefix = stack_, count, seconds, prefix
        self.ids: list[str] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        began = time.monotonic()
        try:
            for n in range(self.count):
                pause = began + n * self.seconds / max(1, self.count) - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                instance = self.stack.engine.instances.start_instance(PROCESS, {"item": f"{self.prefix}-{n}"},
                                                                      by=SYSTEM)
                self.ids.append(instance["id"])
        except BaseException as err:
            self.error = err


def judge(stack_: Stack, ids: list[str], outcome: Outcome, timers_from: datetime | None = None) -> None:
    """Lost/twice from the instances' events; lateness from each job row's due time to its
    effect's event (for both kinds: a service call whose worker was killed waits as a timer
    does); the probe's calls."""
    with stack_.engine.transaction() as session:
        statuses, effects = read_job_effects(session, ids, EFFECTS)
        due = {(i, kind): at for i, kind, at in session.execute(select(Job.instance_id, Job.kind, Job.due_at).where(
            Job.instance_id.in_(ids), Job.kind.in_(list(EFFECT_OF))))}
        done = {(i, KIND_OF[kind]): at for i, kind, at in session.execute(select(
            Event.instance_id, Event.type, Event.at).where(Event.instance_id.in_(ids), Event.type.in_(list(KIND_OF))))}
    verdict = check_jobs(statuses, effects, EFFECTS)
    outcome.lost, outcome.twice = len(verdict.stuck), len(verdict.run_twice)
    outcome.details["jobs"] = verdict.view()
    late: dict[str, list[float]] = {kind: [] for kind in EFFECT_OF}
    for (instance_id, kind), at in done.items():
        if (instance_id, kind) in due:
            start = max(due[instance_id, kind], timers_from) if timers_from else due[instance_id, kind]
            late[kind].append((at - start).total_seconds())
    every = late["timer"] + late["service"]
    outcome.timers_late_seconds = max(every) if every else None
    for kind, values in late.items():
        outcome.details[f"{kind}_lateness_s"] = {"p50": percentile(values, 50), "p95": percentile(values, 95),
                                                 "max": max(values) if values else None, "count": len(values)}
        if values:
            outcome.notes.append(f"{kind} jobs: done late by p50 {percentile(values, 50):.2f} s, "
                                 f"p95 {percentile(values, 95):.2f} s, max {max(values):.2f} s (from the job's due "
                                 "time to its effect's event)")
    seen = calls(stack_.folder)
    keys = {c["key"] for c in seen}
    outcome.details["probe_calls"] = {"calls": len(seen), "distinct_keys": len(keys),
                                      "repeated_calls": len(seen) - len(keys)}
    outcome.notes.append(f"{len(ids)} instances, {verdict.finished} finished with one service call and one timer "
                         f"each; the connector was called {len(seen)} times for {len(keys)} idempotency keys "
                         "(a call cut short by a kill is made again with the same key: at least once, "
                         "committed once)")


def worker_kill(pg: OwnPostgres, redis: OwnRedis, jobs: int = 200, kills: int = 3, feed_seconds: float = 20.0,
                lock_seconds: int | None = None) -> Outcome:
    """Two workers; every ``feed_seconds / (kills + 1)`` seconds one of them is SIGKILLed (with its
    pool, mid-job) and a new one started. ``lock_seconds`` None: the configured default."""
    outcome = Outcome("worker_kill", f"celery worker SIGKILLed mid-job ({kills}x, {jobs} instances, "
                                     f"{2 * jobs} jobs)")
    env = {"FLOWDESK_BROKER_URL": redis.url}
    if lock_seconds is not None:
        env["FLOWDESK_JOB_LOCK_SECONDS"] = str(lock_seconds)
    with stack(pg.server_url, "workerkill", MODELS, env) as s:
        lock = s.engine.context.settings.job_lock_seconds if lock_seconds is None else lock_seconds
        queue = f"faults-{uuid.uuid4().hex[:8]}"
        workers = [s.worker(2, queue)[0], s.worker(2, queue)[0]]
        feeder = Feeder(s, jobs, feed_seconds, "kill")
        feeder.start()
        interval = feed_seconds / (kills + 1)
        for n in range(kills):
            time.sleep(interval)
            victim = workers[n % len(workers)]
            os.killpg(victim.pid, signal.SIGKILL)
            victim.wait(10)
            workers[n % len(workers)] = s.worker(2, queue)[0]
        feeder.join()
        if feeder.error:
            raise feeder.error
        fed_at = time.monotonic()
        done = wait_for(lambda: _all_completed(s, feeder.ids), lock + CATCH_UP_BEYOND_LOCK, poll=1.0)
        outcome.details["caught_up_seconds_after_feeding"] = time.monotonic() - fed_at if done else None
        outcome.details["job_lock_seconds"] = lock
        judge(s, feeder.ids, outcome)
    outcome.notes.append(f"FLOWDESK_JOB_LOCK_SECONDS={lock}; workers: 2 x concurrency 2, replaced at once")
    if not done:
        outcome.notes.append(f"not every instance finished within {lock + CATCH_UP_BEYOND_LOCK:.0f} s")
    return outcome


def broker_down(pg: OwnPostgres, redis: OwnRedis, jobs: int = 200, down_seconds: float = 30.0,
                lock_seconds: int | None = None) -> Outcome:
    """One worker; half the instances start before Redis is killed, half while it is down;
    Redis is started again (empty: no persistence) after ``down_seconds``. The worker is
    not restarted, unless it exited (then the outcome says so)."""
    outcome = Outcome("broker_down", f"Redis down {down_seconds:g} s under load ({jobs} instances, {2 * jobs} jobs)")
    env = {"FLOWDESK_BROKER_URL": redis.url}
    if lock_seconds is not None:
        env["FLOWDESK_JOB_LOCK_SECONDS"] = str(lock_seconds)
    with stack(pg.server_url, "brokerdown", MODELS, env) as s:
        lock = s.engine.context.settings.job_lock_seconds if lock_seconds is None else lock_seconds
        queue = f"faults-{uuid.uuid4().hex[:8]}"
        worker, log = s.worker(2, queue)
        before = Feeder(s, jobs // 2, 5.0, "before")
        before.start()
        before.join()
        redis.kill()
        during = Feeder(s, jobs - jobs // 2, down_seconds * 0.8, "during")
        during.start()
        time.sleep(down_seconds)
        during.join()
        exited_while_down = worker.poll()
        redis.start()
        up_at, up_wall = time.monotonic(), datetime.now(UTC)
        for feeder in (before, during):
            if feeder.error:
                raise feeder.error
        ids = before.ids + during.ids
        watch = WorkerWatch(s, worker, queue, "while the broker was down" if exited_while_down is not None
                            else "after the broker came back")
        done = wait_for(lambda: watch.check() and _all_completed(s, ids), lock + CATCH_UP_BEYOND_LOCK, poll=0.5)
        caught_up = time.monotonic() - up_at if done else None
        watch.check()
        exited = watch.exited
        if exited is not None:
            outcome.notes.append(f"the worker EXITED with status {exited} {watch.when}; a new one was started "
                                 "to count what it left behind (recovery without restart: no)")
        outcome.details.update({"worker_exit_status": exited, "caught_up_seconds": caught_up,
                                "job_lock_seconds": lock, "worker_log_tail": log.read_text()[-600:]})
        judge(s, ids, outcome, timers_from=up_wall)
    outcome.recovered = exited is None and done
    outcome.recovery_seconds = caught_up
    outcome.notes.append("recovery = seconds from Redis being back to every instance finished; job lateness "
                         "counted from the later of the due time and the broker's return")
    return outcome


class WorkerWatch:
    """Notices the worker's exit (once) and starts a replacement, so that what the table
    kept is still counted when the worker did not ride the outage out."""

    def __init__(self, stack_: Stack, worker, queue: str, when: str) -> None:
        self.stack, self.worker, self.queue, self.when = stack_, worker, queue, when
        self.exited: int | None = None

    def check(self) -> bool:
        if self.exited is None and self.worker.poll() is not None:
            self.exited = self.worker.returncode
            self.stack.worker(2, self.queue)
        return True


def _all_completed(stack_: Stack, ids: list[str]) -> bool:
    with stack_.engine.transaction() as session:
        statuses, _ = read_job_effects(session, ids, ())
    return all(status == "completed" for status in statuses.values())
