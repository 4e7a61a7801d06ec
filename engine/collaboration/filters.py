"""Saved inbox filters: a name and the parameters of ``GET /tasks``, for their owner and
the groups they share them with."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import FieldError, InvalidData
from ..identity.actors import Actor
from ..instances.tasks import InboxQuery
from ..persistence.collaboration import SavedFilter
from ..timeutil import iso

SORTS = ("created_at", "-created_at", "due_at", "-due_at", "priority", "-priority")
TEXT_KEYS = {"definition_key": 255, "instance_id": 36, "business_key": 255, "candidate_group": 150}
TIME_KEYS = ("due_before", "created_after")
MAX_FILTERS_LISTED = 500


def filter_view(f: SavedFilter) -> dict[str, Any]:
    return {"id": f.id, "name": f.name, "owner": f.owner, "query": dict(f.query),
            "shared_with_groups": list(f.shared_with_groups), "created_at": iso(f.created_at)}


def _moment(text: Any) -> datetime:
    moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def check_query(query: Mapping[str, Any]) -> dict[str, Any]:
    """The query as stored (strings, as a URL would carry them); 422 per wrong parameter."""
    errors: list[FieldError] = []
    clean: dict[str, Any] = {}
    for key, value in query.items():
        path = f"/query/{key}"
        if key in TEXT_KEYS:
            if not isinstance(value, str) or not 1 <= len(value) <= TEXT_KEYS[key]:
                errors.append(FieldError(path, f"must be a text of 1-{TEXT_KEYS[key]} characters"))
            else:
                clean[key] = value
        elif key == "assignee":
            if value not in ("me", "unassigned"):
                errors.append(FieldError(path, "must be 'me' or 'unassigned'"))
            else:
                clean[key] = value
        elif key == "sort":
            if value not in SORTS:
                errors.append(FieldError(path, f"must be one of {', '.join(SORTS)}"))
            else:
                clean[key] = value
        elif key in TIME_KEYS:
            try:
                clean[key] = _moment(value).isoformat()
            except (TypeError, ValueError):
                errors.append(FieldError(path, "must be an ISO 8601 date-time"))
        elif key == "priority_min":
            number = value if isinstance(value, int) and not isinstance(value, bool) else (
                int(value) if isinstance(value, str) and value.isdigit() and len(value) <= 3 else None)
            if number is None or not 0 <= number <= 100:
                errors.append(FieldError(path, "must be an integer 0-100"))
            else:
                clean[key] = number
        elif key == "overdue":
            if value not in (True, False, "true", "false"):
                errors.append(FieldError(path, "must be true or false"))
            else:
                clean[key] = value in (True, "true")
        else:
            errors.append(FieldError(path, "is not a parameter of GET /tasks"))
    if errors:
        raise InvalidData(errors)
    return clean


def inbox_query(query: Mapping[str, Any], now: datetime, limit: int = 50) -> InboxQuery:
    q = check_query(query)
    return InboxQuery(assignee=q.get("assignee"), definition_key=q.get("definition_key"),
                      instance_id=q.get("instance_id"), business_key=q.get("business_key"),
                      due_before=_moment(q["due_before"]) if "due_before" in q else None,
                      candidate_group=q.get("candidate_group"), priority_min=q.get("priority_min"),
                      created_after=_moment(q["created_after"]) if "created_after" in q else None,
                      due_by_now=now if q.get("overdue") else None, sort=q.get("sort", "created_at"), limit=limit)


def visible(actor: Actor, f: SavedFilter) -> bool:
    return f.owner == actor.username or bool(actor.groups.intersection(f.shared_with_groups))


def create(session: Session, actor: Actor, name: str, query: Mapping[str, Any], groups: list[str],
           now: datetime) -> SavedFilter:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidData([FieldError("/name", "must be 1-200 characters")])
    bad = [i for i, g in enumerate(groups) if not isinstance(g, str) or not 1 <= len(g) <= 150]
    if bad:
        raise InvalidData([FieldError(f"/shared_with_groups/{i}", "is not a group name") for i in bad])
    saved = SavedFilter(id=str(uuid.uuid4()), owner=actor.username, name=name, query=check_query(query),
                        shared_with_groups=sorted(set(groups)), created_at=now)
    session.add(saved)
    session.flush()
    return saved


def listed(session: Session, actor: Actor) -> list[dict[str, Any]]:
    rows = session.scalars(select(SavedFilter).order_by(SavedFilter.created_at, SavedFilter.id)
                           .limit(MAX_FILTERS_LISTED * 4))
    return [filter_view(f) for f in rows if visible(actor, f)][:MAX_FILTERS_LISTED]
