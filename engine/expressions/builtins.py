"""The names that designer code can use without defining them.

Nothing here is a Python builtin handed over as is. Functions are `SafeBuiltin` wrappers
that check sizes and charge the active meter before calling the real builtin; types are
`SafeType` wrappers, so ``str`` in an expression is not the class ``str`` (whose
attributes lead back to ``object``) but a callable that converts with size checks and that
``isinstance`` understands. Because the wrappers find the meter through a context
variable, they stay safe even when C code calls them, e.g. ``sorted(rows, key=str)``.

Iterator-returning builtins (``map``, ``filter``, ``zip``, ``enumerate``, ``reversed``)
return lists here: the work is then done, charged and bounded inside the call, and what a
script leaves behind is plain data.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from .callables import SafeBuiltin, SafeType, SandboxCallable, hash_pairs, hashable_items, sort_in_place
from .el_runtime import RUNTIME_BUILTINS_IMPL as _EL_BUILTINS
from .errors import ResourceLimitExceeded
from .feel.runtime import RUNTIME_BUILTINS as _FEEL_BUILTINS
from .formatting import convert, safe_format
from .limits import BIT_PRODUCTS_PER_STEP, CHARS_PER_STEP, SCAN_CHARS_PER_STEP
from .meter import Meter
from .sizes import int_digits, int_text_steps, short

_MISSING: Any = object()


# -- constructors ---------------------------------------------------------------------


def _bool(meter: Meter, value: Any = False) -> bool:
    return bool(value)


def _int(meter: Meter, value: Any = 0, *args: Any, **kwargs: Any) -> int:
    if isinstance(value, Decimal):
        meter.int_of_decimal(value)
    elif isinstance(value, str):
        if len(value) >= SCAN_CHARS_PER_STEP:
            meter.charge(len(value) // SCAN_CHARS_PER_STEP)
        base = args[0] if args else kwargs.get("base", 10)
        digits = value.strip().lstrip("+-").lstrip("0").replace("_", "")
        per_digit = math.log2(base) if isinstance(base, int) and 2 <= base <= 36 else 1.0
        if len(digits) > 1:
            meter.need_bits(int((len(digits) - 1) * per_digit), f"int({short(value)})")
            meter.charge(int_text_steps(len(digits)))
    return meter.produced(int(value, *args, **kwargs))


def _float(meter: Meter, value: Any = 0.0) -> float:
    if isinstance(value, Decimal):
        meter.decimal_work(value)
    elif isinstance(value, str) and len(value) >= CHARS_PER_STEP:
        meter.charge(len(value) // CHARS_PER_STEP)
    return float(value)


def _str(meter: Meter, value: Any = "", *args: Any, **kwargs: Any) -> str:
    if args or kwargs:  # str(bytes, encoding): bounded by the input
        return meter.produced(str(value, *args, **kwargs))
    return convert(meter, value, str)


def _list(meter: Meter, iterable: Any = ()) -> list[Any]:
    return meter.produced(list(meter.consume(iterable)))


def _tuple(meter: Meter, iterable: Any = ()) -> tuple[Any, ...]:
    return meter.produced(tuple(meter.consume(iterable)))


def _set(meter: Meter, iterable: Any = ()) -> set[Any]:
    items = meter.consume(iterable)
    hashable_items(meter, items)
    return meter.produced(set(items))


def _dict(meter: Meter, *args: Any, **kwargs: Any) -> dict[Any, Any]:
    if len(args) > 1:
        raise TypeError(f"dict expected at most 1 argument, got {len(args)}")
    if not args:
        result: dict[Any, Any] = {}
    elif isinstance(args[0], dict):
        meter.need_items(len(args[0]) + len(kwargs))
        meter.hash_lookups(len(args[0]))
        result = dict(args[0])
    else:
        pairs = meter.consume(args[0])
        hash_pairs(meter, pairs)
        result = dict(pairs)
    result.update(kwargs)
    return meter.produced(result)


def _decimal(meter: Meter, value: Any = "0") -> Decimal:
    if type(value) is int and value.bit_length() > 64:
        meter.charge(int_text_steps(int_digits(value)))
    elif isinstance(value, str) and len(value) >= CHARS_PER_STEP:
        meter.charge(len(value) // CHARS_PER_STEP)
    return meter.produced(Decimal(value))


def _plain(cls: type) -> Callable[..., Any]:
    def make(meter: Meter, *args: Any, **kwargs: Any) -> Any:
        return cls(*args, **kwargs)

    return make


TYPES: dict[str, SafeType] = {
    "bool": SafeType("bool", bool, _bool),
    "int": SafeType("int", int, _int),
    "float": SafeType("float", float, _float),
    "str": SafeType("str", str, _str),
    "list": SafeType("list", list, _list),
    "tuple": SafeType("tuple", tuple, _tuple),
    "set": SafeType("set", set, _set),
    "dict": SafeType("dict", dict, _dict),
    "Decimal": SafeType("Decimal", Decimal, _decimal),
    "date": SafeType("date", date, _plain(date)),
    "datetime": SafeType("datetime", datetime, _plain(datetime)),
    "timedelta": SafeType("timedelta", timedelta, _plain(timedelta)),
    "timezone": SafeType("timezone", timezone, _plain(timezone)),
}


# -- functions ------------------------------------------------------------------------


def _abs(meter: Meter, value: Any) -> Any:
    if type(value) is Decimal:
        meter.decimal_work(value)
    return meter.produced(abs(value))


def _all(meter: Meter, iterable: Any) -> bool:
    return all(meter.consume(iterable))


def _any(meter: Meter, iterable: Any) -> bool:
    return any(meter.consume(iterable))


def _divmod(meter: Meter, a: Any, b: Any) -> tuple[Any, Any]:
    if type(a) is int and type(b) is int:
        meter.int_work(a, b)
    elif type(a) is Decimal or type(b) is Decimal:
        meter.decimal_work(a, b, product=True)
    return divmod(a, b)


def _enumerate(meter: Meter, iterable: Any, start: int = 0) -> list[tuple[int, Any]]:
    return meter.produced_items(list(enumerate(meter.consume(iterable), start)))


def _filter(meter: Meter, function: Any, iterable: Any) -> list[Any]:
    return meter.produced(list(filter(function, meter.consume(iterable))))


def _isinstance(meter: Meter, value: Any, types: Any) -> bool:
    wanted = types if type(types) is tuple else (types,)
    if not wanted or not all(type(t) is SafeType for t in wanted):
        names = ", ".join(TYPES)
        raise TypeError(f"isinstance() accepts only the types available in expressions: {names}")
    return isinstance(value, tuple(t.type for t in wanted))


def _len(meter: Meter, value: Any) -> int:
    return len(value)


def _map(meter: Meter, function: Any, *iterables: Any) -> list[Any]:
    if not iterables:
        raise TypeError("map() must have at least two arguments.")
    return meter.produced(list(map(function, *[meter.consume(i) for i in iterables])))


def _extreme(name: str, pick: Callable[..., Any]) -> Callable[..., Any]:
    def impl(meter: Meter, *args: Any, key: Any = None, default: Any = _MISSING) -> Any:
        if not args:
            raise TypeError(f"{name} expected at least 1 argument, got 0")
        items = meter.consume(args[0]) if len(args) == 1 else args
        options: dict[str, Any] = {}
        if default is not _MISSING:
            options["default"] = default
        if key is None:
            meter.weigh(items if type(items) is tuple or type(items) is str else list(items))
            return pick(items, **options)
        # The keys are compared, not the items: compute them once, weigh them, pick by them.
        keys = [key(item) for item in items]
        meter.weigh(keys)
        if not keys:
            return pick(keys, **options)
        return items[pick(range(len(keys)), key=keys.__getitem__)]

    return impl


def _range(meter: Meter, *args: Any) -> range:
    result = range(*args)
    try:
        n = len(result)
    except OverflowError:
        n = meter.max_items + 1
    meter.need_items(n, f"range({', '.join(short(a) for a in args)})")
    return result


def _reversed(meter: Meter, sequence: Any) -> list[Any]:
    return meter.produced(list(reversed(meter.consume(sequence))))


def _round(meter: Meter, number: Any, ndigits: Any = None) -> Any:
    if type(number) is Decimal:
        meter.decimal_work(number)
    if ndigits is None:
        if isinstance(number, Decimal):
            meter.int_of_decimal(number)
        return meter.produced(round(number))
    if isinstance(ndigits, int) and abs(ndigits) > meter.max_bits:
        raise ResourceLimitExceeded(f"round() to {short(ndigits)} digits is beyond the integer size limit")
    if type(number) is int and isinstance(ndigits, int) and ndigits < 0:  # divides by 10 ** -ndigits
        meter.charge(number.bit_length() * -ndigits * 4 // BIT_PRODUCTS_PER_STEP)
    return meter.produced(round(number, ndigits))


def _sorted(meter: Meter, iterable: Any, /, *, key: Any = None, reverse: bool = False) -> list[Any]:
    items = list(meter.consume(iterable))
    sort_in_place(meter, items, key, reverse)
    return items


def _sum(meter: Meter, iterable: Any, /, start: Any = 0) -> Any:
    items = meter.consume(iterable)
    if isinstance(start, str):
        raise TypeError("sum() can't sum strings [use ''.join(seq) instead]")
    if isinstance(start, list | tuple):
        # Python would copy the growing result at every step (quadratic); concatenate once.
        kind = type(start)
        total = len(start)
        for item in items:
            if type(item) is not kind:
                raise TypeError(
                    f'can only concatenate {kind.__name__} (not "{type(item).__name__}") to {kind.__name__}'
                )
            total += len(item)
        meter.need_items(total)
        joined = list(start)
        for item in items:
            joined.extend(item)
        return meter.produced(joined if kind is list else tuple(joined))
    meter.weigh(items)  # adding Decimals reads their digits
    return meter.produced(sum(items, start))


def _zip(meter: Meter, *iterables: Any, strict: bool = False) -> list[tuple[Any, ...]]:
    return meter.produced_items(list(zip(*[meter.consume(i) for i in iterables], strict=strict)))


def _format(meter: Meter, value: Any, spec: Any = "") -> str:
    return safe_format(meter, value, spec)


def empty(value: Any) -> bool:
    """JUEL's ``empty``: true for null, the empty text and empty collections."""
    if value is None:
        return True
    if isinstance(value, str | list | tuple | dict | set | frozenset) or hasattr(type(value), "__len__"):
        return len(value) == 0
    return False


