"""Auditors: instance search, the audit trail with its chain verification, and exports."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import Response, StreamingResponse
from flowdesk.engine.errors import BadRequest, FlowdeskError
from flowdesk.engine.identity import Actor, authorization
from flowdesk.engine.process_engine import ProcessEngine

from ..pages import ActorDep, engine_of, render, zone_of
from ._router import router

routes = router()
STATUSES = ("running", "suspended", "completed", "cancelled", "failed")
PAGE_SIZE = 50
Text = Annotated[str, Query(max_length=255)]
Cursor = Annotated[str | None, Query(max_length=2000)]


def _day(value: str, end: bool = False, zone: tzinfo = UTC) -> datetime | None:
    """A date field as an instant: the start of the day, or for "until" the start of the next."""
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=1) if end else day, time(), zone).astimezone(UTC)


@routes.get("/audit/instances")
def instance_search(request: Request, actor: ActorDep, definition_key: Text = "", business_key: Text = "",
                    status: Text = "", started_by: Text = "", involved: Text = "", since: Text = "",
                    until: Text = "", cursor: Cursor = None, document: Text = "") -> Response:
    """By process, business key, any document number the instance carries (partial), status,
    starter and start dates: auditors and admins (an employee's own instances are under "My
    requests")."""
    authorization.require_auditor(actor)
    engine = engine_of(request)
    filters = {"definition_key": definition_key.strip(), "business_key": business_key.strip(),
               "status": status if status in STATUSES else "", "started_by": started_by.strip(),
               "involved": involved.strip(), "since": since if _day(since) else "",
               "until": until if _day(until) else "", "document": document.strip()}
    try:
        if filters["involved"]:
            items, next_cursor = _involving(engine, actor, filters, cursor, zone_of(request))
        elif filters["since"] or filters["until"]:
            items, next_cursor = _started_between(engine, actor, filters, cursor, zone_of(request))
        else:
            page = engine.instances.list_instances(
                by=actor, definition_key=filters["definition_key"] or None, status=filters["status"] or None,
                business_key=filters["business_key"] or None, started_by=filters["started_by"] or None,
                document=filters["document"] or None, limit=PAGE_SIZE, cursor=cursor)
            items, next_cursor = page.items, page.next_cursor
    except BadRequest:
        items, next_cursor = [], None
    active = {k: v for k, v in filters.items() if v}
    next_url = "/audit/instances?" + urlencode({**active, "cursor": next_cursor}) if next_cursor else None
    processes = engine.repository.list_definitions(by=actor, limit=500).items
    return render(request, "audit_instances.html", instances=items, filters=filters, statuses=STATUSES,
                  processes=processes, next_url=next_url)


def _matching(engine: ProcessEngine, actor: Actor, instance_ids: list[str], filters: dict[str, str],
              zone: tzinfo) -> list[dict]:
    """The instances among ``instance_ids`` that pass the other filters (start dates, which
    are the user's local days, included)."""
    since, until = _day(filters["since"], zone=zone), _day(filters["until"], end=True, zone=zone)
    found = []
    for instance_id in instance_ids:
        try:
            instance = engine.instances.get_instance(instance_id, by=actor)
        except FlowdeskError:
            continue
        started = datetime.fromisoformat(instance["started_at"]) if instance.get("started_at") else None
        if started and ((since and started < since) or (until and started >= until)):
            continue
        if all(not filters[k] or str(instance.get(k) or "") == filters[k]
               for k in ("definition_key", "business_key", "status", "started_by")):
            found.append(instance)
    return found


def _involving(engine: ProcessEngine, actor: Actor, filters: dict[str, str],
               cursor: str | None, zone: tzinfo) -> tuple[list[dict], str | None]:
    """Instances a user acted on in any way (started, claimed, completed, was refused on)."""
    page = engine.history.touched_instances(filters["involved"], by=actor, limit=PAGE_SIZE, cursor=cursor)
    return _matching(engine, actor, [row["instance_id"] for row in page.items], filters, zone), page.next_cursor


def _started_between(engine: ProcessEngine, actor: Actor, filters: dict[str, str],
                     cursor: str | None, zone: tzinfo) -> tuple[list[dict], str | None]:
    """Instances started in a date range: the audit trail's instance.started events say when
    (the instance list has no date filter); the other filters apply to what they find."""
    page = engine.history.audit_events(by=actor, type="instance.started", since=_day(filters["since"], zone=zone),
                                       until=_day(filters["until"], end=True, zone=zone), limit=PAGE_SIZE,
                                       cursor=cursor)
    ids = [event["instance_id"] for event in page.items if event.get("instance_id")]
    return _matching(engine, actor, ids, filters, zone), page.next_cursor


@routes.get("/audit")
def audit_trail(request: Request, actor: ActorDep, instance_id: Text = "", actor_name: Text = "",
                type: Text = "", definition_key: Text = "", business_key: Text = "", since: Text = "",
                until: Text = "", cursor: Cursor = None, verify: Text = "", document: Text = "") -> Response:
    """The chain's verification status, then the events matching the filters, with export links.

    Filtered by an instance, the page checks that instance's chain (cheap); the whole log is
    verified only when asked (``verify=all``): it reads every event."""
    engine = engine_of(request)
    filters = {"instance_id": instance_id.strip(), "actor_name": actor_name.strip(), "type": type.strip(),
               "definition_key": definition_key.strip(), "business_key": business_key.strip(),
               "since": since if _day(since) else "", "until": until if _day(until) else "",
               "document": document.strip()}
    try:
        page = engine.history.audit_events(by=actor, **_event_filters(filters, zone_of(request)), limit=PAGE_SIZE,
                                           cursor=cursor)
    except BadRequest:
        page = engine.history.audit_events(by=actor, **_event_filters(filters, zone_of(request)), limit=PAGE_SIZE)
    if filters["instance_id"]:
        verification = engine.history.verify_audit(by=actor, instance_id=filters["instance_id"])
    else:
        verification = engine.history.verify_audit(by=actor) if verify == "all" else None
    active = {k: v for k, v in filters.items() if v}
    next_url = "/audit?" + urlencode({**active, "cursor": page.next_cursor}) if page.next_cursor else None
    return render(request, "audit.html", events=page.items, filters=filters, verification=verification,
                  next_url=next_url, export_query=urlencode(active),
                  verify_url="/audit?" + urlencode({**active, "verify": "all"}))


def _event_filters(filters: dict[str, str], zone: tzinfo) -> dict[str, Any]:
    return {"instance_id": filters["instance_id"] or None, "actor": filters["actor_name"] or None,
            "type": filters["type"] or None, "definition_key": filters.get("definition_key") or None,
            "business_key": filters.get("business_key") or None, "since": _day(filters["since"], zone=zone),
            "until": _day(filters["until"], end=True, zone=zone), "document": filters.get("document") or None}


@routes.get("/audit/export")
def export(request: Request, actor: ActorDep, format: Annotated[str, Query(pattern="^(csv|jsonl)$")] = "csv",
           instance_id: Text = "", actor_name: Text = "", type: Text = "", definition_key: Text = "",
           business_key: Text = "", since: Text = "", until: Text = "", document: Text = "",
           bom: Text = "") -> Response:
    """Every matching event, streamed as CSV or JSON lines (the engine checks the auditor role
    before the first byte, so a refusal is a page, not a broken download)."""
    engine = engine_of(request)
    filters = _event_filters({"instance_id": instance_id.strip(), "actor_name": actor_name.strip(),
                              "type": type.strip(), "definition_key": definition_key.strip(),
                              "business_key": business_key.strip(), "since": since, "until": until,
                              "document": document.strip()}, zone_of(request))
    chunks = engine.history.export_audit(format, by=actor, bom=bom in ("1", "true"), **filters)
    media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(chunks, media_type=media,
                             headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.{format}"'})
