"""``_el_call``: the method calls of Camunda/JUEL expressions, in the sandbox.

`el.translate_el(text, methods=True)` turns ``${name.toLowerCase() == 'joram'}`` into
``_el_call(name, 'toLowerCase') == 'joram'``. This builtin runs the Java methods models
use on the values instance data holds (strings, lists, maps, numbers), with Java's
meaning. Java beans (``${reservationService.showUp()}``) do not exist in Flowdesk; a call
on a data object reads its member of that name instead (``showUp``, or for a bean getter
``getAmount()``/``isPaid()`` the property ``amount``/``paid``), so a model keeps working
when the data supplies the value the bean computed. Arguments of such a call are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from .errors import EvaluationError
from .meter import Meter


def _fail(value: Any, method: str) -> EvaluationError:
    kind = "null" if value is None else type(value).__name__
    return EvaluationError(f"cannot call the method '{method}' on a {kind} value")


def _string(meter: Meter, text: str, method: str, args: tuple) -> Any:
    if method == "toLowerCase":
        return text.lower()
    if method == "toUpperCase":
        return text.upper()
    if method == "trim":
        return text.strip()
    if method == "length":
        return len(text)
    if method == "isEmpty":
        return text == ""
    if method == "isBlank":
        return text.strip() == ""
    if method == "contains":
        return str(args[0]) in text
    if method == "startsWith":
        return text.startswith(str(args[0]))
    if method == "endsWith":
        return text.endswith(str(args[0]))
    if method == "equals":
        return text == args[0]
    if method == "equalsIgnoreCase":
        return isinstance(args[0], str) and text.lower() == args[0].lower()
    if method == "indexOf":
        return text.find(str(args[0]))
    if method == "substring":
        return text[int(args[0]):int(args[1])] if len(args) > 1 else text[int(args[0]):]
    if method == "replace":
        return text.replace(str(args[0]), str(args[1]))
    if method == "charAt":
        return text[int(args[0])]
    if method == "concat":
        return text + str(args[0])
    if method == "toString":
        return text
    raise _fail(text, method)


_UNITS = {"Seconds": "seconds", "Minutes": "minutes", "Hours": "hours", "Days": "days", "Weeks": "weeks"}


def _now(meter: Meter) -> datetime:
    """Camunda's ``dateTime()``: the time of the step (the engine's clock)."""
    from .feel.clock import now

    meter.tick()
    return now()


def _datetime(value: datetime, method: str, args: tuple) -> Any:
    for sign, prefix in ((1, "plus"), (-1, "minus")):
        if method.startswith(prefix):
            unit = method[len(prefix):]
            amount = sign * int(args[0])
            if unit in _UNITS:
                return value + timedelta(**{_UNITS[unit]: amount})
            if unit in ("Months", "Years"):
                from ..timeutil import add_months

                return add_months(value, amount * (12 if unit == "Years" else 1))
    if method in ("toDate", "toString", "toInstant"):
        return value.isoformat()
    if method in ("isBefore", "isAfter"):
        other = args[0]
        other = datetime.fromisoformat(other) if isinstance(other, str) else other
        return value < other if method == "isBefore" else value > other
    raise _fail(value, method)


def _call(meter: Meter, value: Any, method: str, *args: Any) -> Any:
    meter.tick()
    if isinstance(value, datetime):
        return _datetime(value, method, args)
    if isinstance(value, str):
        return _string(meter, value, method, args)
    if isinstance(value, Mapping):
        if method in value:
            return value[method]
        for prefix in ("get", "is"):
            if method.startswith(prefix) and len(method) > len(prefix) and not args:
                prop = method[len(prefix)].lower() + method[len(prefix) + 1:]
                if prop in value:
                    return value[prop]
        if method == "get" and len(args) == 1:
            return value.get(args[0])
        if method == "containsKey" and len(args) == 1:
            return args[0] in value
        if method == "containsValue" and len(args) == 1:
            return args[0] in value.values()
        if method == "size":
            return len(value)
        if method == "isEmpty":
            return len(value) == 0
        if method == "keySet":
            return list(value)
        if method == "values":
            return list(value.values())
        raise EvaluationError(f"the data object has no member '{method}' (a Java bean method call in "
                              "the model reads the data's member of that name)")
    if isinstance(value, Sequence):
        if method == "size":
            return len(value)
        if method == "isEmpty":
            return len(value) == 0
        if method == "contains" and len(args) == 1:
            return args[0] in value
        if method == "get" and len(args) == 1:
            return value[int(args[0])]
        if method == "indexOf" and len(args) == 1:
            return list(value).index(args[0]) if args[0] in value else -1
        raise _fail(value, method)
    if isinstance(value, bool):
        if method == "booleanValue":
            return value
        if method == "equals":
            return value == args[0]
        raise _fail(value, method)
    if isinstance(value, int | float | Decimal):
        if method in ("intValue", "longValue"):
            return int(value)
        if method in ("doubleValue", "floatValue"):
            return float(value)
        if method == "compareTo" and len(args) == 1:
            return (value > args[0]) - (value < args[0])
        if method == "equals":
            return value == args[0]
        if method == "toString":
            return str(value)
        raise _fail(value, method)
    raise _fail(value, method)


RUNTIME_BUILTINS_IMPL = {"_el_call": _call, "_el_now": _now}
