"""FEEL built-ins that convert (``string``, ``number``, ``date``, ``time``, ``duration``,
``context`` ...) and the boolean ones (``not``, ``is defined``, ``get or else``, ``assert``, ``is``).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from ...errors import EvaluationError
from ...meter import Meter
from ..operations import equal
from ..values import (
    NUMBERS,
    YearsMonths,
    kind,
    parse_date,
    parse_date_and_time,
    parse_duration,
    parse_time,
    to_decimal,
    to_text,
    zone,
)
from .registry import Null, builtin, context_arg, integer_arg, list_arg, number_arg, text_arg

# -- conversion -------------------------------------------------------------------------------


@builtin("string", ("from",))
def _string(meter: Meter, value: Any) -> str | None:
    if isinstance(value, list | tuple | dict):
        meter.text_size(value)
    return meter.produced(to_text(value))


@builtin("number", ("from", "grouping separator?", "decimal separator?"))
def _to_number(meter: Meter, text: Any, grouping: Any = None, decimal_sep: Any = None) -> Any:
    text = text_arg(text).strip()
    if len(text) > 1000:
        raise Null
    if grouping is not None:
        if grouping not in (" ", ",", "."):
            raise Null
        text = text.replace(grouping, "")
    if decimal_sep is not None:
        if decimal_sep not in (".", ",") or decimal_sep == grouping:
            raise Null
        text = text.replace(decimal_sep, ".")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,4})?", text):
        raise Null
    if re.fullmatch(r"[+-]?\d+", text) and len(text) <= 34:
        return int(text)
    return NUMBERS.plus(Decimal(text))


@builtin("date", ("from",), ("year", "month", "day"))
def _date(meter: Meter, *args: Any) -> date | None:
    if len(args) == 3:
        return date(integer_arg(args[0]), integer_arg(args[1]), integer_arg(args[2]))
    value = args[0]
    if type(value) is str:
        return parse_date(value)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise Null


@builtin("time", ("from",), ("hour", "minute", "second", "offset?"))
def _time(meter: Meter, *args: Any) -> time | None:
    if len(args) >= 3:
        seconds = to_decimal(number_arg(args[2]))
        whole = int(seconds)
        micros = int((seconds - whole) * 1_000_000)
        tz = None
        if len(args) == 4 and args[3] is not None:
            if not isinstance(args[3], timedelta):
                raise Null
            tz = timezone(args[3])
        return time(integer_arg(args[0]), integer_arg(args[1]), whole, micros, tzinfo=tz)
    value = args[0]
    if type(value) is str:
        return parse_time(value)
    if isinstance(value, datetime):
        return value.timetz()
    if isinstance(value, date):
        return time(0, 0, tzinfo=UTC)
    if isinstance(value, time):
        return value
    raise Null


@builtin("date and time", ("from",), ("date", "time"), ("date", "timezone"))
def _date_and_time(meter: Meter, *args: Any) -> datetime | None:
    if len(args) == 2:
        day, moment = args
        if type(moment) is str:  # Camunda: the same instant in another zone
            if not isinstance(day, datetime):
                raise Null
            tz = zone(moment)
            if tz is None:
                raise Null
            if day.tzinfo is None:
                day = day.replace(tzinfo=UTC)
            return day.astimezone(tz)
        if not isinstance(day, date) or not isinstance(moment, time):
            raise Null
        if isinstance(day, datetime):
            day = day.date()
        return datetime.combine(day, moment.replace(tzinfo=None), moment.tzinfo)
    value = args[0]
    if type(value) is str:
        return parse_date_and_time(value)
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    raise Null


@builtin("duration", ("from",))
def _duration(meter: Meter, value: Any) -> Any:
    if isinstance(value, timedelta | YearsMonths):
        return value
    return parse_duration(text_arg(value))


@builtin("years and months duration", ("from", "to"))
def _years_and_months(meter: Meter, start: Any, end: Any) -> YearsMonths:
    if not isinstance(start, date) or not isinstance(end, date):
        raise Null
    months = (end.year - start.year) * 12 + (end.month - start.month)
    start_rest = (start.day, *(_clock_of(start)))
    end_rest = (end.day, *(_clock_of(end)))
    if months > 0 and end_rest < start_rest:
        months -= 1
    elif months < 0 and end_rest > start_rest:
        months += 1
    return YearsMonths(months)


def _clock_of(value: date) -> tuple[int, ...]:
    if isinstance(value, datetime):
        return (value.hour, value.minute, value.second, value.microsecond)
    return (0, 0, 0, 0)


@builtin("context", ("entries",))
def _context_of(meter: Meter, entries: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for entry in meter.consume(list_arg(entries)):
        entry = context_arg(entry)
        if "key" not in entry or "value" not in entry or type(entry["key"]) is not str:
            raise Null
        result[entry["key"]] = entry["value"]
    return result


# -- boolean ------------------------------------------------------------------------------


@builtin("not", ("negand",))
def _not(meter: Meter, value: Any) -> bool | None:
    return (not value) if type(value) is bool else None


@builtin("is defined", ("value",))
def _is_defined(meter: Meter, value: Any) -> bool:
    return value is not None


@builtin("get or else", ("value", "default"))
def _get_or_else(meter: Meter, value: Any, default: Any) -> Any:
    return default if value is None else value


@builtin("assert", ("value", "condition", "cause?"))
def _assert(meter: Meter, value: Any, condition: Any, cause: Any = None) -> Any:
    if condition is not True:
        message = cause if type(cause) is str else "the condition is not true"
        raise EvaluationError(f"FEEL assert(): {message[:500]}")
    return value


@builtin("is", ("value1", "value2"))
def _is(meter: Meter, a: Any, b: Any) -> bool:
    if kind(a) != kind(b):
        return False
    if isinstance(a, datetime | time):
        return a == b and a.utcoffset() == b.utcoffset() and getattr(a.tzinfo, "key", None) == getattr(
            b.tzinfo, "key", None
        )
    return equal(meter, a, b) is True
