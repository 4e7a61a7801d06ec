"""Responses that keep amounts exact.

FastAPI's own JSON encoding turns ``Decimal`` into ``float``; Flowdesk never does. Routes
return :class:`ExactJSONResponse` (or :class:`ProblemResponse`) themselves, rendered with
:func:`flowdesk.engine.values.dumps`, so ``12.50`` leaves the server as ``12.50``.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from flowdesk.engine import values
from flowdesk.engine.pagination import Page


class ExactJSONResponse(JSONResponse):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        if isinstance(content, Page):
            content = content.as_dict()
        # "replace": a lone surrogate that slipped into stored data must not turn a
        # response into a 500.
        return values.dumps(content).encode("utf-8", "replace")


class ProblemResponse(ExactJSONResponse):
    """An RFC 9457 problem document."""

    media_type = "application/problem+json"
