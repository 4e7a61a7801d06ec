"""FEEL's operators on Python values: equality, ordering, arithmetic, null semantics.

Every function returns ``None`` (FEEL's null) when an operand is null or the operand
types do not fit the operator, instead of raising: ``1 + "a"`` is null, ``1 < "a"`` is
null, ``null = null`` is true and ``1 = null`` false (a null check), ``1 = "1"`` is null.
Work proportional to the operands (text, nested lists) is charged to the meter.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from decimal import Decimal, DecimalException
from typing import Any

from ..meter import Meter
from .values import INT_LIMIT, NUMBERS, Range, YearsMonths, kind, number_out, to_decimal

_ORDERED = frozenset({"number", "string", "date", "date and time", "time", "days and time duration",
                      "years and months duration"})


def _naive(value: datetime | time) -> bool:
    return value.tzinfo is None or value.utcoffset() is None


def equal(meter: Meter, a: Any, b: Any) -> bool | None:
    """FEEL ``a = b``."""
    if a is None or b is None:
        return a is None and b is None
    ka, kb = kind(a), kind(b)
    if ka != kb:
        return None
    if ka == "number":
        return a == b
    if ka == "string":
        if len(a) >= 1000:
            meter.charge(len(a) // 1000)
        return a == b
    if ka == "boolean":
        return a is b or a == b
    if ka == "list":
        if len(a) != len(b):
            return False
        meter.charge(len(a) // 10)
        for x, y in zip(a, b, strict=True):
            same = equal(meter, x, y)
            if same is not True:
                return same
        return True
    if ka == "context":
        if a.keys() != b.keys():
            return False
        meter.charge(len(a) // 10)
        for key, x in a.items():
            same = equal(meter, x, b[key])
            if same is not True:
                return same
        return True
    if ka in ("date and time", "time"):
        if _naive(a) != _naive(b):
            return False
        return a == b
    return a == b


def compare(meter: Meter, op: str, a: Any, b: Any) -> bool | None:
    """FEEL ``a op b`` for ``= != < <= > >=``."""
    if op == "=":
        return equal(meter, a, b)
    if op == "!=":
        same = equal(meter, a, b)
        return None if same is None else not same
    if a is None or b is None:
        return None
    ka = kind(a)
    if ka != kind(b) or ka not in _ORDERED:
        return None
    if ka in ("date and time", "time") and _naive(a) != _naive(b):
        return None
    if ka == "string" and (len(a) >= 1000 or len(b) >= 1000):
        meter.charge((len(a) + len(b)) // 1000)
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


def in_range(meter: Meter, value: Any, low: Any, high: Any, low_closed: bool, high_closed: bool) -> bool | None:
    """Whether `value` lies in the interval (an open, None endpoint means unbounded)."""
    if value is None:
        return None
    result: bool | None = True
    if low is not None:
        result = compare(meter, ">=" if low_closed else ">", value, low)
    if result is True and high is not None:
        result = compare(meter, "<=" if high_closed else "<", value, high)
    return result


def in_feel_range(meter: Meter, value: Any, r: Range) -> bool | None:
    return in_range(meter, value, r.start, r.end, r.start_closed, r.end_closed)


# -- arithmetic -----------------------------------------------------------------------


def _int_or_decimal(value: int) -> int | Decimal:
    if -INT_LIMIT < value < INT_LIMIT:
        return value
    return NUMBERS.plus(Decimal(value))


def add_months(moment: Any, months: int) -> Any:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    if not 1 <= year <= 9999:
        raise OverflowError("year out of range")
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _time_plus(value: time, delta: timedelta) -> time:
    anchor = datetime(2000, 1, 1, value.hour, value.minute, value.second, value.microsecond)
    moved = anchor + timedelta(seconds=delta.total_seconds() % 86400)
    return moved.time().replace(tzinfo=value.tzinfo)


def _time_minus(a: time, b: time) -> timedelta | None:
    if _naive(a) != _naive(b):
        return None
    anchor = date(2000, 1, 1)
    first = datetime.combine(anchor, a)
    second = datetime.combine(anchor, b)
    return first - second


def _number_op(op: str, a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        if op == "+":
            return _int_or_decimal(a + b)
        if op == "-":
            return _int_or_decimal(a - b)
        if op == "*":
            return _int_or_decimal(a * b)
        if op == "**" and 0 <= b <= 256 and a.bit_length() * b <= 120:
            return a**b
    x, y = to_decimal(a), to_decimal(b)
    if op == "+":
        return number_out(NUMBERS.add(x, y))
    if op == "-":
        return number_out(NUMBERS.subtract(x, y))
    if op == "*":
        return number_out(NUMBERS.multiply(x, y))
    if op == "/":
        if not y:
            return None
        return NUMBERS.divide(x, y)
    # '**': an integral exponent is exact up to 34 digits; a fractional one is rounded.
    if abs(y) > 999_999_999:
        return None
    return NUMBERS.power(x, y)


def arithmetic(meter: Meter, op: str, a: Any, b: Any) -> Any:
    """FEEL ``a op b`` for ``+ - * / **``."""
    if a is None or b is None:
        return None
    try:
        return _arithmetic(meter, op, a, b)
    except (DecimalException, OverflowError, ValueError, ZeroDivisionError):
        return None


def _arithmetic(meter: Meter, op: str, a: Any, b: Any) -> Any:
    ka, kb = kind(a), kind(b)
    if ka == "number" and kb == "number":
        return _number_op(op, a, b)
    if op == "+":
        if ka == "string" and kb == "string":
            meter.need_chars(len(a) + len(b), "the joined text")
            return meter.produced(a + b)
        return _plus(a, b, ka, kb)
    if op == "-":
        return _minus(a, b, ka, kb)
    if op == "*":
        if ka == "number":
            a, b, ka, kb = b, a, kb, ka
        if kb == "number":
            if ka == "days and time duration":
                return _scale(a, to_decimal(b))
            if ka == "years and months duration":
                return YearsMonths(int(NUMBERS.multiply(Decimal(a.months), to_decimal(b)).to_integral_value()))
        return None
    if op == "/":
        if ka == "days and time duration":
            if kb == "number":
                return None if not b else _scale(a, NUMBERS.divide(Decimal(1), to_decimal(b)))
            if kb == "days and time duration":
                return None if not b else NUMBERS.divide(_micros(a), _micros(b))
        if ka == "years and months duration":
            if kb == "number":
                return None if not b else YearsMonths(int(NUMBERS.divide(Decimal(a.months), to_decimal(b))))
            if kb == "years and months duration":
                return None if not b.months else NUMBERS.divide(Decimal(a.months), Decimal(b.months))
        return None
    return None


def _micros(delta: timedelta) -> Decimal:
    return Decimal((delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds)


def _scale(delta: timedelta, factor: Decimal) -> timedelta:
    micros = NUMBERS.multiply(_micros(delta), factor).to_integral_value()
    return timedelta(microseconds=int(micros))


def _plus(a: Any, b: Any, ka: str, kb: str) -> Any:
    if ka in ("days and time duration", "years and months duration") and kb not in (ka, "number", "string"):
        a, b, ka, kb = b, a, kb, ka
    if kb == "days and time duration":
        if ka == "days and time duration":
            return a + b
        if ka == "date and time":
            return a + b
        if ka == "date":
            return (datetime(a.year, a.month, a.day) + b).date()
        if ka == "time":
            return _time_plus(a, b)
    if kb == "years and months duration":
        if ka == "years and months duration":
            return YearsMonths(a.months + b.months)
        if ka in ("date and time", "date"):
            return add_months(a, b.months)
    return None


def _minus(a: Any, b: Any, ka: str, kb: str) -> Any:
    if ka == kb:
        if ka == "date and time":
            if _naive(a) != _naive(b):
                return None
            return a - b
        if ka == "date":
            return timedelta(days=(a - b).days)
        if ka == "time":
            return _time_minus(a, b)
        if ka == "days and time duration":
            return a - b
        if ka == "years and months duration":
            return YearsMonths(a.months - b.months)
        return None
    if kb == "days and time duration":
        return _plus(a, -b, ka, kb)
    if kb == "years and months duration":
        return _plus(a, YearsMonths(-b.months), ka, kb)
    return None


def negate(value: Any) -> Any:
    k = kind(value)
    if k == "number":
        return -value if type(value) is not float else -to_decimal(value)
    if k == "days and time duration":
        return -value
    if k == "years and months duration":
        return YearsMonths(-value.months)
    return None
