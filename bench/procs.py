"""Subprocesses the benchmark starts (the server, celery workers), and their memory.

Every process is started in its own session so that it and all its children (uvicorn
workers, celery's pool) can be stopped together by process group; :func:`spawn` is a
context manager, so they are stopped even when a measurement fails. Memory is read
from /proc for the process and all its descendants, two ways:

- **RSS** summed over the processes (``/proc/PID/statm``): every page a process has
  resident, so a page that forked web workers share with their parent is counted once
  per process that maps it. It overstates what a pre-forked tree costs.
- **PSS** summed (``/proc/PID/smaps_rollup``, proportional set size): a page shared by n
  processes counts 1/n in each, so the sum counts it once: what the tree costs the
  machine. The 300 MB target is held against this one (bench/README.md).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from . import REPO

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def spawn(args: list[str], env: dict[str, str | None], log: Path) -> Iterator[subprocess.Popen]:
    """Run ``python -m flowdesk ARGS`` in its own process group; stop the group on exit.
    ``env`` is added to this process's environment; a None value removes the variable
    (so that the default is measured whatever the caller's shell set)."""
    full = {**os.environ, **env}
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "flowdesk", *args],
                                env={k: v for k, v in full.items() if v is not None}, cwd=REPO,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            yield proc
        finally:
            stop(proc)


def stop(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM to the process group, SIGKILL after ``grace`` seconds."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, proc: subprocess.Popen | None = None,
               log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text()[-2000:] if log and log.exists() else ""
            raise RuntimeError(f"{what}: the process exited with {proc.returncode}\n{tail}")
        try:
            if predicate():
                return
        except Exception:  # not up yet (connection refused, table missing, ...)
            pass
        time.sleep(0.1)
    tail = log.read_text()[-2000:] if log and log.exists() else ""
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}\n{tail}")


def descendants(root: int) -> list[int]:
    """``root`` and every process below it, from the parent links in /proc/*/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                # The command name may hold spaces and parentheses: the ppid follows the last ")".
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def tree_rss_bytes(root: int) -> int:
    total = 0
    for pid in descendants(root):
        try:
            with open(f"/proc/{pid}/statm") as statm:
                total += int(statm.read().split()[1]) * PAGE_SIZE
        except (OSError, IndexError, ValueError):
            continue
    return total


def pss_bytes(pid: int) -> int:
    """The proportional set size of one process (0 when it is gone or unreadable)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


def tree_pss_bytes(root: int) -> int:
    """PSS summed over ``root`` and its descendants: shared pages counted once."""
    return sum(pss_bytes(pid) for pid in descendants(root))


def memory_breakdown(root: int) -> list[dict[str, int]]:
    """Per process of the tree: pid and the smaps_rollup lines in bytes (Rss, Pss,
    Shared_*, Private_*), for a report of who holds what."""
    rows = []
    for pid in descendants(root):
        row = {"pid": pid}
        try:
            with open(f"/proc/{pid}/smaps_rollup") as rollup:
                for line in rollup:
                    parts = line.split()
                    if len(parts) == 3 and parts[2] == "kB":
                        row[parts[0].rstrip(":")] = int(parts[1]) * 1024
        except OSError:
            continue
        rows.append(row)
    return rows


def tree_cpu_seconds(root: int) -> float:
    """User plus system CPU time of ``root`` and its live descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in descendants(root):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return total / ticks


class RssSampler:
    """Samples a process tree's summed RSS and PSS in a thread and keeps the peaks.

    PSS is read every ``pss_every``-th sample only: the kernel walks the page tables to
    compute it, which costs more than the machine being measured should pay 20 times a
    second."""

    def __init__(self, root: int, interval: float = 0.05, pss_every: int = 10) -> None:
        self.root = root
        self.interval = interval
        self.pss_every = pss_every
        self.peak = 0
        self.last = 0
        self.peak_pss = 0
        self.last_pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        samples = 0
        while not self._stop.is_set():
            self.last = tree_rss_bytes(self.root)
            self.peak = max(self.peak, self.last)
            if samples % self.pss_every == 0:
                self.last_pss = tree_pss_bytes(self.root)
                self.peak_pss = max(self.peak_pss, self.last_pss)
            samples += 1
            self._stop.wait(self.interval)

    def sample_now(self) -> None:
        """Both numbers read at once (e.g. right after a load level ends)."""
        self.last, self.last_pss = tree_rss_bytes(self.root), tree_pss_bytes(self.root)
        self.peak, self.peak_pss = max(self.peak, self.last), max(self.peak_pss, self.last_pss)
