"""Turning values into text without letting the text (or the work) explode.

Three routes lead from a value to text in the sandbox: ``str()``/``repr()``-style
conversions (also ``!s``/``!r``/``!a`` in f-strings), format specs (``format(x, spec)``
and ``f'{x:spec}'``), and printf-style ``'%s' % x``. None of them can reach attributes:
``str.format``/``format_map``, whose replacement fields can (``'{0.__class__}'``), are not
on any allow list. What remains dangerous is size: a width of ``10**9``, a precision of
``10**9``, ``'%(a)s' * 100000 % {'a': big}``, ``format(Decimal('1e999999999'), 'f')`` or a
list that shares itself a thousand times. Each route estimates the size first and refuses
what would exceed `max_string_length`; the text produced is checked again afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, time
from decimal import Decimal
from typing import Any

from .errors import ResourceLimitExceeded
from .meter import Meter
from .sizes import decimal_digits, int_digits, int_text_steps, zone_name_length

# The standard format-spec mini-language (PEP 3101), as accepted by str, int, float and
# Decimal. Anything else is left to the value's own __format__ (dates use strftime codes).
_SPEC = re.compile(
    r"(?:(?P<fill>.)?(?P<align>[<>=^]))?[-+ ]?z?\#?0?(?P<width>\d*)[,_]?"
    r"(?:\.(?P<precision>\d+))?(?P<type>[bcdeEfFgGnosxX%])?",
    re.S,
)
_PRINTF = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?[#0\- +]*(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d+))?[hlL]?(?P<type>.)?",
    re.S,
)
# strftime may write up to 256 characters per character of its format before CPython gives up.
STRFTIME_EXPANSION = 256


def _count(meter: Meter, digits: str, what: str) -> int:
    # More than 12 digits is beyond any limit (and int() of 5000 digits would itself fail).
    if len(digits) > 12:
        raise ResourceLimitExceeded(f"the {what} {digits[:12]}... is too large")
    number = int(digits)
    meter.need_chars(number, f"a {what} of {number}")
    return number


def check_strftime(meter: Meter, fmt: Any, value: Any = None) -> None:
    """Before ``value.strftime(fmt)``: every character of the format may become up to
    `STRFTIME_EXPANSION` characters, and every ``%Z`` the whole name of the timezone,
    which a fixed-offset ``timezone`` lets a script choose (of any length)."""
    if isinstance(fmt, str):
        size = len(fmt) * STRFTIME_EXPANSION
        if "%Z" in fmt:
            size += fmt.count("%Z") * zone_name_length(value)
        meter.need_chars(size, "the date format")


def check_spec(meter: Meter, value: Any, spec: str) -> None:
    """Refuses a format spec whose width or precision, or a Decimal whose fixed-point
    expansion, would produce an oversized text."""
    match = _SPEC.fullmatch(spec)
    if match is None:
        if isinstance(value, date | time):
            check_strftime(meter, spec, value)
        return  # format() itself rejects an invalid spec for the builtin types
    width = _count(meter, match["width"], "width") if match["width"] else 0
    precision = _count(meter, match["precision"], "precision") if match["precision"] else 0
    if isinstance(value, Decimal) and value.is_finite() and match["type"] in ("f", "F", "%"):
        # |exponent| <= |adjusted| + digits: an upper bound without listing the digits
        digits = decimal_digits(value)
        meter.need_chars(2 * digits + abs(value.adjusted()) + precision + 3, "the formatted number")
    meter.need_chars(max(width, precision), "the formatted value")
    _conversion_cost(meter, value, precision)


def _conversion_cost(meter: Meter, value: Any, precision: int) -> None:
    """Writing a number in decimal: quadratic in the digits for a big int, and for a
    float with a large precision (an exact conversion of up to 1,074 binary digits)."""
    if type(value) is int:
        if value.bit_length() > 64:
            meter.charge(int_text_steps(int_digits(value)))
    elif type(value) is float and precision > 30:
        meter.charge(2 * int_text_steps(precision + 330))


def safe_format(meter: Meter, value: Any, spec: str = "") -> str:
    """``format(value, spec)`` with size checks; the spec must be a string."""
    if not isinstance(spec, str):
        raise TypeError(f"format spec must be a str, not {type(spec).__name__}")
    if type(value) is str and not spec:
        return value
    check_spec(meter, value, spec)
    if not spec:
        meter.text_size(value)
    return meter.produced(format(value, spec))


def convert(meter: Meter, value: Any, how: Callable[[Any], str]) -> str:
    """``str``/``repr``/``ascii`` of a value with its size estimated first."""
    if type(value) is str and how is str:
        return value
    meter.text_size(value)
    return meter.produced(how(value))


def check_printf(meter: Meter, fmt: str, args: Any) -> None:
    """Estimates the length of ``fmt % args`` without building it: every conversion is
    counted with its own argument (a key repeated a thousand times counts a thousand
    times), ``*`` widths are read from the arguments as Python would."""
    mapping = args if isinstance(args, Mapping) else None
    positional = args if type(args) is tuple else (args,)
    index = 0

    def take() -> Any:
        nonlocal index
        if index < len(positional):
            index += 1
            return positional[index - 1]
        return None  # Python raises "not enough arguments" itself

    total = len(fmt)
    for match in _PRINTF.finditer(fmt):
        kind = match["type"]
        if kind == "%" and match["key"] is None:
            continue
        width = match["width"]
        if width == "*":
            star = take()
            w = abs(star) if isinstance(star, int) else 0
            meter.need_chars(w, f"a width of {w}")
        else:
            w = _count(meter, width, "width") if width else 0
        precision = match["precision"]
        if precision == "*":
            star = take()
            p = abs(star) if isinstance(star, int) else 0
            meter.need_chars(p, f"a precision of {p}")
        else:
            p = _count(meter, precision, "precision") if precision else 0
        arg = mapping.get(match["key"]) if mapping is not None and match["key"] is not None else take()
        total += max(w, _printf_size(meter, arg, kind, p if precision else None))
        meter.need_chars(total, "the formatted text")


def _printf_size(meter: Meter, arg: Any, kind: str | None, precision: int | None) -> int:
    if kind in ("s", "r", "a"):
        size = meter.text_size(arg)
        return min(size, precision) if kind == "s" and precision is not None else size
    if kind is not None and kind in "diouxXc":
        if isinstance(arg, Decimal):
            meter.int_of_decimal(arg)
            return decimal_digits(arg) + 2 + max(0, arg.adjusted())
        if isinstance(arg, int):
            meter.charge(int_text_steps(int_digits(arg)))
            return arg.bit_length() * 3 // 10 + 2 + (precision or 0)
        return 330 + (precision or 0)  # a float becomes an int of at most 309 digits
    if isinstance(arg, float):
        _conversion_cost(meter, arg, precision or 0)
    return 330 + (precision or 0)  # floats: at most 309 digits before the point
