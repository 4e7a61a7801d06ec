"""``flowdesk serve``: how many web workers it runs, and that its background worker runs once.

On PostgreSQL a serve runs one web worker process per core it may use; on SQLite one;
FLOWDESK_WORKERS or ``--workers`` override both. However many web workers there are, the
embedded background worker (timers, service calls) runs in exactly one of them.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flowdesk.engine import config
from flowdesk.engine.config import Settings
from flowdesk.engine.errors import BadRequest

REPO = Path(__file__).resolve().parents[2]
PG = "postgresql+psycopg://flowdesk@db.example/flowdesk"


# -- how many web workers -----------------------------------------------------------------------
def test_postgresql_gets_one_web_worker_per_core_this_process_may_use(monkeypatch):
    monkeypatch.setattr(config.os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert Settings(database_url=PG).serve_processes() == 3
    assert Settings.from_env({"FLOWDESK_DATABASE_URL": "postgresql://u@h/db"}).serve_processes() == 3


def test_without_an_affinity_the_machines_core_count_is_used(monkeypatch):
    monkeypatch.delattr(config.os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(config.os, "cpu_count", lambda: 6)
    assert Settings(database_url=PG).serve_processes() == 6


def test_sqlite_stays_one_process_whatever_the_cores(monkeypatch):
    monkeypatch.setattr(config.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    assert Settings(database_url="sqlite:///x.db").serve_processes() == 1
    assert Settings.from_env({}).serve_processes() == 1  # the default database is SQLite


def test_flowdesk_workers_overrides_the_rule_both_ways(monkeypatch):
    monkeypatch.setattr(config.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    assert Settings.from_env({"FLOWDESK_DATABASE_URL": PG, "FLOWDESK_WORKERS": "1"}).serve_processes() == 1
    assert Settings.from_env({"FLOWDESK_WORKERS": "2"}).serve_processes() == 2


@pytest.mark.parametrize("bad", ["0", "-2"])
def test_fewer_than_one_worker_is_refused_by_name(bad):
    with pytest.raises(BadRequest, match="FLOWDESK_WORKERS must be 1 or more"):
        Settings.from_env({"FLOWDESK_WORKERS": bad})


def test_the_workflow_cache_budget_is_shared_by_the_web_workers():
    assert Settings(cache_mb=64).for_web_worker(2).cache_mb == 32
    assert Settings(cache_mb=64).for_web_worker(1).cache_mb == 64
    assert Settings(cache_mb=2).for_web_worker(4).cache_mb == 1  # still on
    assert Settings(cache_mb=0).for_web_worker(4).cache_mb == 0  # still off


# -- a real serve ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == str(pid) and fields[0] != "Z":
                found.append(int(entry))
    return found


def healthy(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/api/v1/health")
        return conn.getresponse().status == 200
    except OSError:
        return False


def run_serve(tmp_path: Path, env: dict[str, str], *args: str):
    port = free_port()
    log = tmp_path / "serve.log"
    proc = subprocess.Popen([sys.executable, "-m", "flowdesk", "serve", "--port", str(port), *args],
                            env={**os.environ, "FLOWDESK_OUTBOX": str(tmp_path / "outbox"),
                                 "FLOWDESK_DEFINITIONS": "", **env},
                            cwd=tmp_path, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while not healthy(port):
        assert proc.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.2)
    return proc, port, log


def stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()


def embedded_heartbeats(url: str) -> int:
    from sqlalchemy import create_engine, text

    if url.startswith("postgresql://"):
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    db = create_engine(url)
    try:
        with db.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM worker_heartbeats WHERE kind = 'embedded'")).scalar()
    finally:
        db.dispose()


def test_three_web_workers_answer_and_run_one_background_worker(tmp_path):
    url = f"sqlite:///{tmp_path / 'flowdesk.db'}"
    proc, port, log = run_serve(tmp_path, {"FLOWDESK_DATABASE_URL": url}, "--workers", "3")
    try:
        workers = children(proc.pid)
        assert len(workers) == 3
        assert all(healthy(port) for _ in range(5))
        time.sleep(1)  # a second worker would have beaten by now
        assert embedded_heartbeats(url) == 1
        assert log.read_text().count("background worker ") == 1
    finally:
        assert stop(proc) == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


def test_sqlite_serves_from_one_process_by_default(tmp_path):
    url = f"sqlite:///{tmp_path / 'flowdesk.db'}"
    proc, _port, _log = run_serve(tmp_path, {"FLOWDESK_DATABASE_URL": url})
    try:
        assert children(proc.pid) == []
        assert embedded_heartbeats(url) == 1
    finally:
        assert stop(proc) == 0


@pytest.mark.postgres
def test_postgresql_serves_one_web_worker_per_core_by_default(tmp_path, postgres_url):
    proc, _port, _log = run_serve(tmp_path, {"FLOWDESK_DATABASE_URL": postgres_url})
    try:
        assert len(children(proc.pid)) == len(os.sched_getaffinity(0))
        time.sleep(1)
        assert embedded_heartbeats(postgres_url) == 1
    finally:
        assert stop(proc) == 0
