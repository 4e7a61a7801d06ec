"""FEEL's built-in functions (DMN 1.5 and Camunda 8's extensions), as trusted Python.

Each function takes the run's `Meter` first and FEEL values after; a call with arguments
of the wrong type returns null, as FEEL specifies. Work proportional to the arguments
(joining, sorting, searching, deduplicating) is charged to the meter. `FUNCTIONS` maps
the FEEL name (``"string length"``) to a `Builtin` with its parameter names, which the
translator uses to check arity and map named arguments at deploy time.

Regular expressions run on the linear-time engine in `regex` (see there). ``now()`` and
``today()`` read `clock.now` (the engine's clock when it set one).
"""

from __future__ import annotations

import base64
import re
import uuid as _uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
    DecimalException,
)
from functools import cmp_to_key
from typing import Any

from ..callables import sort_in_place
from ..errors import EvaluationError
from ..limits import Meter
from . import clock, regex
from .operations import add_months, arithmetic, compare, equal
from .values import (
    INT_LIMIT,
    NUMBERS,
    Range,
    YearsMonths,
    is_number,
    kind,
    parse_date,
    parse_date_and_time,
    parse_duration,
    parse_time,
    to_decimal,
    to_text,
    zone,
)

_END: Any = object()


class Null(Exception):
    """Raised inside a built-in to return null."""


@dataclass(frozen=True, slots=True)
class Builtin:
    name: str
    impl: Callable[..., Any]
    signatures: tuple[tuple[str, ...], ...]  # parameter names; "x?" optional, "*x" varargs

    def accepts(self, count: int) -> bool:
        for signature in self.signatures:
            required = sum(1 for p in signature if not p.endswith("?") and not p.startswith("*"))
            varargs = any(p.startswith("*") for p in signature)
            if count >= required and (varargs or count <= len(signature)):
                return True
        return False

    def describe(self) -> str:
        shapes = [", ".join(p.lstrip("*").rstrip("?") + ("..." if p.startswith("*") else "") for p in s)
                  for s in self.signatures]
        return " or ".join(f"{self.name}({shape})" for shape in shapes)

    def bind(self, named: dict[str, Any]) -> list[Any] | None:
        """Positional arguments for a call with named ones, or None if no signature fits."""
        for signature in self.signatures:
            names = [p.lstrip("*").rstrip("?") for p in signature]
            if not set(named) <= set(names):
                continue
            required = [n for p, n in zip(signature, names, strict=True)
                        if not p.endswith("?") and not p.startswith("*")]
            if not all(n in named for n in required):
                continue
            args = [named.get(n) for n in names]
            while args and names[len(args) - 1] not in named:
                args.pop()
            last = signature[len(args) - 1] if args else ""
            if last.startswith("*"):
                value = args.pop()
                args.extend(value if isinstance(value, list) else [value])
            return args
        return None


FUNCTIONS: dict[str, Builtin] = {}


