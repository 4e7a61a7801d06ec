"""The audit log for auditors and admins: search, streamed export, chain verification,
who touched what, the definition an instance ran on, and the admin's retention and erasure
operations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Body, Query, Request, Response
from fastapi.responses import StreamingResponse
from flowdesk.engine.history.audit.search import header, render

from ..schemas import EventPage
from ._common import ActorDep, Cursor, EngineDep, Limit, ok, problems, router, utc

routes = router("audit")
MEDIA = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}


@routes.get("/audit/events", response_model=EventPage,
            responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}},
                             "description": "A page of events (JSON), or the export (CSV / JSON lines)"},
                       **problems(400, 401, 403, 422)},
            summary="Search the audit log (JSON), or export it (CSV / JSON lines, streamed)")
def events(
    request: Request, engine: EngineDep, actor: ActorDep,
    instance_id: Annotated[str | None, Query(max_length=36)] = None,
    actor_name: Annotated[str | None, Query(alias="actor", max_length=150)] = None,
    type: Annotated[str | None, Query(max_length=64)] = None,
    definition_key: Annotated[str | None, Query(max_length=255)] = None,
    business_key: Annotated[str | None, Query(max_length=255)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    format: Literal["json", "csv", "jsonl"] | None = None,
    document: Annotated[str | None, Query(max_length=80, description=(
        "Events of the instances carrying this document number, or part of it (business key, or a "
        "linked record's number: PR, PO, goods receipt, invoice, case)."))] = None,
    bom: Annotated[bool, Query(description="CSV only: start with a UTF-8 byte-order mark (for Excel).")] = False,
    limit: Limit | None = None, cursor: Cursor = None,
):
    """``Accept: text/csv`` or ``?format=csv`` gives CSV, ``?format=jsonl`` JSON lines.

    Without ``limit`` an export streams every matching event (a million events export in
    constant memory); with ``limit`` it is one page, the next page's cursor in the
    ``Next-Cursor`` header."""
    filters = {"instance_id": instance_id, "actor": actor_name, "type": type, "definition_key": definition_key,
               "business_key": business_key, "since": utc(since), "until": utc(until), "document": document}
    wanted = format or ("csv" if "text/csv" in request.headers.get("accept", "") else "json")
    if wanted != "json" and limit is None and cursor is None:
        chunks = engine.history.export_audit(wanted, by=actor, bom=bom, **filters)
        return StreamingResponse(chunks, media_type=MEDIA[wanted], headers={
            "Content-Disposition": f'attachment; filename="flowdesk-audit.{wanted}"'})
    page = engine.history.audit_events(by=actor, **filters, limit=limit or 50, cursor=cursor)
    if wanted == "json":
        return ok(page)
    headers = {"Next-Cursor": page.next_cursor} if page.next_cursor else {}
    return Response(header(wanted, bom) + render(page.items, wanted), media_type=MEDIA[wanted], headers=headers)


@routes.get("/audit/verify", responses=problems(401, 403),
            summary="Recompute the hash chains; name the first broken event")
def verify(engine: EngineDep, actor: ActorDep,
           instance_id: Annotated[str | None, Query(max_length=36, description="Only this instance's chain")] = None):
    """``{"ok": true, "events": N, ...}`` or ``{"ok": false, "first_bad_seq": N, "reason": ...,
    "problems": [...]}``. ``global_head`` is the newest global-chain hash: keep a copy
    elsewhere to prove later that nothing before it was rewritten."""
    return ok(engine.history.verify_audit(by=actor, instance_id=instance_id))


@routes.get("/audit/actors/{username}/instances", responses=problems(401, 403, 422),
            summary="The instances one user acted on")
def touched(username: str, engine: EngineDep, actor: ActorDep, limit: Limit = 50, cursor: Cursor = None):
    return ok(engine.history.touched_instances(username, by=actor, limit=limit, cursor=cursor))


@routes.post("/audit/retention", responses=problems(401, 403, 422),
             summary="Erase history payloads of instances finished more than `days` ago (admin)")
def retention(engine: EngineDep, actor: ActorDep,
              days: Annotated[int | None, Body(embed=True, ge=1, le=36500)] = None):
    """Events and hashes stay (the chain still verifies); their data reads as erased.
    Without ``days``, ``FLOWDESK_HISTORY_RETENTION_DAYS`` applies."""
    return ok(engine.history.apply_retention(by=actor, days=days))


@routes.post("/instances/{instance_id}/history/erase", responses=problems(401, 403, 404, 409, 422),
             summary="Erase one finished instance's history payloads (admin; e.g. a lawful request)")
def erase(instance_id: str, engine: EngineDep, actor: ActorDep,
          reason: Annotated[str, Body(embed=True, min_length=1, max_length=2000)]):
    return ok(engine.history.erase_instance_history(instance_id, by=actor, reason=reason))


@routes.get("/instances/{instance_id}/definition", responses=problems(401, 403, 404),
            summary="The exact sources (BPMN, YAML, DMN, forms) of the version an instance ran on")
def instance_definition(instance_id: str, engine: EngineDep, actor: ActorDep):
    return ok(engine.history.instance_definition(instance_id, by=actor))