def _empty(meter: Meter, value: Any) -> bool:
    return empty(value)


FUNCTIONS: dict[str, SafeBuiltin] = {
    name: SafeBuiltin(name, impl)
    for name, impl in {
        "abs": _abs,
        "all": _all,
        "any": _any,
        "divmod": _divmod,
        "empty": _empty,
        "enumerate": _enumerate,
        "filter": _filter,
        "format": _format,
        "isinstance": _isinstance,
        "len": _len,
        "map": _map,
        "max": _extreme("max", max),
        "min": _extreme("min", min),
        "range": _range,
        "reversed": _reversed,
        "round": _round,
        "sorted": _sorted,
        "sum": _sum,
        "zip": _zip,
    }.items()
}

# Python's builtins, then FEEL's runtime helpers (engine/expressions/feel/runtime.py) under
# the reserved prefix "_feel_" and the method calls of Camunda/JUEL expressions
# (engine/expressions/el_runtime.py) under "_el_": trusted and metered like the functions above.
BUILTINS: dict[str, SandboxCallable] = {
    **TYPES,
    **FUNCTIONS,
    **_FEEL_BUILTINS,
    **{name: SafeBuiltin(name, impl) for name, impl in _EL_BUILTINS.items()},
}

# Python builtins that are deliberately absent, with the reason given to the designer.
# Calling one is refused when the code is checked; reading the bare name (when no
# variable of that name exists) is refused at run time.
FORBIDDEN: dict[str, str] = {
    "getattr": "attributes can only be read with a dot and a public name",
    "setattr": "expressions cannot change attributes",
    "delattr": "expressions cannot change attributes",
    "hasattr": "attributes can only be read with a dot and a public name",
    "type": "use isinstance(value, int) and the like instead",
    "vars": "it exposes internals",
    "dir": "it exposes internals",
    "globals": "it exposes internals",
    "locals": "it exposes internals",
    "eval": "expressions cannot run other code",
    "exec": "expressions cannot run other code",
    "compile": "expressions cannot run other code",
    "__import__": "expressions cannot import modules",
    "open": "expressions cannot use files",
    "input": "expressions cannot read input",
    "print": "expressions have no output; assign a variable instead",
    "help": "it is for interactive use",
    "breakpoint": "it is for interactive use",
    "exit": "it is for interactive use",
    "quit": "it is for interactive use",
    "object": "it exposes internals",
    "super": "it exposes internals",
    "memoryview": "it exposes internals",
    "bytearray": "binary data is not supported",
    "bytes": "binary data is not supported",
    "classmethod": "expressions cannot define classes",
    "staticmethod": "expressions cannot define classes",
    "property": "expressions cannot define classes",
    "id": "it exposes internals",
    "hash": "it exposes internals",
    "iter": "loops and comprehensions iterate without it",
    "next": "loops and comprehensions iterate without it",
    "callable": "it exposes internals",
    "issubclass": "it exposes internals",
    "frozenset": "use set() instead",
    "slice": "use a[start:stop] instead",
}


def forbidden_message(name: str) -> str:
    return f"'{name}' is not available in expressions: {FORBIDDEN[name]}"
