"""Faults under HTTP load: the server SIGKILLed, PostgreSQL restarted, and a long soak.

All three run ``flowdesk serve --no-worker`` on a fresh database of the suite's own
PostgreSQL, with :class:`~bench.faults.clients.Load` (4 clients by default) completing
order tasks through the API the whole time, and end with the same checks: every
acknowledged completion exactly once, unacknowledged ones all there or not at all, no
task completed twice anywhere, and the audit chain verifies.
"""

from __future__ import annotations

import os
import signal
import time

from flowdesk.engine.identity import SYSTEM

from ..procs import tree_rss_bytes
from ..stats import percentile
from .clients import Load, Recorder, login
from .invariants import check_completions, duplicate_completions, read_task_facts
from .result import Outcome
from .services import OwnPostgres
from .stack import Stack, first_after, stack

MODELS = ("order.bpmn",)
RECOVERY_LIMIT = 60.0
# Latency is "growing" when the last third's median per-minute p50 exceeds the first's by this factor.
LATENCY_GROWTH_LIMIT = 1.5


def check(stack_: Stack, recorder: Recorder, outcome: Outcome) -> None:
    """The completion invariants and the audit chain, into ``outcome``."""
    with stack_.engine.transaction() as session:
        facts = read_task_facts(session, {a.task_id for a in recorder.attempts})
        duplicates = duplicate_completions(session)
    verdict = check_completions(recorder.attempts, facts)
    audit = stack_.engine.history.verify_audit(by=SYSTEM)
    outcome.lost = len(verdict.acknowledged_lost) + len(verdict.half_written)
    outcome.twice = max(len(verdict.committed_twice), duplicates)
    outcome.details["completions"] = verdict.view()
    outcome.details["audit"] = {"ok": audit["ok"], "events": audit["events"], "chains": audit["chains"],
                                "reason": audit["reason"]}
    statuses: dict[str, int] = {}
    for sample in recorder.samples:
        label = "no answer" if sample.status is None else str(sample.status)
        statuses[label] = statuses.get(label, 0) + 1
    outcome.details["answers"] = statuses
    outcome.other_5xx = sum(1 for s in recorder.samples if s.status is not None and s.status >= 500 and s.status != 503)
    if not audit["ok"]:
        outcome.notes.append(f"audit chain does NOT verify: {audit['reason']}")
    if verdict.half_written:
        outcome.notes.append(f"{len(verdict.half_written)} unacknowledged completions half written")
    outcome.notes.append(f"{verdict.acknowledged} acknowledged completions checked "
                         f"({verdict.unacknowledged_committed} unacknowledged ones committed, "
                         f"{verdict.unacknowledged_absent} absent); audit: {audit['events']} events verify"
                         + ("" if audit["ok"] else " NOT"))


def server_kill(pg: OwnPostgres, clients: int = 4, kills: int = 3, load_seconds: float = 8.0) -> Outcome:
    """SIGKILL the server's process group under load, ``kills`` times, starting it again each time."""
    outcome = Outcome("server_kill", f"server SIGKILLed under {clients} clients ({kills}x), PostgreSQL")
    with stack(pg.server_url, "kill", MODELS) as s:
        server = s.serve()
        load = Load(s.port, login(s.port), clients)
        back: list[float] = []
        with load:
            for _ in range(kills):
                time.sleep(load_seconds)
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(10)
                killed_at = time.monotonic()
                server = s.serve()
                if not _wait_first_success(load.recorder, killed_at):
                    outcome.notes.append("no completion succeeded within 60 s of a restart")
                back.append(first_after(load.recorder.samples, killed_at) or RECOVERY_LIMIT)
            time.sleep(load_seconds)
        check(s, load.recorder, outcome)
    outcome.restarted_by_design = True
    outcome.recovery_seconds = max(back)
    outcome.details["back_after_kill_seconds"] = back
    outcome.notes.append("recovery: the server is started again at once by the suite (a supervisor's job); "
                         "seconds from SIGKILL to the next acknowledged completion: "
                         + ", ".join(f"{b:.1f}" for b in back))
    return outcome


def postgres_restart(pg: OwnPostgres, clients: int = 4, restarts: int = 2, load_seconds: float = 8.0,
                     down_seconds: float = 5.0) -> Outcome:
    """Stop PostgreSQL (fast shutdown) under load, keep it down ``down_seconds``, start it;
    the server is never restarted."""
    outcome = Outcome("postgres_restart", f"PostgreSQL restarted under {clients} clients ({restarts}x, "
                                          f"{down_seconds:g} s down)")
    with stack(pg.server_url, "pgrestart", MODELS) as s:
        server = s.serve()
        load = Load(s.port, login(s.port), clients)
        back: list[float | None] = []
        windows: list[tuple[float, float]] = []
        with load:
            for _ in range(restarts):
                time.sleep(load_seconds)
                down_at = time.monotonic()
                pg.restart("fast", down_seconds)
                up_at = time.monotonic()
                windows.append((down_at, up_at))
                _wait_first_success(load.recorder, up_at)
                back.append(first_after(load.recorder.samples, up_at))
            time.sleep(load_seconds)
        alive = server.poll() is None
        s.reconnect()
        check(s, load.recorder, outcome)
        during = [x for x in load.recorder.samples if x.status is not None and x.status >= 500
                  and any(start <= x.at < end + RECOVERY_LIMIT for start, end in windows)]
        outcome.details["outage_5xx"] = {
            "503_with_retry_after": sum(1 for x in during if x.status == 503 and x.retry_after),
            "503_without_retry_after": sum(1 for x in during if x.status == 503 and not x.retry_after),
            "other_5xx": sum(1 for x in during if x.status != 503)}
    recovered = alive and all(b is not None for b in back)
    outcome.recovered = recovered
    outcome.recovery_seconds = max((b for b in back if b is not None), default=None)
    outcome.details["back_after_restart_seconds"] = back
    outcome.details["server_restarted"] = not alive
    outcome.notes.append("outage answers: " + ", ".join(f"{v} {k.replace('_', ' ')}"
                                                        for k, v in outcome.details["outage_5xx"].items()))
    if not alive:
        outcome.notes.append("the server process died during the database outage")
    return outcome


