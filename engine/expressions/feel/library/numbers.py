"""FEEL built-ins on numbers (``decimal``, ``floor``, ``abs``, ``modulo``, ``sqrt`` ...)."""

from __future__ import annotations

from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
)
from typing import Any

from ...meter import Meter
from ..values import NUMBERS, YearsMonths, kind, to_decimal
from .registry import FUNCTIONS, Builtin, Null, builtin, integer_arg, number_arg, text_arg

# -- numbers ------------------------------------------------------------------------------


def _round(value: Any, scale: Any, rounding: str) -> Decimal:
    number = to_decimal(number_arg(value))
    places = 0 if scale is None else integer_arg(scale)
    if not -6111 <= places <= 6176:
        raise Null
    result = number.quantize(Decimal(1).scaleb(-places), rounding=rounding, context=NUMBERS)
    return result.copy_abs() if result.is_zero() else result


_MODES = {
    "up": ROUND_UP, "down": ROUND_DOWN, "ceiling": ROUND_CEILING, "floor": ROUND_FLOOR,
    "half_up": ROUND_HALF_UP, "half_down": ROUND_HALF_DOWN, "half_even": ROUND_HALF_EVEN,
}


@builtin("decimal", ("n", "scale", "mode?"))
def _decimal(meter: Meter, value: Any, scale: Any, mode: Any = None) -> Decimal:
    if mode is None:
        return _round(value, scale, ROUND_HALF_EVEN)
    name = text_arg(mode).lower().replace(" ", "_")
    if name == "unnecessary":
        result = _round(value, scale, ROUND_HALF_EVEN)
        if result != to_decimal(value):
            raise Null
        return result
    if name not in _MODES:
        raise Null
    return _round(value, scale, _MODES[name])


for _name, _mode_name in (
    ("floor", ROUND_FLOOR), ("ceiling", ROUND_CEILING), ("round up", ROUND_UP), ("round down", ROUND_DOWN),
    ("round half up", ROUND_HALF_UP), ("round half down", ROUND_HALF_DOWN),
):
    FUNCTIONS[_name] = Builtin(
        _name, lambda meter, n, scale=None, _m=_mode_name: _round(n, scale, _m), (("n", "scale?"),)
    )


@builtin("abs", ("n",))
def _abs(meter: Meter, value: Any) -> Any:
    k = kind(value)
    if k == "number":
        return abs(value) if type(value) is not float else abs(to_decimal(value))
    if k == "days and time duration":
        return abs(value)
    if k == "years and months duration":
        return YearsMonths(abs(value.months))
    raise Null


@builtin("modulo", ("dividend", "divisor"))
def _modulo(meter: Meter, dividend: Any, divisor: Any) -> Any:
    a, b = number_arg(dividend), number_arg(divisor)
    if not b:
        raise Null
    if type(a) is int and type(b) is int:
        return a % b
    x, y = to_decimal(a), to_decimal(b)
    quotient = NUMBERS.divide(x, y).to_integral_value(rounding=ROUND_FLOOR)
    return NUMBERS.subtract(x, NUMBERS.multiply(y, quotient))


@builtin("sqrt", ("number",))
def _sqrt(meter: Meter, value: Any) -> Any:
    number = to_decimal(number_arg(value))
    if number < 0:
        raise Null
    return NUMBERS.sqrt(number)


@builtin("log", ("number",))
def _log(meter: Meter, value: Any) -> Any:
    number = to_decimal(number_arg(value))
    if number <= 0:
        raise Null
    return NUMBERS.ln(number)


@builtin("exp", ("number",))
def _exp(meter: Meter, value: Any) -> Any:
    return NUMBERS.exp(to_decimal(number_arg(value)))


@builtin("odd", ("number",))
def _odd(meter: Meter, value: Any) -> bool:
    return integer_arg(value) % 2 == 1


@builtin("even", ("number",))
def _even(meter: Meter, value: Any) -> bool:
    return integer_arg(value) % 2 == 0