def builtin(name: str, *signatures: tuple[str, ...]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(impl: Callable[..., Any]) -> Callable[..., Any]:
        FUNCTIONS[name] = Builtin(name, impl, signatures)
        return impl

    return register


def call(meter: Meter, function: Builtin, args: Sequence[Any]) -> Any:
    if not function.accepts(len(args)):
        return None
    try:
        return function.impl(meter, *args)
    except Null:
        return None
    except (DecimalException, OverflowError, ValueError, TypeError, ZeroDivisionError, IndexError,
            regex.RegexError) as exc:
        if isinstance(exc, regex.RegexError):
            raise EvaluationError(f"FEEL {function.name}(): {exc}") from exc
        return None


# -- argument checks ----------------------------------------------------------------------


def _text(value: Any) -> str:
    if type(value) is not str:
        raise Null
    return value


def _number(value: Any) -> Any:
    if not is_number(value):
        raise Null
    return value


def _integer(value: Any) -> int:
    if not is_number(value):
        raise Null
    if type(value) is int:
        return value
    d = to_decimal(value)
    if d != d.to_integral_value():
        raise Null
    if abs(d) > INT_LIMIT:
        raise Null
    return int(d)


def _list(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value) if type(value) is tuple else value
    raise Null


def _items(meter: Meter, args: tuple[Any, ...]) -> list[Any]:
    """``f([1, 2, 3])`` or ``f(1, 2, 3)``."""
    items = _list(args[0]) if len(args) == 1 and isinstance(args[0], list | tuple) else list(args)
    meter.consume(items)
    return items


def _context(value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise Null
    return value


def _bool(value: Any) -> bool | None:
    return value if type(value) is bool else None


# -- conversion -------------------------------------------------------------------------------


@builtin("string", ("from",))
def _string(meter: Meter, value: Any) -> str | None:
    if isinstance(value, list | tuple | dict):
        meter.text_size(value)
    return meter.produced(to_text(value))


@builtin("number", ("from", "grouping separator?", "decimal separator?"))
def _to_number(meter: Meter, text: Any, grouping: Any = None, decimal_sep: Any = None) -> Any:
    text = _text(text).strip()
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
        return date(_integer(args[0]), _integer(args[1]), _integer(args[2]))
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
        seconds = to_decimal(_number(args[2]))
        whole = int(seconds)
        micros = int((seconds - whole) * 1_000_000)
        tz = None
        if len(args) == 4 and args[3] is not None:
            if not isinstance(args[3], timedelta):
                raise Null
            tz = timezone(args[3])
        return time(_integer(args[0]), _integer(args[1]), whole, micros, tzinfo=tz)
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
    return parse_duration(_text(value))


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
    for entry in meter.consume(_list(entries)):
        entry = _context(entry)
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


# -- strings ------------------------------------------------------------------------------


@builtin("substring", ("string", "start position", "length?"))
def _substring(meter: Meter, text: Any, start: Any, length: Any = None) -> str:
    text = _text(text)
    begin = _integer(start)
    if begin == 0:
        raise Null
    index = begin - 1 if begin > 0 else len(text) + begin
    index = max(index, 0)
    if length is None:
        return meter.produced(text[index:])
    count = _integer(length)
    if count < 0:
        raise Null
    return meter.produced(text[index : index + count])


@builtin("string length", ("string",))
def _string_length(meter: Meter, text: Any) -> int:
    return len(_text(text))


@builtin("upper case", ("string",))
def _upper(meter: Meter, text: Any) -> str:
    meter.scan(_text(text))
    return meter.produced(text.upper())


@builtin("lower case", ("string",))
def _lower(meter: Meter, text: Any) -> str:
    meter.scan(_text(text))
    return meter.produced(text.lower())


@builtin("substring before", ("string", "match"))
def _before(meter: Meter, text: Any, match: Any) -> str:
    text, match = _text(text), _text(match)
    meter.scan(text)
    at = text.find(match)
    return "" if at < 0 else meter.produced(text[:at])


@builtin("substring after", ("string", "match"))
def _after(meter: Meter, text: Any, match: Any) -> str:
    text, match = _text(text), _text(match)
    meter.scan(text)
    if not match:
        return text
    at = text.find(match)
    return "" if at < 0 else meter.produced(text[at + len(match) :])


@builtin("contains", ("string", "match"))
def _contains(meter: Meter, text: Any, match: Any) -> bool:
    meter.scan(_text(text))
    return _text(match) in text


@builtin("starts with", ("string", "match"))
def _starts_with(meter: Meter, text: Any, match: Any) -> bool:
    return _text(text).startswith(_text(match))


@builtin("ends with", ("string", "match"))
def _ends_with(meter: Meter, text: Any, match: Any) -> bool:
    return _text(text).endswith(_text(match))


def _flags(flags: Any) -> str:
    return "" if flags is None else _text(flags)


@builtin("matches", ("input", "pattern", "flags?"))
def _matches(meter: Meter, text: Any, pattern: Any, flags: Any = None) -> bool:
    return regex.matches(meter, _text(text), _text(pattern), _flags(flags))


@builtin("replace", ("input", "pattern", "replacement", "flags?"))
def _replace(meter: Meter, text: Any, pattern: Any, replacement: Any, flags: Any = None) -> str:
    text, pattern, replacement = _text(text), _text(pattern), _text(replacement)
    flags = _flags(flags)
    compiled = regex.compile_pattern(pattern, flags)
    if regex.matches_empty(meter, pattern, flags):
        raise regex.RegexError("the pattern matches the empty text, which replace() does not allow")
    parts: list[str] = []
    size = 0
    at = 0
    for match in regex.finditer(meter, text, pattern, flags):
        parts.append(text[at : match[0]])
        piece = regex.expand(meter, replacement, text, match, compiled[1])
        parts.append(piece)
        size += match[0] - at + len(piece)
        meter.need_chars(size, "the replaced text")
        at = match[1]
    parts.append(text[at:])
    return meter.produced("".join(parts))


@builtin("split", ("string", "delimiter", "flags?"))
def _split(meter: Meter, text: Any, delimiter: Any, flags: Any = None) -> list[str]:
    text, delimiter = _text(text), _text(delimiter)
    flags = _flags(flags)
    if regex.matches_empty(meter, delimiter, flags):
        raise regex.RegexError("the delimiter matches the empty text, which split() does not allow")
    parts: list[str] = []
    at = 0
    for match in regex.finditer(meter, text, delimiter, flags):
        parts.append(text[at : match[0]])
        at = match[1]
    parts.append(text[at:])
    return meter.produced(parts)


@builtin("extract", ("string", "pattern"))
def _extract(meter: Meter, text: Any, pattern: Any) -> list[str]:
    text = _text(text)
    return meter.produced([text[m[0] : m[1]] for m in regex.finditer(meter, text, _text(pattern))])


@builtin("trim", ("string",))
def _trim(meter: Meter, text: Any) -> str:
    return meter.produced(_text(text).strip())


@builtin("uuid", ())
def _new_uuid(meter: Meter) -> str:
    return str(_uuid.uuid4())


@builtin("to base64", ("value",))
def _to_base64(meter: Meter, text: Any) -> str:
    data = _text(text).encode()
    meter.need_chars(len(data) * 4 // 3 + 4, "the Base64 text")
    return meter.produced(base64.b64encode(data).decode("ascii"))


@builtin("is blank", ("string",))
def _is_blank(meter: Meter, text: Any) -> bool:
    return not _text(text).strip()


@builtin("string join", ("list", "delimiter?", "prefix?", "suffix?"))
def _string_join(meter: Meter, items: Any, delimiter: Any = None, prefix: Any = None, suffix: Any = None) -> str:
    items = meter.consume(_list(items))
    parts = []
    for item in items:
        if item is None:
            continue
        if type(item) is not str:
            raise Null
        parts.append(item)
    delimiter = "" if delimiter is None else _text(delimiter)
    prefix = "" if prefix is None else _text(prefix)
    suffix = "" if suffix is None else _text(suffix)
    total = sum(map(len, parts)) + len(delimiter) * max(0, len(parts) - 1) + len(prefix) + len(suffix)
    meter.need_chars(total, "the joined text")
    return meter.produced(prefix + delimiter.join(parts) + suffix)


# -- lists --------------------------------------------------------------------------------


def _index_of(meter: Meter, items: list[Any], value: Any) -> list[int]:
    return [i + 1 for i, item in enumerate(items) if equal(meter, item, value) is True]


@builtin("list contains", ("list", "element"))
def _list_contains(meter: Meter, items: Any, value: Any) -> bool:
    items = meter.consume(_list(items))
    return any(equal(meter, item, value) is True for item in items)


@builtin("count", ("list",))
def _count(meter: Meter, items: Any) -> int:
    return len(_list(items))


def _extreme(meter: Meter, args: tuple[Any, ...], op: str) -> Any:
    items = [i for i in _items(meter, args)]
    if not items:
        return None
    best = items[0]
    for item in items[1:]:
        better = compare(meter, op, item, best)
        if better is None:
            raise Null
        if better:
            best = item
    return best


@builtin("min", ("*list",))
def _min(meter: Meter, *args: Any) -> Any:
    return _extreme(meter, args, "<")


@builtin("max", ("*list",))
def _max(meter: Meter, *args: Any) -> Any:
    return _extreme(meter, args, ">")


def _numbers(meter: Meter, args: tuple[Any, ...]) -> list[Any]:
    items = _items(meter, args)
    if not all(is_number(i) for i in items):
        raise Null
    return items


def _total(meter: Meter, items: list[Any]) -> Any:
    total: Any = 0
    for item in items:
        total = arithmetic(meter, "+", total, item)
    return total


@builtin("sum", ("*list",))
def _sum(meter: Meter, *args: Any) -> Any:
    items = _numbers(meter, args)
    return _total(meter, items) if items else None


@builtin("product", ("*list",))
def _product(meter: Meter, *args: Any) -> Any:
    items = _numbers(meter, args)
    if not items:
        return None
    result: Any = 1
    for item in items:
        result = arithmetic(meter, "*", result, item)
    return result


@builtin("mean", ("*list",))
def _mean(meter: Meter, *args: Any) -> Any:
    items = _numbers(meter, args)
    if not items:
        return None
    return arithmetic(meter, "/", _total(meter, items), len(items))


def _sorted_numbers(meter: Meter, args: tuple[Any, ...]) -> list[Any]:
    items = list(_numbers(meter, args))
    sort_in_place(meter, items)
    return items


@builtin("median", ("*list",))
def _median(meter: Meter, *args: Any) -> Any:
    items = _sorted_numbers(meter, args)
    if not items:
        return None
    middle = len(items) // 2
    if len(items) % 2:
        return items[middle]
    return arithmetic(meter, "/", arithmetic(meter, "+", items[middle - 1], items[middle]), 2)


@builtin("stddev", ("*list",))
def _stddev(meter: Meter, *args: Any) -> Any:
    items = _numbers(meter, args)
    if len(items) < 2:
        return None
    numbers = [to_decimal(i) for i in items]
    mean = NUMBERS.divide(sum(numbers, Decimal(0)), Decimal(len(numbers)))
    squares = sum((NUMBERS.multiply(n - mean, n - mean) for n in numbers), Decimal(0))
    return NUMBERS.sqrt(NUMBERS.divide(squares, Decimal(len(numbers) - 1)))


@builtin("mode", ("*list",))
def _mode(meter: Meter, *args: Any) -> list[Any]:
    items = _numbers(meter, args)
    counts: dict[Any, int] = {}
    for item in items:
        key = to_decimal(item).normalize()
        counts[key] = counts.get(key, 0) + 1
    if not counts:
        return []
    top = max(counts.values())
    values = [next(i for i in items if to_decimal(i).normalize() == key) for key, n in counts.items() if n == top]
    sort_in_place(meter, values)
    return values


def _all(meter: Meter, *args: Any) -> bool | None:
    items = _items(meter, args)
    if any(item is False for item in items):
        return False
    return True if all(item is True for item in items) else None


def _any(meter: Meter, *args: Any) -> bool | None:
    items = _items(meter, args)
    if any(item is True for item in items):
        return True
    return False if all(item is False for item in items) else None


for _name, _impl in (("all", _all), ("and", _all), ("any", _any), ("or", _any)):
    FUNCTIONS[_name] = Builtin(_name, _impl, (("*list",),))


def _position(items: list[Any], position: Any) -> int:
    index = _integer(position)
    if index == 0 or abs(index) > len(items):
        raise Null
    return index - 1 if index > 0 else len(items) + index


@builtin("sublist", ("list", "start position", "length?"))
def _sublist(meter: Meter, items: Any, start: Any, length: Any = None) -> list[Any]:
    items = _list(items)
    index = _position(items, start)
    if length is None:
        return meter.produced(items[index:])
    count = _integer(length)
    if count < 0 or index + count > len(items):
        raise Null
    return meter.produced(items[index : index + count])


@builtin("append", ("list", "*items"))
def _append(meter: Meter, items: Any, *more: Any) -> list[Any]:
    items = _list(items)
    meter.need_items(len(items) + len(more))
    return meter.produced([*items, *more])


@builtin("concatenate", ("*lists",))
def _concatenate(meter: Meter, *lists: Any) -> list[Any]:
    result: list[Any] = []
    for items in lists:
        items = _list(items)
        meter.need_items(len(result) + len(items))
        result.extend(items)
    return meter.produced(result)


@builtin("insert before", ("list", "position", "newItem"))
def _insert_before(meter: Meter, items: Any, position: Any, value: Any) -> list[Any]:
    items = _list(items)
    index = _position(items, position)
    meter.need_items(len(items) + 1)
    return meter.produced([*items[:index], value, *items[index:]])


@builtin("remove", ("list", "position"))
def _remove(meter: Meter, items: Any, position: Any) -> list[Any]:
    items = _list(items)
    index = _position(items, position)
    return meter.produced(items[:index] + items[index + 1 :])


@builtin("reverse", ("list",))
def _reverse(meter: Meter, items: Any) -> list[Any]:
    return meter.produced(list(reversed(_list(items))))


@builtin("index of", ("list", "match"))
def _index_of_builtin(meter: Meter, items: Any, value: Any) -> list[int]:
    return meter.produced(_index_of(meter, meter.consume(_list(items)), value))


def _hash_key(value: Any) -> Any:
    k = kind(value)
    if k in ("number", "string", "boolean", "date", "days and time duration", "years and months duration"):
        return (k, value)
    return None


def _distinct(meter: Meter, items: Sequence[Any]) -> list[Any]:
    result: list[Any] = []
    seen: set[Any] = set()
    others: list[Any] = []
    for item in items:
        key = _hash_key(item)
        if key is not None:
            if key not in seen:
                seen.add(key)
                result.append(item)
            continue
        meter.charge(len(others) // 10)
        if not any(equal(meter, item, other) is True for other in others):
            others.append(item)
            result.append(item)
    return result


@builtin("union", ("*lists",))
def _union(meter: Meter, *lists: Any) -> list[Any]:
    return meter.produced(_distinct(meter, _concatenate(meter, *lists)))


@builtin("distinct values", ("list",))
def _distinct_values(meter: Meter, items: Any) -> list[Any]:
    return meter.produced(_distinct(meter, meter.consume(_list(items))))


@builtin("duplicate values", ("list",))
def _duplicate_values(meter: Meter, items: Any) -> list[Any]:
    items = meter.consume(_list(items))
    duplicates = [item for item in _distinct(meter, items) if len(_index_of(meter, items, item)) > 1]
    return meter.produced(duplicates)


@builtin("flatten", ("list",))
def _flatten(meter: Meter, items: Any) -> list[Any]:
    result: list[Any] = []
    stack: list[Iterator[Any]] = [iter(_list(items))]
    while stack:
        if len(stack) > 100:
            raise Null
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
        elif isinstance(item, list | tuple):
            stack.append(iter(item))
        else:
            result.append(item)
            if len(result) > meter.max_items:
                meter.need_items(len(result))
    return meter.produced(result)


@builtin("sort", ("list", "precedes?"))
def _sort(meter: Meter, items: Any, precedes: Any = None) -> list[Any]:
    items = list(meter.consume(_list(items)))
    if precedes is None:
        def order(a: Any, b: Any) -> int:
            less = compare(meter, "<", a, b)
            if less is None:
                raise Null
            return -1 if less else (1 if compare(meter, ">", a, b) else 0)
    else:
        if not callable(precedes):
            raise Null

        def order(a: Any, b: Any) -> int:
            if precedes(a, b) is True:
                return -1
            return 1 if precedes(b, a) is True else 0

    sort_in_place(meter, items, key=cmp_to_key(order))
    return items


@builtin("is empty", ("list",))
def _is_empty(meter: Meter, items: Any) -> bool:
    return not _list(items)


@builtin("partition", ("list", "size"))
def _partition(meter: Meter, items: Any, size: Any) -> list[list[Any]]:
    items = _list(items)
    step = _integer(size)
    if step <= 0:
        raise Null
    return meter.produced([items[i : i + step] for i in range(0, len(items), step)])


# -- numbers ------------------------------------------------------------------------------


def _round(value: Any, scale: Any, rounding: str) -> Decimal:
    number = to_decimal(_number(value))
    places = 0 if scale is None else _integer(scale)
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
    name = _text(mode).lower().replace(" ", "_")
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
    a, b = _number(dividend), _number(divisor)
    if not b:
        raise Null
    if type(a) is int and type(b) is int:
        return a % b
    x, y = to_decimal(a), to_decimal(b)
    quotient = NUMBERS.divide(x, y).to_integral_value(rounding=ROUND_FLOOR)
    return NUMBERS.subtract(x, NUMBERS.multiply(y, quotient))


@builtin("sqrt", ("number",))
def _sqrt(meter: Meter, value: Any) -> Any:
    number = to_decimal(_number(value))
    if number < 0:
        raise Null
    return NUMBERS.sqrt(number)


@builtin("log", ("number",))
def _log(meter: Meter, value: Any) -> Any:
    number = to_decimal(_number(value))
    if number <= 0:
        raise Null
    return NUMBERS.ln(number)


@builtin("exp", ("number",))
def _exp(meter: Meter, value: Any) -> Any:
    return NUMBERS.exp(to_decimal(_number(value)))


@builtin("odd", ("number",))
def _odd(meter: Meter, value: Any) -> bool:
    return _integer(value) % 2 == 1


@builtin("even", ("number",))
def _even(meter: Meter, value: Any) -> bool:
    return _integer(value) % 2 == 0


# -- contexts -----------------------------------------------------------------------------


@builtin("get value", ("context", "key"), ("context", "keys"))
def _get_value(meter: Meter, context: Any, key: Any) -> Any:
    context = _context(context)
    if type(key) is str:
        return context.get(key)
    keys = _list(key)
    if not keys:
        raise Null
    value: Any = context
    for part in keys:
        if type(value) is not dict or type(part) is not str:
            raise Null
        value = value.get(part)
    return value


@builtin("get entries", ("context",))
def _get_entries(meter: Meter, context: Any) -> list[dict[str, Any]]:
    context = _context(context)
    return meter.produced([{"key": k, "value": v} for k, v in context.items()])


@builtin("context put", ("context", "key", "value"), ("context", "keys", "value"))
def _context_put(meter: Meter, context: Any, key: Any, value: Any) -> dict[str, Any]:
    context = _context(context)
    if type(key) is str:
        return meter.produced({**context, key: value})
    keys = _list(key)
    if not keys or any(type(k) is not str for k in keys):
        raise Null
    head = keys[0]
    if len(keys) == 1:
        return meter.produced({**context, head: value})
    inner = context.get(head)
    return meter.produced({**context, head: _context_put(meter, inner if type(inner) is dict else {}, keys[1:], value)})


@builtin("put", ("context", "key", "value"))
def _put(meter: Meter, context: Any, key: Any, value: Any) -> dict[str, Any]:
    return _context_put(meter, context, key, value)


@builtin("context merge", ("*contexts",))
def _context_merge(meter: Meter, *contexts: Any) -> dict[str, Any]:
    items = _items(meter, contexts)
    result: dict[str, Any] = {}
    for context in items:
        context = _context(context)
        meter.need_items(len(result) + len(context))
        result.update(context)
    return meter.produced(result)


FUNCTIONS["put all"] = Builtin("put all", _context_merge, (("*contexts",),))


# -- ranges (DMN 1.4, 10.3.4.9) -------------------------------------------------------------


def _lt(meter: Meter, a: Any, b: Any) -> bool:
    result = compare(meter, "<", a, b)
    if result is None:
        raise Null
    return result


def _eq(meter: Meter, a: Any, b: Any) -> bool:
    result = equal(meter, a, b)
    if result is None:
        raise Null
    return result


def _range_args(a: Any, b: Any) -> tuple[bool, bool]:
    return type(a) is Range, type(b) is Range


def _range_function(name: str, points: Callable[..., bool], point_range: Callable[..., bool] | None,
                    range_point: Callable[..., bool] | None, ranges: Callable[..., bool]) -> None:
    def impl(meter: Meter, a: Any, b: Any) -> bool:
        if a is None or b is None:
            raise Null
        ra, rb = _range_args(a, b)
        if ra and rb:
            return ranges(meter, a, b)
        if ra and range_point is not None:
            return range_point(meter, a, b)
        if rb and point_range is not None:
            return point_range(meter, a, b)
        if not ra and not rb:
            return points(meter, a, b)
        raise Null

    FUNCTIONS[name] = Builtin(name, impl, (("point1", "point2"), ("point", "range"), ("range", "point"),
                                           ("range1", "range2")))


def _s(r: Range) -> tuple[Any, bool]:
    return r.start, r.start_closed


def _e(r: Range) -> tuple[Any, bool]:
    return r.end, r.end_closed


_range_function(
    "before",
    lambda m, a, b: _lt(m, a, b),
    lambda m, p, r: _lt(m, p, r.start) or (_eq(m, p, r.start) and not r.start_closed),
    lambda m, r, p: _lt(m, r.end, p) or (_eq(m, r.end, p) and not r.end_closed),
    lambda m, a, b: _lt(m, a.end, b.start) or ((not a.end_closed or not b.start_closed) and _eq(m, a.end, b.start)),
)
_range_function(
    "after",
    lambda m, a, b: _lt(m, b, a),
    lambda m, p, r: _lt(m, r.end, p) or (_eq(m, p, r.end) and not r.end_closed),
    lambda m, r, p: _lt(m, p, r.start) or (_eq(m, r.start, p) and not r.start_closed),
    lambda m, a, b: _lt(m, b.end, a.start) or ((not a.start_closed or not b.end_closed) and _eq(m, a.start, b.end)),
)
_range_function(
    "meets", lambda m, a, b: _raise(), None, None,
    lambda m, a, b: a.end_closed and b.start_closed and _eq(m, a.end, b.start),
)
_range_function(
    "met by", lambda m, a, b: _raise(), None, None,
    lambda m, a, b: a.start_closed and b.end_closed and _eq(m, a.start, b.end),
)
_range_function(
    "overlaps", lambda m, a, b: _raise(), None, None,
    lambda m, a, b: (_lt(m, b.start, a.end) or (_eq(m, a.end, b.start) and a.end_closed and b.start_closed))
    and (_lt(m, a.start, b.end) or (_eq(m, a.start, b.end) and a.start_closed and b.end_closed)),
)
_range_function(
    "overlaps before", lambda m, a, b: _raise(), None, None,
    lambda m, a, b: (_lt(m, a.start, b.start) or (_eq(m, a.start, b.start) and a.start_closed and not b.start_closed))
    and (_lt(m, b.start, a.end) or (_eq(m, a.end, b.start) and a.end_closed and b.start_closed))
    and (_lt(m, a.end, b.end) or (_eq(m, a.end, b.end) and (not a.end_closed or b.end_closed))),
)
_range_function(
    "overlaps after", lambda m, a, b: _raise(), None, None,
    lambda m, a, b: (_lt(m, b.start, a.start) or (_eq(m, b.start, a.start) and b.start_closed and not a.start_closed))
    and (_lt(m, a.start, b.end) or (_eq(m, b.end, a.start) and b.end_closed and a.start_closed))
    and (_lt(m, b.end, a.end) or (_eq(m, b.end, a.end) and (not b.end_closed or a.end_closed))),
)
_range_function(
    "finishes", lambda m, a, b: _raise(),
    lambda m, p, r: r.end_closed and _eq(m, r.end, p),
    None,
    lambda m, a, b: a.end_closed == b.end_closed and _eq(m, a.end, b.end)
    and (_lt(m, b.start, a.start) or (_eq(m, a.start, b.start) and (not a.start_closed or b.start_closed))),
)
_range_function(
    "finished by", lambda m, a, b: _raise(), None,
    lambda m, r, p: r.end_closed and _eq(m, r.end, p),
    lambda m, a, b: a.end_closed == b.end_closed and _eq(m, a.end, b.end)
    and (_lt(m, a.start, b.start) or (_eq(m, a.start, b.start) and (a.start_closed or not b.start_closed))),
)


def _includes_point(m: Meter, r: Range, p: Any) -> bool:
    return (
        (_lt(m, r.start, p) and _lt(m, p, r.end))
        or (_eq(m, r.start, p) and r.start_closed)
        or (_eq(m, r.end, p) and r.end_closed)
    )


def _includes_range(m: Meter, a: Range, b: Range) -> bool:
    return (_lt(m, a.start, b.start) or (_eq(m, a.start, b.start) and (a.start_closed or not b.start_closed))) and (
        _lt(m, b.end, a.end) or (_eq(m, a.end, b.end) and (a.end_closed or not b.end_closed))
    )


_range_function("includes", lambda m, a, b: _raise(), None, _includes_point, _includes_range)
_range_function(
    "during", lambda m, a, b: _raise(), lambda m, p, r: _includes_point(m, r, p), None,
    lambda m, a, b: _includes_range(m, b, a),
)
_range_function(
    "starts", lambda m, a, b: _raise(),
    lambda m, p, r: r.start_closed and _eq(m, r.start, p),
    None,
    lambda m, a, b: _eq(m, a.start, b.start) and a.start_closed == b.start_closed
    and (_lt(m, a.end, b.end) or (_eq(m, a.end, b.end) and (not a.end_closed or b.end_closed))),
)
_range_function(
    "started by", lambda m, a, b: _raise(), None,
    lambda m, r, p: r.start_closed and _eq(m, r.start, p),
    lambda m, a, b: _eq(m, a.start, b.start) and a.start_closed == b.start_closed
    and (_lt(m, b.end, a.end) or (_eq(m, b.end, a.end) and (not b.end_closed or a.end_closed))),
)
_range_function(
    "coincides", lambda m, a, b: _eq(m, a, b), None, None,
    lambda m, a, b: _eq(m, a.start, b.start) and a.start_closed == b.start_closed
    and _eq(m, a.end, b.end) and a.end_closed == b.end_closed,
)


def _raise() -> bool:
    raise Null


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
    return clock.now().date()


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


# -- ranges from text (DMN 1.5) -----------------------------------------------------------


@builtin("range", ("from",))
def _range_from_text(meter: Meter, text: Any) -> Range:
    from .syntax import parse_expression

    text = _text(text)
    if len(text) > 200:
        raise Null
    try:
        tree = parse_expression(text)
    except Exception:
        raise Null from None
    node = tree.root
    if node.kind != "range":
        raise Null
    low, high = (_literal_value(n) for n in node.args[:2])
    return Range(low, high, node.args[2], node.args[3])


def _literal_value(node: Any) -> Any:
    if node.kind == "number":
        return NUMBERS.plus(Decimal(node.args[0])) if "." in node.args[0] else int(node.args[0])
    if node.kind == "string":
        return node.args[0]
    if node.kind == "null":
        return None
    if node.kind == "call" and node.args[0].kind == "name" and len(node.args[1]) == 1:
        name = node.args[0].args[0]
        arg = node.args[1][0]
        if arg.kind == "string" and name in ("date", "time", "date and time", "duration"):
            return {"date": parse_date, "time": parse_time, "date and time": parse_date_and_time,
                    "duration": parse_duration}[name](arg.args[0])
    raise Null


# -- Camunda 8 connector functions ----------------------------------------------------------------
@builtin("fromAi", ("value", "description?", "type?", "schema?", "options?"))
def _from_ai(meter: Meter, value: Any, description: Any = None, type: Any = None, schema: Any = None,
             options: Any = None) -> Any:
    """Camunda's AI-agent tool parameter: the value the agent supplied (the description,
    type and schema only tell the agent what to supply)."""
    return value


@builtin("bpmnError", ("code", "message", "variables?"))
def _bpmn_error(meter: Meter, code: Any, message: Any, variables: Any = None) -> dict[str, Any]:
    """Camunda's connector error expression: a BPMN error as a context."""
    return {"errorType": "bpmnError", "code": code, "message": message, "variables": variables}


@builtin("jobError", ("message", "variables?", "retries?", "timeout?"))
def _job_error(meter: Meter, message: Any, variables: Any = None, retries: Any = None, timeout: Any = None) -> dict:
    return {"errorType": "jobError", "message": message, "variables": variables, "retries": retries}
