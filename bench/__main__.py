"""``python -m bench``: run every measurement in one process, print the table, write JSON.

``--quick`` runs the same measurements at small sizes (for CI: well under 90 s) and
then checks only that each of them ran and produced numbers; it never judges a timing.
The performance targets are printed in both modes, as "met"/"NOT met" with the number.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from flowdesk.engine.config import Settings
from flowdesk.engine.tuning import tune_process

from . import BENCH_DIR, REPO, audit, engine_throughput, history, http_load, inbox, migration, report, scale_out, timers
from .databases import DEFAULT_POSTGRES_URL, postgres_problem
from .report import Section

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
SECTIONS = ("engine", "http", "history", "inbox", "timers", "audit", "migration", "scaleout")
# Run when --only is not given; scaleout (several minutes of its own) only when asked for.
DEFAULT_SECTIONS = tuple(s for s in SECTIONS if s != "scaleout")


@dataclass(frozen=True)
class Sizes:
    engine_instances: int
    http_clients: tuple[int, ...]
    http_seconds: float
    pgbench_seconds: int
    loop_ks: tuple[int, ...]
    mi_items: tuple[int, ...]
    # Seconds of completions per loop and per multi-instance size before stopping (0: none).
    history_budget: float
    inbox_tasks: int
    inbox_groups: int
    # PostgreSQL's inbox is measured at a larger backlog (the 1,000,000).
    inbox_postgres_tasks: int
    inbox_postgres_groups: int
    inbox_repeats: int
    timers: int
    # Seconds over which the timers fall due.
    timers_window: float
    audit_seconds: float
    audit_events: int
    audit_history: int
    migration_instances: int
    # Measurement 9: web worker counts x celery worker counts, clients, seconds, tick starts/s.
    scale_servers: tuple[int, ...] = (2, 4, 8)
    scale_workers: tuple[int, ...] = (1, 2, 4)
    scale_clients: int = 8
    scale_seconds: float = 10
    scale_tick_rate: float = 10


FULL = Sizes(engine_instances=200, http_clients=(1, 4, 8), http_seconds=10, pgbench_seconds=10,
             loop_ks=(10, 100, 1000, 10_000), mi_items=(10, 100, 1000), history_budget=90,
             inbox_tasks=100_000, inbox_groups=1_000, inbox_postgres_tasks=1_000_000, inbox_postgres_groups=10_000,
             inbox_repeats=60, timers=10_000, timers_window=60,
             audit_seconds=10, audit_events=200_000, audit_history=100_000, migration_instances=1000)
QUICK = Sizes(engine_instances=10, http_clients=(1, 4, 8), http_seconds=1.5, pgbench_seconds=1,
              loop_ks=(5, 10, 20), mi_items=(5, 10, 20), history_budget=20,
              inbox_tasks=2_000, inbox_groups=100, inbox_postgres_tasks=2_000, inbox_postgres_groups=100,
              inbox_repeats=15, timers=20, timers_window=2,
              audit_seconds=1.5, audit_events=2_000, audit_history=500, migration_instances=10,
              scale_servers=(2,), scale_workers=(1,), scale_clients=2, scale_seconds=1.5, scale_tick_rate=2)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes; check that every measurement ran")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results" / "latest.json", help="JSON file to write")
    parser.add_argument("--only", default=",".join(DEFAULT_SECTIONS),
                        help=f"comma-separated subset of {', '.join(SECTIONS)}")
    parser.add_argument("--postgres-url", default=os.environ.get("FLOWDESK_BENCH_POSTGRES_URL")
                        or os.environ.get("FLOWDESK_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL,
                        help="PostgreSQL server to create the benchmark's databases on")
    parser.add_argument("--redis-url", default=os.environ.get("FLOWDESK_BENCH_REDIS_URL")
                        or os.environ.get("FLOWDESK_TEST_REDIS_URL") or DEFAULT_REDIS_URL,
                        help="celery broker for the timer measurement")
    parser.add_argument("--history-db", choices=("sqlite", "postgres"), default="sqlite",
                        help="database for the history measurement")
    parser.add_argument("--migration-db", choices=("sqlite", "postgres", "both"), default="both",
                        help="database(s) for the migration measurement (one alone keeps a run short)")
    parser.add_argument("--migration-instances", type=int, default=None,
                        help="waiting instances to migrate (default 1,000; --quick 10)")
    parser.add_argument("--history-budget", type=float, default=None,
                        help="seconds per loop/multi-instance size before projecting (0: no limit)")
    args = parser.parse_args(argv)
    unknown = set(args.only.split(",")) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown measurement(s): {', '.join(sorted(unknown))}")
    return args


def plan(args: argparse.Namespace, sizes: Sizes, pg_skip: str | None) -> list[tuple[str, str, bool, Callable]]:
    """(key, title, needs PostgreSQL, run) for each measurement to run, in order."""
    pg = args.postgres_url
    budget = sizes.history_budget if args.history_budget is None else args.history_budget
    steps = {
        "engine": [
            ("engine_sqlite", "1. Engine throughput on SQLite", False,
             lambda: engine_throughput.measure("sqlite", pg, sizes.engine_instances)),
            ("engine_postgres", "1. Engine throughput on PostgreSQL", True,
             lambda: engine_throughput.measure("postgres", pg, sizes.engine_instances)),
        ],
        "http": [
            ("http", "2+5. HTTP throughput and server memory", True,
             lambda: http_load.measure(pg, sizes.http_clients, sizes.http_seconds, sizes.pgbench_seconds)),
        ],
        "history": [
            ("history", "3. Scaling with history", args.history_db == "postgres",
             lambda: history.measure(args.history_db, pg, sizes.loop_ks, sizes.mi_items, budget)),
        ],
        "inbox": [
            ("inbox_sqlite", "4. Inbox latency on SQLite", False,
             lambda: inbox.measure("sqlite", pg, sizes.inbox_tasks, sizes.inbox_groups, sizes.inbox_repeats)),
            ("inbox_postgres", "4. Inbox latency on PostgreSQL", True,
             lambda: inbox.measure("postgres", pg, sizes.inbox_postgres_tasks, sizes.inbox_postgres_groups,
                                  sizes.inbox_repeats)),
        ],
        "timers": [
            ("timers", "6. Timer latency", False,
             lambda: timers.measure(sizes.timers, sizes.timers_window, pg, args.redis_url, pg_skip)),
        ],
        "audit": [
            ("audit", "7. Audit trail: chain design, verification, KPI report", True,
             lambda: audit.measure(pg, sizes.audit_seconds, sizes.audit_events, sizes.audit_history)),
        ],
        "migration": [step for step in (
            ("migration_sqlite", "8. Migrating waiting instances to a new version (SQLite)", False,
             lambda: migration.measure("sqlite", pg, sizes.migration_instances)),
            ("migration_postgres", "8. Migrating waiting instances to a new version (PostgreSQL)", True,
             lambda: migration.measure("postgres", pg, sizes.migration_instances)),
        ) if args.migration_db in ("both", step[0].removeprefix("migration_"))],
        "scaleout": [
            ("scaleout", "9. Scale-out: web workers x celery workers on one PostgreSQL", True,
             lambda: scale_out.measure(pg, args.redis_url, sizes.scale_servers, sizes.scale_workers,
                                       sizes.scale_clients, sizes.scale_seconds, sizes.scale_tick_rate)),
        ],
    }
    chosen = args.only.split(",")
    return [step for name in SECTIONS if name in chosen for step in steps[name]]


def revision() -> str:
    """The commit measured, with "+changes" when the work tree differs from it."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+changes" if dirty else "")


