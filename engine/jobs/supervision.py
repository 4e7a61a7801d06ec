"""When a worker process should give up, and how it says so.

Outages it rides out: a broker that goes away (celery reconnects with backoff for as long
as it takes, and jobs wait in the table meanwhile) or a database that restarts. What it
cannot ride out it reports and ends with a non-zero status, so that a supervisor
(``Restart=on-failure``) restarts it or an operator looks: a broker URL that names no
usable transport (at start), or a database unreachable for longer than
``FLOWDESK_WORKER_DATABASE_PATIENCE`` seconds.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

#: Exit statuses of ``flowdesk worker``: bad configuration, and the database gone too long.
EXIT_BAD_CONFIGURATION = 2
EXIT_DATABASE_GONE = 3


def broker_problem(url: str) -> str | None:
    """Why ``url`` cannot be a celery broker (None when it can be tried)."""
    from kombu import Connection

    try:
        Connection(url).transport_cls  # noqa: B018 - resolving the transport is the check
        Connection(url).transport  # noqa: B018
    except Exception as err:
        return f"FLOWDESK_BROKER_URL={url!r} cannot be used as a broker: {err or type(err).__name__}"
    return None


class DatabaseWatchdog:
    """Checks the database every ``interval`` seconds; after ``patience`` seconds without
    an answer it logs why and calls ``give_up`` (by default: end this process with
    :data:`EXIT_DATABASE_GONE`, asking politely first)."""

    def __init__(self, ping: Callable[[], bool], patience: float, interval: float = 1.0,
                 give_up: Callable[[str], None] | None = None) -> None:
        self.ping = ping
        self.patience = patience
        self.interval = interval
        self.give_up = give_up or _exit_process
        self.gave_up = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="flowdesk-database-watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def check(self, away_since: float | None, now: float) -> float | None:
        """One look: when the database went away (None while it answers); gives up once
        it has been away for longer than the patience."""
        try:
            ok = self.ping()
        except Exception:
            ok = False
        if ok:
            if away_since is not None:
                log.warning("the database answers again after %.0f s", now - away_since)
            return None
        if away_since is None:
            log.warning("the database does not answer; waiting up to %.0f s for it", self.patience)
            return now
        if now - away_since > self.patience and not self.gave_up:
            self.gave_up = True
            message = (f"the database has not answered for {now - away_since:.0f} s "
                       f"(FLOWDESK_WORKER_DATABASE_PATIENCE={self.patience:g}); giving up")
            log.critical(message)
            self.give_up(message)
        return away_since

    def _loop(self) -> None:
        away_since = None
        while not self._stop.wait(self.interval):
            away_since = self.check(away_since, time.monotonic())


def _exit_process(message: str) -> None:
    """Ask this process to shut down (celery finishes what it can), and end it for good a
    few seconds later with :data:`EXIT_DATABASE_GONE` whatever happens."""
    print(f"flowdesk worker: {message}", flush=True)
    threading.Timer(10.0, lambda: os._exit(EXIT_DATABASE_GONE)).start()
    os.kill(os.getpid(), signal.SIGTERM)
