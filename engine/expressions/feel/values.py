"""FEEL's values as Python values, and the temporal texts they are read from and written as.

=========================  ==========================================================
FEEL type                  Python value
=========================  ==========================================================
null                       ``None``
boolean                    ``bool``
number                     ``int`` or ``Decimal`` (a ``float`` coming in is read as the
                           Decimal of its shortest repr); arithmetic is exact, rounded
                           to 34 digits like IEEE 754 decimal128 (see `NUMBERS`)
string                     ``str``
date                       ``datetime.date``
date and time              ``datetime.datetime`` (naive: a local date-time; aware: with
                           an offset, or a ``ZoneInfo`` for ``@Europe/Berlin``)
time                       ``datetime.time`` (naive or with a fixed offset / zone)
days and time duration     ``datetime.timedelta``
years and months duration  `YearsMonths`
list / context             ``list`` / ``dict`` with ``str`` keys
range                      `Range`
function                   `environment.FeelFunction` (or a sandbox lambda / engine function)
=========================  ==========================================================

Instance data holds every one of these except times, durations, ranges and functions.
`to_data` turns what FEEL computed into what instance data can hold: durations and
times become their ISO 8601 text (``"P3D"``, ``"10:00:00"``), as Camunda 8 stores them
in process variables; a range or function is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# IEEE 754 decimal128, as the DMN specification asks of FEEL numbers.
NUMBERS = Context(prec=34, rounding=ROUND_HALF_EVEN, Emax=6144, Emin=-6143,
                  traps=[InvalidOperation, DivisionByZero, Overflow])
# Integers stay Python ints while they are exact in 34 digits; beyond, they become Decimals.
INT_LIMIT = 10**34


class FeelError(Exception):
    """A FEEL operation has no defined result (FEEL's null) for a reason worth telling."""


@dataclass(frozen=True, slots=True, order=True)
class YearsMonths:
    """A years and months duration, in whole months (negative for a negative duration)."""

    months: int

    def iso(self) -> str:
        sign = "-" if self.months < 0 else ""
        years, months = divmod(abs(self.months), 12)
        if not years and not months:
            return "P0M"
        return f"{sign}P" + (f"{years}Y" if years else "") + (f"{months}M" if months else "")

    def __repr__(self) -> str:
        return f'duration("{self.iso()}")'


@dataclass(frozen=True, slots=True)
class Range:
    """A FEEL range: ``[1..10]``, ``(1..10)``, ``]1..10[``, or a one-sided ``< 10``
    (``start`` or ``end`` None and open)."""

    start: Any
    end: Any
    start_closed: bool
    end_closed: bool

    def __repr__(self) -> str:
        left = "[" if self.start_closed else "("
        right = "]" if self.end_closed else ")"
        return f"{left}{self.start!r}..{self.end!r}{right}"


def is_number(value: Any) -> bool:
    t = type(value)
    return t is int or t is Decimal or t is float or (isinstance(value, int | Decimal) and t is not bool)


def to_decimal(value: Any) -> Decimal:
    if type(value) is float:
        return Decimal(repr(value))
    return value if type(value) is Decimal else Decimal(value)


def number_out(value: Decimal) -> int | Decimal:
    """A Decimal result as FEEL keeps it (Decimal, rounded to 34 digits)."""
    return NUMBERS.plus(value) if len(value.as_tuple().digits) > 34 else value


def kind(value: Any) -> str:
    """The FEEL type name of a Python value (``"Null"`` for None, ``"?"`` for a value
    FEEL does not know)."""
    if value is None:
        return "Null"
    t = type(value)
    if t is bool:
        return "boolean"
    if t is str:
        return "string"
    if is_number(value):
        return "number"
    if isinstance(value, datetime):
        return "date and time"
    if isinstance(value, date):
        return "date"
    if isinstance(value, time):
        return "time"
    if isinstance(value, timedelta):
        return "days and time duration"
    if t is YearsMonths:
        return "years and months duration"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, dict):
        return "context"
    if t is Range:
        return "range"
    if callable(value):
        return "function"
    return "?"


# -- reading temporal texts -----------------------------------------------------------