def soak(pg: OwnPostgres, minutes: float = 30.0, clients: int = 4, sample_seconds: float = 5.0,
         flat_mb_per_min: float = 0.5, progress=None) -> Outcome:
    """Steady load for ``minutes``: RSS of the server's process tree every ``sample_seconds``,
    completion latency per minute; memory is "flat" when the least-squares slope after the
    warm-up (the first fifth) is at most ``flat_mb_per_min``."""
    outcome = Outcome("soak", f"soak: {minutes:g} min at {clients} clients")
    with stack(pg.server_url, "soak", MODELS) as s:
        server = s.serve()
        load = Load(s.port, login(s.port), clients)
        began = time.monotonic()
        rss: list[tuple[float, float]] = []
        with load:
            while (elapsed := time.monotonic() - began) < minutes * 60:
                rss.append((elapsed / 60, tree_rss_bytes(server.pid) / 2**20))
                if progress and len(rss) % max(1, int(60 / sample_seconds)) == 0:
                    progress(f"soak {elapsed / 60:.0f}/{minutes:g} min: server RSS {rss[-1][1]:.0f} MB")
                time.sleep(sample_seconds)
            rss.append(((time.monotonic() - began) / 60, tree_rss_bytes(server.pid) / 2**20))
        check(s, load.recorder, outcome)
    per_minute = []
    for minute in range(int(minutes + 0.999)):
        window = [x.seconds for x in load.recorder.between(began + minute * 60, began + (minute + 1) * 60, "complete")
                  if x.status == 200]
        per_minute.append({"minute": minute + 1, "completions": len(window),
                           "p50_ms": round(percentile(window, 50) * 1000, 2) if window else None,
                           "p95_ms": round(percentile(window, 95) * 1000, 2) if window else None})
    warm = minutes / 5 if minutes < 5 else max(1.0, minutes / 5)
    steady = [(t, mb) for t, mb in rss if t >= warm] or rss
    slope = least_squares_slope(steady)
    outcome.memory_slope_mb_per_min = slope
    outcome.memory_flat = slope is not None and slope <= flat_mb_per_min
    outcome.details.update({"rss_mb": [(round(t, 2), round(mb, 1)) for t, mb in rss], "per_minute": per_minute,
                            "warm_up_minutes": warm, "flat_criterion_mb_per_min": flat_mb_per_min})
    p50s = [m["p50_ms"] for m in per_minute if m["p50_ms"] is not None and m["minute"] > warm]
    third = max(1, len(p50s) // 3)
    if p50s:
        first, last = sorted(p50s[:third])[len(p50s[:third]) // 2], sorted(p50s[-third:])[len(p50s[-third:]) // 2]
        outcome.details["latency_p50_first_third_ms"], outcome.details["latency_p50_last_third_ms"] = first, last
        outcome.details["latency_growing"] = last > first * LATENCY_GROWTH_LIMIT
        outcome.notes.append(f"latency p50 {first:.1f} ms in the first third after warm-up, {last:.1f} ms in the "
                             f"last ({'GROWING' if last > first * LATENCY_GROWTH_LIMIT else 'not growing'}: limit "
                             f"x{LATENCY_GROWTH_LIMIT}); {sum(m['completions'] for m in per_minute)} completions")
    if rss:
        outcome.notes.append(f"server RSS {rss[0][1]:.0f} MB at start, {steady[0][1]:.0f} MB after the "
                             f"{warm:g}-min warm-up, {rss[-1][1]:.0f} MB at the end; flat means a slope "
                             f"≤ {flat_mb_per_min} MB/min")
    return outcome


def least_squares_slope(points: list[tuple[float, float]]) -> float | None:
    """The slope of the least-squares line through (x, y) points; None for fewer than two x."""
    if len({x for x, _ in points}) < 2:
        return None
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / sxx


def _wait_first_success(recorder: Recorder, since: float) -> bool:
    deadline = time.monotonic() + RECOVERY_LIMIT
    while time.monotonic() < deadline:
        if first_after(recorder.samples, since) is not None:
            return True
        time.sleep(0.1)
    return False
