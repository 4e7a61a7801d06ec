"""Exact values in JSON columns.

Instance data carries amounts as ``Decimal`` and dates as ``date``/``datetime``; JSON has
neither. Stored documents tag them (``{"$decimal": "12.50"}``) so that a value read back
is the value written, never a float approximation. :func:`encode` and :func:`decode`
are inverse on everything Flowdesk stores.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

_TAGS = ("$decimal", "$date", "$datetime")


# Instance data is walked several times per step (diff, storage, the response), and may
# hold thousands of entries: each walk dispatches on the exact type of the common JSON
# values first and falls back to isinstance checks (subclasses, other types) after.


def encode(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {k if type(k) is str else str(k): encode(v) for k, v in value.items()}
    if kind is list:
        return [encode(v) for v in value]
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, bool | int | str | float):
        return value
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, set | frozenset):
        return [encode(v) for v in sorted(value, key=repr)]
    raise TypeError(f"a value of type {type(value).__name__} cannot be stored")


def _tagged(value: dict) -> Any:
    """The exact value a stored tag stands for (``{"$decimal": "12.50"}``), else ``value``."""
    if len(value) == 1:
        (tag, raw), = value.items()
        if tag == "$decimal":
            return Decimal(raw)
        if tag == "$datetime":
            return datetime.fromisoformat(raw)
        if tag == "$date":
            return date.fromisoformat(raw)
    return value


def _read(value: Any, exact: Callable[[Any], Any]) -> Any:
    """A stored document with every tag replaced by ``exact(the value it stands for)``."""
    kind = type(value)
    if kind is list:
        return [_read(v, exact) for v in value]
    if kind is dict or isinstance(value, dict):
        if len(value) == 1 and (tagged := _tagged(value)) is not value:
            return exact(tagged)
        return {k: _read(v, exact) for k, v in value.items()}
    if kind is not str and isinstance(value, list):
        return [_read(v, exact) for v in value]
    return value


def _as_is(value: Any) -> Any:
    return value


def _shown(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def decode(value: Any) -> Any:
    return _read(value, _as_is)


def stored_to_plain(value: Any) -> Any:
    """``to_plain(decode(value))`` for a stored document, in one walk (instance data is
    shown with every instance, and may hold thousands of entries)."""
    return _read(value, _shown)


def to_plain(value: Any) -> Any:
    """A JSON-friendly copy for people and clients: dates as ISO strings, decimals kept
    as ``Decimal`` (the HTTP layer writes them as exact JSON numbers)."""
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


# A per-process random marker: a user's string cannot forge it to become a number.
_NUMBER_SECRET = secrets.token_hex(12)
_NUMBER_TOKEN = f"\x00{_NUMBER_SECRET}:"
_NUMBER_PATTERN = re.compile(
    r'"\\u0000' + _NUMBER_SECRET + r':(-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)"'
)


def _number_placeholders(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _number_placeholders(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_number_placeholders(v) for v in value]
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} cannot be written as JSON")
        return f"{_NUMBER_TOKEN}{value}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def dumps(value: Any, indent: int | None = None) -> str:
    """JSON text in which decimals are exact numbers (``12.50``, never ``12.5000001``)."""
    text = json.dumps(_number_placeholders(value), ensure_ascii=False, indent=indent,
                      separators=(",", ":") if indent is None else None)
    return _NUMBER_PATTERN.sub(r"\1", text)


def loads(text: str | bytes) -> Any:
    """JSON text to Python, with every non-integer number read as an exact Decimal."""
    return json.loads(text, parse_float=Decimal)