_DATE = re.compile(r"(-?\d{4,9})-(\d\d)-(\d\d)")
_TIME = re.compile(
    r"(\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?"
    r"(?:(?P<z>[zZ])|(?P<off>[+-]\d\d:\d\d(?::\d\d)?))?"
    r"(?:@(?P<zone>[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+){0,3})|\[(?P<zone2>[A-Za-z][A-Za-z0-9_+\-/]*)\])?"
)
_DURATION = re.compile(
    r"(?P<sign>-)?P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?"
)
_MAX_DIGITS = 12  # no duration component needs more; longer numbers are refused before int()


@lru_cache(maxsize=256)
def zone(name: str) -> tzinfo | None:
    """The IANA zone `name` (``Europe/Berlin``, ``UTC``, ``Z``), or None if unknown."""
    if name in ("Z", "UTC", "Etc/UTC"):
        return UTC
    if len(name) > 64 or ".." in name or name.startswith("/"):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _offset(text: str) -> tzinfo:
    sign = -1 if text[0] == "-" else 1
    parts = [int(p) for p in text[1:].split(":")]
    delta = timedelta(hours=parts[0], minutes=parts[1], seconds=parts[2] if len(parts) > 2 else 0)
    if delta >= timedelta(hours=18):
        raise ValueError("offset out of range")
    return UTC if not delta else timezone(sign * delta)


def parse_date(text: str) -> date | None:
    match = _DATE.fullmatch(text.strip())
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _time_parts(match: re.Match[str]) -> time | None:
    hour, minute = int(match[1]), int(match[2])
    second = int(match[3] or 0)
    micro = int((match[4] or "0")[:6].ljust(6, "0"))
    tz: tzinfo | None = None
    if match["zone"] or match["zone2"]:
        tz = zone(match["zone"] or match["zone2"])
        if tz is None:
            return None
    elif match["z"]:
        tz = UTC
    elif match["off"]:
        try:
            tz = _offset(match["off"])
        except ValueError:
            return None
    if hour == 24 and minute == 0 and second == 0 and micro == 0:
        hour = 0  # 24:00:00 is midnight
    try:
        return time(hour, minute, second, micro, tzinfo=tz)
    except ValueError:
        return None


def parse_time(text: str) -> time | None:
    match = _TIME.fullmatch(text.strip())
    return None if match is None else _time_parts(match)


def parse_date_and_time(text: str) -> datetime | None:
    text = text.strip()
    if "T" not in text:
        day = parse_date(text)
        return None if day is None else datetime(day.year, day.month, day.day)
    day_text, _, time_text = text.partition("T")
    day = parse_date(day_text)
    match = _TIME.fullmatch(time_text)
    if day is None or match is None:
        return None
    moment = _time_parts(match)
    if moment is None:
        return None
    return datetime.combine(day, moment.replace(tzinfo=None), moment.tzinfo)


def parse_duration(text: str) -> timedelta | YearsMonths | None:
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        return None
    parts = {k: v for k, v in match.groupdict().items() if v and k != "sign"}
    if any(len(v.partition(".")[0]) > _MAX_DIGITS for v in parts.values()):
        return None
    sign = -1 if match["sign"] else 1
    calendar = "years" in parts or "months" in parts
    clock = any(k in parts for k in ("weeks", "days", "hours", "minutes", "seconds"))
    if calendar and clock:
        return None  # FEEL has no duration with both kinds of components
    if calendar:
        return YearsMonths(sign * (int(parts.get("years", 0)) * 12 + int(parts.get("months", 0))))
    seconds = Decimal(parts.get("seconds", "0"))
    try:
        delta = timedelta(
            weeks=int(parts.get("weeks", 0)), days=int(parts.get("days", 0)), hours=int(parts.get("hours", 0)),
            minutes=int(parts.get("minutes", 0)), seconds=int(seconds),
            microseconds=int((seconds % 1) * 1_000_000),
        )
    except OverflowError:
        return None
    return -delta if sign < 0 else delta


