"""Latency histograms kept by each process, for ``/metrics`` (Prometheus text format).

Three are kept: HTTP request latency by route template, step duration by definition (a
step: load an instance, run it to its next wait state, write it), and job lateness (how
long after its due time a worker took a job). Like every Prometheus client's, they are
per process: each server process answers ``/metrics`` with its own counts, and Prometheus
adds them up across processes.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LATENESS_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0)
# More label sets than this in one histogram (a client inventing routes) fold into "other".
MAX_SERIES = 2000


@dataclass
class _Series:
    counts: list[int]
    total: float = 0.0
    count: int = 0


@dataclass
class Histogram:
    name: str
    help: str
    labels: tuple[str, ...]
    buckets: Sequence[float] = LATENCY_BUCKETS
    _series: dict[tuple[str, ...], _Series] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def observe(self, seconds: float, *values: str) -> None:
        key = tuple(str(v) for v in values)
        with self._lock:
            series = self._series.get(key)
            if series is None:
                if len(self._series) >= MAX_SERIES:
                    key = ("other",) * len(self.labels)
                series = self._series.setdefault(key, _Series([0] * len(self.buckets)))
            index = bisect.bisect_left(self.buckets, seconds)
            if index < len(self.buckets):
                series.counts[index] += 1
            series.total += seconds
            series.count += 1

    def lines(self) -> Iterator[str]:
        """The histogram in Prometheus' text exposition format."""
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} histogram"
        with self._lock:
            snapshot = [(key, list(s.counts), s.total, s.count) for key, s in sorted(self._series.items())]
        for key, counts, total, count in snapshot:
            labels = ",".join(f'{n}="{_escape(v)}"' for n, v in zip(self.labels, key, strict=True))
            prefix = labels + "," if labels else ""
            cumulative = 0
            for bound, n in zip(self.buckets, counts, strict=True):
                cumulative += n
                yield f'{self.name}_bucket{{{prefix}le="{bound:g}"}} {cumulative}'
            yield f'{self.name}_bucket{{{prefix}le="+Inf"}} {count}'
            yield f"{self.name}_sum{{{labels}}} {total:.6f}"
            yield f"{self.name}_count{{{labels}}} {count}"

    def count(self, *values: str) -> int:
        with self._lock:
            series = self._series.get(tuple(values))
            return series.count if series else 0


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


REQUEST_SECONDS = Histogram("flowdesk_http_request_duration_seconds",
                            "HTTP request latency by method, route template and status class.",
                            ("method", "route", "status"))
STEP_SECONDS = Histogram("flowdesk_step_duration_seconds",
                         "Time to run an instance to its next wait state and write it, by definition.",
                         ("definition_key",))
JOB_LATENESS_SECONDS = Histogram("flowdesk_job_lateness_seconds",
                                 "How long after its due time a worker took a job, by kind.", ("kind",),
                                 LATENESS_BUCKETS)
ALL = (REQUEST_SECONDS, STEP_SECONDS, JOB_LATENESS_SECONDS)


def exposition() -> str:
    return "".join(line + "\n" for histogram in ALL for line in histogram.lines())
