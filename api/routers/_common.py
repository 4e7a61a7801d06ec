"""What every router shares: the engine, the acting user, paging parameters, error docs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from flowdesk.engine.identity import Actor
from flowdesk.engine.process_engine import ProcessEngine

from ..problems import accepted_locale
from ..responses import ExactJSONResponse
from ..schemas import Problem
from ..security import FlowdeskRoute, current_actor

PROBLEM_DESCRIPTIONS = {
    400: "Malformed request (not JSON, a bad cursor)",
    401: "Missing, invalid or expired bearer token",
    403: "Not allowed (a separation-of-duties refusal has a type ending in /separation-of-duties)",
    404: "Unknown id, or not visible to the caller",
    409: "State conflict (no longer open, claimed by someone else, concurrent change)",
    413: "Body too large",
    415: "Body is not JSON",
    422: "Well-formed but invalid; errors[] says where",
    429: "Too many failed logins; see Retry-After",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for problem documents."""
    return {
        status: {"description": PROBLEM_DESCRIPTIONS.get(status, "Problem"), "model": Problem,
                 "content": {"application/problem+json": {}}}
        for status in statuses
    }


def router(tag: str) -> APIRouter:
    return APIRouter(prefix="/api/v1", tags=[tag], route_class=FlowdeskRoute,
                     default_response_class=ExactJSONResponse)


def get_engine(request: Request) -> ProcessEngine:
    return request.app.state.engine


EngineDep = Annotated[ProcessEngine, Depends(get_engine)]
ActorDep = Annotated[Actor, Depends(current_actor)]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size (default 50, at most 500).")]
Cursor = Annotated[str | None, Query(max_length=2000, description="next_cursor of the previous page.")]
Version = Annotated[int | None, Query(ge=1, le=2_147_483_647, description="Definition version; default latest.")]


def ok(content: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> ExactJSONResponse:
    return ExactJSONResponse(content, status_code=status_code, headers=headers)


def utc(moment: datetime | None) -> datetime | None:
    """A client's date-time in UTC (one without an offset is taken as UTC)."""
    if moment is None:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def reader_locale(request: Request) -> str:
    """The language a client reads (``Accept-Language``): ``zh-CN`` or ``en``, for names and
    messages the API words for people (diagram labels, history phrases, field messages)."""
    return accepted_locale(request.headers.get("accept-language"))


LocaleDep = Annotated[str, Depends(reader_locale)]
