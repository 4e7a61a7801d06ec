"""Which attributes designer code may read, and the checks around the methods it calls.

Reading attributes is how every classic Python sandbox escape works
(``().__class__.__bases__[0].__subclasses__()``), so attribute access is an allow list,
not a deny list: an attribute is readable only if the object is an instance of one of the
types below and the name is listed for that type. Everything else - any other type
(functions, modules, generators, the sandbox's own objects, objects the engine passes
in), any unlisted name - is refused. Names starting with ``_`` are refused even before
that, when the code is checked.

Methods are not handed out as Python's bound methods but as `GuardedMethod` objects whose
call goes through a guard: the guard charges the meter and checks sizes where a method
could build something huge (``'-'.join``, ``str.replace``, ``str.center``, ``list.extend``)
or walk nested data in C (``list.index``, ``list.sort``, ``set.add`` of a tuple).

A dict is also readable with a dot: ``order.amount`` reads ``order['amount']`` when the key
exists, so JUEL-style ``${order.amount}`` works after translation. When a key and a dict
method share a name, reading takes the key (``order.items`` is ``order['items']`` if that
key exists) and calling takes the method (``order.items()`` is always the method).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Any

from .callables import SafeType, SandboxCallable, hash_pairs, hashable_items, sort_in_place
from .errors import ResourceLimitExceeded, SandboxViolation
from .formatting import check_strftime
from .limits import CHARS_PER_STEP, SCAN_CHARS_PER_STEP, UNICODE_CHARS_PER_STEP
from .meter import Meter
from .sizes import decimal_digits

Guard = Callable[[Meter, Any, Callable[..., Any], tuple[Any, ...], dict[str, Any]], Any]


class GuardedMethod(SandboxCallable):
    """A method read through an allowed attribute, bound to the meter of its run."""

    __slots__ = ("guard", "meter", "method", "name", "owner")

    def __init__(self, meter: Meter, owner: Any, name: str, method: Callable[..., Any], guard: Guard) -> None:
        self.meter = meter
        self.owner = owner
        self.name = name
        self.method = method
        self.guard = guard

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        meter = self.meter
        meter.tick()
        return self.guard(meter, self.owner, self.method, args, kwargs)

    def __repr__(self) -> str:
        return f"<method {self.name}>"


# -- guards ---------------------------------------------------------------------------


def _read(meter: Meter, owner: Any, method: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """Returns existing data or a bounded small value."""
    return method(*args, **kwargs)


def _new(meter: Meter, owner: Any, method: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """Builds a value no bigger than its inputs; checked and charged afterwards."""
    return meter.produced(method(*args, **kwargs))


def _text(meter: Meter, owner: Any, method: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """A str method that looks at every character (case mapping, classification): may
    build a text no longer than it, or a few times longer (``'ß'.upper()`` is ``'SS'``).
    Outside ASCII each character is looked up in the Unicode database, ten times slower."""
    n = len(owner)
    if n >= CHARS_PER_STEP:
        meter.charge(n // CHARS_PER_STEP if owner.isascii() else n // UNICODE_CHARS_PER_STEP)
    return meter.produced(method(*args, **kwargs))


def _search(meter: Meter, owner: Any, method: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """find, count, index, partition and the like: a substring search, whose worst case
    is the product of the lengths of the text and the needle."""
    if args and isinstance(args[0], str):
        meter.search(owner, len(args[0]))
    else:
        meter.scan(owner)
    return meter.produced(method(*args, **kwargs))


def _strip(meter: Meter, owner: Any, method: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """strip(chars) looks every character it strips (up to all of them) up in `chars`."""
    chars = args[0] if args else kwargs.get("chars")
    work = len(owner) * (len(chars) if isinstance(chars, str) and chars else 1)
    meter.charge(work // SCAN_CHARS_PER_STEP, f"stripping {len(chars or ' '):,} kinds of characters from a text")
    return meter.produced(method(*args, **kwargs))


def _affix(meter: Meter, owner: Any, method: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """startswith/endswith: compares each candidate (a string or a tuple of them) with
    one end of the text."""
    if args:
        candidates = args[0] if type(args[0]) is tuple else (args[0],)
        n = len(owner)
        work = sum(min(len(c), n) for c in candidates if isinstance(c, str)) + len(candidates) * 16
        meter.charge(work // SCAN_CHARS_PER_STEP, f"comparing {len(candidates):,} texts with an end of a text")
    return method(*args, **kwargs)


def _split(meter: Meter, owner: Any, method: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """split/rsplit: searches for the separator and builds the pieces, at most
    `max_collection_length` of them: Python is asked for one more than that, so an
    oversized result is refused having built only that many."""
    sep = args[0] if args else kwargs.get("sep")
    maxsplit = args[1] if len(args) > 1 else kwargs.get("maxsplit", -1)
    if len(args) > 2 or set(kwargs) - {"sep", "maxsplit"} or not isinstance(maxsplit, int):
        return method(*args, **kwargs)  # let Python report the wrong call
    if isinstance(sep, str):
        meter.search(owner, len(sep))
    else:
        meter.scan(owner)
    limit = meter.max_items
    bounded = 0 <= maxsplit < limit
    pieces = method(sep, maxsplit if bounded else limit)
    if not bounded and len(pieces) > limit:
        raise ResourceLimitExceeded(f"splitting the text would make more than {limit:,} pieces, the limit")
    return meter.produced_items(pieces)


_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _splitlines(meter: Meter, owner: Any, method: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    meter.scan(owner)
    if len(owner) > meter.max_items:  # count the breaks before building the lines
        meter.charge(len(owner) * len(_LINE_BREAKS) // SCAN_CHARS_PER_STEP)
        meter.need_items(sum(map(owner.count, _LINE_BREAKS)), "the lines of the text")
    return meter.produced_items(method(*args, **kwargs))


def _compare(meter: Meter, owner: Any, method: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """Compares items with the arguments (index, count, remove). ``list.index`` of a
    missing value puts its repr in the error message, so that is bounded too."""
    meter.weigh(owner)
    meter.weigh_all(args)
    if args and type(owner) is list and method.__name__ == "index":
        meter.text_size(args[0])
    return method(*args, **kwargs)


def _keyed(meter: Meter, owner: Any, method: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """Hashes its first argument; may add one item."""
    if args:
        meter.hashable(args[0])
    before = len(owner)
    result = method(*args, **kwargs)
    meter.grown(owner, before)
    return result


def _grow(meter: Meter, owner: Any, method: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """Adds items (append, insert); insert also shifts the items after it."""
    meter.moved(owner)
    before = len(owner)
    result = method(*args, **kwargs)
    meter.grown(owner, before)
    return result


def _shift(meter: Meter, owner: Any, method: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """Removes an item (list.pop), shifting the items after it."""
    meter.moved(owner)
    return method(*args, **kwargs)


def _extend(meter: Meter, owner: Any, method: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    if len(args) != 1 or kwargs:
        return method(*args, **kwargs)  # let Python report the wrong call
    items = meter.consume(args[0])
    meter.need_items(len(owner) + len(items), "the list")
    return method(items)


def _update(meter: Meter, owner: Any, method: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    if len(args) == 1 and not isinstance(args[0], Mapping):
        pairs = meter.consume(args[0])
        hash_pairs(meter, pairs)
        args = (pairs,)
    elif args and isinstance(args[0], Mapping):
        meter.need_items(len(owner) + len(args[0]) + len(kwargs), "the dict")
        meter.hash_lookups(len(args[0]))
    before = len(owner)
    result = method(*args, **kwargs)
    meter.grown(owner, before)
    return result


def _set_operation(meter: Meter, owner: Any, method: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    others = [meter.consume(other) for other in args]
    for other in others:
        if type(other) is set or type(other) is frozenset:
            meter.hash_lookups(len(other))
        else:
            hashable_items(meter, other)
    meter.hash_lookups(len(owner))
    return meter.produced(method(*others, **kwargs))


def _sort(meter: Meter, owner: Any, method: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    if args:
        return method(*args, **kwargs)  # sort() takes no positional arguments: Python says so
    sort_in_place(meter, owner, **kwargs)


def _join(meter: Meter, owner: Any, method: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    if len(args) != 1 or kwargs:
        return method(*args, **kwargs)
    items = meter.consume(args[0])
    if {str}.issuperset(map(type, items)):  # otherwise Python raises TypeError before building
        meter.need_chars(sum(map(len, items)) + len(owner) * max(0, len(items) - 1), "the joined text")
    return meter.produced(method(items))


def _replace(meter: Meter, owner: Any, method: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    if len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        old, new = args[0], args[1]
        count = args[2] if len(args) > 2 else -1
        meter.search(owner, len(old))
        found = len(owner) + 1 if old == "" else owner.count(old)
        if isinstance(count, int) and count >= 0:
            found = min(found, count)
        meter.need_chars(len(owner) + found * (len(new) - len(old)), "the replaced text")
    return meter.produced(method(*args, **kwargs))


def _pad(meter: Meter, owner: Any, method: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    if args and isinstance(args[0], int):
        meter.need_chars(args[0], "the padded text")
    return meter.produced(method(*args, **kwargs))


def _strftime(meter: Meter, owner: Any, method: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    if args:
        check_strftime(meter, args[0], owner)
    return meter.produced(method(*args, **kwargs))


def _decimal(meter: Meter, owner: Any, method: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """A Decimal method: reads the digits of the Decimal and of a Decimal argument."""
    meter.decimal_work(owner, args[0] if args else None)
    return meter.produced(method(*args, **kwargs))


def _as_tuple(meter: Meter, owner: Any, method: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """Decimal.as_tuple() makes one int per digit: as many items as digits, so checked
    like a collection of that length, and handed out as a plain tuple (a DecimalTuple is
    a tuple subclass, which every check of the sandbox would take for "not a tuple")."""
    meter.need_items(decimal_digits(owner), "as_tuple() of the Decimal")
    sign, digits, exponent = method(*args, **kwargs)
    return meter.produced((sign, meter.produced(tuple(digits)), exponent))


def _parse(meter: Meter, owner: Any, method: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """fromisoformat: reads its text (and quotes all of it in the error when it fails)."""
    for arg in args:
        if isinstance(arg, str) and len(arg) >= CHARS_PER_STEP:
            meter.charge(len(arg) // CHARS_PER_STEP)
    return method(*args, **kwargs)


def _strptime(meter: Meter, owner: Any, method: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    # strptime compiles its format into a regular expression (a cache holds the last 100):
    # keep both inputs short, and charge the compilation, about a microsecond a character.
    if any(isinstance(a, str) and len(a) > 1000 for a in args):
        raise ResourceLimitExceeded("datetime.strptime() accepts texts and formats of at most 1000 characters")
    meter.charge(sum(2 * len(a) for a in args if isinstance(a, str)))
    return method(*args, **kwargs)


DATA = None  # marks a plain data attribute (date.year): returned as is, not called

_STR: dict[str, Guard | None] = {
    **dict.fromkeys(
        [
            "lower", "upper", "title", "capitalize", "casefold", "isdigit", "isalpha", "isalnum", "isspace",
        ],
        _text,
    ),
    **dict.fromkeys(["count", "find", "rfind", "index", "partition", "rpartition"], _search),
    **dict.fromkeys(["strip", "lstrip", "rstrip"], _strip),
    **dict.fromkeys(["startswith", "endswith"], _affix),
    **dict.fromkeys(["split", "rsplit"], _split),
    "splitlines": _splitlines,
    "replace": _replace,
    "join": _join,
    **dict.fromkeys(["zfill", "center", "ljust", "rjust"], _pad),
}
_LIST: dict[str, Guard | None] = {
    "append": _grow,
    "insert": _grow,
    "extend": _extend,
    "pop": _shift,
    "remove": _compare,
    "index": _compare,
    "count": _compare,
    "sort": _sort,
    "reverse": _shift,
    "copy": _new,
    "clear": _read,
}
_DICT: dict[str, Guard | None] = {
    "get": _keyed,
    "keys": _read,
    "values": _read,
    "items": _read,
    "pop": _keyed,
    "setdefault": _keyed,
    "update": _update,
    "copy": _new,
    "clear": _read,
}
_SET: dict[str, Guard | None] = {
    "add": _keyed,
    "discard": _keyed,
    "remove": _keyed,
    **dict.fromkeys(["union", "intersection", "difference", "issubset", "issuperset"], _set_operation),
    "copy": _new,
}
_TUPLE: dict[str, Guard | None] = {"index": _compare, "count": _compare}
_DECIMAL: dict[str, Guard | None] = {
    **dict.fromkeys(["quantize", "compare", "copy_abs", "to_integral_value"], _decimal),
    "is_zero": _read,
    "as_tuple": _as_tuple,
}
_DATE: dict[str, Guard | None] = {
    **dict.fromkeys(["year", "month", "day"], DATA),
    "weekday": _read,
    "isoweekday": _read,
    "isoformat": _new,
    "replace": _new,
    "strftime": _strftime,
}
_DATETIME: dict[str, Guard | None] = {
    **dict.fromkeys(["hour", "minute", "second", "microsecond", "tzinfo"], DATA),
    "date": _read,
    "time": _read,
    "astimezone": _read,
    "timestamp": _read,
}
_TIMEDELTA: dict[str, Guard | None] = {
    **dict.fromkeys(["days", "seconds", "microseconds"], DATA),
    "total_seconds": _read,
}

# Instance attributes per type; a subclass gets the union of its bases' lists.
INSTANCE_ATTRIBUTES: dict[type, dict[str, Guard | None]] = {
    str: _STR,
    list: _LIST,
    dict: _DICT,
    set: _SET,
    tuple: _TUPLE,
    Decimal: _DECIMAL,
    date: _DATE,
    datetime: _DATETIME,
    timedelta: _TIMEDELTA,
}

# Class attributes of the types available by name: constructors from text and the clock.
CLASS_ATTRIBUTES: dict[type, dict[str, Guard | None]] = {
    date: {"today": _read, "fromisoformat": _parse},
    datetime: {
        "now": _read,
        "today": _read,
        "fromisoformat": _parse,
        "combine": _read,
        "strptime": _strptime,
    },
    timezone: {"utc": DATA},
}


@lru_cache(maxsize=512)
def _instance_table(cls: type) -> Mapping[str, Guard | None]:
    table: dict[str, Guard | None] = {}
    for base in reversed(cls.__mro__):
        table.update(INSTANCE_ATTRIBUTES.get(base, {}))
    return table


def private_name_message(name: str) -> str:
    return f"access to '{name}' is not allowed: names starting with '_' are private"


STR_FORMAT_MESSAGE = (
    "str.{name}() is not allowed in expressions: its replacement fields (like '{{0.attr}}') can reach "
    "into objects; use an f-string instead"
)


def resolve_attribute(meter: Meter, obj: Any, name: str, called: bool = False) -> Any:
    """``obj.name`` as the sandbox allows it (see the module docstring). `called` is true
    when the attribute is called right away (``order.items()``): then a dict method wins
    over a key of the same name, which otherwise wins (``order.items``)."""
    if name[:1] == "_":
        raise SandboxViolation(private_name_message(name))
    if isinstance(obj, dict) and name in obj and not (called and name in _DICT):
        return obj[name]
    if type(obj) is SafeType:
        table: Mapping[str, Guard | None] = CLASS_ATTRIBUTES.get(obj.type, {})
        target: Any = obj.type
    else:
        table = _instance_table(type(obj))
        target = obj
    if name in table:
        guard = table[name]
        value = getattr(target, name)
        if guard is None:
            return value
        return GuardedMethod(meter, target, name, value, guard)
    raise _refusal(obj, name, table)


def _refusal(obj: Any, name: str, table: Mapping[str, Guard | None]) -> Exception:
    cls = type(obj)
    if isinstance(obj, str) and name in ("format", "format_map"):
        return SandboxViolation(STR_FORMAT_MESSAGE.format(name=name))
    if cls is SafeType:
        return SandboxViolation(f"'{obj.name}.{name}' is not available in expressions")
    if not table:
        return SandboxViolation(f"attributes of {cls.__name__} values cannot be read in expressions")
    if hasattr(cls, name):
        return SandboxViolation(f"'{cls.__name__}.{name}' is not available in expressions")
    if isinstance(obj, dict):
        return AttributeError(f"the dict has no key '{name}'")
    return AttributeError(f"'{cls.__name__}' object has no attribute '{name}'")
