"""A pre-fork supervisor: N worker processes forked from a parent that already holds the code.

Why not uvicorn's ``workers=``: it starts each worker with multiprocessing's *spawn*, so
every worker imports Flowdesk again (~120 MB each, bench/README.md) and shares nothing
with the others. Children forked from a parent that has imported the application share
those pages copy-on-write. Before forking, the parent moves everything it holds into the
garbage collector's permanent generation (``gc.freeze``): otherwise the children's
collections would walk the shared objects, writing to their headers, and so copy every
shared page into each child.

The parent serves nothing and starts no threads (forking a process that runs threads is
unsafe: a lock another thread held stays locked in the child). It forks the children,
forks a new one in the same slot when one dies, and on SIGTERM or SIGINT sends SIGTERM
to every child (uvicorn then finishes the requests in flight) and SIGKILL to those still
there after ``grace`` seconds; a second signal does not wait. A child that cannot start
at all exits with :data:`EXIT_BOOT_FAILED`, and the supervisor then stops rather than
fork it again and again. What a child runs is the caller's (``child_main(slot)``); the
listening socket is simply inherited.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import os
import select
import signal
import sys
import time
import traceback
from collections.abc import Callable

log = logging.getLogger(__name__)

# A child that could not start (bad configuration, database away): do not fork it again.
EXIT_BOOT_FAILED = 3
_PR_SET_PDEATHSIG = 1

ChildMain = Callable[[int], int]


class Supervisor:
    """Runs ``child_main(slot)`` in ``processes`` forked children, one per slot, and keeps
    each slot filled until stopped. ``child_main`` returns the child's exit status."""

    def __init__(self, processes: int, child_main: ChildMain, grace: float = 30.0,
                 quick_death_seconds: float = 2.0) -> None:
        if processes < 1:
            raise ValueError(f"processes must be 1 or more, got {processes}")
        self.processes = processes
        self.child_main = child_main
        self.grace = grace
        # A child that dies sooner than this after its fork is replaced after a pause, so a
        # child that crashes on every request cannot make the parent fork in a tight loop.
        self.quick_death_seconds = quick_death_seconds
        self.restarts = 0
        self.children: dict[int, int] = {}  # pid -> slot
        self._forked_at: dict[int, float] = {}  # slot -> when its current child was forked
        self._signal: int | None = None
        self._force = False
        self._wakeup: tuple[int, int] | None = None

    def run(self) -> int:
        """Fork the children and supervise them until a signal stops the server; returns
        the parent's exit status (0, or :data:`EXIT_BOOT_FAILED`)."""
        read_fd, write_fd = os.pipe()
        os.set_blocking(read_fd, False)
        os.set_blocking(write_fd, False)
        self._wakeup = (read_fd, write_fd)
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        previous[signal.SIGCHLD] = signal.signal(signal.SIGCHLD, _ignore)  # wakes the loop below
        previous_wakeup = signal.set_wakeup_fd(write_fd)
        status = 0
        try:
            gc.collect()
            gc.freeze()
            for slot in range(self.processes):
                self._fork(slot)
            while self._signal is None:
                with contextlib.suppress(InterruptedError):
                    select.select([read_fd], [], [], 1.0)
                _drain(read_fd)
                if self._reap(replace=True):
                    status = EXIT_BOOT_FAILED
                    break
        finally:
            self._stop_children()
            signal.set_wakeup_fd(previous_wakeup)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            os.close(read_fd)
            os.close(write_fd)
            self._wakeup = None
            gc.unfreeze()
        return status

    def _on_signal(self, signum: int, _frame: object) -> None:
        if self._signal is None:
            self._signal = signum
        else:
            self._force = True

    def _fork(self, slot: int) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child never returns into the parent's stack
            os._exit(self._child(slot))
        self.children[pid] = slot
        self._forked_at[slot] = time.monotonic()
        log.info("web worker %d started (pid %d)", slot, pid)

    def _child(self, slot: int) -> int:
        status = 1
        try:
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
                signal.signal(sig, signal.SIG_DFL)
            signal.set_wakeup_fd(-1)
            if self._wakeup is not None:
                for fd in self._wakeup:
                    os.close(fd)
            _die_with_parent()
            status = self.child_main(slot)
        except SystemExit as exc:
            status = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
            status = 1
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
        return status

    def _reap(self, replace: bool) -> bool:
        """Collect exited children, forking a new one per slot when ``replace``; True when a
        child reported that it cannot start."""
        while True:
            try:
                pid, wait_status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return False
            if pid == 0:
                return False
            slot = self.children.pop(pid, None)
            if slot is None:
                continue
            code = os.waitstatus_to_exitcode(wait_status)
            if not replace or self._signal is not None:
                continue
            if code == EXIT_BOOT_FAILED:
                log.error("web worker %d (pid %d) could not start; stopping the server", slot, pid)
                return True
            lived = time.monotonic() - self._forked_at.get(slot, 0.0)
            log.warning("web worker %d (pid %d) exited with %s after %.1f s; starting another",
                        slot, pid, code, lived)
            if lived < self.quick_death_seconds:
                time.sleep(self.quick_death_seconds - lived)
            self.restarts += 1
            self._fork(slot)

    def _stop_children(self) -> None:
        sig = signal.SIGKILL if self._force else signal.SIGTERM
        self._send(sig)
        deadline = time.monotonic() + self.grace
        while self.children and time.monotonic() < deadline and not self._force:
            self._reap(replace=False)
            time.sleep(0.05)
        if self.children:
            self._send(signal.SIGKILL)
        for pid in list(self.children):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            self.children.pop(pid, None)

    def _send(self, sig: int) -> None:
        for pid in list(self.children):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                self.children.pop(pid, None)


def _ignore(_signum: int, _frame: object) -> None:
    """SIGCHLD's handler: its only job is to write to the wake-up pipe (the default ignores it)."""


def _drain(fd: int) -> None:
    with contextlib.suppress(BlockingIOError):
        while os.read(fd, 4096):
            pass


def _die_with_parent() -> None:
    """Linux: the kernel sends this child SIGTERM when the supervisor dies (even by SIGKILL),
    so no orphan keeps serving on the inherited socket."""
    parent = os.getppid()
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
