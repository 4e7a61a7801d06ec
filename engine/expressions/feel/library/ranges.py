"""FEEL built-ins on ranges (DMN 1.4, 10.3.4.9: ``before``, ``meets``, ``overlaps`` ...) and
``range`` from text (DMN 1.5).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ...meter import Meter
from ..operations import compare, equal
from ..syntax import parse_expression
from ..values import NUMBERS, Range, parse_date, parse_date_and_time, parse_duration, parse_time
from .registry import FUNCTIONS, Builtin, Null, builtin, text_arg

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


# -- ranges from text (DMN 1.5) -----------------------------------------------------------


@builtin("range", ("from",))
def _range_from_text(meter: Meter, text: Any) -> Range:
    text = text_arg(text)
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
