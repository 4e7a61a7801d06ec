"""Business calendars: deadlines that count working hours, not wall-clock hours.

An SLA of "8 hours" given at 16:00 on a Friday is due at 16:00 on Monday for a team that
works 09:00-17:00 on weekdays, and later still if Monday is a holiday. A site describes
its calendars in a small YAML file (``FLOWDESK_BUSINESS_CALENDAR``)::

    timezone: Europe/Berlin
    working_days: [mon, tue, wed, thu, fri]
    hours: "09:00-17:00"                      # or blocks: ["09:00-12:00", "13:30-18:00"]
    holidays: [2026-12-24, 2026-12-25, 2026-12-26, 2027-01-01]
    make_up_days: []                          # worked although not a working day (调休)

That calendar is the default one. Named calendars (one per company, site or team) go under
``calendars``; each may ``include`` a shipped calendar (``engine/calendars/NAME.yaml``: ``cn``
is China's) or another file, whose keys it overrides, except ``holidays`` and
``make_up_days``, which it adds to::

    calendars:
      cn: {include: cn}                       # China: statutory holidays and 调休, Asia/Shanghai
      suzhou_plant:
        include: cn
        hours: ["08:00-12:00", "13:00-17:00"]
        holidays: [2026-07-01]                # the plant's own day off, besides China's
    default: cn                               # optional: a named calendar as the default

Models use them through ``deadline("PT8H")`` (the default calendar, wall-clock time when
none is configured) and ``deadline("PT8H", calendar="cn")`` in timer and due-date
expressions. The shipped calendars can be named without any configuration.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from . import safe_yaml
from .errors import BadRequest
from .timeutil import add_duration

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Calendars that ship with Flowdesk, by name (the file's stem).
SHIPPED = Path(__file__).resolve().parent / "calendars"
_KEYS = {"include", "timezone", "working_days", "hours", "holidays", "make_up_days", "name", "note", "source"}


@dataclass(frozen=True)
class BusinessCalendar:
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    working_days: frozenset[int] = frozenset(range(5))
    # Working-time blocks of a working day, in order and not overlapping (a lunch break
    # lies between two blocks).
    hours: tuple[tuple[time, time], ...] = ((time(9, 0), time(17, 0)),)
    holidays: frozenset[date] = frozenset()
    # Dates that are working days although their weekday is not (make-up days, 调休).
    make_up_days: frozenset[date] = frozenset()
    name: str = ""

    @property
    def opens(self) -> time:
        return self.hours[0][0]

    @property
    def closes(self) -> time:
        return self.hours[-1][1]

    @property
    def day_length(self) -> timedelta:
        return sum((datetime.combine(date.min, closes) - datetime.combine(date.min, opens)
                    for opens, closes in self.hours), timedelta())

    def is_working_day(self, day: date) -> bool:
        if day in self.make_up_days:
            return True
        return day.weekday() in self.working_days and day not in self.holidays

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """``start`` plus ``duration`` of working time."""
        remaining = duration
        moment = start.astimezone(self.zone)
        for _ in range(3660):  # ten years of days: a calendar without working days stops here
            day = moment.date()
            if self.is_working_day(day):
                for opens, closes in self.hours:
                    block_start = datetime.combine(day, opens, self.zone)
                    block_end = datetime.combine(day, closes, self.zone)
                    if moment >= block_end:
                        continue
                    moment = max(moment, block_start)
                    available = block_end.astimezone(UTC) - moment.astimezone(UTC)
                    if remaining <= available:
                        return moment.astimezone(UTC) + remaining
                    remaining -= available
                    moment = block_end
            moment = datetime.combine(day + timedelta(days=1), time(0), self.zone)
        raise BadRequest(f"the business calendar{' ' + self.name if self.name else ''} has no working time "
                         "within ten years")

    def add_iso(self, start: datetime, text: str) -> datetime:
        """An ISO 8601 duration of working time; days count as whole working days (the
        working time of one day: 7.5 hours for 09:00-12:00 and 13:30-18:00)."""
        wall = add_duration(datetime(2000, 1, 1, tzinfo=UTC), text) - datetime(2000, 1, 1, tzinfo=UTC)
        whole_days, rest = divmod(wall, timedelta(days=1))
        return self.add(start, self.day_length * whole_days + rest)

    @classmethod
    def load(cls, path: Path) -> BusinessCalendar:
        """The default calendar of a calendar file (see :func:`load_calendars`)."""
        calendars = load_calendars(path)
        if calendars.default is None:
            raise BadRequest(f"business calendar {path}: the file names no default calendar")
        return calendars.default


@dataclass(frozen=True)
class Calendars:
    """A site's calendars: the default one (None: wall-clock time) and the named ones."""

    default: BusinessCalendar | None = None
    named: Mapping[str, BusinessCalendar] = field(default_factory=dict)

    def get(self, name: str | None) -> BusinessCalendar | None:
        """The calendar `name` (None: the default): the site's, else a shipped one."""
        if name is None:
            return self.default
        if name in self.named:
            return self.named[name]
        shipped = shipped_calendar(name)
        if shipped is None:
            known = sorted({*self.named, *shipped_names()})
            raise BadRequest(f"no business calendar {name!r} (known: {', '.join(known) or 'none'})")
        return shipped


