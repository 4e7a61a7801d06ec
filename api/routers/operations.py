"""Health, incidents, jobs and metrics."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from flowdesk.engine import histograms

from ..bodies import Body, json_body, json_request
from ..metrics import prometheus_text, refusal_text
from ..responses import ExactJSONResponse
from ..schemas import Health, IncidentPage, JobPage, Liveness, RetriedIncident, RetriedIncidents, RetryIncidents
from ..security import FlowdeskRoute
from ._common import ActorDep, Cursor, EngineDep, Limit, ok, problems, router

routes = router("operations")


@routes.get("/health", response_model=Health, responses={503: {"model": Health, "description": "Not ready"}},
            summary="Is the server ready: database, broker (when configured), workers? (no token needed)")
def health(request: Request, engine: EngineDep):
    """The same answer as /health/ready."""
    return _ready(request, engine)


@routes.get("/health/ready", response_model=Health, responses={503: {"model": Health, "description": "Not ready"}},
            summary="Readiness: database, broker (when configured), worker heartbeats (no token needed)")
def ready(request: Request, engine: EngineDep):
    return _ready(request, engine)


@routes.get("/health/live", response_model=Liveness,
            summary="Liveness: the process answers; nothing else is checked (no token needed)")
def live(request: Request, engine: EngineDep):
    return ok({**engine.management.liveness(), "version": request.app.version})


def _ready(request: Request, engine) -> ExactJSONResponse:
    result = {**engine.management.health(), "version": request.app.version}
    return ok(result, 200 if result["status"] == "ok" else 503)


@routes.get("/incidents", response_model=IncidentPage, responses=problems(400, 401, 403, 422),
            summary="Incidents (failed steps)")
def incidents(engine: EngineDep, actor: ActorDep,
              instance_id: Annotated[str | None, Query(max_length=36)] = None,
              status: Literal["open", "resolved"] | None = None,
              limit: Limit = 50, cursor: Cursor = None):
    return ok(engine.management.list_incidents(by=actor, instance_id=instance_id, status=status, limit=limit,
                                               cursor=cursor))


@routes.post("/incidents/retry", response_model=RetriedIncidents, responses=problems(400, 401, 403, 415, 422),
             openapi_extra=json_request(RetryIncidents),
             summary="Run several failed steps again, each on its own (admins); a result per incident")
def retry_many(engine: EngineDep, actor: ActorDep,
               body: Body[RetryIncidents] = Depends(json_body(RetryIncidents))):
    if body.errors:
        engine.management.retry_incidents((), by=actor, dry_run=True)  # 403 before 422
    return ok({"items": engine.management.retry_incidents(body.valid().ids, by=actor)})


@routes.post("/incidents/{incident_id}/retry", response_model=RetriedIncident,
             responses=problems(401, 403, 404, 409), summary="Run a failed step again (admins)")
def retry(incident_id: str, engine: EngineDep, actor: ActorDep):
    return ok(engine.management.retry_incident(incident_id, by=actor))


@routes.get("/jobs", response_model=JobPage, responses=problems(400, 401, 403, 422),
            summary="Background jobs: timers, service calls, message deliveries")
def jobs(engine: EngineDep, actor: ActorDep,
         instance_id: Annotated[str | None, Query(max_length=36)] = None,
         status: Literal["waiting", "running", "done", "failed", "cancelled"] | None = None,
         limit: Limit = 50, cursor: Cursor = None):
    return ok(engine.management.list_jobs(by=actor, instance_id=instance_id, status=status, limit=limit, cursor=cursor))


metrics_routes = APIRouter(tags=["operations"], route_class=FlowdeskRoute)


@metrics_routes.get("/metrics", responses={200: {"content": {"text/plain": {}},
                                                 "description": "Prometheus text format"},
                                           **problems(401, 403)},
                    summary="Counts for Prometheus (designers, auditors, admins)")
def metrics(engine: EngineDep, actor: ActorDep):
    return Response(prometheus_text(engine.management.metrics(by=actor))
                    + refusal_text(engine.identity.anonymous_refusals.total) + histograms.exposition(),
                    media_type="text/plain; version=0.0.4; charset=utf-8")
