"""The controls report: which separation-of-duties checks ran on a process, which
refusals they caused, and every approval with the figures the approver saw.

"What the approver saw" is rebuilt from the audit log itself: every step records the
field-level diff of the instance data (``data.changed``), so folding the diffs before an
approval's ``task.completed`` event gives the data as it stood when the approver decided.
Nothing extra is written on the hot path, and the snapshot is covered by the hash chain.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import values
from ...definitions.inspect import ProcessInfo
from ...definitions.model import STARTER
from ...persistence.models import Definition, Event, Instance, Task
from ...status import TaskStatus
from ..audit.diff import apply_diff
from ..audit.log import AuditLog


def controls_report(session: Session, log: AuditLog, definition_key: str, since: datetime | None = None,
                    until: datetime | None = None, limit: int = 1000) -> dict[str, Any]:
    """The report for what happened between `since` and `until` (either open): checks by
    completion time, refusals and approvals by event time."""
    rules = _sod_rules(session, definition_key)
    checks = []
    for (version, element), separate_from in sorted(rules.items()):
        tasks = session.execute(
            select(Task, Instance.started_by).join(Instance, Instance.id == Task.instance_id)
            .where(Task.definition_key == definition_key, Task.definition_version == version,
                   Task.element_id == element, Task.status == TaskStatus.COMPLETED,
                   *_between(Task.completed_at, since, until))
            .order_by(Task.completed_at).limit(limit)).all()
        completers = _completers(session, [t.instance_id for t, _ in tasks], separate_from)
        for task, starter in tasks:
            excluded = set(completers.get(task.instance_id, ()))
            if STARTER in separate_from and starter:
                excluded.add(starter)
            checks.append({
                "instance_id": task.instance_id, "business_key": task.business_key, "task_id": task.id,
                "element_id": element, "task_name": task.name, "definition_version": version,
                "rule": {"separate_from": list(separate_from)}, "completed_by": task.completed_by,
                "excluded_users": sorted(excluded), "passed": task.completed_by not in excluded,
                "at": task.completed_at,
            })
    refusals = [
        {"seq": s.event.seq, "at": s.event.at, "actor": s.event.actor, "instance_id": s.event.instance_id,
         "element_id": s.event.element_id, "task_id": s.event.task_id,
         "reason": (s.payload or {}).get("reason"), "detail": (s.payload or {}).get("detail")}
        for s in log.read(session, select(Event).where(
            Event.definition_key == definition_key, Event.type == "access.denied",
            *_between(Event.at, since, until)).order_by(Event.seq).limit(limit))
    ]
    return {"definition_key": definition_key, "separation_of_duties": {"rules": [
        {"definition_version": v, "element_id": e, "separate_from": list(s)} for (v, e), s in sorted(rules.items())],
        "checks": checks, "refusals": refusals},
        "approvals": _approvals(session, log, definition_key, since, until, limit)}


def _between(column, since: datetime | None, until: datetime | None) -> list:
    return [c for c in (None if since is None else column >= since,
                        None if until is None else column < until) if c is not None]


def _sod_rules(session: Session, key: str) -> dict[tuple[int, str], tuple[str, ...]]:
    rules = {}
    for version, info in session.execute(select(Definition.version, Definition.info).where(Definition.key == key)):
        for element, meta in ProcessInfo.from_dict(info).human_tasks.items():
            if meta.separate_from:
                rules[(version, element)] = tuple(meta.separate_from)
    return rules


def _completers(session: Session, instance_ids: list[str], separate_from: tuple[str, ...]) -> dict[str, set[str]]:
    """instance id -> who completed the tasks a rule names, for all the checked instances in
    one query (StepWriter.excluded_users asks the same of one instance, when a task opens)."""
    elements = [e for e in separate_from if e != STARTER]
    found: dict[str, set[str]] = defaultdict(set)
    if elements and instance_ids:
        for instance_id, user in session.execute(select(Task.instance_id, Task.completed_by).where(
                Task.instance_id.in_(set(instance_ids)), Task.element_id.in_(elements),
                Task.status == TaskStatus.COMPLETED, Task.completed_by.is_not(None))):
            found[instance_id].add(user)
    return found


def _approvals(session: Session, log: AuditLog, key: str, since: datetime | None, until: datetime | None,
               limit: int) -> list[dict[str, Any]]:
    """Task completions that carried a ``decision``, each with the data's amounts as of then.

    Only instances with a completion in the range are read (their whole history: the data
    seen is rebuilt from their start), one instance at a time."""
    completed = _between(Event.at, since, until)
    touched = select(Event.instance_id).where(Event.definition_key == key, Event.type == "task.completed",
                                              *completed)
    stmt = (select(Event).where(Event.definition_key == key, Event.type.in_(("task.completed", "data.changed")),
                                Event.instance_id.in_(touched))
            .order_by(Event.instance_id, Event.seq))
    approvals: list[dict[str, Any]] = []
    current, seen, erased = None, {}, False
    for stored in log.read(session, stmt):
        event, payload = stored.event, stored.payload
        if event.instance_id != current:
            current, seen, erased = event.instance_id, {}, False
        if payload is None:  # erased by retention: the snapshot can no longer be rebuilt
            erased = True
            continue
        content = values.decode(payload)
        submitted = (content.get("data") or {}) if event.type == "task.completed" else {}
        in_range = (since is None or event.at >= since) and (until is None or event.at < until)
        if "decision" in submitted and in_range:
            approvals.append({
                "seq": event.seq, "at": event.at, "instance_id": event.instance_id, "element_id": event.element_id,
                "task_id": event.task_id, "actor": event.actor, "decision": submitted.get("decision"),
                "comment": submitted.get("comment"),
                "seen": None if erased else {
                    k: v for k, v in seen.items() if isinstance(v, int | float | Decimal) and not isinstance(v, bool)},
            })
            if len(approvals) >= limit:
                break
        apply_diff(seen, content.get("diff", []))  # what this step changed comes after what was seen
    approvals.sort(key=lambda a: a["seq"])
    return approvals
