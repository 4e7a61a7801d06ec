"""Anonymous refusals: counted, and sampled into the audit log.

Every refused request used to append an ``access.denied`` event to the hash chain, which
no retention can erase: 300 anonymous GETs with an 8 KB path left 300 permanent events.
A request without valid credentials is not an act of a known user, so it is counted (the
``flowdesk_anonymous_refusals_total`` metric) and only sampled into the log: at most one
event per client address per ``interval`` (60 s), and at most ``per_interval`` (60) in
all, each saying how many refusals from that address it stands for. Refusals of
authenticated users (403) are still audited one by one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

MAX_PATH = 256  # characters of a refused path kept in its event


class AnonymousRefusals:
    def __init__(self, interval: float = 60.0, per_interval: int = 60,
                 now: Callable[[], float] = time.monotonic, size: int = 10_000) -> None:
        self.interval = interval
        self.per_interval = per_interval
        self.total = 0
        self._now = now
        self._size = size
        self._lock = threading.Lock()
        self._by_address: dict[str, tuple[float, int]] = {}  # address -> (last sampled, refused since)
        self._window = (0.0, 0)  # (start, events sampled in it)

    def count(self, address: str | None) -> int | None:
        """Count one refusal from ``address``; the number of refusals the audit event
        should stand for when this one is to be recorded, else None."""
        key = address or "unknown"
        with self._lock:
            self.total += 1
            now = self._now()
            last, since = self._by_address.get(key, (None, 0))
            since += 1
            start, sampled = self._window
            if now - start >= self.interval:
                start, sampled = now, 0
            due = last is None or now - last >= self.interval
            if due and sampled < self.per_interval:
                if len(self._by_address) >= self._size:
                    self._forget(now)
                self._by_address[key] = (now, 0)
                self._window = (start, sampled + 1)
                return since
            self._by_address[key] = (last if last is not None else now - self.interval, since)
            self._window = (start, sampled)
            return None

    def _forget(self, now: float) -> None:
        stale = [k for k, (last, _) in self._by_address.items() if now - last >= self.interval]
        for key in stale:
            del self._by_address[key]
        if len(self._by_address) >= self._size:
            self._by_address.clear()
