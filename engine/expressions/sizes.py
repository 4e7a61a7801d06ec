"""The sizes of values as the meter sees them: digits, bits and text lengths of scalars,
bounded renderings for messages, and the walks over nested containers that `Meter.weigh`
and `Meter.text_size` charge for (see the cost model in `limits`)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, NoReturn

from .errors import ResourceLimitExceeded
from .limits import DECIMAL_HASH_COST, INT_TEXT_PER_STEP, MAX_DATA_NESTING

DICT_VIEWS = (type({}.keys()), type({}.values()), type({}.items()))


# Containers whose comparison, hashing or printing recurses into their items.
DEEP = frozenset({list, tuple, dict, set, frozenset, *DICT_VIEWS})


COLLECTIONS = frozenset({list, tuple, dict, set, frozenset})


_DECIMAL_BASE_SIZE = sys.getsizeof(Decimal(0))


# The C implementation keeps up to 4 words (76 digits) inline and reports only the size
# of a separately allocated coefficient, 19 digits per 64-bit word; reading it is O(1).
_DECIMAL_SIZES_DIGITS = sys.getsizeof(Decimal("1" * 200)) > _DECIMAL_BASE_SIZE


def decimal_digits(value: Decimal) -> int:
    """An upper bound of the number of digits of `value`'s coefficient, in O(1)."""
    if _DECIMAL_SIZES_DIGITS:
        extra = sys.getsizeof(value) - _DECIMAL_BASE_SIZE
        return 76 if extra <= 0 else extra // 8 * 19
    return len(value.as_tuple().digits)  # pragma: no cover - pure-Python decimal


def small_number(value: Any) -> bool:
    """True for anything but a Decimal of more than 76 digits or an int of more than 64
    bits (their arithmetic is charged by size)."""
    t = type(value)
    if t is Decimal:
        return sys.getsizeof(value) <= _DECIMAL_BASE_SIZE
    return t is not int or value.bit_length() <= 64


def int_digits(value: int) -> int:
    """An upper bound of the decimal digits of an int, from its bits."""
    return value.bit_length() * 30103 // 100000 + 1


def int_text_steps(digits: int) -> int:
    """Converting an int of `digits` digits to decimal (text, Decimal) or back: CPython's
    conversion is quadratic in the digits."""
    return digits * digits // INT_TEXT_PER_STEP


def short(value: Any, width: int = 40) -> str:
    """A bounded rendering of a value for an error message (never converts a huge int)."""
    if type(value) is int and value.bit_length() > 64:
        return f"<a number of {value.bit_length()} bits>"
    if isinstance(value, Decimal) and decimal_digits(value) > 76:
        return "<a Decimal of many digits>"
    if isinstance(value, str):
        text = repr(value[: width + 1])
    elif isinstance(value, int | float | Decimal | bool) or value is None:
        text = repr(value)
    else:
        return f"<{type(value).__name__}>"
    return text if len(text) <= width else text[: width - 3] + "..."


def _zone_name_length(zone: timezone) -> int:
    """A fixed-offset timezone can carry a name of any length, which ``%Z``, ``str`` and
    ``repr`` all write out."""
    name = zone.tzname(None)
    return len(name) if isinstance(name, str) else 0


def zone_name_length(value: Any) -> int:
    """The length of the timezone name of a datetime (0 without one)."""
    tz = getattr(value, "tzinfo", None)
    if isinstance(tz, timezone):
        return _zone_name_length(tz)
    if tz is not None and isinstance(value, datetime):
        name = value.tzname()
        return len(name) if isinstance(name, str) else 0
    return 0


