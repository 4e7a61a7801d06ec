"""The fault suite's own PostgreSQL and Redis, which it may stop, kill and restart.

The suite never touches a server it did not start: PostgreSQL is a fresh cluster
(``initdb`` into a temporary folder, its own port and socket folder, run as the
``postgres`` user when we are root, since ``initdb`` refuses root), Redis a
``redis-server`` on its own port without persistence (a restart loses every queued
message, the harshest case for a broker outage). Both are torn down on exit.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from ..procs import free_port


class ServiceMissing(RuntimeError):
    """A binary the suite needs is not installed: the scenario is skipped, with this message."""


def postgres_bin(name: str) -> str:
    """``initdb``/``pg_ctl`` from PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True):
        candidate = Path(folder) / name
        if candidate.exists():
            return str(candidate)
    raise ServiceMissing(f"{name} not found (PATH, /usr/lib/postgresql/*/bin): install the PostgreSQL server "
                         "package to run the fault suite")


def _run_as() -> str | None:
    """The user to run PostgreSQL as: ourselves, or ``postgres`` when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError as err:
        raise ServiceMissing("running as root and there is no 'postgres' user to run initdb as") from err
    return "postgres"


class OwnPostgres:
    """A private PostgreSQL cluster on 127.0.0.1:``port`` (trust authentication)."""

    def __init__(self, port: int | None = None) -> None:
        self.initdb = postgres_bin("initdb")
        self.pg_ctl = postgres_bin("pg_ctl")
        self.user = _run_as()
        self.port = port or free_port()
        self.root = Path(tempfile.mkdtemp(prefix="flowdesk-faults-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.log = self.root / "postgres.log"

    @property
    def server_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _cmd(self, *args: str, timeout: float = 120) -> None:
        argv = list(args)
        if self.user:
            argv = ["runuser", "-u", self.user, "--", *argv]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed ({done.returncode}): {done.stderr[-1500:]}"
                               f"\n{self.log.read_text()[-1500:] if self.log.exists() else ''}")

    def __enter__(self) -> OwnPostgres:
        self.sockets.mkdir(parents=True)
        if self.user:
            shutil.chown(self.root, self.user)
            shutil.chown(self.sockets, self.user)
        self._cmd(self.initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--no-sync")
        self.start()
        return self

    def __exit__(self, *_exc) -> None:
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c max_connections=200 "
                   "-c shared_buffers=64MB")
        self._cmd(self.pg_ctl, "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """``fast``: what an operator's restart does (backends are told to exit, clean
        checkpoint); ``immediate``: a crash (recovery on the next start)."""
        if (self.data / "postmaster.pid").exists():
            self._cmd(self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self, mode: str = "fast", down_seconds: float = 0.0) -> None:
        self.stop(mode)
        if down_seconds:
            time.sleep(down_seconds)
        self.start()


class OwnRedis:
    """A private ``redis-server`` on 127.0.0.1:``port``, without persistence."""

    def __init__(self, port: int | None = None) -> None:
        binary = shutil.which("redis-server")
        if not binary:
            raise ServiceMissing("redis-server not found on PATH: install Redis to run the broker scenarios")
        self.binary = binary
        self.port = port or free_port()
        self.root = Path(tempfile.mkdtemp(prefix="flowdesk-faults-redis-"))
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def __enter__(self) -> OwnRedis:
        self.start()
        return self

    def __exit__(self, *_exc) -> None:
        try:
            self.kill()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def start(self) -> None:
        log = (self.root / "redis.log").open("a")
        self.proc = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.root)],
                                     stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.ping():
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.proc.returncode}")
            time.sleep(0.05)
        raise RuntimeError("redis-server did not answer within 30 s")

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5).ping())
        except Exception:
            return False

    def kill(self) -> None:
        """SIGKILL our own redis-server (only the process this object started)."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None
