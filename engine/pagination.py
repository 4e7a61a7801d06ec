"""Cursor pagination: opaque cursors over (sort value, id) keys, and pages of items.

A cursor is the base64 of the last row's sort key; the next page starts strictly after
it, so rows inserted or removed meanwhile never make a page repeat or skip a row.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.orm import Session

from .errors import BadRequest

MAX_LIMIT = 500
DEFAULT_LIMIT = 50


Item = TypeVar("Item")


@dataclass(frozen=True)
class Page(Generic[Item]):
    items: list[Item]
    next_cursor: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"items": self.items, "next_cursor": self.next_cursor}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return {"t": moment.isoformat()}
    return value


def _typed(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"t"} and isinstance(value["t"], str):
        return datetime.fromisoformat(value["t"])
    return value


def encode_cursor(*key: Any) -> str:
    text = json.dumps([_plain(k) for k in key], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, *types: type) -> tuple | None:
    """The key a cursor holds, one value of each of ``types``; a cursor that is not one of
    ours (or belongs to another list or sort order) is a malformed request (400)."""
    if cursor is None or cursor == "":
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
        if not isinstance(key, list) or len(key) != len(types):
            raise ValueError("wrong shape")
        values = tuple(_typed(k) for k in key)
        for value, kind in zip(values, types, strict=True):
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ValueError("wrong type")
            if isinstance(value, datetime) and value.tzinfo is None:
                raise ValueError("naive time")
        return values
    except (ValueError, binascii.Error, UnicodeDecodeError, TypeError, RecursionError):
        raise BadRequest("the cursor is not valid here; use next_cursor from a previous page of this list") from None


def after(columns: Sequence[ColumnElement], key: tuple, descending: Sequence[bool]) -> ColumnElement[bool]:
    """Rows strictly after ``key`` in the order given by ``columns`` (each asc or desc)."""
    clauses = []
    for index, column in enumerate(columns):
        equal = [c == v for c, v in zip(columns[:index], key[:index], strict=True)]
        beyond = column < key[index] if descending[index] else column > key[index]
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)


def clamp_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    return max(1, min(MAX_LIMIT, limit))


def page_of(rows: list, limit: int, view: Callable[[Any], dict], key: Callable[[Any], tuple]) -> Page:
    """Rows fetched with ``limit + 1`` to a page: the extra row only says there is more."""
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(*key(rows[-1])) if more and rows else None
    return Page([view(r) for r in rows], next_cursor)


@dataclass(frozen=True)
class Keyset:
    """How one list is ordered and paged: its sort columns (each ascending or descending,
    the last one unique) and the types of their values in a cursor.

    Every list of the engine pages the same way: fetch ``limit + 1`` rows after the
    cursor's key, show ``limit``, and make the next cursor from the last row shown."""

    columns: tuple[ColumnElement, ...]
    descending: tuple[bool, ...]
    types: tuple[type, ...]

    def rows(self, session: Session, stmt: Select, limit: int | None, cursor: str | None,
             scalars: bool = True) -> tuple[list, Callable[[Callable[[Any], tuple]], str | None], int]:
        """The rows of one page (with one extra row when there are more), a function that
        makes the next cursor from a key function, and the clamped limit."""
        limit = clamp_limit(limit)
        key_after = decode_cursor(cursor, *self.types)
        if key_after is not None:
            stmt = stmt.where(after(list(self.columns), key_after, list(self.descending)))
        order = [c.desc() if d else c.asc() for c, d in zip(self.columns, self.descending, strict=True)]
        stmt = stmt.order_by(*order).limit(limit + 1)
        rows = list(session.scalars(stmt) if scalars else session.execute(stmt))

        def next_cursor(key: Callable[[Any], tuple]) -> str | None:
            return encode_cursor(*key(rows[limit - 1])) if len(rows) > limit else None

        return rows, next_cursor, limit

    def page(self, session: Session, stmt: Select, limit: int | None, cursor: str | None,
             view: Callable[[Any], Any], key: Callable[[Any], tuple] | None = None, scalars: bool = True) -> Page:
        """One page of ``stmt``'s rows as ``view`` shows them; the cursor key is read from the
        row's attributes named like the columns unless ``key`` says otherwise."""
        rows, next_cursor, limit = self.rows(session, stmt, limit, cursor, scalars)
        key = key or (lambda row: tuple(getattr(row, c.key) for c in self.columns))
        return Page([view(r) for r in rows[:limit]], next_cursor(key))
