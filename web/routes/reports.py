"""Managers: the KPI report per process, with charts drawn as inline SVG."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import Response

from .. import charts
from ..i18n import Formatter
from ..pages import ActorDep, engine_of, gettext, locale_of, render, zone_of
from ._router import router

routes = router()


def _day(value: str, end: bool = False, zone: tzinfo = UTC) -> datetime | None:
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return datetime.combine(day + timedelta(days=1) if end else day, time(), zone).astimezone(UTC) if day else None


@routes.get("/reports/kpis")
def kpis(request: Request, actor: ActorDep, definition_key: Annotated[str, Query(max_length=255)] = "",
         since: Annotated[str, Query(max_length=10)] = "",
         until: Annotated[str, Query(max_length=10)] = "") -> Response:
    """The engine decides who may read KPIs (managers, directors, the CFO, auditors, admins)."""
    engine = engine_of(request)
    filters = {"definition_key": definition_key.strip(), "since": since if _day(since) else "",
               "until": until if _day(until) else ""}
    report = engine.history.kpi_report(by=actor, definition_key=filters["definition_key"] or None,
                                       since=_day(filters["since"], zone=zone_of(request)),
                                       until=_day(filters["until"], end=True, zone=zone_of(request)))
    fmt = Formatter(locale_of(request))
    _ = gettext(request)
    processes = [{**p, "charts": _charts(p, fmt, _)} for p in report.get("processes", [])]
    definitions = engine.repository.list_definitions(by=actor, limit=500).items
    return render(request, "kpis.html", processes=processes, filters=filters, definitions=definitions)


def _bucket_label(upper: Any, fmt: Formatter, _) -> str:
    return _("over the rest") if upper is None else "≤ " + fmt.duration(upper)


def _charts(process: dict[str, Any], fmt: Formatter, _) -> dict[str, str]:
    histogram = process.get("cycle_time_histogram") or []
    cycle = charts.bar_chart(_("Cycle time of completed instances"),
                             [_bucket_label(b.get("upper_seconds"), fmt, _) for b in histogram],
                             [charts.Series(_("instances"), [b.get("count", 0) for b in histogram])])
    tasks = process.get("tasks") or []
    breaches = charts.bar_chart(_("SLA breaches by task"), [t.get("name") or t.get("element_id") for t in tasks],
                                [charts.Series(_("breaches"), [t.get("sla_breaches", 0) for t in tasks])])
    days = process.get("throughput_per_day") or []
    throughput = charts.line_chart(_("Throughput per day"), [fmt.date(d.get("day"), "short") for d in days],
                                   [charts.Series(_("started"), [d.get("started", 0) for d in days]),
                                    charts.Series(_("completed"), [d.get("completed", 0) for d in days])])
    return {"cycle": cycle, "breaches": breaches, "throughput": throughput}
