"""The audit log for auditors and admins: search, and export as CSV or JSON lines."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Literal

from fastapi import Query, Request, Response
from flowdesk.engine import values

from ..schemas import EventPage
from ._common import ActorDep, Cursor, EngineDep, Limit, ok, problems, router, utc

routes = router("audit")
CSV_COLUMNS = ["seq", "at", "type", "actor", "instance_id", "definition_key", "definition_version", "element_id",
               "task_id", "data", "hash", "prev_hash"]


@routes.get("/audit/events", response_model=EventPage,
            responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}},
                             "description": "A page of events (JSON, CSV or JSON lines)"},
                       **problems(400, 401, 403, 422)},
            summary="Search the audit log (JSON, or CSV / JSON lines for export)")
def events(
    request: Request, engine: EngineDep, actor: ActorDep,
    instance_id: Annotated[str | None, Query(max_length=36)] = None,
    actor_name: Annotated[str | None, Query(alias="actor", max_length=150)] = None,
    type: Annotated[str | None, Query(max_length=64)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    format: Literal["json", "csv", "jsonl"] | None = None,
    limit: Limit = 50, cursor: Cursor = None,
):
    """``Accept: text/csv`` or ``?format=csv`` gives CSV, ``?format=jsonl`` JSON lines; the
    next page's cursor is then in the ``Next-Cursor`` header."""
    page = engine.audit_events(actor, instance_id=instance_id, actor=actor_name, type=type, since=utc(since),
                               until=utc(until), limit=limit, cursor=cursor)
    wanted = format or ("csv" if "text/csv" in request.headers.get("accept", "") else "json")
    if wanted == "json":
        return ok(page)
    headers = {"Next-Cursor": page.next_cursor} if page.next_cursor else {}
    if wanted == "jsonl":
        return Response("".join(values.dumps(e) + "\n" for e in page.items), media_type="application/x-ndjson",
                        headers=headers)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for event in page.items:
        writer.writerow({**event, "data": values.dumps(event["data"])})
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
