"""The router every page module uses: HTML responses and :class:`~flowdesk.web.pages.WebRoute`."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from ..pages import WebRoute


def router() -> APIRouter:
    # Pages are not part of the HTTP API's contract: keep them out of /openapi.json.
    return APIRouter(route_class=WebRoute, default_response_class=HTMLResponse, include_in_schema=False)
