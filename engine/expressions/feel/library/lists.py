"""FEEL built-ins on lists, including the numeric aggregates (``sum``, ``mean``, ``median`` ...) and sorting."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from functools import cmp_to_key
from typing import Any

from ...callables import sort_in_place
from ...meter import Meter
from ..operations import arithmetic, compare, equal
from ..values import NUMBERS, is_number, kind, to_decimal
from .registry import FUNCTIONS, Builtin, Null, builtin, integer_arg, items_arg, list_arg

_END: Any = object()


# -- lists --------------------------------------------------------------------------------


def _index_of(meter: Meter, items: list[Any], value: Any) -> list[int]:
    return [i + 1 for i, item in enumerate(items) if equal(meter, item, value) is True]


@builtin("list contains", ("list", "element"))
def _list_contains(meter: Meter, items: Any, value: Any) -> bool:
    items = meter.consume(list_arg(items))
    return any(equal(meter, item, value) is True for item in items)


@builtin("count", ("list",))
def _count(meter: Meter, items: Any) -> int:
    return len(list_arg(items))


def _extreme(meter: Meter, args: tuple[Any, ...], op: str) -> Any:
    items = [i for i in items_arg(meter, args)]
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
    items = items_arg(meter, args)
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
    items = items_arg(meter, args)
    if any(item is False for item in items):
        return False
    return True if all(item is True for item in items) else None


def _any(meter: Meter, *args: Any) -> bool | None:
    items = items_arg(meter, args)
    if any(item is True for item in items):
        return True
    return False if all(item is False for item in items) else None


for _name, _impl in (("all", _all), ("and", _all), ("any", _any), ("or", _any)):
    FUNCTIONS[_name] = Builtin(_name, _impl, (("*list",),))


def _position(items: list[Any], position: Any) -> int:
    index = integer_arg(position)
    if index == 0 or abs(index) > len(items):
        raise Null
    return index - 1 if index > 0 else len(items) + index


@builtin("sublist", ("list", "start position", "length?"))
def _sublist(meter: Meter, items: Any, start: Any, length: Any = None) -> list[Any]:
    items = list_arg(items)
    index = _position(items, start)
    if length is None:
        return meter.produced(items[index:])
    count = integer_arg(length)
    if count < 0 or index + count > len(items):
        raise Null
    return meter.produced(items[index : index + count])


@builtin("append", ("list", "*items"))
def _append(meter: Meter, items: Any, *more: Any) -> list[Any]:
    items = list_arg(items)
    meter.need_items(len(items) + len(more))
    return meter.produced([*items, *more])


@builtin("concatenate", ("*lists",))
def _concatenate(meter: Meter, *lists: Any) -> list[Any]:
    result: list[Any] = []
    for items in lists:
        items = list_arg(items)
        meter.need_items(len(result) + len(items))
        result.extend(items)
    return meter.produced(result)


@builtin("insert before", ("list", "position", "newItem"))
def _insert_before(meter: Meter, items: Any, position: Any, value: Any) -> list[Any]:
    items = list_arg(items)
    index = _position(items, position)
    meter.need_items(len(items) + 1)
    return meter.produced([*items[:index], value, *items[index:]])


@builtin("remove", ("list", "position"))
def _remove(meter: Meter, items: Any, position: Any) -> list[Any]:
    items = list_arg(items)
    index = _position(items, position)
    return meter.produced(items[:index] + items[index + 1 :])


@builtin("reverse", ("list",))
def _reverse(meter: Meter, items: Any) -> list[Any]:
    return meter.produced(list(reversed(list_arg(items))))


@builtin("index of", ("list", "match"))
def _index_of_builtin(meter: Meter, items: Any, value: Any) -> list[int]:
    return meter.produced(_index_of(meter, meter.consume(list_arg(items)), value))


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
    return meter.produced(_distinct(meter, meter.consume(list_arg(items))))


@builtin("duplicate values", ("list",))
def _duplicate_values(meter: Meter, items: Any) -> list[Any]:
    items = meter.consume(list_arg(items))
    duplicates = [item for item in _distinct(meter, items) if len(_index_of(meter, items, item)) > 1]
    return meter.produced(duplicates)


@builtin("flatten", ("list",))
def _flatten(meter: Meter, items: Any) -> list[Any]:
    result: list[Any] = []
    stack: list[Iterator[Any]] = [iter(list_arg(items))]
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
    items = list(meter.consume(list_arg(items)))
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
    return not list_arg(items)


@builtin("partition", ("list", "size"))
def _partition(meter: Meter, items: Any, size: Any) -> list[list[Any]]:
    items = list_arg(items)
    step = integer_arg(size)
    if step <= 0:
        raise Null
    return meter.produced([items[i : i + step] for i in range(0, len(items), step)])
