"""ISO 8601 durations and instants, as used by due dates (and, later, timers)."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, timedelta

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?$"
)


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def add_duration(start: datetime, text: str) -> datetime:
    """``start`` plus an ISO 8601 duration such as ``P3D``, ``PT4H`` or ``P1M2DT30M``."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not an ISO 8601 duration (e.g. P3D, PT4H)")
    parts = {k: v for k, v in match.groupdict().items() if v}
    result = add_months(start, int(parts.get("years", 0)) * 12 + int(parts.get("months", 0)))
    return result + timedelta(
        weeks=int(parts.get("weeks", 0)),
        days=int(parts.get("days", 0)),
        hours=int(parts.get("hours", 0)),
        minutes=int(parts.get("minutes", 0)),
        seconds=float(parts.get("seconds", "0").replace(",", ".")),
    )


def is_duration(text: str) -> bool:
    return bool(_DURATION.match(text.strip()))


def as_instant(value: object, now: datetime) -> datetime:
    """A due date from what an expression produced: a duration (from now), an ISO date
    or date-time, or a date/datetime object. Naive values are taken as UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day, tzinfo=UTC)
    elif isinstance(value, timedelta):
        return now + value
    elif isinstance(value, str):
        text = value.strip()
        if is_duration(text):
            return add_duration(now, text)
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{value!r} is neither an ISO 8601 duration nor a date-time") from None
    else:
        raise ValueError(f"a due date cannot be computed from {type(value).__name__}")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def as_utc(moment: datetime | None) -> datetime | None:
    """A stored instant with its UTC offset (SQLite hands back naive values; everything
    Flowdesk stores is UTC)."""
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


def iso(moment: datetime | None) -> str | None:
    """An instant as the API writes it: ISO 8601 with its UTC offset."""
    return None if moment is None else as_utc(moment).isoformat()
