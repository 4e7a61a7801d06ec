"""Business calendars: deadlines that count working hours, not wall-clock hours.

An SLA of "8 hours" given at 16:00 on a Friday is due at 16:00 on Monday for a team that
works 09:00-17:00 on weekdays, and later still if Monday is a holiday. A site describes
its calendar in a small YAML file (``FLOWDESK_BUSINESS_CALENDAR``)::

    timezone: Europe/Berlin
    working_days: [mon, tue, wed, thu, fri]
    hours: "09:00-17:00"
    holidays: [2026-12-24, 2026-12-25, 2026-12-26, 2027-01-01]

Models use it through ``deadline("PT8H")`` in timer and due-date expressions, which
falls back to wall-clock time when no calendar is configured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from . import safe_yaml
from .errors import BadRequest
from .timeutil import add_duration

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class BusinessCalendar:
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    working_days: frozenset[int] = frozenset(range(5))
    opens: time = time(9, 0)
    closes: time = time(17, 0)
    holidays: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.working_days and day not in self.holidays

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """``start`` plus ``duration`` of working time."""
        remaining = duration
        moment = start.astimezone(self.zone)
        for _ in range(3660):  # ten years of days: a calendar without working days stops here
            day = moment.date()
            if self.is_working_day(day):
                opens = datetime.combine(day, self.opens, self.zone)
                closes = datetime.combine(day, self.closes, self.zone)
                moment = max(moment, opens)
                if moment < closes:
                    available = closes - moment
                    if remaining <= available:
                        return (moment + remaining).astimezone(UTC)
                    remaining -= available
            moment = datetime.combine(day + timedelta(days=1), time(0), self.zone)
        raise BadRequest("the business calendar has no working time within ten years")

    def add_iso(self, start: datetime, text: str) -> datetime:
        """An ISO 8601 duration of working time; days count as whole working days."""
        wall = add_duration(datetime(2000, 1, 1, tzinfo=UTC), text) - datetime(2000, 1, 1, tzinfo=UTC)
        day_length = datetime.combine(date.min, self.closes) - datetime.combine(date.min, self.opens)
        whole_days, rest = divmod(wall, timedelta(days=1))
        return self.add(start, day_length * whole_days + rest)

    @classmethod
    def load(cls, path: Path) -> BusinessCalendar:
        try:
            raw = safe_yaml.load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as err:
            raise BadRequest(f"business calendar {path}: {err}") from err
        try:
            opens, closes = (time.fromisoformat(t.strip()) for t in str(raw.get("hours", "09:00-17:00")).split("-"))
            zone = ZoneInfo(str(raw.get("timezone", "UTC")))
            days = frozenset(DAYS.index(str(d).lower()[:3]) for d in raw.get("working_days", DAYS[:5]))
            holidays = frozenset(d if isinstance(d, date) else date.fromisoformat(str(d))
                                 for d in raw.get("holidays", []))
        except (ValueError, ZoneInfoNotFoundError) as err:
            raise BadRequest(f"business calendar {path}: {err}") from err
        if opens >= closes:
            raise BadRequest(f"business calendar {path}: opening hours must end after they start")
        return cls(zone, days, opens, closes, holidays)


def deadline_function(calendar: BusinessCalendar | None, now, time_scale: float = 1.0):
    """``deadline(duration)`` for expressions: an ISO date-time ``duration`` from now,
    counted in working time when a calendar is configured. With a ``time_scale`` other
    than 1 (demo mode) the wall-clock duration is scaled instead, so that "30 days" of
    payment terms pass in minutes."""

    def deadline(duration: str) -> str:
        start = now()
        if time_scale != 1.0:
            return (start + (add_duration(start, duration) - start) * time_scale).isoformat()
        if calendar is None:
            return add_duration(start, duration).isoformat()
        return calendar.add_iso(start, duration).isoformat()

    return deadline
