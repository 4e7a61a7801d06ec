"""Measurement 3: does the cost of a step grow with the instance's history?

Two shapes of "large instance", both through :class:`ProcessEngine` on one database:

- a long-running loop (models/loop.bpmn): one user task that comes back round after
  round, so after k completions the instance has k completed user tasks (plus a script
  and a gateway each) behind it. The cost of task k is the median time of completing
  tasks k-5..k+5 of an instance brought there, the windows of every k completed in
  turns, so a few slow commits or the machine's drift do not decide it.
- a parallel multi-instance user task over n items (models/fan_out.bpmn): the time to
  start the instance (n tasks open at once), the serialized state's size, and the time
  to complete all n items one by one. A size that would take longer than the budget is
  stopped there and its total projected from the items done (per-item cost is about
  flat within one size: a completion writes the few task rows that changed, but SpiffWorkflow
  still walks the n-task tree), and marked so.
"""

from __future__ import annotations

import json
import time

from flowdesk.engine.instances.state_rows import stored_state
from flowdesk.engine.persistence.models import Instance
from flowdesk.engine.process_engine import ProcessEngine

from .databases import CLERK, database, flowdesk_engine
from .report import Section
from .stats import median, ms


def state_bytes(engine: ProcessEngine, instance_id: str) -> int:
    """The instance's whole stored state as compact JSON: one document, or (a large one)
    its skeleton with its task rows put back in (a step writes only the rows that changed)."""
    with engine.transaction() as session:
        state = stored_state(session, session.get(Instance, instance_id))
    return len(json.dumps(state, separators=(",", ":")))


# The cost of task k is the median of completing tasks k-WINDOW..k+WINDOW.
WINDOW = 5


def loop_costs(engine: ProcessEngine, ks: tuple[int, ...], budget: float) -> dict:
    """Time tasks k-5..k+5 of the loop for every k, all in the same minute.

    One instance per k is brought to just before its window (untimed); then the windows
    are completed in turns, one task of each instance per turn. A shared machine's speed
    drifts by a third within a minute: timing task 10 first and task 1000 a thousand
    completions later measured the drift as much as the history."""
    ks = tuple(sorted(ks))
    rounds = max(ks) + WINDOW + 1
    walkers = {k: _Walker(engine, engine.instances.start_instance("bench_loop", {"rounds": rounds, "done": 0},
                                                                  by=CLERK))
               for k in ks}
    began = time.monotonic()

    def within_budget() -> bool:
        return not budget or time.monotonic() - began < budget

    # The budget bounds bringing the instances to their windows (task 10,000 is 10,000
    # completions away); a walker it stops short is timed where it got to, and task k
    # projected from there (see project()). The windows themselves are always timed.
    reached: dict[int, int] = {}
    for k in ks:
        walker = walkers[k]
        while walker.tasks and walker.done < k - WINDOW - 1 and within_budget():
            walker.step()
        reached[k] = min(k, walker.done + WINDOW + 1)
    samples: dict[int, list[float]] = {k: [] for k in ks}
    sizes: dict[int, int] = {}
    turn, stepped = 0, True
    while stepped:
        stepped = False
        for k in (ks if turn % 2 == 0 else ks[::-1]):
            walker, at = walkers[k], reached[k]
            if walker.tasks and at - WINDOW - 1 <= walker.done < at + WINDOW:
                samples[k].append(walker.step())
                stepped = True
                if walker.done == at:
                    sizes[k] = state_bytes(engine, walker.instance_id)
        turn += 1
    longest = walkers[max(ks)]
    return {"samples": samples, "sizes": sizes, "status": longest.final["status"], "rounds": rounds,
            "completed": longest.done, "data_keys": sorted(longest.final.get("data") or {}), "reached": reached,
            "ended_early": {k: not w.tasks and w.done < reached[k] + WINDOW for k, w in walkers.items()}}


def project(points: dict[int, float], k: int) -> float:
    """The cost of task ``k`` on the least-squares line through the measured (task, cost)
    points: the cost of a step grows at most linearly with the history behind it (what
    it reads and writes is at most proportional to it), so a line through tasks 10..n
    bounds task k from the measured growth. Flat costs project flat, and so do falling ones
    (a step does not get cheaper with history: that slope is the machine's noise)."""
    n = len(points)
    mean_x, mean_y = sum(points) / n, sum(points.values()) / n
    spread = sum((x - mean_x) ** 2 for x in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points.items()) / spread if spread else 0.0
    return mean_y + max(0.0, slope) * (k - mean_x)


def window_size(k: int) -> int:
    """How many tasks the window around task k holds (fewer near the first task)."""
    return k + WINDOW - max(1, k - WINDOW) + 1


class _Walker:
    """One loop instance, completed one task at a time."""

    def __init__(self, engine: ProcessEngine, instance: dict) -> None:
        self.engine, self.instance_id, self.final = engine, instance["id"], instance
        self.tasks, self.done = instance["open_tasks"], 0

    def step(self) -> float:
        """Complete the open task; the seconds it took."""
        started = time.perf_counter()
        self.final = self.engine.tasks.complete_task(self.tasks[0]["id"], {"note": "round done"}, by=CLERK)["instance"]
        took = time.perf_counter() - started
        self.tasks, self.done = self.final["open_tasks"], self.done + 1
        return took


