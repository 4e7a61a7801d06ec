"""``flowdesk worker`` against outages: with the broker (a private redis-server) down for
a while, the worker stays up, reconnects, and runs every timer that fell due meanwhile
exactly once (the jobs waited in the table); when it truly cannot go on (the database
gone longer than ``FLOWDESK_WORKER_DATABASE_PATIENCE``, or a broker URL it cannot use) it
exits with a non-zero status and says why, so a supervisor's ``Restart=on-failure`` acts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter

import pytest
from flowdesk.engine.clock import SystemClock
from flowdesk.engine.definitions.sources import SourceFile
from flowdesk.engine.identity import SYSTEM

from tests.support.engines import TEST_CONNECTORS, make_engine
from tests.support.models import HEADER
from tests.support.paths import REPO
from tests.support.private_services import PrivatePostgres, PrivateRedis

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

TIMER = SourceFile("short_wait.bpmn", (HEADER + """
  <bpmn:process id="short_wait" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="pause"/>
    <bpmn:intermediateCatchEvent id="pause"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT2S</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="pause" targetRef="after"/>
    <bpmn:scriptTask id="after"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>fired = True</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
""").encode())


def worker_env(database_url: str, broker_url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "FLOWDESK_DATABASE_URL": database_url, "FLOWDESK_BROKER_URL": broker_url,
            "FLOWDESK_CELERY_QUEUE": f"test-{uuid.uuid4().hex[:8]}", "FLOWDESK_CONNECTORS": ",".join(TEST_CONNECTORS),
            "PYTHONPATH": str(REPO), **extra}


def start_worker(env: dict[str, str], log_path) -> subprocess.Popen:
    log = log_path.open("w")
    return subprocess.Popen([sys.executable, "-m", "flowdesk", "worker", "--concurrency", "1"], env=env, cwd=REPO,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def wait_for(predicate, attempts: int, what: str):
    for _ in range(attempts):
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"gave up waiting for {what}")


@pytest.fixture
def redis_server():
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.remove()


def test_the_worker_rides_out_a_broker_outage_and_runs_every_timer_once(postgres_url, redis_server, tmp_path):
    engine = make_engine(postgres_url, SystemClock())
    engine.repository.deploy([TIMER], by=SYSTEM)
    worker = start_worker(worker_env(postgres_url, redis_server.url), tmp_path / "worker.log")
    try:
        before = [engine.instances.start_instance("short_wait", {}, by=SYSTEM)["id"] for _ in range(3)]

        def completed(ids):
            return all(engine.instances.get_instance(i, by=SYSTEM)["status"] == "completed" for i in ids)

        wait_for(lambda: completed(before), 240, "the timers before the outage")
        redis_server.stop()
        during = [engine.instances.start_instance("short_wait", {}, by=SYSTEM)["id"] for _ in range(3)]
        time.sleep(20)  # the broker stays away well past the timers' due time
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
        redis_server.start()
        wait_for(lambda: completed(during), 360, "the timers that fell due during the outage")
        assert worker.poll() is None
        for instance_id in before + during:
            history = engine.history.instance_history(instance_id, by=SYSTEM, limit=500).items
            counts = Counter(e["type"] for e in history)
            assert counts["instance.completed"] == 1, counts
    finally:
        stop(worker)
        engine.close()


def test_the_worker_exits_non_zero_when_the_database_stays_away(redis_server, tmp_path):
    database = PrivatePostgres()
    try:
        database.start()
        make_engine(database.url, SystemClock()).close()  # migrated
        env = worker_env(database.url, redis_server.url, FLOWDESK_WORKER_DATABASE_PATIENCE="3")
        worker = start_worker(env, tmp_path / "worker.log")
        try:
            wait_for(lambda: "ready" in (tmp_path / "worker.log").read_text() or worker.poll() is not None, 240,
                     "the worker to start")
            database.stop()
            code = wait_for(lambda: worker.poll(), 240, "the worker to give up")
            log = (tmp_path / "worker.log").read_text()
            assert code != 0, log[-3000:]
            assert "database" in log.lower() and "giving up" in log.lower(), log[-3000:]
        finally:
            stop(worker)
    finally:
        database.remove()


def test_a_worker_given_a_broker_it_cannot_use_exits_non_zero(postgres_url, tmp_path):
    make_engine(postgres_url, SystemClock()).close()
    worker = start_worker(worker_env(postgres_url, "nosuchtransport://localhost"), tmp_path / "worker.log")
    try:
        code = wait_for(lambda: worker.poll(), 240, "the worker to refuse")
        log = (tmp_path / "worker.log").read_text()
        assert code not in (0, None), log[-3000:]
        assert "FLOWDESK_BROKER_URL" in log, log[-3000:]
    finally:
        stop(worker)