def shipped_names() -> list[str]:
    return sorted(p.stem for p in SHIPPED.glob("*.yaml"))


_SHIPPED_CACHE: dict[str, BusinessCalendar] = {}


def shipped_calendar(name: str) -> BusinessCalendar | None:
    """A calendar that ships with Flowdesk (``engine/calendars/NAME.yaml``), or None."""
    if name not in _SHIPPED_CACHE:
        if name not in shipped_names():
            return None
        path = SHIPPED / f"{name}.yaml"
        _SHIPPED_CACHE[name] = _calendar(_read(path), path, name, ())
    return _SHIPPED_CACHE[name]


def load_calendars(path: Path | None) -> Calendars:
    """The calendars of a calendar file; no file: no default calendar (wall-clock time),
    and only the shipped calendars by name.

    The file's own calendar keys (``timezone``, ``hours``, ...) make the default calendar;
    ``calendars`` maps names to calendars; ``default: NAME`` makes a named one the default.
    """
    if path is None:
        return Calendars()
    path = Path(path)
    raw = _read(path)
    named_raw = raw.get("calendars") or {}
    if not isinstance(named_raw, dict) or not all(isinstance(v, dict) for v in named_raw.values()):
        raise BadRequest(f"business calendar {path}: `calendars` must map names to calendars")
    named = {str(name): _calendar(spec, path, str(name), ()) for name, spec in named_raw.items()}
    own = {k: v for k, v in raw.items() if k not in ("calendars", "default")}
    default: BusinessCalendar | None = None
    if raw.get("default") is not None:
        chosen = str(raw["default"])
        if own:
            raise BadRequest(f"business calendar {path}: give either `default: {chosen}` or the default "
                             "calendar's own keys, not both")
        default = Calendars(named=named).get(chosen)
    elif own or not named_raw:
        default = _calendar(own, path, "", ())
    return Calendars(default, named)


def _read(path: Path) -> dict:
    try:
        raw = safe_yaml.load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise BadRequest(f"business calendar {path}: {err}") from err
    if not isinstance(raw, dict):
        raise BadRequest(f"business calendar {path}: expected a mapping of settings")
    return raw


def _calendar(raw: Mapping[str, Any], path: Path, name: str, seen: tuple[Path, ...]) -> BusinessCalendar:
    where = f"business calendar {path}" + (f", calendar {name!r}" if name else "")
    settings = _merged(raw, path, where, (*seen, path.resolve()))
    try:
        zone = ZoneInfo(str(settings.get("timezone", "UTC")))
        days = frozenset(DAYS.index(str(d).lower()[:3]) for d in _as_list(settings.get("working_days", DAYS[:5])))
        hours = _hours(settings.get("hours", "09:00-17:00"))
        holidays = frozenset(_dates(settings.get("holidays", [])))
        make_up = frozenset(_dates(settings.get("make_up_days", [])))
    except (ValueError, TypeError, ZoneInfoNotFoundError) as err:
        raise BadRequest(f"{where}: {err}") from err
    for opens, closes in hours:
        if opens >= closes:
            raise BadRequest(f"{where}: opening hours must end after they start ({opens:%H:%M}-{closes:%H:%M})")
    for (_, before), (after, _) in pairwise(hours):
        if after < before:
            raise BadRequest(f"{where}: the blocks of `hours` must be in order and not overlap")
    both = sorted(holidays & make_up)
    if both:
        raise BadRequest(f"{where}: {', '.join(map(str, both))} is both a holiday and a make-up working day")
    return BusinessCalendar(zone, days, hours, holidays, make_up, name)


