"""Malformed input is refused at the edge (400) before any code can trip over it.

PostgreSQL's text cannot hold a NUL, and a lone surrogate cannot be encoded as UTF-8 for
any database or response, so such input used to end in 500s: in paths and query
parameters (``/api/v1/tasks/%00``), headers, form bodies and JSON data
(``{"x": "a\\u0000b"}``, ``{"\\ud800": 1}``). :class:`MalformedInput` refuses them in
the path, the query string, headers and url-encoded bodies as they stream in;
:func:`check_json` in the JSON of every API body (the API reads JSON in one place).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_to_bytes

from flowdesk.engine.errors import BadRequest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import problem

_PERCENT_NUL = re.compile(rb"%00", re.IGNORECASE)


def _bad_text(text: str) -> str | None:
    if "\x00" in text:
        return "a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "a lone surrogate"
    return None


def check_json(value: Any, depth: int = 0) -> None:
    """BadRequest when a string (or a key) in parsed JSON holds a NUL or a lone surrogate."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            bad = _bad_text(item)
            if bad:
                raise BadRequest(f"the body holds {bad}, which Flowdesk does not accept in text")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _bad_bytes(raw: bytes) -> str | None:
    if b"\x00" in raw or _PERCENT_NUL.search(raw):
        return "a NUL character"
    try:
        unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return "bytes that are not UTF-8"
    return None


class MalformedInput:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = self._refusal(scope)
        if where:
            await problem(400, where, instance=None)(scope, receive, send)
            return
        content_type = dict(scope.get("headers") or []).get(b"content-type", b"")
        if not content_type.lower().startswith(b"application/x-www-form-urlencoded"):
            await self.app(scope, receive, send)
            return
        body = bytearray()
        more = True
        while more:  # a form body is small (the size limit applies before this): read it whole
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            more = message.get("more_body", False)
        bad = _bad_bytes(bytes(body).replace(b"+", b" "))
        if bad:
            await problem(400, f"the form holds {bad}")(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    def _refusal(scope: Scope) -> str | None:
        raw_path = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "surrogateescape")
        bad = _bad_bytes(raw_path) or _bad_text(scope.get("path", ""))
        if bad:
            return f"the path holds {bad}"
        bad = _bad_bytes(scope.get("query_string", b""))
        if bad:
            return f"the query string holds {bad}"
        for name, value in scope.get("headers") or []:
            if b"\x00" in value:
                return f"the header {name.decode('latin-1')!r} holds a NUL character"
        return None
