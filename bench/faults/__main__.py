"""``python -m bench.faults``: kill things while clients work, and count what was lost.

Runs each scenario on the suite's own PostgreSQL cluster and Redis server (started here,
on free ports, and the only ones it stops or kills), prints the "Faults survived" table
and writes JSON. Exits 1 when a scenario lost or duplicated work, answered a 5xx other
than 503, did not recover, or crashed; 0 otherwise. See bench/README.md.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from .. import BENCH_DIR
from ..__main__ import revision
from .result import Outcome, render, write_json
from .services import OwnPostgres, OwnRedis, ServiceMissing

SCENARIOS = ("server_kill", "postgres_restart", "worker_kill", "broker_down", "soak")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SCENARIOS), help=f"comma-separated subset of {', '.join(SCENARIOS)}")
    parser.add_argument("--minutes", type=float, default=30.0, help="length of the soak (default 30)")
    parser.add_argument("--clients", type=int, default=4, help="HTTP clients (default 4)")
    parser.add_argument("--jobs", type=int, default=200, help="instances (two jobs each) in the job scenarios")
    parser.add_argument("--broker-down", type=float, default=30.0, help="seconds Redis stays down (default 30)")
    parser.add_argument("--job-lock-seconds", type=int, default=None,
                        help="FLOWDESK_JOB_LOCK_SECONDS for the workers (default: the configured default)")
    parser.add_argument("--quick", action="store_true", help="short runs: 1 kill/restart, 40 jobs, 1-minute soak")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results" / "faults.json", help="JSON file to write")
    args = parser.parse_args(argv)
    unknown = set(args.only.split(",")) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    return args


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def run(name: str, args: argparse.Namespace, pg: OwnPostgres, redis: OwnRedis | None) -> Outcome:
    from . import http_faults, job_faults

    quick = args.quick
    if name == "server_kill":
        return http_faults.server_kill(pg, args.clients, kills=1 if quick else 3, load_seconds=4 if quick else 8)
    if name == "postgres_restart":
        return http_faults.postgres_restart(pg, args.clients, restarts=1 if quick else 2,
                                            load_seconds=4 if quick else 8)
    if name == "soak":
        return http_faults.soak(pg, 1.0 if quick else args.minutes, args.clients, progress=say)
    if redis is None:
        return Outcome(name, name.replace("_", " "), skipped="redis-server is not installed")
    jobs = 40 if quick else args.jobs
    if name == "worker_kill":
        return job_faults.worker_kill(pg, redis, jobs, kills=1 if quick else 3, feed_seconds=8 if quick else 20,
                                      lock_seconds=args.job_lock_seconds)
    down = min(args.broker_down, 10) if quick else args.broker_down
    return job_faults.broker_down(pg, redis, jobs, down_seconds=down, lock_seconds=args.job_lock_seconds)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    chosen = [s for s in SCENARIOS if s in args.only.split(",")]
    outcomes: list[Outcome] = []
    began = time.monotonic()
    try:
        pg = OwnPostgres()
    except ServiceMissing as missing:
        print(f"fault suite skipped: {missing}")
        return 0
    try:
        redis: OwnRedis | None = OwnRedis()
    except ServiceMissing as missing:
        say(f"broker scenarios skipped: {missing}")
        redis = None
    with pg:
        if redis is not None:
            redis.__enter__()
        try:
            for name in chosen:
                say(f"-- {name} ...")
                started = time.monotonic()
                try:
                    outcome = run(name, args, pg, redis)
                except Exception as err:  # one crashed scenario must not hide the others
                    traceback.print_exc()
                    outcome = Outcome(name, name.replace("_", " "),
                                      skipped=f"failed: {type(err).__name__}: {str(err).splitlines()[0][:200]}")
                outcome.seconds = time.monotonic() - started
                say(f"   {name}: {'ok' if outcome.ok else 'NOT ok'} in {outcome.seconds:.0f} s")
                outcomes.append(outcome)
        finally:
            if redis is not None:
                redis.__exit__(None, None, None)
    settings = {"revision": revision(), "quick": args.quick, "clients": args.clients, "minutes": args.minutes,
                "jobs": args.jobs, "seconds": time.monotonic() - began}
    print(f"Faults survived, at {settings['revision']} ({settings['seconds']:.0f} s)\n")
    print(render(outcomes))
    write_json(args.out, outcomes, settings)
    print(f"\nwrote {args.out}")
    return 0 if all(o.ok or (o.skipped and not o.skipped.startswith("failed")) for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