def _merged(raw: Mapping[str, Any], path: Path, where: str, seen: tuple[Path, ...]) -> dict[str, Any]:
    """A calendar's settings with its ``include`` resolved: its own keys win, except
    ``holidays`` and ``make_up_days``, which add to the included ones."""
    unknown = sorted(map(str, set(raw) - _KEYS))
    if unknown:
        raise BadRequest(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_KEYS))})")
    base: dict[str, Any] = {}
    if raw.get("include"):
        target = _include_path(str(raw["include"]), path).resolve()
        if target in seen:
            raise BadRequest(f"{where}: `include: {raw['include']}` includes itself")
        included = _read(target)
        if "calendars" in included or "default" in included:
            raise BadRequest(f"{where}: `include: {raw['include']}` must name a file of one calendar")
        base = _merged(included, target, f"business calendar {target}", (*seen, target))
        for key in ("name", "note", "source"):
            base.pop(key, None)
    settings = {**base, **{k: v for k, v in raw.items() if k != "include"}}
    for key in ("holidays", "make_up_days"):
        if key in base and key in raw:
            settings[key] = [*_as_list(base[key]), *_as_list(raw[key])]
    return settings


def _include_path(target: str, path: Path) -> Path:
    if (SHIPPED / f"{target}.yaml").exists() and "/" not in target and not target.endswith((".yaml", ".yml")):
        return SHIPPED / f"{target}.yaml"
    candidate = Path(target)
    return candidate if candidate.is_absolute() else (path.parent / candidate)


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple | set | frozenset) else [value]


def _hours(value: Any) -> tuple[tuple[time, time], ...]:
    """``"09:00-17:00"``, ``"09:00-12:00, 13:30-18:00"`` or a list of such blocks."""
    blocks = [part for item in _as_list(value) for part in str(item).split(",") if part.strip()]
    if not blocks:
        raise ValueError("`hours` needs at least one block such as 09:00-17:00")
    parsed = []
    for block in blocks:
        opens, _, closes = block.partition("-")
        parsed.append((time.fromisoformat(opens.strip()), time.fromisoformat(closes.strip())))
    return tuple(parsed)


def _dates(values: Any) -> Iterable[date]:
    """Dates, and ranges written ``2026-10-01..2026-10-07`` (both ends included)."""
    for value in _as_list(values):
        if isinstance(value, datetime):
            yield value.date()
        elif isinstance(value, date):
            yield value
        elif ".." in str(value):
            first, _, last = str(value).partition("..")
            day, end = date.fromisoformat(first.strip()), date.fromisoformat(last.strip())
            if end < day:
                raise ValueError(f"the range {value} ends before it starts")
            while day <= end:
                yield day
                day += timedelta(days=1)
        else:
            yield date.fromisoformat(str(value).strip())


def deadline_function(calendars: Calendars | BusinessCalendar | None, now, time_scale: float = 1.0):
    """``deadline(duration, calendar=None)`` for expressions: an ISO date-time ``duration``
    from now, counted in working time of the named calendar (the default one without a
    name; wall-clock time when there is none). With a ``time_scale`` other than 1 (demo
    mode) the wall-clock duration is scaled instead, so that "30 days" of payment terms
    pass in minutes."""
    if not isinstance(calendars, Calendars):
        calendars = Calendars(default=calendars)

    def deadline(duration: str, calendar: str | None = None) -> str:
        start = now()
        chosen = calendars.get(calendar)  # an unknown name is an error even in demo mode
        if time_scale != 1.0:
            return (start + (add_duration(start, duration) - start) * time_scale).isoformat()
        if chosen is None:
            return add_duration(start, duration).isoformat()
        return chosen.add_iso(start, duration).isoformat()

    return deadline
