"""The controls report: which separation-of-duties checks ran on a process, which
refusals they caused, and every approval with the figures the approver saw.

"What the approver saw" is rebuilt from the audit log itself: every step records the
field-level diff of the instance data (``data.changed``), so folding the diffs before an
approval's ``task.completed`` event gives the data as it stood when the approver decided.
Nothing extra is written on the hot path, and the snapshot is covered by the hash chain.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import values
from ..audit.log import AuditLog
from ..definitions.inspect import ProcessInfo
from ..persistence.models import Definition, Event, Instance, Task

STARTER = "@starter"


def controls_report(session: Session, log: AuditLog, definition_key: str, limit: int = 1000) -> dict[str, Any]:
    rules = _sod_rules(session, definition_key)
    checks = []
    for (version, element), separate_from in sorted(rules.items()):
        tasks = session.execute(
            select(Task, Instance.started_by).join(Instance, Instance.id == Task.instance_id)
            .where(Task.definition_key == definition_key, Task.definition_version == version,
                   Task.element_id == element, Task.status == "completed")
            .order_by(Task.completed_at).limit(limit)).all()
        for task, starter in tasks:
            excluded = _excluded(session, task.instance_id, starter, separate_from)
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
            Event.definition_key == definition_key, Event.type == "access.denied").order_by(Event.seq).limit(limit))
    ]
    return {"definition_key": definition_key, "separation_of_duties": {"rules": [
        {"definition_version": v, "element_id": e, "separate_from": list(s)} for (v, e), s in sorted(rules.items())],
        "checks": checks, "refusals": refusals}, "approvals": _approvals(session, log, definition_key, limit)}


def _sod_rules(session: Session, key: str) -> dict[tuple[int, str], tuple[str, ...]]:
    rules = {}
    for version, info in session.execute(select(Definition.version, Definition.info).where(Definition.key == key)):
        for element, meta in ProcessInfo.from_dict(info).human_tasks.items():
            if meta.separate_from:
                rules[(version, element)] = tuple(meta.separate_from)
    return rules


def _excluded(session: Session, instance_id: str, starter: str | None, separate_from: tuple[str, ...]) -> set[str]:
    users = {starter} if STARTER in separate_from and starter else set()
    elements = [e for e in separate_from if e != STARTER]
    if elements:
        users.update(session.scalars(select(Task.completed_by).where(
            Task.instance_id == instance_id, Task.element_id.in_(elements), Task.status == "completed",
            Task.completed_by.is_not(None))))
    return users


def _approvals(session: Session, log: AuditLog, key: str, limit: int) -> list[dict[str, Any]]:
    """Task completions that carried a ``decision``, each with the data's amounts as of then."""
    stmt = (select(Event).where(Event.definition_key == key, Event.type.in_(("task.completed", "data.changed")))
            .order_by(Event.instance_id, Event.seq))
    approvals: list[dict[str, Any]] = []
    data: dict[str, dict[str, Any]] = defaultdict(dict)
    for stored in log.read(session, stmt):
        event, payload = stored.event, stored.payload
        if payload is None:  # erased by retention: the snapshot can no longer be rebuilt
            data[event.instance_id]["__erased__"] = True
            continue
        content = values.decode(payload)
        if event.type == "data.changed":
            _apply(data[event.instance_id], content.get("diff", []))
            continue
        submitted = content.get("data") or {}
        seen = data[event.instance_id]
        if "decision" not in submitted:
            _apply(seen, content.get("diff", []))
            continue
        approvals.append({
            "seq": event.seq, "at": event.at, "instance_id": event.instance_id, "element_id": event.element_id,
            "task_id": event.task_id, "actor": event.actor, "decision": submitted.get("decision"),
            "comment": submitted.get("comment"),
            "seen": None if seen.get("__erased__") else {
                k: v for k, v in seen.items() if isinstance(v, int | float | Decimal) and not isinstance(v, bool)},
        })
        _apply(seen, content.get("diff", []))  # what the approval itself changed comes after
        if len(approvals) >= limit:
            break
    approvals.sort(key=lambda a: a["seq"])
    return approvals


def _apply(document: dict[str, Any], changes: list[dict[str, Any]]) -> None:
    for change in changes:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in change["path"].split("/")[1:]]
        target = document
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        if change["op"] == "remove":
            target.pop(parts[-1], None)
        else:
            target[parts[-1]] = change.get("after")