def parse_temporal(text: str) -> Any:
    """The value of an ``@"..."`` literal: a date, time, date and time or duration."""
    text = text.strip()
    if text[:1] in ("P", "-") and "P" in text[:2]:
        return parse_duration(text)
    if "T" in text:
        return parse_date_and_time(text)
    if _DATE.fullmatch(text):
        return parse_date(text)
    return parse_time(text)


# -- writing ---------------------------------------------------------------------------


def duration_iso(delta: timedelta) -> str:
    sign = "-" if delta < timedelta(0) else ""
    delta = abs(delta)
    days = delta.days
    seconds = delta.seconds
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    text = f"{sign}P" + (f"{days}D" if days else "")
    clock = ""
    if hours:
        clock += f"{hours}H"
    if minutes:
        clock += f"{minutes}M"
    if seconds or delta.microseconds:
        fraction = f".{delta.microseconds:06d}".rstrip("0") if delta.microseconds else ""
        clock += f"{seconds}{fraction}S"
    if clock:
        text += "T" + clock
    return text if text not in ("P", "-P") else "PT0S"


def zone_name(tz: tzinfo | None) -> str | None:
    return getattr(tz, "key", None)


def time_iso(value: time) -> str:
    text = value.replace(tzinfo=None).isoformat()
    if value.tzinfo is None:
        return text
    name = zone_name(value.tzinfo)
    if name:
        return f"{text}@{name}"
    offset = value.utcoffset()
    return text + ("Z" if not offset else _offset_text(offset))


def _offset_text(offset: timedelta) -> str:
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def date_time_iso(value: datetime) -> str:
    text = value.replace(tzinfo=None).isoformat()
    if value.tzinfo is None:
        return text
    name = zone_name(value.tzinfo)
    if name:
        return f"{text}@{name}"
    offset = value.utcoffset()
    return text + ("Z" if not offset else _offset_text(offset))


def number_text(value: Any) -> str:
    """A number as FEEL's ``string()`` writes it: plain digits, never an exponent."""
    if type(value) is int:
        return str(value)
    d = to_decimal(value)
    if not d.is_finite() or abs(d.as_tuple().exponent) > 1000:
        return str(d)  # scientific: the plain digits would be thousands of characters
    return format(d, "f")


def to_text(value: Any) -> str | None:
    """FEEL's ``string(from)``."""
    if value is None:
        return None
    if type(value) is str:
        return value
    if type(value) is bool:
        return "true" if value else "false"
    if is_number(value):
        return number_text(value)
    if isinstance(value, datetime):
        return date_time_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return time_iso(value)
    if isinstance(value, timedelta):
        return duration_iso(value)
    if type(value) is YearsMonths:
        return value.iso()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_literal(v)}" for k, v in value.items()) + "}"
    if type(value) is Range:
        left = "[" if value.start_closed else "("
        right = "]" if value.end_closed else ")"
        return f"{left}{_literal(value.start)}..{_literal(value.end)}{right}"
    return None


def _literal(value: Any) -> str:
    if value is None:
        return "null"
    if type(value) is str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    text = to_text(value)
    return "null" if text is None else text


def to_data(value: Any) -> Any:
    """What instance data can hold of a FEEL result (see the module docstring). Raises
    `FeelError` for a range or a function."""
    t = type(value)
    if value is None or t is str or t is bool or t is int or t is Decimal:
        return value
    if t is list or t is tuple:
        return [to_data(v) for v in value]
    if t is dict:
        return {k: to_data(v) for k, v in value.items()}
    if isinstance(value, date):  # date and datetime are stored as they are
        return value
    if t is float:
        return to_decimal(value)
    if isinstance(value, timedelta):
        return duration_iso(value)
    if t is YearsMonths:
        return value.iso()
    if isinstance(value, time):
        return time_iso(value)
    if t is Range:
        raise FeelError("a range cannot be stored as data")
    raise FeelError(f"a {kind(value)} cannot be stored as data")


def needs_conversion(value: Any) -> bool:
    """Whether `to_data` would change or refuse `value` (a quick test for the common case)."""
    t = type(value)
    return not (value is None or t is str or t is bool or t is int or t is Decimal or t is date or t is datetime)
