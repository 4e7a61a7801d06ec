"""``python -m bench.profile``: where a task completion spends its time.

Runs measurement 1's Flowdesk workload (start N orders untimed, then complete their
tasks) and profiles only the completions, with py-spy (sampling from outside, so the
numbers are not bent by the profiler; needs ptrace rights) or pyinstrument (in
process). For py-spy the collapsed stacks are summarised here: the share of samples
per layer (Flowdesk, SQLAlchemy, the database driver, SpiffWorkflow, json) by where
the sample was taken, then the functions with the largest inclusive share. ``--tool sql``
instead times every SQL statement and commit by shape (round trips are what a
completion on PostgreSQL waits for). Both profilers are in the ``bench`` extra:
``pip install -e ".[bench]"``.
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import REPO
from .databases import CLERK, DEFAULT_POSTGRES_URL, database, flowdesk_engine
from .engine_throughput import ORDER_LINE, PROCESS

ROOT_FRAME = "ProcessEngine.complete_task"
LAYERS = (  # first match on the sampled (innermost) frame wins
    # py-spy shows no C frames: time in sqlite3's C code or waiting on PostgreSQL is
    # sampled on the Python frame that called the driver.
    ("database (driver calls, SQL execution, commit)",
     re.compile(r"psycopg|sqlite3|DefaultDialect\.do_(execute|executemany|commit|rollback)")),
    ("SQLAlchemy (statements, cache keys, ORM)",
     re.compile(r"sqlalchemy/|^_generated_\w+ \(<string>\)|^_prepare_impl \(<string>\)")),
    ("SpiffWorkflow (restore, run, serialize)", re.compile(r"SpiffWorkflow/")),
    ("json encoding and decoding", re.compile(r"json/")),
    ("Flowdesk's own code", re.compile(r"engine/|api/|flowdesk/|^\S+ \(model\.py\)")),
)


def workload(kind: str, server_url: str, instances: int, profiler=None) -> None:
    with database(kind, server_url, "profile") as url:
        engine = flowdesk_engine(url, "order.bpmn")
        if isinstance(profiler, SqlTimer):
            profiler.attach(engine.db.engine)
        try:
            started = [engine.instances.start_instance(PROCESS, {"order_id": f"P-{n}"},
                                                       by=CLERK) for n in range(instances)]
            if profiler is not None:
                profiler.start()
            for instance in started:
                tasks = instance["open_tasks"]
                while tasks:
                    tasks = engine.tasks.complete_task(tasks[0]["id"], ORDER_LINE, by=CLERK)["instance"]["open_tasks"]
            if profiler is not None:
                profiler.stop()
        finally:
            engine.close()


class SqlTimer:
    """Times every SQL statement and commit of the completions, grouped by statement shape."""

    def __init__(self) -> None:
        self.active = False
        self.calls: collections.Counter = collections.Counter()
        self.seconds: collections.Counter = collections.Counter()
        self.completions = 0

    def attach(self, sa_engine) -> None:
        from sqlalchemy import event

        @event.listens_for(sa_engine, "before_cursor_execute")
        def _before(conn, _cursor, _statement, _params, _context, _many) -> None:
            conn.info["bench_began"] = time.perf_counter()

        @event.listens_for(sa_engine, "after_cursor_execute")
        def _after(conn, _cursor, statement, _params, _context, _many) -> None:
            if self.active:
                self._count(_shape(statement), time.perf_counter() - conn.info.pop("bench_began"))

        dialect = sa_engine.dialect
        do_commit = dialect.do_commit

        def timed_commit(dbapi_connection) -> None:  # wraps this engine's dialect object only
            began = time.perf_counter()
            do_commit(dbapi_connection)
            if self.active:
                self._count("COMMIT", time.perf_counter() - began)

        dialect.do_commit = timed_commit

    def _count(self, shape: str, seconds: float) -> None:
        self.calls[shape] += 1
        self.seconds[shape] += seconds

    def start(self) -> None:
        self.active = True

    def stop(self) -> None:
        self.active = False

    def report(self, completions: int) -> str:
        total = sum(self.seconds.values())
        lines = [f"{completions} completions; per completion: {sum(self.calls.values()) / completions:.1f} "
                 f"statements and commits, {1000 * total / completions:.2f} ms inside the database calls", "",
                 "  calls/completion   ms/completion  statement"]
        for shape, seconds in self.seconds.most_common():
            lines.append(f"  {self.calls[shape] / completions:16.2f} {1000 * seconds / completions:15.3f}  {shape}")
        return "\n".join(lines)


def _shape(statement: str) -> str:
    """``SELECT ... FROM tasks WHERE tasks.id = ...`` -> "SELECT tasks (by tasks.id ...)"."""
    flat = " ".join(statement.split())
    if flat.startswith("-- flowdesk pipeline"):  # engine/persistence/batch.py: one round trip
        first, _, rest = flat.partition(" statements ")
        tables = re.findall(r"\b(?:INSERT INTO|UPDATE)\s+(\w+)", rest)
        return f"PIPELINE of {first.rsplit(' ', 1)[-1]} ({', '.join(tables)})"
    verb = flat.split(" ", 1)[0].upper()
    table = re.search(r"\b(?:FROM|INTO|UPDATE|DELETE FROM)\s+(\w+)", flat, re.IGNORECASE)
    where = re.search(r"\bWHERE\s+(.{0,60})", flat, re.IGNORECASE)
    text = f"{verb} {table.group(1) if table else ''}"
    return f"{text} (where {where.group(1)}...)" if where else text


def summarise(raw: Path, top: int = 40) -> str:
    """Layers and functions by share of the samples taken inside ``complete_task``."""
    inclusive: collections.Counter = collections.Counter()
    layers: collections.Counter = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        start = next((i for i, frame in enumerate(frames) if ROOT_FRAME in frame), None)
        if start is None or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in frames[start:]]
        for frame in set(frames):
            inclusive[frame] += n
        leaf = frames[-1]
        layers[next((name for name, pattern in LAYERS if pattern.search(leaf)), "other")] += n
    if not total:
        return "no samples inside complete_task (is py-spy allowed to trace?)"
    lines = [f"{total} samples inside {ROOT_FRAME}", "", "where the samples were taken (self time by layer):"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in layers.most_common()]
    lines += ["", f"top {top} functions by inclusive share:"]
    lines += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in inclusive.most_common(top)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--instances", type=int, default=200)
    parser.add_argument("--tool", choices=("py-spy", "pyinstrument", "sql"), default="py-spy",
                        help="sql: time each SQL statement and commit instead of sampling stacks")
    parser.add_argument("--raw", type=Path, help="keep py-spy's collapsed stacks here")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inner:
        workload(args.db, args.postgres_url, args.instances)
        return 0
    if args.tool == "sql":
        timer = SqlTimer()
        workload(args.db, args.postgres_url, args.instances, timer)
        print(timer.report(args.instances * 3))
        return 0
    if args.tool == "pyinstrument":
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.001)
        workload(args.db, args.postgres_url, args.instances, profiler)
        print(profiler.output_text(unicode=False, color=False, show_all=False))
        return 0
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    with tempfile.TemporaryDirectory() as tmp:
        raw = args.raw or Path(tmp) / "stacks.txt"
        subprocess.run([spy, "record", "--format", "raw", "--rate", "250", "--output", str(raw), "--",
                        sys.executable, "-m", "bench.profile", "--inner", "--db", args.db,
                        "--postgres-url", args.postgres_url, "--instances", str(args.instances)],
                       cwd=REPO, check=True)
        print(summarise(raw))
    return 0


if __name__ == "__main__":
    sys.exit(main())
