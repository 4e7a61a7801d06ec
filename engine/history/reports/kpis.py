"""Process KPIs from history: counts, cycle and waiting times, SLA breaches, first-pass
rate and throughput.

Everything is aggregated in the database over the ``instances`` and ``tasks`` history
(completed rows are kept), filtered by process key and time range on indexed columns
(``ix_instances_key_ended``, ``ix_instances_key_started``, ``ix_tasks_key_created``). On
PostgreSQL the percentiles are ``percentile_cont`` aggregates; SQLite has none, so there
the durations of the range are read sorted (one narrow column) and interpolated the same
way.

Definitions, so that numbers can be checked by hand:
- cycle time: ``ended_at - started_at`` of instances *completed* in the range;
- waiting time of a task: ``completed_at - created_at`` (time in somebody's inbox);
- SLA breach: a task with a due date completed after it, or still open past it;
- first pass: a completed instance in which no task was created again for an element
  after an earlier task of that element had completed (no rework loop);
- throughput: instances started and completed per UTC day.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Date, and_, case, cast, func, literal_column, or_, select
from sqlalchemy.orm import Session

from ...persistence.models import Instance, Task
from ...status import InstanceStatus, TaskStatus

# Upper bounds (seconds) of the cycle-time histogram's buckets; the last is open-ended.
HISTOGRAM_BOUNDS = (60, 300, 900, 3600, 4 * 3600, 86400, 3 * 86400, 7 * 86400, 30 * 86400)


def kpi_report(session: Session, now: datetime, definition_key: str | None = None,
               since: datetime | None = None, until: datetime | None = None) -> dict[str, Any]:
    keys = [definition_key] if definition_key else list(session.scalars(
        select(Instance.definition_key).distinct().order_by(Instance.definition_key)))
    return {
        "definition_key": definition_key,
        "since": since,
        "until": until,
        "generated_at": now,
        "processes": [_process(session, now, key, since, until) for key in keys],
    }


def _in_range(column, since, until) -> list:
    conditions = []
    if since is not None:
        conditions.append(column >= since)
    if until is not None:
        conditions.append(column < until)
    return conditions


def _seconds(session: Session, start, end):
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    # julianday() is a float of days: rounded to the millisecond, 3600 s reads as 3600, not 3600.0000134.
    return func.round((func.julianday(end) - func.julianday(start)) * 86400.0, 3)


def _day(session: Session, column):
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def _percentiles(session: Session, duration, where: Sequence, group=None) -> dict[Any, dict[str, float | None]]:
    """{group value: {"median", "p90"}} with linear interpolation (``percentile_cont``)."""
    if session.get_bind().dialect.name == "postgresql":
        columns = [func.percentile_cont(q).within_group(duration) for q in (0.5, 0.9)]
        stmt = select(*([group] if group is not None else []), *columns).where(*where)
        if group is not None:
            stmt = stmt.group_by(group)
        result = {}
        for row in session.execute(stmt):
            key = row[0] if group is not None else None
            median, p90 = row[-2], row[-1]
            result[key] = {"median": _float(median), "p90": _float(p90)}
        return result
    stmt = select(*([group] if group is not None else []), duration).where(*where)
    stmt = stmt.order_by(*([group] if group is not None else []), duration)
    grouped: dict[Any, list[float]] = defaultdict(list)
    for row in session.execute(stmt):
        grouped[row[0] if group is not None else None].append(float(row[-1]))
    return {k: {"median": _float(_interpolate(v, 0.5)), "p90": _float(_interpolate(v, 0.9))}
            for k, v in grouped.items()}


def _interpolate(ordered: list[float], q: float) -> float | None:
    if not ordered:
        return None
    position = q * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _float(value) -> float | None:
    return None if value is None else round(float(value), 3)


def _process(session: Session, now: datetime, key: str, since, until) -> dict[str, Any]:
    started_in = [Instance.definition_key == key, *_in_range(Instance.started_at, since, until)]
    completed_in = [Instance.definition_key == key, Instance.status == InstanceStatus.COMPLETED,
                    *_in_range(Instance.ended_at, since, until)]
    counts = dict(session.execute(select(Instance.status, func.count()).where(*started_in)
                                  .group_by(Instance.status)).all())
    cycle = _seconds(session, Instance.started_at, Instance.ended_at)
    completed = session.scalar(select(func.count()).where(*completed_in)) or 0
    cycle_time = _percentiles(session, cycle, completed_in).get(None, {"median": None, "p90": None})

    # Labelled, so GROUP BY names the output column (PostgreSQL would otherwise see two
    # differently-parameterised copies of the expression).
    bucket = case(*[(cycle <= literal_column(str(b)), literal_column(str(b))) for b in HISTOGRAM_BOUNDS],
                  else_=literal_column("-1")).label("bucket")
    histogram = dict(session.execute(select(bucket, func.count()).where(*completed_in).group_by(bucket)).all())

    # First pass: no task created for an element after an earlier one of it completed. In one
    # aggregate pass: an element looped when it had two tasks or more and its newest task was
    # created no earlier than its first completion (a loop opens the next task in the step
    # that completes the last, at the same instant).
    looped_elements = (select(Task.instance_id).join(Instance, Instance.id == Task.instance_id)
                       .where(*completed_in).group_by(Task.instance_id, Task.element_id)
                       .having(func.count() > 1, func.max(Task.created_at) >= func.min(Task.completed_at))
                       .subquery())
    looped_count = session.scalar(select(func.count(func.distinct(looped_elements.c.instance_id)))) or 0

    tasks_in = [Task.definition_key == key, *_in_range(Task.created_at, since, until)]
    breached = and_(Task.due_at.is_not(None),
                    or_(Task.completed_at > Task.due_at, and_(Task.completed_at.is_(None),
                                                              Task.status == TaskStatus.OPEN, Task.due_at < now)))
    per_task = session.execute(
        select(Task.element_id, func.max(Task.name),
               func.sum(case((Task.status == TaskStatus.COMPLETED, 1), else_=0)),
               func.sum(case((Task.status == TaskStatus.OPEN, 1), else_=0)),
               func.sum(case((breached, 1), else_=0)))
        .where(*tasks_in).group_by(Task.element_id).order_by(Task.element_id)).all()
    waiting = _seconds(session, Task.created_at, Task.completed_at)
    waits = _percentiles(session, waiting, [*tasks_in, Task.status == TaskStatus.COMPLETED], group=Task.element_id)

    day_started = _day(session, Instance.started_at).label("day")
    started_days = dict(session.execute(
        select(day_started, func.count()).where(*started_in).group_by(day_started)).all())
    day_completed = _day(session, Instance.ended_at).label("day")
    completed_days = dict(session.execute(
        select(day_completed, func.count()).where(*completed_in).group_by(day_completed)).all())
    days = sorted({str(d) for d in started_days} | {str(d) for d in completed_days})
    started_by_day = {str(d): n for d, n in started_days.items()}
    completed_by_day = {str(d): n for d, n in completed_days.items()}

    return {
        "definition_key": key,
        "started": sum(counts.values()),
        "completed": completed,
        "open": counts.get("running", 0) + counts.get("failed", 0),
        "cancelled": counts.get("cancelled", 0),
        "cycle_time_seconds": {**cycle_time, "count": completed},
        "cycle_time_histogram": [
            {"upper_seconds": float(bound), "count": histogram.get(bound, 0)} for bound in HISTOGRAM_BOUNDS
        ] + [{"upper_seconds": None, "count": histogram.get(-1, 0)}],
        "first_pass_rate": None if not completed else round((completed - looped_count) / completed, 4),
        "sla_breaches": sum(int(row[4] or 0) for row in per_task),
        "throughput_per_day": [{"day": d, "started": started_by_day.get(d, 0),
                                "completed": completed_by_day.get(d, 0)} for d in days],
        "tasks": [
            {"element_id": element, "name": name, "completed": int(done or 0), "open": int(still or 0),
             "waiting_seconds": waits.get(element, {"median": None, "p90": None}),
             "sla_breaches": int(late or 0)}
            for element, name, done, still, late in per_task
        ],
    }