def canonical(value: Any) -> Any:
    """A form of `value` whose hash cannot be steered: equal values give equal forms (or,
    for a few equal values of different types, different ones, which only over-counts)."""
    t = type(value)
    if t is str:
        return value
    if t is int or t is bool:
        return value.to_bytes(value.bit_length() // 8 + 1, "little", signed=True)
    if t is tuple:
        return tuple(map(canonical, value))
    if t is frozenset:
        return frozenset(map(canonical, value))
    if t is float:
        return value.hex()
    if t is Decimal:
        return "D" + str(value)
    if t is timezone:
        return "tz" + str(value.utcoffset(None))
    return f"{t.__name__}:{value!r}"


def scalar_scan(value: Any) -> int:
    """What comparing or hashing one scalar reads, in characters."""
    t = type(value)
    if t is str:
        return len(value)
    if t is Decimal:
        digits = decimal_digits(value)
        return digits * DECIMAL_HASH_COST if digits > 76 else 0
    return 0


def flat_chars(items: Sequence[Any], kinds: set[type]) -> int:
    """The characters of the strings (and Decimal digits) among `items`."""
    if not kinds:
        return 0
    if len(kinds) == 1:
        (kind,) = kinds
        if kind is str:
            return sum(map(len, items))
        if kind is Decimal:
            return sum(map(scalar_scan, items))
        return 0
    chars = 0
    if str in kinds:
        chars += sum(len(x) for x in items if type(x) is str)
    if Decimal in kinds:
        chars += sum(scalar_scan(x) for x in items if type(x) is Decimal)
    return chars


def leaves(items: Iterable[Any]) -> tuple[int, list[Any]]:
    """The characters of the strings (and Decimal digits) among `items`, and the nested
    containers among them. Runs at C speed for the common uniform cases."""
    if type(items) is not list and type(items) is not tuple:
        items = list(items)
    kinds = set(map(type, items))
    if not kinds:
        return 0, []
    if len(kinds) == 1:
        (kind,) = kinds
        if kind is str:
            return sum(map(len, items)), []
        if kind in DEEP:
            return 0, list(items)
        if kind is Decimal:
            return sum(map(scalar_scan, items)), []
        return 0, []
    chars = 0
    if str in kinds:
        chars += sum(len(x) for x in items if type(x) is str)
    if Decimal in kinds:
        chars += sum(scalar_scan(x) for x in items if type(x) is Decimal)
    children = [x for x in items if type(x) in DEEP] if not DEEP.isdisjoint(kinds) else []
    return chars, children


def leaf_text(value: Any) -> tuple[int, int]:
    """Upper estimate of the length of the text of one non-container value (its repr may
    escape characters and be longer; the produced text is checked again afterwards), and
    the steps converting it costs beyond its length."""
    t = type(value)
    if t is str:
        return len(value) + 2, 0
    if t is int:
        if value.bit_length() <= 64:
            return 22, 0
        digits = int_digits(value)
        return digits + 2, int_text_steps(digits)
    if t is Decimal:
        if not value.is_finite():
            return 24, 0
        return decimal_digits(value) + len(str(value.adjusted())) + 24, 0
    if t is float:
        return 24, 0
    if t is timezone:
        return _zone_name_length(value) + 64, 0
    if t is datetime:
        tz = value.tzinfo
        return 96 + (_zone_name_length(tz) if isinstance(tz, timezone) else 64 if tz is not None else 0), 0
    return 80, 0


STR_ONLY = frozenset({str})


def too_large(what: str, cap: int) -> NoReturn:
    raise ResourceLimitExceeded(
        f"{what} is too large: walking it would visit more than {cap:,} items "
        "(a list or dict shared in many places counts every time it is reached)"
    )


def too_deep(what: str) -> NoReturn:
    raise ResourceLimitExceeded(f"{what} is nested more than {MAX_DATA_NESTING} levels deep (or contains itself)")


def text_size(value: Any, cap_chars: int, cap_nodes: int) -> tuple[int, int, int]:
    """How many characters ``str()``/``repr()`` of `value` would produce at most, the
    container slots walked to find out and the steps converting big ints costs: returns
    ``(chars, nodes, conversions)``. Refuses a text over `cap_chars` characters, more than
    `cap_nodes` slots, or nesting deeper than `MAX_DATA_NESTING`."""
    deep = DEEP
    chars = 0
    nodes = 0
    depth = 0
    conversions = 0
    level: dict[int, tuple[Any, int]] = {id(value): (value, 1)}
    while level:
        depth += 1
        if depth > MAX_DATA_NESTING:
            too_deep("the value to convert to text")
        below: dict[int, tuple[Any, int]] = {}
        for v, count in level.values():
            if type(v) not in deep:
                size, work = leaf_text(v)
                chars += count * size
                conversions += work
            else:
                n = len(v)
                nodes += count * (n + 1)
                if type(v) is dict:
                    chars += count * (2 + 4 * n)
                    items: list[Any] = [*v.keys(), *v.values()]
                else:
                    chars += count * (2 + 2 * n)
                    items = list(v)
                if nodes > cap_nodes:
                    too_large("the value to convert to text", cap_nodes)
                kinds = set(map(type, items))
                if kinds <= STR_ONLY:
                    chars += count * (sum(map(len, items)) + 2 * len(items))
                else:
                    for item in items:
                        if type(item) in deep:
                            seen = below.get(id(item))
                            below[id(item)] = (item, count if seen is None else seen[1] + count)
                        else:
                            size, work = leaf_text(item)
                            chars += count * size
                            conversions += work
            if chars > cap_chars:
                raise ResourceLimitExceeded(
                    f"converting the value to text would produce more than {cap_chars:,} characters"
                )
        level = below
    if chars > cap_chars:
        raise ResourceLimitExceeded(
            f"converting the value to text would produce more than {cap_chars:,} characters"
        )
    return chars, nodes, conversions
