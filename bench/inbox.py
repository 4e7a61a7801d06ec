"""Measurement 4: inbox latency for one user over a large backlog of open tasks.

The backlog is written straight into the inbox projection (``instances``, ``tasks``,
``task_candidates``, ``task_exclusions``) with bulk inserts, because starting 100,000
instances through the engine would take the benchmark's whole budget and the inbox query
reads only these tables. Each task has one candidate group of 1,000 (every tenth a
second one), a priority, half of them a due date, and one in twenty an assignee. The
user measured is in three groups and holds some tasks directly; a few of their tasks
are barred by separation of duties. Then ``ProcessEngine.inbox`` (the default sort) and
``ProcessEngine.inbox_page`` (other sorts and filters, as ``GET /api/v1/tasks`` calls
them) are timed, each query its own transaction as in the API.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

from flowdesk.engine.identity import Actor
from flowdesk.engine.instances.tasks import InboxQuery
from flowdesk.engine.persistence.models import Instance, Task, TaskCandidate, TaskExclusion
from flowdesk.engine.process_engine import ProcessEngine
from sqlalchemy import Table, insert, text

from .databases import CLERK, database, flowdesk_engine
from .report import Section
from .stats import ms, percentile

USER = Actor("inbox-user", frozenset({"group_0007", "group_0123", "group_0500"}))
CHUNK = 5000
QUERIES = {
    "inbox": ("inbox(), default sort (created_at)", None),
    "due": ("inbox_page(), sort due_at", InboxQuery(sort="due_at")),
    "unassigned_priority": ("inbox_page(), unassigned, sort -priority",
                            InboxQuery(assignee="unassigned", sort="-priority")),
}


def fill(engine: ProcessEngine, tasks: int, groups: int, seed: int = 9) -> dict[str, int]:
    """Write ``tasks`` open tasks over ``groups`` groups; returns what was written."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with engine.transaction() as session:
        definition = engine.context.definitions.latest(session, "bench_order")
        instance_ids = [str(uuid.uuid4()) for _ in range(max(1, tasks // 100))]
        session.execute(insert(Instance), [{
            "id": iid, "definition_id": definition.id, "definition_key": definition.key,
            "definition_version": definition.version, "business_key": None, "status": "running",
            "started_by": CLERK.username, "started_at": now, "ended_at": None, "parent_instance_id": None,
            "state": {}, "data": {}, "active_elements": ["enter_order"], "lock_version": 1,
        } for iid in instance_ids])
    # About 100 tasks assigned to the user directly, whatever the backlog (as ~100 per group).
    direct_every = max(1, tasks // 100) + 3
    counts = {"tasks": 0, "candidates": 0, "assigned_to_user": 0, "excluded": 0}
    for first in range(0, tasks, CHUNK):
        task_rows, candidate_rows, exclusion_rows = [], [], []
        for n in range(first, min(tasks, first + CHUNK)):
            task_id = str(uuid.uuid4())
            names = [f"group_{n % groups:04d}"]
            if n % 10 == 0:
                names.append(f"group_{(n * 7 + 3) % groups:04d}")
            names = sorted(set(names))
            if n % direct_every == 0:
                assignee = USER.username
                counts["assigned_to_user"] += 1
            elif n % 20 == 0:
                assignee = f"user-{rng.randrange(500)}"
            else:
                assignee = None
            task_rows.append({
                "id": task_id, "instance_id": instance_ids[n % len(instance_ids)], "definition_key": "bench_order",
                "definition_version": 1, "business_key": f"ORD-{n:07d}", "element_id": "enter_order",
                "name": "Enter order", "status": "open", "assignee": assignee, "candidate_groups": names,
                "form": None, "priority": rng.randrange(101),
                "created_at": now - timedelta(seconds=rng.randrange(90 * 86400)),
                "due_at": now + timedelta(hours=rng.randrange(-48, 24 * 30)) if n % 2 else None,
                "completed_at": None, "completed_by": None,
            })
            candidate_rows.extend({"task_id": task_id, "group_name": g} for g in names)
            if n % 1009 == 0:
                exclusion_rows.append({"task_id": task_id, "username": USER.username})
        write_rows(engine, [(Task.__table__, task_rows), (TaskCandidate.__table__, candidate_rows),
                            (TaskExclusion.__table__, exclusion_rows)])
        counts["tasks"] += len(task_rows)
        counts["candidates"] += len(candidate_rows)
        counts["excluded"] += len(exclusion_rows)
    # What autovacuum (PostgreSQL) would do after a load like this, and what SQLite's
    # planner needs to choose between the inbox's indexes.
    with engine.db.engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    return counts


def write_rows(engine: ProcessEngine, tables: list[tuple[Table, list[dict]]]) -> None:
    """Insert the rows in one transaction: ``COPY`` on PostgreSQL (a million tasks in well
    under a minute, where multi-row INSERTs took minutes), Core executemany elsewhere."""
    if engine.db.engine.dialect.name != "postgresql":
        with engine.db.engine.begin() as conn:
            for table, rows in tables:
                if rows:
                    conn.execute(insert(table), rows)
        return
    raw = engine.db.engine.raw_connection()
    try:
        with raw.driver_connection.cursor() as cursor:
            for table, rows in tables:
                if not rows:
                    continue
                columns = list(rows[0])
                with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                    copy.write("".join("\t".join(_copy_text(row[c]) for c in columns) + "\n" for row in rows))
        raw.commit()
    finally:
        raw.close()


def _copy_text(value: object) -> str:
    """A value in COPY's text format (the backlog's values hold no tab, newline or backslash)."""
    if value is None:
        return "\\N"
    if isinstance(value, list | dict):
        return json.dumps(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def time_queries(engine: ProcessEngine, repeats: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {key: [] for key in QUERIES}
    for _ in range(3):  # warm the caches: the first query of a connection pays for its setup
        engine.tasks.inbox(by=USER)
    for _ in range(repeats):
        for key, (_label, query) in QUERIES.items():
            began = time.perf_counter()
            if query is None:
                engine.tasks.inbox(by=USER)
            else:
                engine.tasks.inbox(query, by=USER)
            timings[key].append(time.perf_counter() - began)
    return timings


def measure(kind: str, server_url: str | None, tasks: int, groups: int, repeats: int) -> Section:
    name = "SQLite" if kind == "sqlite" else "PostgreSQL"
    section = Section(f"inbox_{kind}", f"4. Inbox latency on {name}: {tasks:,} open tasks in {groups:,} groups")
    with database(kind, server_url, "inbox") as url:
        engine = flowdesk_engine(url, "order.bpmn")
        try:
            began = time.perf_counter()
            counts = fill(engine, tasks, groups)
            section.add("fill_s", "bulk insert of the backlog (untimed setup)", time.perf_counter() - began, "s")
            visible = len(engine.tasks.inbox(InboxQuery(limit=100_000), by=USER).items)
            timings = time_queries(engine, repeats)
        finally:
            engine.close()
    section.add("open_tasks", "open tasks in the database", counts["tasks"])
    section.add("visible_tasks", "tasks in the user's inbox (3 groups + assigned)", visible)
    for key, (label, _query) in QUERIES.items():
        metric = "inbox" if key == "inbox" else key
        section.add(f"{metric}_p50_ms", f"{label}: p50", ms(percentile(timings[key], 50)), "ms")
        section.add(f"{metric}_p95_ms", f"{label}: p95", ms(percentile(timings[key], 95)), "ms")
    section.note(f"page size 50, {repeats} timed queries of each kind, one transaction each, after ANALYZE")
    return section
