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
    notice = _incidents_notice(request)
    return render(request, "incidents.html", incidents=page.items, status=status, instance_id=instance_id.strip(),
                  statuses=[s.value for s in IncidentStatus],
                  may_retry=authorization.has_role(actor, authorization.ADMIN),
                  next_url=_next("/operations/incidents", {"status": status, "instance_id": instance_id},
                                 page.next_cursor),
                  notice=notice)


def _incidents_notice(request: Request) -> str | None:
    _ = gettext(request)
    params = request.query_params
    match params.get("notice"):
        case "retried":
            return _("The step runs again.")
        case "retried_many" if params.get("done") == params.get("of"):
            return _("%(done)s steps run again.", done=params.get("done", "0")[:6])
        case "retried_many":
            return _("%(done)s of %(of)s selected steps run again; the others were resolved or cancelled meanwhile.",
                     done=params.get("done", "0")[:6], of=params.get("of", "0")[:6])
        case "none":
            return _("Select the incidents to retry.")
    return None


@routes.post("/operations/incidents/retry")
def retry_incidents(request: Request, actor: ActorDep, posted: FormDep) -> Response:
    """The incidents ticked on the page, each retried on its own; the page says how many ran."""
    ids = [str(v)[:36] for v in posted.getlist("ids")][:500]
    engine = engine_of(request)
    if not ids:
        engine.management.retry_incidents((), by=actor, dry_run=True)  # refusals first
        return redirect("/operations/incidents?notice=none")
    results = engine.management.retry_incidents(ids, by=actor)
    done = sum(1 for r in results if r["ok"])
    return redirect(f"/operations/incidents?{urlencode({'notice': 'retried_many', 'done': done, 'of': len(results)})}")


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