def run_one(key: str, title: str, needs_pg: bool, run: Callable[[], Section], pg_skip: str | None) -> Section:
    print(f"-- {title} ...", file=sys.stderr, flush=True)
    began = time.perf_counter()
    if needs_pg and pg_skip:
        section = Section(key, title, skipped=pg_skip)
    else:
        try:
            section = run()
        except Exception as err:  # one failed measurement must not hide the others
            traceback.print_exc()
            section = Section(key, title, skipped=f"failed: {type(err).__name__}: {str(err).splitlines()[0]}")
    section.seconds = time.perf_counter() - began
    print(f"   done in {section.seconds:.1f} s", file=sys.stderr, flush=True)
    return section


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    sizes = QUICK if args.quick else FULL
    if args.migration_instances is not None:  # the JSON's "sizes" then says what was run
        sizes = replace(sizes, migration_instances=args.migration_instances)
    # The in-process measurements (Flowdesk's engine and the plain SpiffWorkflow baseline
    # alike) run with the garbage collector set as `flowdesk serve` sets it.
    tune_process(Settings.from_env())
    load_before = os.getloadavg()
    began = time.perf_counter()
    pg_skip = postgres_problem(args.postgres_url)
    sections: dict[str, Section] = {}
    for key, title, needs_pg, run in plan(args, sizes, pg_skip):
        sections[key] = run_one(key, title, needs_pg, run, pg_skip)
    verdicts = report.judge(sections)
    settings = {"revision": revision(), "sizes": asdict(sizes), "postgres_url": args.postgres_url,
                "redis_url": args.redis_url,
                "history_db": args.history_db, "migration_db": args.migration_db,
                "seconds": time.perf_counter() - began,
                "load_average_before": load_before, "load_average_after": os.getloadavg()}
    print(f"Flowdesk benchmark ({'quick' if args.quick else 'full'}) at {settings['revision']}, "
          f"{settings['seconds']:.0f} s; "
          f"load average before {load_before[0]:.1f}, after {settings['load_average_after'][0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    print(report.render(sections, verdicts, args.quick))
    report.write_json(args.out, sections, verdicts, args.quick, settings)
    print(f"\nwrote {args.out}")
    crashed = [s.key for s in sections.values() if s.skipped and s.skipped.startswith("failed")]
    if args.quick:
        problems = report.missing_numbers(sections)
        if problems:
            print("\nquick check FAILED: " + "; ".join(problems))
            return 1
        print("\nquick check passed: every measurement ran and produced numbers (timings are not judged)")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
