"""Text a request may not carry: NUL characters, and bytes that are not UTF-8 (lone
surrogates among them), in the path or the query string.

Neither can be stored (PostgreSQL refuses NUL in text) nor named by any id Flowdesk hands
out, and decoding them leniently would look up something else than was asked for. They
are refused with 400 before routing, for the API and the web app alike; JSON bodies are
checked the same way where they are parsed (bodies.py).
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

from .problems import problem


def unfit_text(raw: bytes) -> str | None:
    """Why the percent-encoded ``raw`` is no text Flowdesk accepts (None: it is fine)."""
    decoded = unquote_to_bytes(raw.replace(b"+", b" "))
    if b"\x00" in decoded:
        return "contains a NUL character"
    try:
        decoded.decode("utf-8", "strict")
    except UnicodeDecodeError:
        return "is not valid UTF-8"
    return None


class TextGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw_path = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "surrogatepass")
            for part, raw in (("path", raw_path), ("query string", scope.get("query_string") or b"")):
                reason = unfit_text(raw)
                if reason is not None:
                    await problem(400, f"the request's {part} {reason}")(scope, receive, send)
                    return
        await self.app(scope, receive, send)