def fan_out(engine: ProcessEngine, items: int, budget: float) -> dict:
    """Start one n-item multi-instance, then complete every item."""
    data = {"items": [{"sku": f"SKU-{n:05d}", "quantity": n % 7 + 1} for n in range(items)]}
    began = time.perf_counter()
    instance = engine.instances.start_instance("bench_fan_out", data, by=CLERK)
    create = time.perf_counter() - began
    size = state_bytes(engine, instance["id"])
    opened = instance.get("open_tasks_total", len(instance["open_tasks"]))
    per_item: list[float] = []
    final = instance
    began = time.monotonic()
    # Each completion's response lists the oldest open items (at most 100): the next one
    # to complete is the first of them, as a client working through them would take it.
    while final["open_tasks"] and len(per_item) < items:
        if budget and time.monotonic() - began > budget:
            break
        task_id = final["open_tasks"][0]["id"]
        started = time.perf_counter()
        final = engine.tasks.complete_task(task_id, {"verdict": "ok"}, by=CLERK)["instance"]
        per_item.append(time.perf_counter() - started)
    done = len(per_item)
    total = sum(per_item)
    return {"create": create, "state_bytes": size, "open": opened, "done": done, "total": total,
            "projected": done < items, "complete": total / done * items if done else None,
            "first_item": per_item[0] if per_item else None, "last_item": per_item[-1] if per_item else None,
            "status": final["status"], "collected": len((final.get("data") or {}).get("checked") or [])}


def measure(kind: str, server_url: str | None, ks: tuple[int, ...], sizes: tuple[int, ...],
            budget: float) -> Section:
    name = "SQLite" if kind == "sqlite" else "PostgreSQL"
    section = Section("history", f"3. Scaling with history on {name}: a long loop, a parallel multi-instance")
    with database(kind, server_url, "history") as url:
        engine = flowdesk_engine(url, "loop.bpmn", "fan_out.bpmn")
        try:
            _report_loop(section, loop_costs(engine, ks, budget), ks)
            for items in sizes:
                _report_fan_out(section, fan_out(engine, items, budget), items)
        finally:
            engine.close()
    if budget:
        section.note(f"budget: {budget:g} s of completions per loop and per multi-instance size")
    return section


def _report_loop(section: Section, loop: dict, ks: tuple[int, ...]) -> None:
    costs: dict[int, float | None] = {}
    measured: dict[int, float] = {}  # task number actually timed -> its cost
    for k in ks:
        label = f"loop: completing task {k}"
        samples, at = loop["samples"][k], loop["reached"][k]
        if len(samples) == window_size(at) and not loop["ended_early"][k]:
            measured[at] = median(samples)
            costs[k] = measured[at] if at == k else None
            if at == k:
                section.add(f"loop_task_{k}_ms", label, ms(costs[k]), "ms")
                section.add(f"loop_task_{k}_state_bytes", f"loop: state size at task {k}", loop["sizes"].get(k), "B")
            else:
                section.add(f"loop_task_{at}_ms", f"loop: completing task {at} (where the budget stopped the "
                            f"walk to task {k})", ms(measured[at]), "ms")
        elif loop["ended_early"][k]:
            costs[k] = None
            section.fail(f"loop_task_{k}_ms", label, f"unreachable: the instance ended before task {k + WINDOW} "
                         f"of {loop['rounds']} rounds", "ms")
        else:
            costs[k] = None
            section.fail(f"loop_task_{k}_ms", label, f"not reached ({len(samples)} of "
                         f"{window_size(at)} tasks around task {at} timed)", "ms")
    for k in ks:
        if costs[k] is None and loop["reached"][k] < k and loop["reached"][k] in measured and len(measured) > 1:
            costs[k] = project(measured, k)
            section.add(f"loop_task_{k}_ms", f"loop: completing task {k} (projected)", ms(costs[k]), "ms")
            section.note(f"loop: task {k} projected on the least-squares line through tasks "
                         f"{', '.join(str(x) for x in sorted(measured))} (the budget stopped the walk at "
                         f"task {loop['reached'][k]})")
    section.add("loop_tasks_completed", "loop: tasks completed before it stopped", loop["completed"])
    low, high = costs[min(ks)], costs[max(ks)]
    label = f"loop: cost of task {max(ks)} / task {min(ks)}"
    if low and high:
        section.add("loop_cost_ratio", label, high / low, "x")
    else:
        why = section.failures.get(f"loop_task_{max(ks)}_ms") or section.failures.get(f"loop_task_{min(ks)}_ms")
        section.fail("loop_cost_ratio", label, f"task {max(ks)}: {why}", "x")
    if any(loop["ended_early"].values()):
        section.note(f"loop: data when the instance ended: {loop['data_keys'] or 'none'} "
                     "(it should have kept 'done' and 'rounds' and gone on)")
    section.note(f"loop: tasks k-{WINDOW}..k+{WINDOW} of one instance per k, completed in turns (median)")


def _report_fan_out(section: Section, result: dict, items: int) -> None:
    prefix = f"mi_{items}"
    section.add(f"{prefix}_create_s", f"multi-instance {items}: start (all items open)", result["create"], "s")
    section.add(f"{prefix}_state_bytes", f"multi-instance {items}: serialized state", result["state_bytes"], "B")
    section.add(f"{prefix}_first_item_ms", f"multi-instance {items}: completing the first item",
                ms(result["first_item"]), "ms")
    label = f"multi-instance {items}: complete all items" + (" (projected)" if result["projected"] else "")
    section.add(f"{prefix}_complete_s", label, result["complete"], "s")
    if result["open"] != items:
        section.note(f"multi-instance {items}: {result['open']} tasks opened, expected {items}")
    if result["projected"]:
        section.note(f"multi-instance {items}: stopped after {result['done']} of {items} items "
                     f"({result['total']:.1f} s); the total is projected from the mean per-item time")
    elif result["status"] != "completed" or result["collected"] != items:
        section.note(f"multi-instance {items}: instance {result['status']} with {result['collected']} of "
                     f"{items} results collected")
