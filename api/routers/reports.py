"""Reports computed from history: KPIs for managers, the controls report for auditors."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Query

from ._common import ActorDep, EngineDep, ok, problems, router, utc

routes = router("reports")


@routes.get("/reports/kpis", responses=problems(401, 403, 422),
            summary="KPIs per process and task: counts, cycle and waiting times, SLA breaches, throughput")
def kpis(engine: EngineDep, actor: ActorDep,
         definition_key: Annotated[str | None, Query(max_length=255)] = None,
         since: datetime | None = None, until: datetime | None = None):
    return ok(engine.history.kpi_report(by=actor, definition_key=definition_key, since=utc(since), until=utc(until)))


@routes.get("/reports/controls", responses=problems(401, 403, 404, 422),
            summary="Separation-of-duties checks and refusals, and approvals with the figures seen")
def controls(engine: EngineDep, actor: ActorDep, definition_key: Annotated[str, Query(max_length=255)],
             since: datetime | None = None, until: datetime | None = None):
    return ok(engine.history.controls_report(definition_key, by=actor, since=utc(since), until=utc(until)))
