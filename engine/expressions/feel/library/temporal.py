"""FEEL built-ins on dates and times; ``now()`` and ``today()`` read `clock` (the engine's clock when it set one;
``today()`` in its local zone).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from ...meter import Meter
from .. import clock
from ..operations import add_months
from .registry import Null, builtin

# -- temporal -----------------------------------------------------------------------------

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise Null


@builtin("now", ())
def _now(meter: Meter) -> datetime:
    return clock.now()


@builtin("today", ())
def _today(meter: Meter) -> date:
    return clock.today()


@builtin("day of week", ("date",))
def _day_of_week(meter: Meter, value: Any) -> str:
    return _DAYS[_day(value).weekday()]


@builtin("day of year", ("date",))
def _day_of_year(meter: Meter, value: Any) -> int:
    return _day(value).timetuple().tm_yday


@builtin("week of year", ("date",))
def _week_of_year(meter: Meter, value: Any) -> int:
    return _day(value).isocalendar()[1]


@builtin("month of year", ("date",))
def _month_of_year(meter: Meter, value: Any) -> str:
    return _MONTHS[_day(value).month - 1]


@builtin("last day of month", ("date",))
def _last_day_of_month(meter: Meter, value: Any) -> date:
    day = _day(value)
    return add_months(day.replace(day=1), 1) - timedelta(days=1)
