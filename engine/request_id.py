"""The id of the request being served, carried into log lines and audit events.

The HTTP layer binds it for the length of a request (``X-Request-Id`` when the caller
sent a usable one, else a new one); the engine reads it without knowing about HTTP, so
an audit event written while serving a request says which request it was, and the log
lines of that request carry the same id.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_CURRENT: ContextVar[str | None] = ContextVar("flowdesk_request_id", default=None)
# What a caller's id may look like: short, and nothing that could forge a log line.
_USABLE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def current() -> str | None:
    return _CURRENT.get()


def usable(candidate: str | None) -> str:
    """The caller's id when it is safe to repeat in logs and headers, else a new one."""
    return candidate if candidate and _USABLE.match(candidate) else uuid.uuid4().hex


@contextmanager
def bound(request_id: str) -> Iterator[str]:
    token = _CURRENT.set(request_id)
    try:
        yield request_id
    finally:
        _CURRENT.reset(token)
