"""Cron timer cycles: Camunda 7's Quartz expressions and Zeebe's (Spring) ones.

``0/5 0/1 * 1/1 * ?`` (Quartz: seconds, minutes, hours, day of month, month, day of week,
optional year; ``?`` in one of the day fields), ``0 0 9 * * MON-FRI`` (Spring: the same
six fields, Monday = 1, Sunday = 0 or 7) and classic five-field cron (``*/15 9-17 * * 1-5``,
minutes first) are read. Fields take ``*``, ``?``, numbers, names (``JAN``, ``MON``),
ranges ``a-b``, lists ``a,b``, steps ``*/n``, ``a/n`` and ``a-b/n``, and ``L`` for the last
day of the month. When both day fields are restricted, a day matching either counts (as in
cron). Times are UTC.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_MONTHS = {name: i for i, name in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)}
_DAYS = {name: i for i, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}
_FIELD = r"[0-9A-Za-z*?/,#LW-]+"
CRON = re.compile(rf"^\s*{_FIELD}(\s+{_FIELD}){{4,6}}\s*$")
_HORIZON = timedelta(days=366 * 5)


class CronError(ValueError):
    pass


def is_cron(value: object) -> bool:
    return isinstance(value, str) and CRON.match(value) is not None and not value.strip().upper().startswith(("R", "P"))


@dataclass(frozen=True)
class Cron:
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int] | None  # None: any day of month
    last_day: bool
    months: frozenset[int]
    weekdays: frozenset[int] | None  # 0 = Sunday; None: any
    years: frozenset[int] | None

    def matches_day(self, moment: datetime) -> bool:
        day_ok = None
        if self.days is not None or self.last_day:
            last = calendar.monthrange(moment.year, moment.month)[1]
            day_ok = (self.days is not None and moment.day in self.days) or (self.last_day and moment.day == last)
        weekday_ok = None
        if self.weekdays is not None:
            weekday_ok = (moment.weekday() + 1) % 7 in self.weekdays
        if day_ok is None and weekday_ok is None:
            return True
        if day_ok is None:
            return bool(weekday_ok)
        if weekday_ok is None:
            return day_ok
        return day_ok or weekday_ok

    def next_after(self, moment: datetime) -> datetime:
        """The first time after `moment` (aware) that the expression matches."""
        current = moment.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
        limit = current + _HORIZON
        while current < limit:
            if self.years is not None and current.year not in self.years:
                current = datetime(current.year + 1, 1, 1, tzinfo=UTC)
                continue
            if current.month not in self.months:
                year, month = (current.year + 1, 1) if current.month == 12 else (current.year, current.month + 1)
                current = datetime(year, month, 1, tzinfo=UTC)
                continue
            if not self.matches_day(current):
                current = datetime(current.year, current.month, current.day, tzinfo=UTC) + timedelta(days=1)
                continue
            if current.hour not in self.hours:
                current = current.replace(minute=0, second=0) + timedelta(hours=1)
                continue
            if current.minute not in self.minutes:
                current = current.replace(second=0) + timedelta(minutes=1)
                continue
            if current.second not in self.seconds:
                current += timedelta(seconds=1)
                continue
            return current
        raise CronError("the cron expression never fires in the next five years")


def _values(text: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int] | None:
    """The values a field allows; None for ``*``/``?`` (any)."""
    text = text.upper()
    if text in ("*", "?"):
        return None
    found: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(f"bad step in {text!r}")
            step = int(step_text)
            if part in ("*", "?", ""):
                part = f"{low}-{high}"
            elif "-" not in part:
                part = f"{part}-{high}"
        if part in ("*", "?"):
            start, end = low, high
        elif "-" in part:
            first, last = part.split("-", 1)
            start, end = _number(first, names), _number(last, names)
        else:
            start = end = _number(part, names)
        if start < low or end > high or start > end:
            raise CronError(f"{part!r} is out of range {low}-{high}")
        found.update(range(start, end + 1, step))
    return frozenset(found)


def _number(text: str, names: dict[str, int] | None) -> int:
    if names and text in names:
        return names[text]
    if not text.isdigit():
        raise CronError(f"{text!r} is not a number")
    return int(text)


def parse(expression: str) -> Cron:
    fields = expression.split()
    if len(fields) == 5:
        fields = ["0", *fields]
        quartz = False
    elif len(fields) in (6, 7):
        quartz = "?" in fields[3:6]
    else:
        raise CronError(f"a cron expression has 5, 6 or 7 fields, not {len(fields)}")
    seconds, minutes, hours, dom, month, dow = fields[:6]
    year = fields[6] if len(fields) == 7 else "*"
    last_day = dom.upper() == "L"
    days = None if last_day else _values(dom, 1, 31)
    weekdays = _values(dow, 0, 7, _DAYS)
    if weekdays is not None:
        if quartz and not re.search(r"[A-Z]", dow.upper()):
            weekdays = frozenset((d - 1) % 7 for d in weekdays)  # Quartz: 1 = Sunday
        else:
            weekdays = frozenset(d % 7 for d in weekdays)
    return Cron(
        seconds=_values(seconds, 0, 59) or frozenset(range(60)),
        minutes=_values(minutes, 0, 59) or frozenset(range(60)),
        hours=_values(hours, 0, 23) or frozenset(range(24)),
        days=days,
        last_day=last_day,
        months=_values(month, 1, 12, _MONTHS) or frozenset(range(1, 13)),
        weekdays=weekdays,
        years=_values(year, 1970, 2199),
    )


def next_fire(expression: str, after: datetime) -> datetime:
    return parse(expression).next_after(after)


def cycle_complete_with_cron(original):
    """CycleTimerEventDefinition.cycle_complete, reading cron expressions as well."""

    def cycle_complete(self, my_task):
        from .clock import now

        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            if not is_cron(expression):
                return original(self, my_task)
            event_value = {"cycles": -1, "next": next_fire(expression, now()).isoformat(), "duration": 0,
                           "cron": expression}
            my_task._set_internal_data(event_value=event_value)
            return False
        if "cron" not in event_value:
            return original(self, my_task)
        ready = False
        if event_value["cycles"] != 0:
            next_event = datetime.fromisoformat(event_value["next"])
            if next_event < now():
                event_value["next"] = next_fire(event_value["cron"], max(next_event, now())).isoformat()
                if event_value["cycles"] > 0:
                    event_value["cycles"] -= 1
                ready = True
        my_task._set_internal_data(event_value=event_value)
        return ready

    return cycle_complete
