"""The operations console's lists: incidents (with retry), background jobs, and the
controls report. Who may read or act is the engine's answer (designers, auditors and
admins read incidents and jobs; admins retry; auditors and admins read the controls
report), the same as through the API."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import Response
from flowdesk.engine.identity import authorization
from flowdesk.engine.status import IncidentStatus, JobStatus

from ..navigation import N_
from ..pages import ActorDep, FormDep, engine_of, gettext, redirect, render
from ._router import router

routes = router()
PAGE_SIZE = 50
Cursor = Annotated[str | None, Query(max_length=2000)]
Text = Annotated[str, Query(max_length=255)]
# Statuses the pages show through _(); marked here so the catalogue has them.
STATUS_TEXTS = (N_("open"), N_("resolved"), N_("waiting"), N_("running"), N_("done"), N_("failed"),
                N_("cancelled"))


def _next(path: str, params: dict[str, str], cursor: str | None) -> str | None:
    return f"{path}?{urlencode({**params, 'cursor': cursor})}" if cursor else None


@routes.get("/operations/incidents")
def incidents_page(request: Request, actor: ActorDep, status: Text = "open", instance_id: Text = "",
                   cursor: Cursor = None) -> Response:
    status = status if status in {s.value for s in IncidentStatus} else ""
    page = engine_of(request).management.list_incidents(by=actor, status=status or None,
                                                        instance_id=instance_id.strip() or None,
                                                        limit=PAGE_SIZE, cursor=cursor)
    retried = request.query_params.get("notice") == "retried"
    return render(request, "incidents.html", incidents=page.items, status=status, instance_id=instance_id.strip(),
                  statuses=[s.value for s in IncidentStatus],
                  may_retry=authorization.has_role(actor, authorization.ADMIN),
                  next_url=_next("/operations/incidents", {"status": status, "instance_id": instance_id},
                                 page.next_cursor),
                  notice=gettext(request)(N_("The step runs again.")) if retried else None)


@routes.post("/operations/incidents/{incident_id}/retry")
def retry_incident(incident_id: str, request: Request, actor: ActorDep, posted: FormDep) -> Response:
    engine_of(request).management.retry_incident(incident_id, by=actor)
    return redirect("/operations/incidents?notice=retried")


@routes.get("/operations/jobs")
def jobs_page(request: Request, actor: ActorDep, status: Text = "", instance_id: Text = "",
              cursor: Cursor = None) -> Response:
    status = status if status in {s.value for s in JobStatus} else ""
    page = engine_of(request).management.list_jobs(by=actor, status=status or None,
                                                   instance_id=instance_id.strip() or None,
                                                   limit=PAGE_SIZE, cursor=cursor)
    return render(request, "jobs.html", jobs=page.items, status=status, instance_id=instance_id.strip(),
                  statuses=[s.value for s in JobStatus],
                  next_url=_next("/operations/jobs", {"status": status, "instance_id": instance_id},
                                 page.next_cursor))


def _day(value: str, end: bool = False) -> datetime | None:
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return datetime.combine(day + timedelta(days=1) if end else day, time(), UTC) if day else None


@routes.get("/reports/controls")
def controls_page(request: Request, actor: ActorDep, definition_key: Text = "", since: Text = "",
                  until: Text = "") -> Response:
    """Separation-of-duties checks and refusals, and approvals with the figures the approver saw."""
    engine = engine_of(request)
    authorization.require_auditor(actor)
    filters = {"definition_key": definition_key.strip(), "since": since if _day(since) else "",
               "until": until if _day(until) else ""}
    report = None
    if filters["definition_key"]:
        report = engine.history.controls_report(filters["definition_key"], by=actor, since=_day(filters["since"]),
                                                until=_day(filters["until"], end=True))
    definitions = engine.repository.list_definitions(by=actor, limit=500).items
    return render(request, "controls.html", report=report, filters=filters, definitions=definitions)
