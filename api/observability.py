"""Every request gets an id, a log line and a place in the latency histogram.

``X-Request-Id``: the caller's when it is a short token, else a new one; it is returned
on the response, bound for the engine (audit events record it as their ``context``) and
put on every log line written while serving the request. Latency is observed by route
template (``/api/v1/tasks/{task_id}``), never by raw path, so ids do not explode the
number of series.
"""

from __future__ import annotations

import logging
import time

from flowdesk.engine import request_id
from flowdesk.engine.histograms import REQUEST_SECONDS
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-request-id"
log = logging.getLogger("flowdesk.requests")


class RequestObservability:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope.get("headers") or []).get(HEADER.encode(), b"").decode("latin-1")
        rid = request_id.usable(sent)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (HEADER.encode(), rid.encode())]
            await send(message)

        with request_id.bound(rid):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                seconds = time.perf_counter() - started
                route = getattr(scope.get("route"), "path", None) or "unmatched"
                REQUEST_SECONDS.observe(seconds, scope["method"], route, f"{status // 100}xx")
                log.info("%s %s %s", scope["method"], route, status,
                         extra={"method": scope["method"], "path": scope.get("path"), "route": route,
                                "status": status, "duration_ms": round(seconds * 1000, 2)})
