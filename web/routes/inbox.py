"""The inbox: my tasks and my groups' unassigned tasks; claiming and giving back."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import Response
from flowdesk.engine.errors import BadRequest
from flowdesk.engine.identity import Actor
from flowdesk.engine.instances.tasks import InboxQuery
from flowdesk.engine.process_engine import ProcessEngine

from ..navigation import home, may_work_on_tasks
from ..pages import ActorDep, FormDep, engine_of, redirect, render, safe_next, zone_of
from ._router import router

routes = router()
SORTS = ("created_at", "-created_at", "due_at", "-due_at", "priority", "-priority")
PAGE_SIZE = 20


def _day(value: str | None, zone: tzinfo = UTC) -> datetime | None:
    try:
        return datetime.combine(date.fromisoformat(value), time(), zone).astimezone(UTC) if value else None
    except ValueError:
        return None


@routes.get("/")
def inbox(
    request: Request, actor: ActorDep,
    assignee: Annotated[str, Query(max_length=20)] = "",
    process: Annotated[str, Query(max_length=255)] = "",
    business_key: Annotated[str, Query(max_length=255)] = "",
    due_before: Annotated[str, Query(max_length=10)] = "",
    sort: Annotated[str, Query(max_length=20)] = "due_at",
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    engine = engine_of(request)
    if not may_work_on_tasks(actor):  # auditors, integration accounts: no inbox, their own start page
        return redirect(home(actor))
    filters = {"assignee": assignee if assignee in ("me", "unassigned") else "",
               "process": process.strip(), "business_key": business_key.strip(),
               "due_before": due_before if _day(due_before) else "", "sort": sort if sort in SORTS else "due_at"}
    query = InboxQuery(assignee=filters["assignee"] or None, definition_key=filters["process"] or None,
                       document=filters["business_key"] or None,
                       due_before=_day(filters["due_before"], zone=zone_of(request)),
                       sort=filters["sort"], limit=PAGE_SIZE)
    try:
        page = engine.tasks.inbox(query, by=actor, cursor=cursor)
    except BadRequest:  # a cursor from another sort order: start again at the first page
        page = engine.tasks.inbox(query, by=actor, cursor=None)
        cursor = None
    processes = engine.repository.list_definitions(by=actor, limit=500).items
    active = {k: v for k, v in filters.items() if v}
    next_url = "/?" + urlencode({**active, "cursor": page.next_cursor}) if page.next_cursor else None
    first_url = "/?" + urlencode(active) if cursor else None
    return render(request, "inbox.html", tasks=page.items, filters=filters, processes=processes, sorts=SORTS,
                  next_url=next_url, first_url=first_url, now=engine.clock.now().isoformat(),
                  task_texts=task_texts(engine, actor, page.items),
                  headlines=engine.tasks.headlines([t["id"] for t in page.items], by=actor),
                  owners=engine.collaboration.owners(page.items, by=actor),
                  saved_filters=engine.collaboration.filters(by=actor).items)


def task_texts(engine: ProcessEngine, actor: Actor, tasks: list[dict]) -> dict[str, dict]:
    """``key:version:element`` -> the user task as its definition describes it (with its
    translated names), for the versions on this page: one read per version, not per task."""
    texts: dict[str, dict] = {}
    for key, version in {(t["definition_key"], t["definition_version"]) for t in tasks}:
        for user_task in engine.repository.texts(key, version, by=actor)["user_tasks"]:
            texts[f"{key}:{version}:{user_task['element_id']}"] = user_task
    return texts


@routes.post("/tasks/{task_id}/claim")
def claim(task_id: str, request: Request, actor: ActorDep, form: FormDep) -> Response:
    engine_of(request).tasks.claim_task(task_id, by=actor)
    return redirect(_back(form.get("next"), f"/tasks/{task_id}", "claimed"))


@routes.post("/tasks/{task_id}/unclaim")
def unclaim(task_id: str, request: Request, actor: ActorDep, form: FormDep) -> Response:
    engine_of(request).tasks.unclaim_task(task_id, by=actor)
    return redirect(_back(form.get("next"), "/", "unclaimed"))


def _back(target: object, default: str, notice: str) -> str:
    path = safe_next(target if isinstance(target, str) else None, default)
    return f"{path}{'&' if '?' in path else '?'}notice={notice}"
